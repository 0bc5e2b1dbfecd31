#include "p2psip/core/storage/access_control.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "p2psip/wire/hashes.h"

namespace p2psip::core::storage {
namespace {

using wire::ArrayEntry;
using wire::DataValue;
using wire::DictionaryEntry;
using wire::StoredDataValue;

constexpr char kAlice[] = "alice@dht.example.com";

NodeId MakeNodeId(uint8_t fill, size_t length = 16) {
  std::vector<uint8_t> b(length, fill);
  b[0] = 0x01;
  return NodeId(b);
}

SignerInfo Signer(const NodeId& id, std::string user = kAlice) {
  return {.node_id = id, .node_ids = {id}, .user_name = std::move(user)};
}

const KindDefinition& Kind(uint32_t id) {
  static const KindRegistry r = KindRegistry::WithBuiltins();
  return *r.Find(id);
}

// H(Node-ID ‖ i) with i as one byte, computed independently of the code under test.
ResourceId NodeMultipleId(const NodeId& id, uint8_t i) {
  std::vector<uint8_t> b(id.bytes().begin(), id.bytes().end());
  b.push_back(i);
  return wire::ChordResourceId(std::span<const uint8_t>(b));
}

DataValue Value() { return {.exists = true, .value = {1, 2, 3}}; }
ArrayEntry Entry() { return {.index = wire::kArrayAppend, .value = Value()}; }
DictionaryEntry DictEntry(const NodeId& key) {
  return {.key = {key.bytes().begin(), key.bytes().end()}, .value = Value()};
}

void ExpectDenied(const absl::Status& s, std::string_view reason) {
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  const std::string message(s.message());
  EXPECT_NE(message.find(reason), std::string::npos) << message;
}

TEST(AccessControlTest, ResourceIdOfTheDigestExample) {
  EXPECT_EQ(wire::ChordResourceId(kAlice).ToHex(), "0c51a942f50c828aef82a5af83e8ed59");
}

TEST(AccessControlTest, UserMatch) {
  const KindDefinition& kind = Kind(wire::kKindCertificateByUser);
  const NodeId node = MakeNodeId(0xAA);
  const ResourceId alice = wire::ChordResourceId(kAlice);
  EXPECT_TRUE(CheckAccess(kind, alice, Entry(), Signer(node)).ok());

  ExpectDenied(CheckAccess(kind, alice, Entry(), Signer(node, "bob@dht.example.com")),
               "USER-MATCH: H(user) != Resource-ID");
  // The user name is hashed exactly: case matters.
  ExpectDenied(CheckAccess(kind, alice, Entry(), Signer(node, "Alice@dht.example.com")),
               "USER-MATCH");
  ExpectDenied(CheckAccess(kind, alice, Entry(), Signer(node, "")), "USER-MATCH");
  // Storing at H(Node-ID) is NODE-MATCH's business, not USER-MATCH's.
  ExpectDenied(CheckAccess(kind, wire::ChordResourceId(node.bytes()), Entry(), Signer(node)),
               "USER-MATCH");
}

TEST(AccessControlTest, NodeMatch) {
  const KindDefinition& kind = Kind(wire::kKindCertificateByNode);
  const NodeId node = MakeNodeId(0xAA);
  const NodeId other = MakeNodeId(0xBB);
  const ResourceId at_node = wire::ChordResourceId(node.bytes());
  EXPECT_TRUE(CheckAccess(kind, at_node, Entry(), Signer(node)).ok());

  // The resource is H(Node-ID), not the Node-ID itself.
  ExpectDenied(CheckAccess(kind, ResourceId(node.bytes()), Entry(), Signer(node)),
               "NODE-MATCH: H(Node-ID) != Resource-ID");
  ExpectDenied(CheckAccess(kind, at_node, Entry(), Signer(other)), "NODE-MATCH");
  ExpectDenied(CheckAccess(kind, wire::ChordResourceId(kAlice), Entry(), Signer(node)),
               "NODE-MATCH");

  // A certificate with two Node-IDs: the signer may write only under the one it signed with.
  SignerInfo two = {.node_id = other, .node_ids = {node, other}, .user_name = kAlice};
  ExpectDenied(CheckAccess(kind, at_node, Entry(), two), "NODE-MATCH");
  two.node_id = node;
  EXPECT_TRUE(CheckAccess(kind, at_node, Entry(), two).ok());

  // The Node-ID the SignerIdentity names must be in the certificate.
  SignerInfo not_in_cert = {.node_id = node, .node_ids = {other}, .user_name = kAlice};
  ExpectDenied(CheckAccess(kind, at_node, Entry(), not_in_cert),
               "NODE-MATCH: signer Node-ID not in its certificate");
}

TEST(AccessControlTest, NodeMatchWith20ByteNodeIds) {
  const KindDefinition& kind = Kind(wire::kKindCertificateByNode);
  const NodeId node = MakeNodeId(0xCC, 20);
  EXPECT_TRUE(CheckAccess(kind, wire::ChordResourceId(node.bytes()), Entry(), Signer(node)).ok());
}

TEST(AccessControlTest, UserNodeMatch) {
  const KindDefinition& kind = Kind(wire::kKindSipRegistration);
  const NodeId node = MakeNodeId(0xAA);
  const NodeId other = MakeNodeId(0xBB);
  const ResourceId alice = wire::ChordResourceId(kAlice);
  EXPECT_TRUE(CheckAccess(kind, alice, DictEntry(node), Signer(node)).ok());
  // A deletion (exists = false) is checked the same way.
  DictionaryEntry removal = DictEntry(node);
  removal.value = {};
  EXPECT_TRUE(CheckAccess(kind, alice, removal, Signer(node)).ok());

  ExpectDenied(CheckAccess(kind, alice, DictEntry(other), Signer(node)),
               "USER-NODE-MATCH: dictionary key != signer Node-ID");
  ExpectDenied(CheckAccess(kind, alice, DictEntry(node), Signer(node, "bob@dht.example.com")),
               "USER-NODE-MATCH: H(user) != Resource-ID");
  ExpectDenied(
      CheckAccess(kind, wire::ChordResourceId(node.bytes()), DictEntry(node), Signer(node)),
      "USER-NODE-MATCH: H(user) != Resource-ID");

  // A key that is a prefix of the Node-ID, or the Node-ID with a byte more, is not it.
  DictionaryEntry prefix = DictEntry(node);
  prefix.key.pop_back();
  ExpectDenied(CheckAccess(kind, alice, prefix, Signer(node)), "USER-NODE-MATCH");
  DictionaryEntry longer = DictEntry(node);
  longer.key.push_back(0);
  ExpectDenied(CheckAccess(kind, alice, longer, Signer(node)), "USER-NODE-MATCH");
  DictionaryEntry empty_key = DictEntry(node);
  empty_key.key.clear();
  ExpectDenied(CheckAccess(kind, alice, empty_key, Signer(node)), "USER-NODE-MATCH");

  // Another Node-ID in the same certificate is not the one named by the SignerIdentity.
  SignerInfo two = {.node_id = node, .node_ids = {node, other}, .user_name = kAlice};
  ExpectDenied(CheckAccess(kind, alice, DictEntry(other), two), "USER-NODE-MATCH");
}

TEST(AccessControlTest, NodeMultiple) {
  const KindDefinition& kind = Kind(wire::kKindTurnService);
  ASSERT_EQ(kind.max_node_multiple, 20u);
  const NodeId node = MakeNodeId(0xAA);
  EXPECT_TRUE(CheckAccess(kind, NodeMultipleId(node, 1), Value(), Signer(node)).ok());
  EXPECT_TRUE(CheckAccess(kind, NodeMultipleId(node, 7), Value(), Signer(node)).ok());
  EXPECT_TRUE(CheckAccess(kind, NodeMultipleId(node, 20), Value(), Signer(node)).ok());

  ExpectDenied(CheckAccess(kind, NodeMultipleId(node, 21), Value(), Signer(node)),
               "NODE-MULTIPLE: H(Node-ID || i) != Resource-ID");
  ExpectDenied(CheckAccess(kind, NodeMultipleId(node, 0), Value(), Signer(node)), "NODE-MULTIPLE");
  ExpectDenied(CheckAccess(kind, wire::ChordResourceId(node.bytes()), Value(), Signer(node)),
               "NODE-MULTIPLE");
  ExpectDenied(CheckAccess(kind, NodeMultipleId(node, 1), Value(), Signer(MakeNodeId(0xBB))),
               "NODE-MULTIPLE");

  // i is one byte, not a wider integer.
  std::vector<uint8_t> wide(node.bytes().begin(), node.bytes().end());
  wide.insert(wide.end(), {0, 0, 0, 1});
  ExpectDenied(CheckAccess(kind, wire::ChordResourceId(std::span<const uint8_t>(wide)), Value(),
                           Signer(node)),
               "NODE-MULTIPLE");
}

TEST(AccessControlTest, NodeMultipleUsesTheKindsLimit) {
  KindDefinition kind = Kind(wire::kKindTurnService);
  kind.max_node_multiple = 3;
  const NodeId node = MakeNodeId(0xAA, 20);
  EXPECT_TRUE(CheckAccess(kind, NodeMultipleId(node, 3), Value(), Signer(node)).ok());
  ExpectDenied(CheckAccess(kind, NodeMultipleId(node, 4), Value(), Signer(node)), "NODE-MULTIPLE");
  kind.max_node_multiple = 255;
  EXPECT_TRUE(CheckAccess(kind, NodeMultipleId(node, 255), Value(), Signer(node)).ok());
}

TEST(AccessControlTest, ValueOfTheWrongModelIsDenied) {
  const NodeId node = MakeNodeId(0xAA);
  const ResourceId alice = wire::ChordResourceId(kAlice);
  ExpectDenied(CheckAccess(Kind(wire::kKindSipRegistration), alice, Value(), Signer(node)),
               "the kind is DICTIONARY");
  ExpectDenied(CheckAccess(Kind(wire::kKindSipRegistration), alice, Entry(), Signer(node)),
               "the kind is DICTIONARY");
  ExpectDenied(
      CheckAccess(Kind(wire::kKindCertificateByUser), alice, DictEntry(node), Signer(node)),
      "the kind is ARRAY");
  ExpectDenied(
      CheckAccess(Kind(wire::kKindTurnService), NodeMultipleId(node, 1), Entry(), Signer(node)),
      "the kind is SINGLE");
}

TEST(AccessControlTest, SignerWithoutIdentityIsDenied) {
  const ResourceId alice = wire::ChordResourceId(kAlice);
  SignerInfo nobody;
  ExpectDenied(CheckAccess(Kind(wire::kKindCertificateByUser), alice, Entry(), nobody),
               "USER-MATCH");
  ExpectDenied(CheckAccess(Kind(wire::kKindCertificateByNode), alice, Entry(), nobody),
               "NODE-MATCH");
  ExpectDenied(CheckAccess(Kind(wire::kKindTurnService), alice, Value(), nobody), "NODE-MULTIPLE");
  nobody.user_name = kAlice;
  DictionaryEntry no_key = {.key = {}, .value = Value()};
  ExpectDenied(CheckAccess(Kind(wire::kKindSipRegistration), alice, no_key, nobody),
               "USER-NODE-MATCH");
}

TEST(DomainRestrictionTest, AnyDomainAcceptsEveryWellFormedAor) {
  DomainRestriction d = DomainRestriction::AnyDomain();
  EXPECT_TRUE(d.Check(kAlice).ok());
  EXPECT_TRUE(d.Check("bob@elsewhere.example").ok());
  EXPECT_TRUE(d.Check("x@y").ok());
}

TEST(DomainRestrictionTest, MalformedAorsAreInvalid) {
  DomainRestriction d = DomainRestriction::AnyDomain();
  for (std::string_view aor : {"", "@", "alice", "alice@", "@dht.example.com",
                               "alice@bob@dht.example.com", "alice@@dht.example.com"}) {
    EXPECT_EQ(d.Check(aor).code(), absl::StatusCode::kInvalidArgument) << aor;
  }
  EXPECT_EQ(d.Check(std::string_view("alice@dht.example.com\0x", 23)).code(),
            absl::StatusCode::kInvalidArgument);

  DomainRestriction o = DomainRestriction::OverlayDomain("dht.example.com");
  EXPECT_EQ(o.Check("dht.example.com").code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<DomainRestriction> p = DomainRestriction::Patterns({".*"});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->Check("a@b@c").code(), absl::StatusCode::kInvalidArgument);
}

TEST(DomainRestrictionTest, OverlayDomain) {
  DomainRestriction d = DomainRestriction::OverlayDomain("dht.example.com");
  EXPECT_TRUE(d.Check(kAlice).ok());
  EXPECT_TRUE(d.Check("bob@DHT.Example.COM").ok());
  EXPECT_EQ(d.Check("alice@example.com").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(d.Check("alice@sub.dht.example.com").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(d.Check("alice@dht.example.com.evil").code(), absl::StatusCode::kPermissionDenied);
  // The user part is not the domain.
  EXPECT_EQ(d.Check("dht.example.com@evil.example").code(), absl::StatusCode::kPermissionDenied);
}

TEST(DomainRestrictionTest, PatternsMatchTheWholeDomain) {
  absl::StatusOr<DomainRestriction> d =
      DomainRestriction::Patterns({"dht\\.example\\.com", ".*\\.my\\.example"});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(d->Check(kAlice).ok());
  EXPECT_TRUE(d->Check("alice@DHT.EXAMPLE.COM").ok());
  EXPECT_TRUE(d->Check("bob@phone.my.example").ok());
  EXPECT_TRUE(d->Check("bob@a.b.my.example").ok());

  // Anchored: no prefix or suffix around a match.
  EXPECT_EQ(d->Check("alice@xdht.example.com").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(d->Check("alice@dht.example.com.evil").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(d->Check("bob@my.example").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(d->Check("bob@phone.my.example.org").code(), absl::StatusCode::kPermissionDenied);
  // The escaped dot is literal.
  EXPECT_EQ(d->Check("alice@dhtXexample.com").code(), absl::StatusCode::kPermissionDenied);
  // The user part never matches for the domain.
  EXPECT_EQ(d->Check("dht.example.com@other.example").code(), absl::StatusCode::kPermissionDenied);
}

TEST(DomainRestrictionTest, AlternationIsAnchoredAsAWhole) {
  absl::StatusOr<DomainRestriction> d = DomainRestriction::Patterns({"a\\.example|b\\.example"});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(d->Check("u@a.example").ok());
  EXPECT_TRUE(d->Check("u@b.example").ok());
  EXPECT_EQ(d->Check("u@a.example.evil").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(d->Check("u@evil.b.example").code(), absl::StatusCode::kPermissionDenied);
}

TEST(DomainRestrictionTest, NoPatternsAcceptsNothing) {
  absl::StatusOr<DomainRestriction> d = DomainRestriction::Patterns({});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->Check(kAlice).code(), absl::StatusCode::kPermissionDenied);
}

TEST(DomainRestrictionTest, BadPatternFailsToBuild) {
  for (const char* bad : {"(dht", "[a-", "*(", "a)|(b"}) {
    absl::StatusOr<DomainRestriction> d = DomainRestriction::Patterns({"ok\\.example", bad});
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(DomainRestrictionTest, MovesKeepTheCompiledPatterns) {
  absl::StatusOr<DomainRestriction> built = DomainRestriction::Patterns({"dht\\.example\\.com"});
  ASSERT_TRUE(built.ok());
  DomainRestriction moved = std::move(*built);
  EXPECT_TRUE(moved.Check(kAlice).ok());
  DomainRestriction assigned = DomainRestriction::AnyDomain();
  assigned = std::move(moved);
  EXPECT_TRUE(assigned.Check(kAlice).ok());
  EXPECT_EQ(assigned.Check("bob@other.example").code(), absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace p2psip::core::storage

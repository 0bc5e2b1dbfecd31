// KindsOf, DomainRestrictionOf, CheckSupported, ApplyTo and the sequence rule.
#include "p2psip/config/overlay_apply.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "p2psip/config/sequence.h"
#include "test_files.h"

namespace p2psip::config {
namespace {

using ::testing::HasSubstr;
using testing::LineOf;
using testing::ReadData;

OverlayConfiguration First(const std::string& xml) {
  absl::StatusOr<OverlayDocument> doc = ParseOverlayDocument(xml);
  EXPECT_TRUE(doc.ok()) << doc.status();
  return doc.ok() ? doc->configurations.at(0) : OverlayConfiguration{};
}

TEST(KindsOfTest, PrivateAndRegisteredKinds) {
  absl::StatusOr<core::storage::KindRegistry> kinds =
      KindsOf(First(ReadData("valid/private-kinds.xml")));
  ASSERT_TRUE(kinds.ok()) << kinds.status();
  EXPECT_EQ(kinds->size(), 6u);  // four built-in kinds and two private ones
  const core::storage::KindDefinition* sip = kinds->Find(wire::kKindSipRegistration);
  ASSERT_NE(sip, nullptr);
  EXPECT_EQ(sip->model, wire::DataModel::kDictionary);
  EXPECT_EQ(sip->max_count, 5u);
  EXPECT_EQ(sip->max_size, 800u);
  const core::storage::KindDefinition* dict = kinds->Find(0xF0000001);
  ASSERT_NE(dict, nullptr);
  EXPECT_EQ(dict->policy, core::storage::AccessPolicy::kUserNodeMatch);
  EXPECT_EQ(dict->max_count, 7u);
  const core::storage::KindDefinition* cert = kinds->Find(wire::kKindCertificateByNode);
  ASSERT_NE(cert, nullptr);  // not in the document: built-in defaults
  EXPECT_EQ(cert->max_size, 3000u);
}

TEST(KindsOfTest, RfcExampleRequiresAKindThisNodeCannotEnforce) {
  const std::string xml = ReadData("rfc6940-example.xml");
  absl::StatusOr<core::storage::KindRegistry> kinds = KindsOf(First(xml));
  ASSERT_FALSE(kinds.ok());
  EXPECT_THAT(kinds.status().message(),
              HasSubstr(absl::StrCat("line ", LineOf(xml, "<kind id=\"2000\""),
                                     ": unknown registered kind 0x7D0")));
}

TEST(DomainRestrictionTest, AbsentOverlayDomainAndPatterns) {
  OverlayConfiguration c = First(ReadData("valid/minimal.xml"));
  absl::StatusOr<core::storage::DomainRestriction> any = DomainRestrictionOf(c);
  ASSERT_TRUE(any.ok());
  EXPECT_TRUE(any->Check("alice@anywhere.example").ok());

  c.sip_domain_restriction = SipDomainRestriction{};  // present, enable absent
  absl::StatusOr<core::storage::DomainRestriction> own = DomainRestrictionOf(c);
  ASSERT_TRUE(own.ok());
  EXPECT_TRUE(own->Check("alice@minimal.example.org").ok());
  EXPECT_FALSE(own->Check("alice@other.example").ok());

  absl::StatusOr<core::storage::DomainRestriction> patterns =
      DomainRestrictionOf(First(ReadData("valid/private-kinds.xml")));
  ASSERT_TRUE(patterns.ok());
  EXPECT_TRUE(patterns->Check("bob@dht.example.com").ok());
  EXPECT_TRUE(patterns->Check("bob@a.my.example").ok());
  EXPECT_FALSE(patterns->Check("bob@private.example.org").ok());
}

TEST(CheckSupportedTest, TopologyAndMandatoryExtensions) {
  EXPECT_TRUE(CheckSupported(First(ReadData("valid/private-kinds.xml"))).ok());
  absl::Status rfc = CheckSupported(First(ReadData("rfc6940-example.xml")));
  EXPECT_EQ(rfc.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(rfc.message(), HasSubstr("urn:ietf:params:xml:ns:p2p:config-ext1"));
  OverlayConfiguration other = First(ReadData("valid/minimal.xml"));
  other.topology_plugin = "KADEMLIA";
  EXPECT_THAT(CheckSupported(other).message(), HasSubstr("topology plug-in KADEMLIA"));
}

TEST(ApplyToTest, RfcExample) {
  core::NodeConfig config;
  config.first_node = true;
  config.storage_shards = 4;
  ApplyTo(First(ReadData("rfc6940-example.xml")), &config);
  EXPECT_EQ(config.overlay_name, "overlay.example.org");
  EXPECT_EQ(config.configuration_sequence, 22);
  EXPECT_EQ(config.initial_ttl, 30);
  EXPECT_EQ(config.max_message_size, 4000u);
  EXPECT_EQ(config.reliability_timer_ms, 3000u);
  EXPECT_EQ(config.update_interval_ms, 400000u);
  EXPECT_EQ(config.finger_refresh_ms, 30000u);
  EXPECT_TRUE(config.reactive);
  ASSERT_EQ(config.bootstrap.size(), 3u);
  EXPECT_EQ(config.bootstrap[0], *wire::IpAddressPort::Parse("192.0.0.1", 6084));
  EXPECT_EQ(config.bootstrap[2], *wire::IpAddressPort::Parse("2001:db8::1", 6084));
  ASSERT_NE(config.kinds, nullptr);
  // SIP-REGISTRATION with the document's limits; kind 2000 (not enforceable) left out.
  ASSERT_NE(config.kinds->Find(wire::kKindSipRegistration), nullptr);
  EXPECT_EQ(config.kinds->Find(wire::kKindSipRegistration)->max_size, 100u);
  EXPECT_EQ(config.kinds->Find(2000), nullptr);
  EXPECT_EQ(config.sip_domain_restriction, nullptr);
  // Fields the document does not govern are kept.
  EXPECT_TRUE(config.first_node);
  EXPECT_EQ(config.storage_shards, 4u);
}

TEST(ApplyToTest, PrivateKindsAndDomainRestriction) {
  core::NodeConfig config;
  config.bootstrap.push_back(*wire::IpAddressPort::Parse("198.18.0.1", 1));  // to be replaced
  ApplyTo(First(ReadData("valid/private-kinds.xml")), &config);
  EXPECT_EQ(config.configuration_sequence, 65534);
  EXPECT_FALSE(config.reactive);
  EXPECT_EQ(config.update_interval_ms, 600000u);
  EXPECT_EQ(config.finger_refresh_ms, 3600000u);
  ASSERT_EQ(config.bootstrap.size(), 2u);  // replaced, not appended
  EXPECT_EQ(config.bootstrap[1], *wire::IpAddressPort::Parse("::1", 7000));
  ASSERT_NE(config.kinds, nullptr);
  EXPECT_EQ(config.kinds->size(), 6u);
  ASSERT_NE(config.kinds->Find(0xF0000002), nullptr);
  EXPECT_EQ(config.kinds->Find(0xF0000002)->max_node_multiple, 4u);
  ASSERT_NE(config.sip_domain_restriction, nullptr);
  EXPECT_TRUE(config.sip_domain_restriction->Check("carol@dht.example.com").ok());
  EXPECT_FALSE(config.sip_domain_restriction->Check("carol@evil.example").ok());
}

TEST(SequenceTest, NewerWrapsAfter65534) {
  EXPECT_TRUE(IsNewerSequence(22, 23));
  EXPECT_TRUE(IsNewerSequence(0, 1));
  EXPECT_FALSE(IsNewerSequence(22, 22));
  EXPECT_FALSE(IsNewerSequence(23, 22));
  EXPECT_TRUE(IsNewerSequence(65534, 0));
  EXPECT_FALSE(IsNewerSequence(0, 65534));
  EXPECT_TRUE(IsNewerSequence(65000, 100));
  EXPECT_TRUE(IsNewerSequence(0, 32767));   // half the 65535-value space ahead
  EXPECT_FALSE(IsNewerSequence(0, 32768));  // more than half: behind
  EXPECT_FALSE(IsNewerSequence(65535, 0));  // 65535 is not a document sequence
  EXPECT_FALSE(IsNewerSequence(0, 65535));
}

}  // namespace
}  // namespace p2psip::config

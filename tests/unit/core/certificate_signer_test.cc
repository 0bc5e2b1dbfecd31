// CertificateSigner: message and value signatures with X.509 certificates from the overlay's CA
// (RFC 6940 §6.3.4, §11.3), its bounded cache of verified certificates, and two Nodes that
// authenticate each other's Ping with it.
#include "core/certificate_signer.h"

#include <openssl/sha.h>

#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "p2psip/core/node.h"
#include "p2psip/crypto/certificate.h"
#include "p2psip/wire/byte_writer.h"
#include "p2psip/wire/codec.h"
#include "p2psip/wire/hashes.h"

namespace p2psip::core {
namespace {

using crypto::Certificate;
using crypto::CertificateAuthority;
using crypto::SignatureScheme;
using crypto::SigningKey;
using Bytes = std::vector<uint8_t>;

constexpr int64_t kNow = 1700000000;
constexpr int64_t kDay = 86400;
constexpr char kOverlay[] = "overlay.example.org";

NodeId Id(uint8_t b) { return NodeId(Bytes(16, b)); }
Bytes Input(std::string_view s) { return Bytes(s.begin(), s.end()); }

struct SchemeParam {
  SignatureScheme scheme;
  const char* name;
};
void PrintTo(const SchemeParam& p, std::ostream* os) { *os << p.name; }
const SchemeParam kSchemes[] = {{SignatureScheme::kRsa2048Sha256, "rsa"},
                                {SignatureScheme::kEcdsaP256Sha256, "ecdsa"}};

// Keys are slow to generate (RSA especially): four per scheme, shared; Key() hands out copies.
SigningKey Key(SignatureScheme scheme, int which) {
  static const std::vector<SigningKey> keys = [] {
    std::vector<SigningKey> k;
    for (SignatureScheme s : {SignatureScheme::kRsa2048Sha256, SignatureScheme::kEcdsaP256Sha256}) {
      for (int i = 0; i < 4; ++i) k.push_back(*SigningKey::Generate(s));
    }
    return k;
  }();
  const SigningKey& key = keys[(scheme == SignatureScheme::kRsa2048Sha256 ? 0 : 4) + which];
  return *SigningKey::FromPrivateKeyDer(key.PrivateKeyDer());
}

// One overlay: its CA, the trust store, and a clock the tests move.
struct Overlay {
  explicit Overlay(SignatureScheme scheme, std::string name = "overlay CA")
      : ca(*CertificateAuthority::Create(std::move(name), scheme, kNow - 365 * kDay,
                                         kNow + 365 * kDay)),
        trust(std::make_shared<const crypto::TrustStore>(
            *crypto::TrustStore::Create(std::vector<Certificate>{ca.root()}))) {}

  Certificate Issue(const SigningKey& key, std::vector<NodeId> ids, std::string user,
                    int64_t not_before = kNow - kDay, int64_t not_after = kNow + 30 * kDay) {
    absl::StatusOr<Certificate> cert =
        ca.Issue(key.PublicKeyDer(), ids, user, kOverlay, not_before, not_after, ++serial);
    EXPECT_TRUE(cert.ok()) << cert.status();
    return *std::move(cert);
  }

  // A signer for `key` with a fresh certificate naming `ids`, trusting this overlay's CA.
  std::unique_ptr<CertificateSigner> Signer(
      SigningKey key, std::vector<NodeId> ids, std::string user,
      CertificateSignerOptions options = {}, int64_t not_before = kNow - kDay,
      int64_t not_after = kNow + 30 * kDay,
      std::shared_ptr<const crypto::TrustStore> trust_override = nullptr) {
    Certificate cert = Issue(key, std::move(ids), std::move(user), not_before, not_after);
    auto signer = CertificateSigner::Create(
        std::move(key), std::move(cert), {}, trust_override ? trust_override : trust,
        [this] { return now; }, options);
    EXPECT_TRUE(signer.ok()) << signer.status();
    return signer.ok() ? *std::move(signer) : nullptr;
  }

  CertificateAuthority ca;
  std::shared_ptr<const crypto::TrustStore> trust;
  int64_t now = kNow;
  uint64_t serial = 1;
};

class CertificateSignerTest : public testing::TestWithParam<SchemeParam> {
 protected:
  SignatureScheme scheme() const { return GetParam().scheme; }
  void SetUp() override {
    overlay_ = std::make_unique<Overlay>(scheme());
    alice_ = overlay_->Signer(Key(scheme(), 0), {Id(0xA1)}, "alice@example.org");
    bob_ = overlay_->Signer(Key(scheme(), 1), {Id(0xB0)}, "bob@example.org");
    ASSERT_NE(alice_, nullptr);
    ASSERT_NE(bob_, nullptr);
  }

  std::unique_ptr<Overlay> overlay_;
  std::unique_ptr<CertificateSigner> alice_, bob_;
  const Bytes input_ = Input("overlay|transaction id|message contents");
};

TEST_P(CertificateSignerTest, TwoNodesVerifyEachOther) {
  const wire::Signature by_alice = alice_->Sign(input_);
  const crypto::SignatureAndHash pair = crypto::WirePair(scheme());
  EXPECT_EQ(by_alice.hash_algorithm, pair.hash);
  EXPECT_EQ(by_alice.signature_algorithm, pair.signature);
  const auto& hash = alice_->certificate()->Sha256();
  EXPECT_EQ(by_alice.identity,
            wire::SignerIdentity::CertHash(wire::kHashSha256, Bytes(hash.begin(), hash.end())));

  std::optional<SignerInfo> info = bob_->Verify(input_, by_alice, alice_->Certificates());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->node_id, Id(0xA1));
  EXPECT_EQ(info->node_ids, std::vector<NodeId>{Id(0xA1)});
  EXPECT_EQ(info->user_name, "alice@example.org");

  info = alice_->Verify(input_, bob_->Sign(input_), bob_->Certificates());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->node_id, Id(0xB0));
  EXPECT_EQ(info->user_name, "bob@example.org");
  EXPECT_EQ(alice_->counters().verified, 1u);
  EXPECT_EQ(bob_->counters().verified, 1u);
}

TEST_P(CertificateSignerTest, SignatureCoversTheIdentity) {
  // The identity is part of the signed input (§6.3.4): the signature is not over `input` alone.
  const wire::Signature s = alice_->Sign(input_);
  const crypto::Certificate& cert = *alice_->certificate();
  EXPECT_FALSE(cert.public_key().Verify(input_, s.value));
  Bytes full = input_;
  wire::ByteWriter w(&full);
  wire::Encode(w, s.identity);
  EXPECT_TRUE(cert.public_key().Verify(full, s.value));
}

TEST_P(CertificateSignerTest, TamperedInputOrSignatureIsRejected) {
  const wire::Signature s = alice_->Sign(input_);
  Bytes tampered = input_;
  tampered[3] ^= 0x20;
  EXPECT_FALSE(bob_->Verify(tampered, s, alice_->Certificates()).has_value());
  wire::Signature bad_value = s;
  bad_value.value[bad_value.value.size() / 2] ^= 0x01;
  EXPECT_FALSE(bob_->Verify(input_, bad_value, alice_->Certificates()).has_value());
  EXPECT_EQ(bob_->counters().bad_signature, 2u);
  EXPECT_EQ(bob_->counters().verified, 0u);
}

TEST_P(CertificateSignerTest, CertificateOfOneSignatureOfAnother) {
  // Bob's key signs, naming Alice's certificate.
  wire::Signature forged = alice_->Sign(input_);
  Bytes full = input_;
  wire::ByteWriter w(&full);
  wire::Encode(w, forged.identity);
  forged.value = *Key(scheme(), 1).Sign(full);
  const std::vector<wire::GenericCertificate> both = [&] {
    auto c = alice_->Certificates();
    for (auto& b : bob_->Certificates()) c.push_back(b);
    return c;
  }();
  EXPECT_FALSE(bob_->Verify(input_, forged, both).has_value());
  EXPECT_EQ(bob_->counters().bad_signature, 1u);
}

TEST_P(CertificateSignerTest, AlgorithmMustMatchTheKey) {
  wire::Signature s = alice_->Sign(input_);
  s.signature_algorithm =
      scheme() == SignatureScheme::kRsa2048Sha256 ? wire::kSigEcdsa : wire::kSigRsa;
  EXPECT_FALSE(bob_->Verify(input_, s, alice_->Certificates()).has_value());
  EXPECT_EQ(bob_->counters().algorithm_mismatch, 1u);
}

TEST_P(CertificateSignerTest, UnsupportedIdentitiesAndPairs) {
  const wire::Signature good = alice_->Sign(input_);
  wire::Signature none = good;
  none.identity = wire::SignerIdentity::None();
  wire::Signature md5 = good;
  md5.identity.hash_algorithm = 1;
  wire::Signature short_hash = good;
  short_hash.identity.hash.pop_back();
  wire::Signature sha1_pair = good;
  sha1_pair.hash_algorithm = wire::kHashSha1;
  for (const wire::Signature& s : {none, md5, short_hash, sha1_pair}) {
    EXPECT_FALSE(bob_->Verify(input_, s, alice_->Certificates()).has_value());
  }
  EXPECT_EQ(bob_->counters().unsupported, 4u);
}

TEST_P(CertificateSignerTest, MissingCertificateIsUnknown) {
  EXPECT_FALSE(bob_->Verify(input_, alice_->Sign(input_), {}).has_value());
  // A certificate that is not the named one does not help either.
  EXPECT_FALSE(bob_->Verify(input_, alice_->Sign(input_), bob_->Certificates()).has_value());
  EXPECT_EQ(bob_->counters().unknown_certificate, 2u);
}

TEST_P(CertificateSignerTest, CertificateFromAnUnknownCaIsRejected) {
  Overlay other(scheme(), "another overlay CA");
  auto mallory = other.Signer(Key(scheme(), 2), {Id(0x66)}, "mallory@example.org");
  ASSERT_NE(mallory, nullptr);
  EXPECT_FALSE(bob_->Verify(input_, mallory->Sign(input_), mallory->Certificates()).has_value());
  EXPECT_EQ(bob_->counters().chain_rejected, 1u);
  EXPECT_EQ(bob_->cache_size(), 0u);
}

TEST_P(CertificateSignerTest, ExpiredCertificateIsRejected) {
  auto old = overlay_->Signer(Key(scheme(), 2), {Id(0x0D)}, "old@example.org", {}, kNow - 10 * kDay,
                              kNow - kDay);
  ASSERT_NE(old, nullptr);
  EXPECT_FALSE(bob_->Verify(input_, old->Sign(input_), old->Certificates()).has_value());
  auto early = overlay_->Signer(Key(scheme(), 3), {Id(0x0E)}, "early@example.org", {}, kNow + kDay,
                                kNow + 10 * kDay);
  ASSERT_NE(early, nullptr);
  EXPECT_FALSE(bob_->Verify(input_, early->Sign(input_), early->Certificates()).has_value());
  EXPECT_EQ(bob_->counters().chain_rejected, 2u);
}

TEST_P(CertificateSignerTest, CachedCertificateStillExpires) {
  ASSERT_TRUE(bob_->Verify(input_, alice_->Sign(input_), alice_->Certificates()).has_value());
  overlay_->now = alice_->certificate()->not_after();
  EXPECT_FALSE(bob_->Verify(input_, alice_->Sign(input_), {}).has_value());
  EXPECT_EQ(bob_->counters().unknown_certificate, 1u);  // dropped from the cache
  EXPECT_FALSE(bob_->Verify(input_, alice_->Sign(input_), alice_->Certificates()).has_value());
  EXPECT_EQ(bob_->counters().chain_rejected, 1u);
  EXPECT_EQ(bob_->cache_size(), 0u);
}

TEST_P(CertificateSignerTest, SecondVerificationComesFromTheCache) {
  ASSERT_TRUE(bob_->Verify(input_, alice_->Sign(input_), alice_->Certificates()).has_value());
  EXPECT_EQ(bob_->cache_size(), 1u);
  const Bytes other = Input("another message");
  std::optional<SignerInfo> info = bob_->Verify(other, alice_->Sign(other), {});
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->node_id, Id(0xA1));
  EXPECT_EQ(info->user_name, "alice@example.org");
  EXPECT_EQ(bob_->counters().cache_hits, 1u);
  EXPECT_EQ(bob_->counters().verified, 2u);
  // The cache does not make a bad signature good.
  Bytes tampered = other;
  tampered[0] ^= 1;
  EXPECT_FALSE(bob_->Verify(tampered, alice_->Sign(other), {}).has_value());
}

TEST_P(CertificateSignerTest, CacheBoundHoldsAndEvictsTheLeastRecentlyUsed) {
  auto verifier =
      overlay_->Signer(Key(scheme(), 3), {Id(0x77)}, "v@example.org", {.cache_capacity = 2});
  auto carol = overlay_->Signer(Key(scheme(), 2), {Id(0xC0)}, "carol@example.org");
  ASSERT_NE(verifier, nullptr);
  ASSERT_NE(carol, nullptr);
  auto verify = [&](CertificateSigner& s, bool with_certificates) {
    return verifier
        ->Verify(input_, s.Sign(input_),
                 with_certificates ? s.Certificates() : std::vector<wire::GenericCertificate>{})
        .has_value();
  };
  EXPECT_TRUE(verify(*alice_, true));
  EXPECT_TRUE(verify(*bob_, true));
  EXPECT_TRUE(verify(*alice_, false));  // Alice is now the most recently used
  EXPECT_TRUE(verify(*carol, true));    // evicts Bob
  EXPECT_EQ(verifier->cache_size(), 2u);
  EXPECT_FALSE(verify(*bob_, false));
  EXPECT_TRUE(verify(*alice_, false));
  EXPECT_TRUE(verify(*carol, false));
  EXPECT_EQ(verifier->cache_size(), 2u);

  auto uncached =
      overlay_->Signer(Key(scheme(), 3), {Id(0x78)}, "u@example.org", {.cache_capacity = 0});
  ASSERT_NE(uncached, nullptr);
  EXPECT_TRUE(uncached->Verify(input_, alice_->Sign(input_), alice_->Certificates()).has_value());
  EXPECT_FALSE(uncached->Verify(input_, alice_->Sign(input_), {}).has_value());
  EXPECT_EQ(uncached->cache_size(), 0u);
}

TEST_P(CertificateSignerTest, CertificateWithSeveralNodeIdsNamesTheSigner) {
  auto multi = overlay_->Signer(Key(scheme(), 2), {Id(0x01), Id(0x02)}, "multi@example.org",
                                {.node_id = Id(0x02)});
  ASSERT_NE(multi, nullptr);
  const wire::Signature s = multi->Sign(input_);
  EXPECT_EQ(s.identity.type, wire::SignerIdentityType::kCertHashNodeId);
  // H(Node-ID ‖ certificate).
  const NodeId two = Id(0x02);
  Bytes named(two.bytes().begin(), two.bytes().end());
  named.insert(named.end(), multi->certificate()->der().begin(), multi->certificate()->der().end());
  Bytes hash(32);
  SHA256(named.data(), named.size(), hash.data());
  EXPECT_EQ(s.identity.hash, hash);

  std::optional<SignerInfo> info = bob_->Verify(input_, s, multi->Certificates());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->node_id, Id(0x02));
  EXPECT_EQ(info->node_ids, (std::vector<NodeId>{Id(0x01), Id(0x02)}));
  ASSERT_TRUE(bob_->Verify(input_, s, {}).has_value());  // cached under its identity too
}

TEST_P(CertificateSignerTest, CreateChecksItsArguments) {
  const Certificate alice_cert = *alice_->certificate();
  auto create = [&](SigningKey key, std::shared_ptr<const crypto::TrustStore> trust,
                    CertificateSigner::Clock clock, CertificateSignerOptions options = {}) {
    return CertificateSigner::Create(std::move(key), alice_cert, {}, std::move(trust),
                                     std::move(clock), options)
        .status()
        .code();
  };
  auto clock = [] { return kNow; };
  EXPECT_EQ(create(Key(scheme(), 0), overlay_->trust, clock), absl::StatusCode::kOk);
  EXPECT_EQ(create(Key(scheme(), 1), overlay_->trust, clock),  // not Alice's key
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(create(Key(scheme(), 0), nullptr, clock), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(create(Key(scheme(), 0), nullptr, clock, {.self_signed = SelfSignedPolicy{}}),
            absl::StatusCode::kOk);
  EXPECT_EQ(create(Key(scheme(), 0), overlay_->trust, nullptr), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(create(Key(scheme(), 0), overlay_->trust, clock, {.node_id = Id(0x99)}),
            absl::StatusCode::kInvalidArgument);
}

// A signer in the self-signed model: the certificate is its own, with `ids` (default: the key's
// digest, as the model requires).
std::unique_ptr<CertificateSigner> SelfSigned(SigningKey key, std::vector<NodeId> ids,
                                              std::shared_ptr<const crypto::TrustStore> trust,
                                              SelfSignedPolicy policy, int64_t* now) {
  absl::StatusOr<Certificate> cert = crypto::CreateSelfSignedCertificate(
      key, ids, "carol@example.org", kOverlay, kNow - kDay, kNow + kDay, 7);
  EXPECT_TRUE(cert.ok()) << cert.status();
  auto signer = CertificateSigner::Create(std::move(key), *std::move(cert), {}, std::move(trust),
                                          [now] { return *now; }, {.self_signed = policy});
  EXPECT_TRUE(signer.ok()) << signer.status();
  return signer.ok() ? *std::move(signer) : nullptr;
}

NodeId DigestId(const SigningKey& key, crypto::SelfSignedDigest digest, uint32_t index = 0) {
  return *crypto::SelfSignedNodeId(key.PublicKeyDer(), digest, 16, index);
}

TEST_P(CertificateSignerTest, SelfSignedCertificateVerifiesOnlyWherePermitted) {
  for (crypto::SelfSignedDigest digest :
       {crypto::SelfSignedDigest::kSha1, crypto::SelfSignedDigest::kSha256}) {
    SigningKey key = Key(scheme(), 2);
    const NodeId id = DigestId(key, digest);
    int64_t now = kNow;
    // No trust store at all: a self-signed-only overlay.
    auto carol = SelfSigned(std::move(key), {id}, nullptr, {.digest = digest}, &now);
    ASSERT_NE(carol, nullptr);
    const wire::Signature sig = carol->Sign(input_);
    auto permitted = SelfSigned(Key(scheme(), 3), {DigestId(Key(scheme(), 3), digest)}, nullptr,
                                {.digest = digest}, &now);
    ASSERT_NE(permitted, nullptr);
    std::optional<SignerInfo> info = permitted->Verify(input_, sig, carol->Certificates());
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->node_id, id);
    EXPECT_EQ(info->user_name, "carol@example.org");
    EXPECT_EQ(permitted->counters().self_signed_accepted, 1u);
    // The CA-based overlay that does not permit the model rejects the same signature.
    const uint64_t rejected_before = alice_->counters().chain_rejected;
    EXPECT_FALSE(alice_->Verify(input_, sig, carol->Certificates()).has_value());
    EXPECT_EQ(alice_->counters().chain_rejected, rejected_before + 1);
    // Past the certificate's notAfter it stops verifying, cached or not.
    now = kNow + 2 * kDay;
    EXPECT_FALSE(permitted->Verify(input_, sig, carol->Certificates()).has_value());
  }
}

TEST_P(CertificateSignerTest, SelfSignedNodeIdMustBeTheKeysDigest) {
  int64_t now = kNow;
  const SelfSignedPolicy policy{.digest = crypto::SelfSignedDigest::kSha256};
  // A self-signed certificate that claims a Node-ID of its choosing.
  auto mallory = SelfSigned(Key(scheme(), 2), {Id(0x66)}, nullptr, policy, &now);
  ASSERT_NE(mallory, nullptr);
  auto verifier =
      SelfSigned(Key(scheme(), 3), {DigestId(Key(scheme(), 3), crypto::SelfSignedDigest::kSha256)},
                 overlay_->trust, policy, &now);
  ASSERT_NE(verifier, nullptr);
  EXPECT_FALSE(verifier->Verify(input_, mallory->Sign(input_), mallory->Certificates()));
  EXPECT_EQ(verifier->counters().self_signed_id_mismatch, 1u);
  // The digest of the other algorithm is not accepted either.
  auto wrong_digest =
      SelfSigned(Key(scheme(), 2), {DigestId(Key(scheme(), 2), crypto::SelfSignedDigest::kSha1)},
                 nullptr, policy, &now);
  ASSERT_NE(wrong_digest, nullptr);
  EXPECT_FALSE(verifier->Verify(input_, wrong_digest->Sign(input_), wrong_digest->Certificates()));
  EXPECT_EQ(verifier->counters().self_signed_id_mismatch, 2u);
  // With a trust store and the model permitted, CA-issued certificates still verify.
  EXPECT_TRUE(verifier->Verify(input_, alice_->Sign(input_), alice_->Certificates()));
}

TEST_P(CertificateSignerTest, SelfSignedWithSeveralNodeIdsUsesIndexedDigests) {
  int64_t now = kNow;
  const SelfSignedPolicy policy{.digest = crypto::SelfSignedDigest::kSha256};
  const auto d = crypto::SelfSignedDigest::kSha256;
  SigningKey key = Key(scheme(), 2);
  const std::vector<NodeId> ids = {DigestId(key, d, 1), DigestId(key, d, 2)};
  auto dave = SelfSigned(Key(scheme(), 2), ids, nullptr, policy, &now);
  ASSERT_NE(dave, nullptr);
  auto verifier =
      SelfSigned(Key(scheme(), 3), {DigestId(Key(scheme(), 3), d)}, nullptr, policy, &now);
  ASSERT_NE(verifier, nullptr);
  EXPECT_TRUE(verifier->Verify(input_, dave->Sign(input_), dave->Certificates()));
  // Index 0 (the one-Node-ID form) is not valid in a certificate with several.
  auto eve = SelfSigned(Key(scheme(), 2), {DigestId(key, d, 0), DigestId(key, d, 2)}, nullptr,
                        policy, &now);
  ASSERT_NE(eve, nullptr);
  EXPECT_FALSE(verifier->Verify(input_, eve->Sign(input_), eve->Certificates()));
  EXPECT_EQ(verifier->counters().self_signed_id_mismatch, 1u);
}

TEST_P(CertificateSignerTest, VerifierChecksSignaturesAndCannotSign) {
  auto verifier = CertificateSigner::CreateVerifier(overlay_->trust, [] { return kNow; });
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  EXPECT_FALSE((*verifier)->certificate().has_value());
  EXPECT_TRUE((*verifier)->Certificates().empty());
  std::optional<SignerInfo> info =
      (*verifier)->Verify(input_, alice_->Sign(input_), alice_->Certificates());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->node_id, Id(0xA1));
  const wire::Signature none = (*verifier)->Sign(input_);
  EXPECT_TRUE(none.value.empty());
  EXPECT_EQ((*verifier)->counters().sign_failures, 1u);
  EXPECT_FALSE(bob_->Verify(input_, none, {}).has_value());
  EXPECT_FALSE(CertificateSigner::CreateVerifier(nullptr, [] { return kNow; }).ok());
}

TEST_P(CertificateSignerTest, CertificatesCarryTheCertificateAndIntermediates) {
  const std::vector<wire::GenericCertificate> carried = alice_->Certificates();
  ASSERT_EQ(carried.size(), 1u);
  EXPECT_EQ(carried[0].type, 0);  // X.509
  EXPECT_TRUE(std::ranges::equal(carried[0].certificate, alice_->certificate()->der()));

  auto with_intermediate =
      CertificateSigner::Create(Key(scheme(), 0), *alice_->certificate(), {overlay_->ca.root()},
                                overlay_->trust, [] { return kNow; });
  ASSERT_TRUE(with_intermediate.ok());
  ASSERT_EQ((*with_intermediate)->Certificates().size(), 2u);
  EXPECT_TRUE(std::ranges::equal((*with_intermediate)->Certificates()[1].certificate,
                                 overlay_->ca.root().der()));
}

INSTANTIATE_TEST_SUITE_P(CertificateSigner, CertificateSignerTest, testing::ValuesIn(kSchemes),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

// --- Two Nodes authenticating each other (the harness of node_test.cc, with real signers) ---

class CertNet {
 public:
  struct Peer {
    std::unique_ptr<CertificateSigner> signer;
    std::unique_ptr<SplitMix64> rng;
    std::unique_ptr<Node> node;
    std::vector<Outbox::Result> results;
  };

  int Add(std::unique_ptr<CertificateSigner> signer, bool client = false) {
    NodeConfig c;
    c.id = signer->node_id();
    c.overlay_name = kOverlay;
    c.first_node = !client;
    c.client = client;
    auto p = std::make_unique<Peer>();
    p->signer = std::move(signer);
    p->rng = std::make_unique<SplitMix64>(peers_.size() + 1);
    p->node = std::make_unique<Node>(c, p->signer.get(), p->rng.get());
    peers_.push_back(std::move(p));
    return static_cast<int>(peers_.size()) - 1;
  }
  Node& node(int i) { return *peers_[i]->node; }
  CertificateSigner& signer(int i) { return *peers_[i]->signer; }
  std::vector<Outbox::Result>& results(int i) { return peers_[i]->results; }

  static LinkId LinkOf(int self, int peer) { return static_cast<LinkId>(100 * self + peer + 1); }
  void Link(int a, int b) {
    node(a).OnLinkUp(LinkOf(a, b), node(b).id(), now_ms, &out);
    Drain(a);
    node(b).OnLinkUp(LinkOf(b, a), node(a).id(), now_ms, &out);
    Drain(b);
  }
  void Drain(int i) {
    for (auto& s : out.sends) {
      const int peer = static_cast<int>(s.link - 1) % 100;
      queue_.push_back({i, peer, std::move(s.message)});
    }
    for (auto& r : out.results) peers_[i]->results.push_back(std::move(r));
    out.clear();
  }
  void Run() {
    while (!queue_.empty()) {
      InFlight m = std::move(queue_.front());
      queue_.pop_front();
      node(m.to).OnMessage(LinkOf(m.to, m.from), m.bytes, now_ms, &out);
      Drain(m.to);
    }
  }

  Outbox out;
  uint64_t now_ms = 0;

 private:
  struct InFlight {
    int from, to;
    std::vector<uint8_t> bytes;
  };
  std::vector<std::unique_ptr<Peer>> peers_;
  std::deque<InFlight> queue_;
};

TEST(CertificateSignerNodeTest, TwoNodesPingWithCertificates) {
  for (const SchemeParam& p : kSchemes) {
    SCOPED_TRACE(p.name);
    Overlay overlay(p.scheme);
    CertNet net;
    const int a = net.Add(overlay.Signer(Key(p.scheme, 0), {Id(0x10)}, "a@example.org"));
    const int b = net.Add(overlay.Signer(Key(p.scheme, 1), {Id(0x90)}, "b@example.org"));
    net.Link(a, b);
    net.Run();
    const uint64_t id =
        net.node(a).Ping(wire::Destination::Node(net.node(b).id()), net.now_ms, &net.out);
    net.Drain(a);
    net.Run();
    const auto ok = std::find_if(net.results(a).begin(), net.results(a).end(),
                                 [&](const Outbox::Result& r) { return r.request_id == id; });
    ASSERT_NE(ok, net.results(a).end());
    EXPECT_TRUE(ok->status.ok()) << ok->status;
    EXPECT_EQ(ok->responder, Id(0x90));
    EXPECT_TRUE(wire::DecodeAs<wire::PingAns>(ok->body).ok());
    // B verified A's request, A verified B's answer, with real signatures.
    EXPECT_GE(net.signer(a).counters().verified, 1u);
    EXPECT_GE(net.signer(b).counters().verified, 1u);
    EXPECT_EQ(net.node(a).counters().dropped_malformed, 0u);
    EXPECT_EQ(net.node(b).counters().dropped_malformed, 0u);

    // A node whose certificate comes from another CA is not heard.
    Overlay other(p.scheme, "another CA");
    const int m = net.Add(other.Signer(Key(p.scheme, 2), {Id(0x50)}, "m@example.org", {},
                                       kNow - kDay, kNow + kDay, overlay.trust));
    net.Link(m, a);
    net.Run();
    const uint64_t dropped_before = net.node(a).counters().dropped_malformed;
    const uint64_t rejected_before = net.signer(a).counters().chain_rejected;
    net.node(m).Ping(wire::Destination::Node(net.node(a).id()), net.now_ms, &net.out);
    net.Drain(m);
    net.Run();
    EXPECT_GT(net.node(a).counters().dropped_malformed, dropped_before);
    EXPECT_GT(net.signer(a).counters().chain_rejected, rejected_before);
    EXPECT_TRUE(std::none_of(net.results(m).begin(), net.results(m).end(),
                             [](const Outbox::Result& r) { return r.status.ok(); }));
  }
}

// A value travels with its signer's certificate: Carol, with no certificate cache, fetches a
// value Alice stored and verifies its signature with only what the FetchAns carried; a value
// altered at the storing peer is refused.
TEST(CertificateSignerNodeTest, FetchedValuesVerifyWithTheCertificatesTheAnswerCarries) {
  const SchemeParam& p = kSchemes[0];
  Overlay overlay(p.scheme);
  CertNet net;
  const NodeId alice_id = Id(0x10);
  std::vector<uint8_t> seed(alice_id.bytes().begin(), alice_id.bytes().end());
  seed.push_back(1);
  const ResourceId res = wire::ChordResourceId(seed);  // Alice's first TURN-SERVICE id
  // Two lone first nodes, linked: each owns its whole ring. Carol keeps no certificate cache:
  // she can verify Alice's value only with the certificates that arrive with it.
  const NodeId carol_id = Id(0x50);
  const int alice = net.Add(overlay.Signer(Key(p.scheme, 0), {alice_id}, "alice@example.org"));
  const int carol = net.Add(
      overlay.Signer(Key(p.scheme, 2), {carol_id}, "carol@example.org", {.cache_capacity = 0}));
  for (int i : {alice, carol}) {
    net.node(i).Start(net.now_ms, &net.out);
    net.Drain(i);
  }
  net.Link(alice, carol);
  net.Run();

  const wire::DataValue value{true, Input("turn:198.18.0.1:3478")};
  const uint64_t stored =
      net.node(alice).Store(res, wire::kKindTurnService,
                            {wire::StoredData{net.now_ms, 600, value, {}}}, net.now_ms, &net.out);
  net.Drain(alice);
  net.Run();
  auto result_of = [&](int i, uint64_t id) -> const Outbox::Result* {
    for (const Outbox::Result& r : net.results(i)) {
      if (r.request_id == id) return &r;
    }
    return nullptr;
  };
  ASSERT_NE(result_of(alice, stored), nullptr);
  ASSERT_TRUE(result_of(alice, stored)->status.ok()) << result_of(alice, stored)->status;
  EXPECT_EQ(result_of(alice, stored)->responder, alice_id);

  wire::StoredDataSpecifier spec;
  spec.kind = wire::kKindTurnService;
  spec.model = wire::DataModel::kSingle;
  // Carol's ring is herself alone: the Fetch goes to Alice by source route.
  const uint64_t fetched =
      net.node(carol).Fetch(res, {spec}, net.now_ms, &net.out, std::vector<NodeId>{alice_id});
  net.Drain(carol);
  net.Run();
  const Outbox::Result* r = result_of(carol, fetched);
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(r->status.ok()) << r->status;
  auto ans = wire::DecodeAs<wire::FetchAns>(r->body);
  ASSERT_TRUE(ans.ok());
  ASSERT_EQ(ans->kind_responses.size(), 1u);
  ASSERT_EQ(ans->kind_responses[0].values.size(), 1u);
  EXPECT_EQ(std::get<wire::DataValue>(ans->kind_responses[0].values[0].value), value);
  EXPECT_EQ(net.signer(carol).cache_size(), 0u);
  EXPECT_EQ(net.node(carol).counters().bad_fetched_values, 0u);
}

}  // namespace
}  // namespace p2psip::core

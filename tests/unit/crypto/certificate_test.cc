// Certificates, the overlay CA, chain verification and self-signed Node-IDs (RFC 6940 §11.3,
// §13.3; digest §8, §15.9). Certificates with SANs the CA never writes (the lenient URI forms,
// bad Node-ID lengths) and intermediate CAs are built here directly with BoringSSL.
#include "p2psip/crypto/certificate.h"

#include <gtest/gtest.h>
#include <openssl/bytestring.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace p2psip::crypto {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr int64_t kNow = 1700000000;  // 2023-11-14
constexpr int64_t kDay = 86400;
constexpr char kOverlay[] = "overlay.example.org";

struct SchemeParam {
  SignatureScheme scheme;
  const char* name;
};
void PrintTo(const SchemeParam& p, std::ostream* os) { *os << p.name; }
const SchemeParam kSchemes[] = {{SignatureScheme::kRsa2048Sha256, "rsa"},
                                {SignatureScheme::kEcdsaP256Sha256, "ecdsa"}};

NodeId Id(uint8_t b, size_t length = 16) { return NodeId(Bytes(length, b)); }

// Keys are slow to generate (RSA especially): a few per scheme, shared by the tests.
const SigningKey& Key(SignatureScheme scheme, int which = 0) {
  static const std::vector<SigningKey> keys = [] {
    std::vector<SigningKey> k;
    for (SignatureScheme s : {SignatureScheme::kRsa2048Sha256, SignatureScheme::kEcdsaP256Sha256}) {
      for (int i = 0; i < 3; ++i) k.push_back(*SigningKey::Generate(s));
    }
    return k;
  }();
  return keys[(scheme == SignatureScheme::kRsa2048Sha256 ? 0 : 3) + which];
}

CertificateAuthority MakeCa(SignatureScheme scheme, std::string name = "overlay CA",
                            int64_t not_before = kNow - 365 * kDay,
                            int64_t not_after = kNow + 365 * kDay) {
  absl::StatusOr<CertificateAuthority> ca =
      CertificateAuthority::Create(std::move(name), scheme, not_before, not_after);
  EXPECT_TRUE(ca.ok()) << ca.status();
  return *std::move(ca);
}

Certificate IssueOrDie(const CertificateAuthority& ca, const SigningKey& key,
                       std::vector<NodeId> ids = {Id(0xA1)}, int64_t not_before = kNow - kDay,
                       int64_t not_after = kNow + 30 * kDay,
                       std::string user = "alice@example.org") {
  absl::StatusOr<Certificate> cert =
      ca.Issue(key.PublicKeyDer(), ids, user, kOverlay, not_before, not_after, 7);
  EXPECT_TRUE(cert.ok()) << cert.status();
  return *std::move(cert);
}

bssl::UniquePtr<EVP_PKEY> EvpOf(const SigningKey& key) {
  const Bytes der = key.PrivateKeyDer();
  CBS cbs;
  CBS_init(&cbs, der.data(), der.size());
  return bssl::UniquePtr<EVP_PKEY>(EVP_parse_private_key(&cbs));
}

Bytes ToDer(X509* x) {
  uint8_t* der = nullptr;
  const int length = i2d_X509(x, &der);
  EXPECT_GT(length, 0);
  bssl::UniquePtr<uint8_t> owned(der);
  return Bytes(der, der + std::max(length, 0));
}

// A certificate built by hand: `sans` are (GEN_URI | GEN_EMAIL, text); `issuer` null means
// self-signed. CA certificates get basicConstraints CA:TRUE and key identifiers.
Bytes HandMade(const SigningKey& subject, const std::vector<std::pair<int, std::string>>& sans,
               bool ca = false, const SigningKey* issuer_key = nullptr,
               const Certificate* issuer = nullptr, const char* common_name = "hand made") {
  bssl::UniquePtr<EVP_PKEY> subject_key = EvpOf(subject);
  bssl::UniquePtr<EVP_PKEY> signing_key = EvpOf(issuer_key != nullptr ? *issuer_key : subject);
  bssl::UniquePtr<X509> x(X509_new());
  bssl::UniquePtr<X509_NAME> name(X509_NAME_new());
  X509_NAME_add_entry_by_NID(name.get(), NID_commonName, MBSTRING_UTF8,
                             reinterpret_cast<const uint8_t*>(common_name), -1, -1, 0);
  bssl::UniquePtr<ASN1_TIME> not_before(ASN1_TIME_set(nullptr, kNow - 10 * kDay));
  bssl::UniquePtr<ASN1_TIME> not_after(ASN1_TIME_set(nullptr, kNow + 10 * kDay));
  EXPECT_TRUE(
      X509_set_version(x.get(), X509_VERSION_3) &&
      ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 99) &&
      X509_set_subject_name(x.get(), name.get()) &&
      X509_set_issuer_name(
          x.get(), issuer != nullptr ? X509_get_subject_name(issuer->x509()) : name.get()) &&
      X509_set1_notBefore(x.get(), not_before.get()) &&
      X509_set1_notAfter(x.get(), not_after.get()) && X509_set_pubkey(x.get(), subject_key.get()));
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer->x509() : x.get(), x.get(), nullptr, nullptr, 0);
  auto add = [&](int nid, const char* value) {
    bssl::UniquePtr<X509_EXTENSION> ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value));
    EXPECT_TRUE(ext != nullptr && X509_add_ext(x.get(), ext.get(), -1)) << value;
  };
  add(NID_subject_key_identifier, "hash");
  if (issuer != nullptr) add(NID_authority_key_identifier, "keyid");
  if (ca) {
    add(NID_basic_constraints, "critical,CA:TRUE");
    add(NID_key_usage, "critical,keyCertSign,cRLSign");
  }
  if (!sans.empty()) {
    bssl::UniquePtr<GENERAL_NAMES> names(GENERAL_NAMES_new());
    for (const auto& [type, text] : sans) {
      bssl::UniquePtr<GENERAL_NAME> gn(GENERAL_NAME_new());
      bssl::UniquePtr<ASN1_IA5STRING> str(ASN1_IA5STRING_new());
      ASN1_STRING_set(str.get(), text.data(), static_cast<int>(text.size()));
      GENERAL_NAME_set0_value(gn.get(), type, str.release());
      EXPECT_TRUE(bssl::PushToStack(names.get(), std::move(gn)));
    }
    EXPECT_TRUE(X509_add1_ext_i2d(x.get(), NID_subject_alt_name, names.get(), 0, 0));
  }
  EXPECT_GT(X509_sign(x.get(), signing_key.get(), EVP_sha256()), 0);
  return ToDer(x.get());
}

Certificate Parse(const Bytes& der) {
  absl::StatusOr<Certificate> c = Certificate::FromDer(der);
  EXPECT_TRUE(c.ok()) << c.status();
  return *std::move(c);
}

// The subjectAltName URIs, as written, and whether the extension is critical.
std::vector<std::string> SanUris(const Certificate& cert, int* critical) {
  bssl::UniquePtr<GENERAL_NAMES> names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.x509(), NID_subject_alt_name, critical, nullptr)));
  std::vector<std::string> uris;
  for (size_t i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    if (gn->type != GEN_URI) continue;
    const ASN1_STRING* s = gn->d.uniformResourceIdentifier;
    uris.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                      ASN1_STRING_length(s));
  }
  return uris;
}

// --- URIs ---

TEST(NodeIdUriTest, EmitsTheDestinationListFormWithTrailingSlash) {
  EXPECT_EQ(NodeIdUri(Id(0xAB), "dht.example.com"),
            "reload://0110abababababababababababababababab@dht.example.com/");
  std::string twenty;
  for (int i = 0; i < 20; ++i) twenty += "01";
  EXPECT_EQ(NodeIdUri(Id(0x01, 20), "o"), "reload://0114" + twenty + "@o/");
}

TEST(NodeIdUriTest, ParsesEveryAcceptedForm) {
  const std::string hex(32, 'c');
  const NodeId id = Id(0xCC);
  EXPECT_EQ(NodeIdFromUri("reload://0110" + hex + "@overlay/"), id);
  EXPECT_EQ(NodeIdFromUri("reload://0110" + hex + "@overlay"), id);
  EXPECT_EQ(NodeIdFromUri("reload://" + hex + "@overlay/"), id);
  EXPECT_EQ(NodeIdFromUri("reload://" + hex + "@overlay"), id);
  EXPECT_EQ(NodeIdFromUri("RELOAD://0110" + std::string(32, 'C') + "@overlay/"), id);
  EXPECT_EQ(NodeIdFromUri("reload://0114" + std::string(40, 'c') + "@o/"), Id(0xCC, 20));
  EXPECT_EQ(NodeIdFromUri("reload://" + std::string(40, 'c') + "@o/"), Id(0xCC, 20));
  EXPECT_EQ(NodeIdFromUri("reload://" + std::string(36, 'c') + "@o/"), Id(0xCC, 18));
  // Round trip of what we emit.
  EXPECT_EQ(NodeIdFromUri(NodeIdUri(Id(0x5A, 19), "dht.example.com")), Id(0x5A, 19));
}

TEST(NodeIdUriTest, RejectsEverythingElse) {
  const std::string hex(32, 'c');
  EXPECT_EQ(NodeIdFromUri("reload://" + std::string(30, 'c') + "@o/"), std::nullopt);  // 15 B
  EXPECT_EQ(NodeIdFromUri("reload://" + std::string(42, 'c') + "@o/"), std::nullopt);  // 21 B
  EXPECT_EQ(NodeIdFromUri("reload://0115" + std::string(42, 'c') + "@o/"), std::nullopt);
  EXPECT_EQ(NodeIdFromUri("reload://0110" + hex + "c@o/"), std::nullopt);  // odd hex
  EXPECT_EQ(NodeIdFromUri("reload://0110" + std::string(31, 'c') + "g@o/"), std::nullopt);
  EXPECT_EQ(NodeIdFromUri("reload://0110" + hex), std::nullopt);         // no overlay
  EXPECT_EQ(NodeIdFromUri("reload://0110" + hex + "@/"), std::nullopt);  // empty overlay
  EXPECT_EQ(NodeIdFromUri("reload://0110" + hex + "@o/x"), std::nullopt);
  EXPECT_EQ(NodeIdFromUri("sip:0110" + hex + "@o/"), std::nullopt);
  EXPECT_EQ(NodeIdFromUri("http://example.org/"), std::nullopt);
  EXPECT_EQ(NodeIdFromUri(""), std::nullopt);
}

// --- Issue and parse ---

class CertificateTest : public testing::TestWithParam<SchemeParam> {
 protected:
  SignatureScheme scheme() const { return GetParam().scheme; }
};

TEST_P(CertificateTest, IssueParseRoundTrip) {
  const CertificateAuthority ca = MakeCa(scheme());
  const SigningKey& key = Key(scheme());
  const Certificate cert = IssueOrDie(ca, key, {Id(0xA1)}, kNow - kDay, kNow + 30 * kDay);
  const Certificate parsed = Parse(Bytes(cert.der().begin(), cert.der().end()));

  EXPECT_EQ(parsed.node_ids(), std::vector<NodeId>{Id(0xA1)});
  EXPECT_EQ(parsed.user_name(), "alice@example.org");
  EXPECT_EQ(parsed.not_before(), kNow - kDay);
  EXPECT_EQ(parsed.not_after(), kNow + 30 * kDay);
  EXPECT_EQ(parsed.public_key().scheme(), scheme());
  EXPECT_TRUE(std::ranges::equal(parsed.public_key_der(), key.PublicKeyDer()));
  EXPECT_FALSE(parsed.IsSelfSigned());
  EXPECT_FALSE(parsed.IsCa());
  EXPECT_EQ(parsed, cert);
  Bytes digest(32);
  SHA256(cert.der().data(), cert.der().size(), digest.data());
  EXPECT_TRUE(std::ranges::equal(parsed.Sha256(), digest));

  // Emitted strictly: the RFC URI form, a critical SAN and an empty subject (digest §8).
  int critical = -1;
  EXPECT_EQ(SanUris(parsed, &critical),
            std::vector<std::string>{"reload://0110" + Id(0xA1).ToHex() + "@" + kOverlay + "/"});
  EXPECT_EQ(critical, 1);
  EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(parsed.x509())), 0);

  const Certificate& root = ca.root();
  EXPECT_TRUE(root.IsSelfSigned());
  EXPECT_TRUE(root.IsCa());
  EXPECT_TRUE(root.node_ids().empty());
  EXPECT_EQ(root.user_name(), "");
}

TEST_P(CertificateTest, SeveralNodeIdsOfEveryLength) {
  const CertificateAuthority ca = MakeCa(scheme());
  const std::vector<NodeId> ids = {Id(0x10, 16), Id(0x11, 17), Id(0x14, 20)};
  const Certificate cert = IssueOrDie(ca, Key(scheme()), ids);
  EXPECT_EQ(cert.node_ids(), ids);
  int critical = 0;
  const std::vector<std::string> uris = SanUris(cert, &critical);
  ASSERT_EQ(uris.size(), 3u);
  EXPECT_EQ(uris[2], "reload://0114" + Id(0x14, 20).ToHex() + "@" + kOverlay + "/");
}

TEST_P(CertificateTest, ChainToTheRootVerifies) {
  const CertificateAuthority ca = MakeCa(scheme());
  const Certificate cert = IssueOrDie(ca, Key(scheme()));
  absl::StatusOr<TrustStore> store = TrustStore::Create(std::vector<Certificate>{ca.root()});
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<std::vector<Certificate>> chain = store->Verify(cert, {}, kNow);
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_EQ(*chain, (std::vector<Certificate>{cert, ca.root()}));
}

TEST_P(CertificateTest, ChainThroughAnIntermediate) {
  const CertificateAuthority root = MakeCa(scheme());
  // The intermediate's key is Key(1); the root signs it (by hand: Issue makes end entities).
  absl::StatusOr<SigningKey> root_key = SigningKey::FromPrivateKeyDer(root.PrivateKeyDer());
  ASSERT_TRUE(root_key.ok());
  const Certificate intermediate =
      Parse(HandMade(Key(scheme(), 1), {}, /*ca=*/true, &*root_key, &root.root(), "intermediate"));
  absl::StatusOr<CertificateAuthority> sub =
      CertificateAuthority::FromDer(Key(scheme(), 1).PrivateKeyDer(),
                                    Bytes(intermediate.der().begin(), intermediate.der().end()));
  ASSERT_TRUE(sub.ok()) << sub.status();
  const Certificate leaf = IssueOrDie(*sub, Key(scheme()));

  absl::StatusOr<TrustStore> store = TrustStore::Create(std::vector<Certificate>{root.root()});
  ASSERT_TRUE(store.ok());
  absl::StatusOr<std::vector<Certificate>> chain =
      store->Verify(leaf, std::vector<Certificate>{intermediate}, kNow);
  ASSERT_TRUE(chain.ok()) << chain.status();
  EXPECT_EQ(*chain, (std::vector<Certificate>{leaf, intermediate, root.root()}));
  // Without the intermediate the leaf's issuer is unknown.
  EXPECT_EQ(CertificateErrorOf(store->Verify(leaf, {}, kNow).status()),
            CertificateError::kUnknownCa);
}

TEST_P(CertificateTest, ExpiredAndNotYetValidAreOutOfRange) {
  const CertificateAuthority ca = MakeCa(scheme());
  const Certificate cert = IssueOrDie(ca, Key(scheme()), {Id(1)}, kNow - 10, kNow + 10);
  absl::StatusOr<TrustStore> store = TrustStore::Create(std::vector<Certificate>{ca.root()});
  ASSERT_TRUE(store.ok());
  // Valid from notBefore up to, not including, notAfter (BoringSSL's X509_cmp_time).
  EXPECT_TRUE(store->Verify(cert, {}, kNow - 10).ok());
  EXPECT_TRUE(store->Verify(cert, {}, kNow + 9).ok());

  const absl::Status expired = store->Verify(cert, {}, kNow + 10).status();
  EXPECT_EQ(expired.code(), absl::StatusCode::kOutOfRange) << expired;
  EXPECT_EQ(CertificateErrorOf(expired), CertificateError::kExpired);
  const absl::Status early = store->Verify(cert, {}, kNow - 11).status();
  EXPECT_EQ(early.code(), absl::StatusCode::kOutOfRange) << early;
  EXPECT_EQ(CertificateErrorOf(early), CertificateError::kNotYetValid);

  // The root's own validity counts too.
  const CertificateAuthority old_ca = MakeCa(scheme(), "old CA", kNow - 100 * kDay, kNow - kDay);
  const Certificate leaf = IssueOrDie(old_ca, Key(scheme()), {Id(1)}, kNow - kDay, kNow + kDay);
  absl::StatusOr<TrustStore> old_store =
      TrustStore::Create(std::vector<Certificate>{old_ca.root()});
  ASSERT_TRUE(old_store.ok());
  EXPECT_EQ(CertificateErrorOf(old_store->Verify(leaf, {}, kNow).status()),
            CertificateError::kExpired);
}

TEST_P(CertificateTest, AnotherCasCertificateIsUnknownCa) {
  const CertificateAuthority ours = MakeCa(scheme(), "our CA");
  const CertificateAuthority theirs = MakeCa(scheme(), "their CA");
  // Same name, another key: the authority key identifier tells them apart.
  const CertificateAuthority twin = MakeCa(scheme(), "our CA");
  absl::StatusOr<TrustStore> store = TrustStore::Create(std::vector<Certificate>{ours.root()});
  ASSERT_TRUE(store.ok());
  for (const CertificateAuthority* other : {&theirs, &twin}) {
    const absl::Status status = store->Verify(IssueOrDie(*other, Key(scheme())), {}, kNow).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
    EXPECT_NE(status.message().find("unknown CA"), std::string_view::npos) << status;
    EXPECT_EQ(CertificateErrorOf(status), CertificateError::kUnknownCa);
  }
  // Another overlay's root is not one of ours either.
  const absl::Status root_status = store->Verify(theirs.root(), {}, kNow).status();
  EXPECT_EQ(CertificateErrorOf(root_status), CertificateError::kUnknownCa) << root_status;
}

TEST_P(CertificateTest, TamperedCertificateHasABadSignature) {
  const CertificateAuthority ca = MakeCa(scheme());
  const Certificate cert = IssueOrDie(ca, Key(scheme()));
  absl::StatusOr<TrustStore> store = TrustStore::Create(std::vector<Certificate>{ca.root()});
  ASSERT_TRUE(store.ok());

  // A changed user name inside the signed part, and a changed signature byte.
  Bytes in_tbs(cert.der().begin(), cert.der().end());
  const std::string user = "alice@example.org";
  auto at = std::search(in_tbs.begin(), in_tbs.end(), user.begin(), user.end());
  ASSERT_NE(at, in_tbs.end());
  *at = 'A';
  Bytes in_signature(cert.der().begin(), cert.der().end());
  in_signature[in_signature.size() - 4] ^= 0x01;

  for (const Bytes& der : {in_tbs, in_signature}) {
    const Certificate tampered = Parse(der);
    const absl::Status status = store->Verify(tampered, {}, kNow).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
    EXPECT_EQ(CertificateErrorOf(status), CertificateError::kBadSignature);
  }
  EXPECT_EQ(Parse(in_tbs).user_name(), "Alice@example.org");
}

TEST_P(CertificateTest, CaExportAndImport) {
  const CertificateAuthority ca = MakeCa(scheme());
  const Bytes root_der(ca.root().der().begin(), ca.root().der().end());
  absl::StatusOr<CertificateAuthority> again =
      CertificateAuthority::FromDer(ca.PrivateKeyDer(), root_der);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->root(), ca.root());
  absl::StatusOr<TrustStore> store = TrustStore::Create(std::vector<Certificate>{ca.root()});
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE(store->Verify(IssueOrDie(*again, Key(scheme())), {}, kNow).ok());

  // Another key, or an end-entity certificate, is refused.
  EXPECT_EQ(
      CertificateAuthority::FromDer(Key(scheme(), 1).PrivateKeyDer(), root_der).status().code(),
      absl::StatusCode::kInvalidArgument);
  const Certificate leaf = IssueOrDie(ca, Key(scheme()));
  EXPECT_EQ(CertificateAuthority::FromDer(Key(scheme()).PrivateKeyDer(),
                                          Bytes(leaf.der().begin(), leaf.der().end()))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Schemes, CertificateTest, testing::ValuesIn(kSchemes),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

// --- Lenient parsing of hand-made certificates ---

TEST(CertificateParseTest, EveryUriFormInOneCertificate) {
  const std::string h16 = Id(0x16).ToHex(), h20 = Id(0x20, 20).ToHex();
  const Certificate cert =
      Parse(HandMade(Key(SignatureScheme::kEcdsaP256Sha256),
                     {{GEN_URI, "reload://0110" + Id(0x01).ToHex() + "@o.example/"},
                      {GEN_URI, "reload://0110" + Id(0x02).ToHex() + "@o.example"},
                      {GEN_URI, "reload://" + Id(0x03).ToHex() + "@o.example/"},
                      {GEN_URI, "reload://" + Id(0x04).ToHex() + "@o.example"},
                      {GEN_URI, "reload://0114" + h20 + "@o.example/"},
                      {GEN_URI, "sip:bob@o.example"},
                      {GEN_URI, "reload://" + std::string(30, 'e') + "@o.example/"},  // 15 bytes
                      {GEN_URI, "reload://" + std::string(42, 'e') + "@o.example/"},  // 21 bytes
                      {GEN_EMAIL, "bob@o.example"},
                      {GEN_EMAIL, "second@o.example"}}));
  EXPECT_EQ(cert.node_ids(),
            (std::vector<NodeId>{Id(0x01), Id(0x02), Id(0x03), Id(0x04), Id(0x20, 20)}));
  EXPECT_EQ(cert.user_name(), "bob@o.example");  // the first rfc822Name
  EXPECT_TRUE(cert.IsSelfSigned());
  EXPECT_FALSE(cert.IsCa());
}

TEST(CertificateParseTest, NoSanMeansNoNodeIdsAndNoUser) {
  const Certificate cert = Parse(HandMade(Key(SignatureScheme::kEcdsaP256Sha256), {}));
  EXPECT_TRUE(cert.node_ids().empty());
  EXPECT_EQ(cert.user_name(), "");
}

TEST(CertificateParseTest, RejectsWhatIsNotOneCertificate) {
  const CertificateAuthority ca = MakeCa(SignatureScheme::kEcdsaP256Sha256);
  const std::span<const uint8_t> root = ca.root().der();
  Bytes trailing(root.begin(), root.end());
  trailing.push_back(0);
  EXPECT_EQ(Certificate::FromDer(trailing).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Certificate::FromDer(root.first(root.size() - 10)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Certificate::FromDer({}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CertificateParseTest, CopiesShareTheParse) {
  const CertificateAuthority ca = MakeCa(SignatureScheme::kEcdsaP256Sha256);
  const Certificate copy = ca.root();
  EXPECT_EQ(copy.x509(), ca.root().x509());
  EXPECT_EQ(copy.der().data(), ca.root().der().data());
}

// --- Issue's checks ---

TEST(CertificateIssueTest, RefusesBadRequests) {
  const CertificateAuthority ca = MakeCa(SignatureScheme::kEcdsaP256Sha256);
  const Bytes spki = Key(SignatureScheme::kEcdsaP256Sha256).PublicKeyDer();
  const std::vector<NodeId> one = {Id(1)};
  auto code = [&](std::vector<NodeId> ids, std::string_view user, std::string_view overlay,
                  int64_t nb, int64_t na, uint64_t serial) {
    return ca.Issue(spki, ids, user, overlay, nb, na, serial).status().code();
  };
  constexpr auto kBad = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(code(one, "a@b", kOverlay, kNow, kNow + 1, 1), absl::StatusCode::kOk);
  EXPECT_EQ(code({}, "a@b", kOverlay, kNow, kNow + 1, 1), kBad);          // no Node-ID
  EXPECT_EQ(code({NodeId()}, "a@b", kOverlay, kNow, kNow + 1, 1), kBad);  // empty Node-ID
  EXPECT_EQ(code(one, "a@b", "", kNow, kNow + 1, 1), kBad);
  EXPECT_EQ(code(one, "a@b", "o/x", kNow, kNow + 1, 1), kBad);
  EXPECT_EQ(code(one, "a b@c", kOverlay, kNow, kNow + 1, 1), kBad);
  EXPECT_EQ(code(one, "a@b", kOverlay, kNow + 1, kNow, 1), kBad);  // ends before it begins
  EXPECT_EQ(code(one, "a@b", kOverlay, kNow, kNow + 1, 0), kBad);  // serial 0
  EXPECT_EQ(ca.Issue(Bytes{1, 2, 3}, one, "a@b", kOverlay, kNow, kNow + 1, 1).status().code(),
            kBad);
  // A user name is optional.
  absl::StatusOr<Certificate> anonymous = ca.Issue(spki, one, "", kOverlay, kNow, kNow + 1, 1);
  ASSERT_TRUE(anonymous.ok()) << anonymous.status();
  EXPECT_EQ(anonymous->user_name(), "");
}

TEST(TrustStoreTest, RootsMustBeCas) {
  EXPECT_EQ(TrustStore::Create({}).status().code(), absl::StatusCode::kInvalidArgument);
  const Certificate self_signed = Parse(HandMade(Key(SignatureScheme::kEcdsaP256Sha256), {}));
  EXPECT_EQ(TrustStore::Create(std::vector<Certificate>{self_signed}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CertificateErrorOfTest, OnlyChainErrorsCarryOne) {
  EXPECT_EQ(CertificateErrorOf(absl::OkStatus()), std::nullopt);
  EXPECT_EQ(CertificateErrorOf(absl::OutOfRangeError("expired")), std::nullopt);
}

// --- Self-signed mode ---

TEST(SelfSignedTest, NodeIdIsTheTruncatedDigestOfThePublicKey) {
  const Bytes spki = Key(SignatureScheme::kEcdsaP256Sha256).PublicKeyDer();
  uint8_t sha256[32], sha1[20];
  SHA256(spki.data(), spki.size(), sha256);
  SHA1(spki.data(), spki.size(), sha1);
  EXPECT_EQ(*SelfSignedNodeId(spki, SelfSignedDigest::kSha256, 16), NodeId({sha256, 16}));
  EXPECT_EQ(*SelfSignedNodeId(spki, SelfSignedDigest::kSha256, 20), NodeId({sha256, 20}));
  EXPECT_EQ(*SelfSignedNodeId(spki, SelfSignedDigest::kSha1, 16), NodeId({sha1, 16}));
  EXPECT_EQ(*SelfSignedNodeId(spki, SelfSignedDigest::kSha1, 20), NodeId({sha1, 20}));

  // The k-th of several: digest(uint32 BE k ‖ SPKI).
  Bytes indexed = {0, 0, 0, 2};
  indexed.insert(indexed.end(), spki.begin(), spki.end());
  SHA256(indexed.data(), indexed.size(), sha256);
  EXPECT_EQ(*SelfSignedNodeId(spki, SelfSignedDigest::kSha256, 16, 2), NodeId({sha256, 16}));

  EXPECT_EQ(SelfSignedNodeId(spki, SelfSignedDigest::kSha256, 15).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SelfSignedNodeId(spki, SelfSignedDigest::kSha256, 21).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SelfSignedTest, CertificateCarriesTheDerivedNodeId) {
  for (const SchemeParam& p : kSchemes) {
    const SigningKey& key = Key(p.scheme);
    const NodeId id = *SelfSignedNodeId(key.PublicKeyDer(), SelfSignedDigest::kSha256, 16);
    absl::StatusOr<Certificate> cert = CreateSelfSignedCertificate(
        key, std::vector<NodeId>{id}, "carol@example.org", kOverlay, kNow, kNow + kDay, 3);
    ASSERT_TRUE(cert.ok()) << cert.status();
    EXPECT_TRUE(cert->IsSelfSigned()) << p.name;
    EXPECT_FALSE(cert->IsCa());
    EXPECT_EQ(cert->node_ids(), std::vector<NodeId>{id});
    EXPECT_EQ(cert->user_name(), "carol@example.org");
    // A receiver re-derives the Node-ID from the key in the certificate.
    EXPECT_EQ(*SelfSignedNodeId(cert->public_key_der(), SelfSignedDigest::kSha256, 16), id);
  }
}

}  // namespace
}  // namespace p2psip::crypto

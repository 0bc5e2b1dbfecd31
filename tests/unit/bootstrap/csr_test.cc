// PKCS#10 requests (create, parse, proof of possession) and the HTTPS server certificate the
// overlay CA issues for the configuration and enrollment server.
#include "p2psip/crypto/csr.h"

#include <gtest/gtest.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>
#include <vector>

#include "p2psip/crypto/server_certificate.h"

namespace p2psip::crypto {
namespace {

constexpr int64_t kNow = 1700000000;

class CsrTest : public ::testing::TestWithParam<SignatureScheme> {};

TEST_P(CsrTest, RoundTripGivesTheKey) {
  absl::StatusOr<SigningKey> key = SigningKey::Generate(GetParam());
  ASSERT_TRUE(key.ok());
  absl::StatusOr<std::vector<uint8_t>> csr = CreateCsr(*key);
  ASSERT_TRUE(csr.ok()) << csr.status();
  absl::StatusOr<std::vector<uint8_t>> spki = ParseCsr(*csr);
  ASSERT_TRUE(spki.ok()) << spki.status();
  EXPECT_EQ(*spki, key->PublicKeyDer());
}

TEST_P(CsrTest, TamperedOrTruncatedIsRefused) {
  absl::StatusOr<SigningKey> key = SigningKey::Generate(GetParam());
  ASSERT_TRUE(key.ok());
  const std::vector<uint8_t> csr = *CreateCsr(*key);
  // The last byte is inside the signature; one in the middle is inside the signed key.
  for (size_t at : {csr.size() - 1, csr.size() / 2}) {
    std::vector<uint8_t> bad = csr;
    bad[at] ^= 0x01;
    EXPECT_FALSE(ParseCsr(bad).ok()) << "flipped byte " << at;
  }
  std::vector<uint8_t> trailing = csr;
  trailing.push_back(0);
  EXPECT_FALSE(ParseCsr(trailing).ok());
  EXPECT_FALSE(ParseCsr(std::span<const uint8_t>(csr).first(csr.size() - 1)).ok());
  EXPECT_FALSE(ParseCsr({}).ok());
  EXPECT_FALSE(ParseCsr(std::vector<uint8_t>(kMaxCsrBytes + 1, 0x30)).ok());
}

TEST_P(CsrTest, AnotherKeysSignatureIsRefused) {
  // A CSR whose key is swapped for another: the self-signature no longer verifies.
  absl::StatusOr<SigningKey> a = SigningKey::Generate(GetParam());
  absl::StatusOr<SigningKey> b = SigningKey::Generate(GetParam());
  ASSERT_TRUE(a.ok() && b.ok());
  std::vector<uint8_t> csr = *CreateCsr(*a);
  const std::vector<uint8_t> spki_a = a->PublicKeyDer(), spki_b = b->PublicKeyDer();
  ASSERT_EQ(spki_a.size(), spki_b.size());  // same scheme, same encoding length
  auto at = std::search(csr.begin(), csr.end(), spki_a.begin(), spki_a.end());
  ASSERT_NE(at, csr.end());
  std::copy(spki_b.begin(), spki_b.end(), at);
  EXPECT_FALSE(ParseCsr(csr).ok());
}

INSTANTIATE_TEST_SUITE_P(Schemes, CsrTest,
                         ::testing::Values(SignatureScheme::kEcdsaP256Sha256,
                                           SignatureScheme::kRsa2048Sha256));

TEST(ServerCertificateTest, MatchesOverlayNameAndIpsAndChains) {
  absl::StatusOr<CertificateAuthority> ca = CertificateAuthority::Create(
      "test CA", SignatureScheme::kEcdsaP256Sha256, kNow - 100, kNow + 86400 * 365);
  absl::StatusOr<SigningKey> key = SigningKey::Generate(SignatureScheme::kEcdsaP256Sha256);
  ASSERT_TRUE(ca.ok() && key.ok());
  const std::vector<uint8_t> spki = key->PublicKeyDer();
  const std::vector<std::string> ips = {"127.0.0.1", "::1"};
  absl::StatusOr<Certificate> cert =
      IssueServerCertificate(*ca, {.subject_public_key_der = spki,
                                   .overlay_name = "overlay.example.org",
                                   .ip_addresses = ips,
                                   .not_before_s = kNow - 10,
                                   .not_after_s = kNow + 86400,
                                   .serial = 7});
  ASSERT_TRUE(cert.ok()) << cert.status();
  X509* x = cert->x509();
  const std::string host = "overlay.example.org";
  EXPECT_EQ(X509_check_host(x, host.data(), host.size(), 0, nullptr), 1);
  EXPECT_NE(X509_check_host(x, "other.example.org", 17, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(x, "::1", 0), 1);
  EXPECT_NE(X509_check_ip_asc(x, "127.0.0.2", 0), 1);
  EXPECT_FALSE(cert->IsCa());
  EXPECT_TRUE(cert->node_ids().empty());  // not a node certificate
  EXPECT_EQ(X509_check_purpose(x, X509_PURPOSE_SSL_SERVER, 0), 1);
  EXPECT_NE(X509_check_purpose(x, X509_PURPOSE_SSL_CLIENT, 0), 1);
  const Certificate roots[] = {ca->root()};
  absl::StatusOr<TrustStore> store = TrustStore::Create(roots);
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE(store->Verify(*cert, {}, kNow).ok());

  EXPECT_FALSE(IssueServerCertificate(*ca, {.subject_public_key_der = spki,
                                            .overlay_name = "bad name/",
                                            .ip_addresses = {},
                                            .not_before_s = kNow,
                                            .not_after_s = kNow + 1,
                                            .serial = 1})
                   .ok());
  const std::vector<std::string> bad_ip = {"300.1.1.1"};
  EXPECT_FALSE(IssueServerCertificate(*ca, {.subject_public_key_der = spki,
                                            .overlay_name = "o.example",
                                            .ip_addresses = bad_ip,
                                            .not_before_s = kNow,
                                            .not_after_s = kNow + 1,
                                            .serial = 1})
                   .ok());
  EXPECT_FALSE(IssueServerCertificate(*ca, {.subject_public_key_der = spki,
                                            .overlay_name = "o.example",
                                            .ip_addresses = {},
                                            .not_before_s = kNow,
                                            .not_after_s = kNow + 1,
                                            .serial = 0})
                   .ok());
}

}  // namespace
}  // namespace p2psip::crypto

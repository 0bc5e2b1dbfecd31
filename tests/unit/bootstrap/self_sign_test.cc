// The self-signed model on the client side: `p2psip enroll --self-signed` makes a certificate
// whose Node-IDs are digests of its key, and a node whose overlay permits the model verifies
// its signatures without a CA (RFC 6940 §11.3, digest §8).
#include <memory>
#include <string>

#include "core/certificate_signer.h"
#include "gtest/gtest.h"
#include "p2psip/bootstrap/enrollment_client.h"

namespace p2psip::bootstrap {
namespace {

constexpr int64_t kNow = 1700000000;

config::OverlayConfiguration Permitting(std::string digest) {
  config::OverlayConfiguration c;
  c.instance_name = "selfsigned.example";
  c.self_signed_permitted = true;
  c.self_signed_digest = std::move(digest);
  return c;
}

TEST(SelfSignTest, CertificateVerifiesWhereTheModelIsPermitted) {
  const crypto::SigningKey key =
      *crypto::SigningKey::Generate(crypto::SignatureScheme::kEcdsaP256Sha256);
  for (const char* digest : {"sha1", "sha256"}) {
    SCOPED_TRACE(digest);
    for (uint32_t count : {1u, 3u}) {
      absl::StatusOr<Enrollment> e =
          SelfSign(Permitting(digest), key, "carol@selfsigned.example", count, kNow, 86400);
      ASSERT_TRUE(e.ok()) << e.status();
      ASSERT_EQ(e->node_ids.size(), count);
      EXPECT_EQ(e->certificate.node_ids(), e->node_ids);
      EXPECT_EQ(e->certificate.user_name(), "carol@selfsigned.example");
      EXPECT_TRUE(e->certificate.IsSelfSigned());

      const core::SelfSignedPolicy policy{.digest = std::string(digest) == "sha1"
                                                        ? crypto::SelfSignedDigest::kSha1
                                                        : crypto::SelfSignedDigest::kSha256};
      auto clock = [] { return kNow; };
      auto signer = core::CertificateSigner::Create(
          *crypto::SigningKey::FromPrivateKeyDer(key.PrivateKeyDer()), e->certificate, {}, nullptr,
          clock, {.self_signed = policy});
      ASSERT_TRUE(signer.ok()) << signer.status();
      auto verifier =
          core::CertificateSigner::CreateVerifier(nullptr, clock, {.self_signed = policy});
      ASSERT_TRUE(verifier.ok());
      const std::vector<uint8_t> input = {1, 2, 3};
      std::optional<core::SignerInfo> info =
          (*verifier)->Verify(input, (*signer)->Sign(input), (*signer)->Certificates());
      ASSERT_TRUE(info.has_value());
      EXPECT_EQ(info->node_id, e->node_ids.front());
    }
  }
}

TEST(SelfSignTest, RefusedWhereTheModelIsNotPermitted) {
  const crypto::SigningKey key =
      *crypto::SigningKey::Generate(crypto::SignatureScheme::kEcdsaP256Sha256);
  config::OverlayConfiguration c = Permitting("sha256");
  c.self_signed_permitted = false;
  EXPECT_EQ(SelfSign(c, key, "u@x", 1, kNow, 86400).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(SelfSign(Permitting("md5"), key, "u@x", 1, kNow, 86400).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SelfSign(Permitting("sha256"), key, "u@x", 0, kNow, 86400).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace p2psip::bootstrap

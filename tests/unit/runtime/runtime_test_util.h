// Test helpers for the runtime: an overlay CA valid now (the runtime reads the real clock) that
// issues node identities, and a SecureContext from one.
#ifndef P2PSIP_TESTS_UNIT_RUNTIME_RUNTIME_TEST_UTIL_H_
#define P2PSIP_TESTS_UNIT_RUNTIME_RUNTIME_TEST_UTIL_H_

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "p2psip/crypto/certificate.h"
#include "p2psip/crypto/signing_key.h"
#include "p2psip/ids.h"
#include "p2psip/link/secure_context.h"
#include "p2psip/runtime/clock.h"

namespace p2psip::runtime::testing {

using crypto::SignatureScheme;

inline constexpr char kOverlay[] = "runtime.test";

class Pki {
 public:
  Pki() {
    const int64_t now = Clock().NowS();
    ca_ = std::make_unique<crypto::CertificateAuthority>(*crypto::CertificateAuthority::Create(
        "runtime test CA", SignatureScheme::kEcdsaP256Sha256, now - 3600, now + 86400));
    const std::vector<crypto::Certificate> roots = {ca_->root()};
    trust_ = std::make_shared<const crypto::TrustStore>(*crypto::TrustStore::Create(roots));
  }

  struct Member {
    NodeId id;
    std::vector<uint8_t> key_der;
    crypto::Certificate cert;
  };
  Member Issue(const NodeId& id) {
    const int64_t now = Clock().NowS();
    crypto::SigningKey key = *crypto::SigningKey::Generate(SignatureScheme::kEcdsaP256Sha256);
    const std::vector<NodeId> ids = {id};
    auto cert = ca_->Issue(key.PublicKeyDer(), ids, "node@" + std::string(kOverlay), kOverlay,
                           now - 60, now + 86400, ++serial_);
    EXPECT_TRUE(cert.ok()) << cert.status();
    return Member{id, key.PrivateKeyDer(), *std::move(cert)};
  }
  const std::shared_ptr<const crypto::TrustStore>& trust() const { return trust_; }

 private:
  std::unique_ptr<crypto::CertificateAuthority> ca_;
  std::shared_ptr<const crypto::TrustStore> trust_;
  uint64_t serial_ = 0;
};

inline std::shared_ptr<const link::SecureContext> ContextOf(const Pki& pki,
                                                            const Pki::Member& member) {
  crypto::SigningKey key = *crypto::SigningKey::FromPrivateKeyDer(member.key_der);
  auto context = link::SecureContext::Create(key, {member.cert}, pki.trust());
  EXPECT_TRUE(context.ok()) << context.status();
  return context.ok() ? *std::move(context) : nullptr;
}

}  // namespace p2psip::runtime::testing

#endif  // P2PSIP_TESTS_UNIT_RUNTIME_RUNTIME_TEST_UTIL_H_

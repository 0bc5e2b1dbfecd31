// Overlays for the signature and ConfigUpdate tests: a CA, signers with certificates it issued
// (ECDSA P-256, quick to generate), and helpers that write signed documents.
#ifndef P2PSIP_TESTS_UNIT_CONFIG_SIGNING_FIXTURE_H_
#define P2PSIP_TESTS_UNIT_CONFIG_SIGNING_FIXTURE_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/certificate_signer.h"
#include "gtest/gtest.h"
#include "p2psip/config/overlay_writer.h"
#include "p2psip/crypto/certificate.h"

namespace p2psip::config::testing {

inline constexpr int64_t kNow = 1700000000;
inline constexpr int64_t kDay = 86400;
inline constexpr char kOverlayName[] = "overlay.example.org";

inline NodeId Id(uint8_t b) { return NodeId(std::vector<uint8_t>(16, b)); }

// One overlay CA and the signers it certifies; every signer trusts this CA.
struct TestOverlay {
  explicit TestOverlay(crypto::SignatureScheme s = crypto::SignatureScheme::kEcdsaP256Sha256,
                       std::string name = "test overlay CA")
      : scheme(s),
        ca(*crypto::CertificateAuthority::Create(std::move(name), s, kNow - 365 * kDay,
                                                 kNow + 365 * kDay)),
        trust(std::make_shared<const crypto::TrustStore>(
            *crypto::TrustStore::Create(std::vector<crypto::Certificate>{ca.root()}))) {}

  // A signer named `id`, certified by this CA, trusting `verify_with` (this CA by default).
  std::unique_ptr<core::CertificateSigner> Signer(
      const NodeId& id, std::shared_ptr<const crypto::TrustStore> verify_with = nullptr) {
    crypto::SigningKey key = *crypto::SigningKey::Generate(scheme);
    absl::StatusOr<crypto::Certificate> cert =
        ca.Issue(key.PublicKeyDer(), std::vector<NodeId>{id}, "signer@example.org", kOverlayName,
                 kNow - kDay, kNow + 30 * kDay, ++serial);
    EXPECT_TRUE(cert.ok()) << cert.status();
    auto signer = core::CertificateSigner::Create(
        std::move(key), *cert, {}, verify_with ? verify_with : trust, [] { return kNow; });
    EXPECT_TRUE(signer.ok()) << signer.status();
    return *std::move(signer);
  }

  OverlaySpec Spec(uint16_t sequence, std::vector<NodeId> configuration_signers,
                   std::vector<NodeId> kind_signers) const {
    OverlaySpec spec;
    spec.instance_name = kOverlayName;
    spec.sequence = sequence;
    spec.expiration = kNow + 30 * kDay;
    spec.root_certs.emplace_back(ca.root().der().begin(), ca.root().der().end());
    spec.enrollment_servers = {"https://127.0.0.1:6084/enroll"};
    spec.bootstrap_nodes = {{"127.0.0.1", 6084}, {"::1", 6085}};
    spec.configuration_signers = std::move(configuration_signers);
    spec.kind_signers = std::move(kind_signers);
    return spec;
  }

  crypto::SignatureScheme scheme;
  crypto::CertificateAuthority ca;
  std::shared_ptr<const crypto::TrustStore> trust;
  uint64_t serial = 1;
};

inline std::string Write(const OverlaySpec& spec, core::Signer& signer) {
  absl::StatusOr<std::string> doc = WriteOverlayDocument(spec, signer);
  EXPECT_TRUE(doc.ok()) << doc.status();
  return doc.ok() ? *doc : std::string();
}

}  // namespace p2psip::config::testing

#endif  // P2PSIP_TESTS_UNIT_CONFIG_SIGNING_FIXTURE_H_

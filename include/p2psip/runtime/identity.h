// A node's identity on disk, loaded: what `p2psip enroll` wrote into a directory.
//
//   DIR/overlay.relo     the overlay configuration document (fetched over HTTPS or given)
//   DIR/node/key.der     this node's private key (PKCS#8 DER, mode 0600)
//   DIR/node/cert.der    its certificate from the overlay's enrollment server (or self-signed)
//
// From it come the three things a running node needs: the core's NodeConfig (the document's
// parameters with this node's Node-ID), the message signer (CertificateSigner over the
// document's root-certs) and the link layer's SecureContext (the same key and certificate for
// DTLS/TLS). p2psipd and the client commands of p2psip load the same files this way.
#ifndef P2PSIP_RUNTIME_IDENTITY_H_
#define P2PSIP_RUNTIME_IDENTITY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "p2psip/config/overlay_document.h"
#include "p2psip/core/node.h"
#include "p2psip/crypto/certificate.h"
#include "p2psip/crypto/signing_key.h"
#include "p2psip/link/secure_context.h"

namespace p2psip::core {
class CertificateSigner;
}

namespace p2psip::runtime {

struct IdentityPaths {
  std::string dir;
  std::string Config() const { return dir + "/overlay.relo"; }
  std::string Key() const { return dir + "/node/key.der"; }
  std::string Certificate() const { return dir + "/node/cert.der"; }
};

class NodeIdentity {
 public:
  // Reads and checks DIR: the document must parse and hold `overlay_name` (empty: its first
  // configuration) in a form this node supports; the certificate must certify the key, name a
  // Node-ID of the overlay's length and chain to one of the document's root-certs at `now_s`
  // (or be self-signed where the overlay permits it). Errors name the file and the reason.
  static absl::StatusOr<NodeIdentity> Load(const std::string& dir, std::string_view overlay_name,
                                           int64_t now_s);

  const std::string& dir() const { return dir_; }
  const std::string& document() const { return document_; }
  const config::OverlayConfiguration& configuration() const { return configuration_; }
  const std::shared_ptr<const crypto::TrustStore>& trust() const { return trust_; }
  const crypto::Certificate& certificate() const { return certificate_; }
  const NodeId& node_id() const { return certificate_.node_ids().front(); }
  const std::string& user_name() const { return certificate_.user_name(); }

  // The document's parameters (ApplyTo) with this node's Node-ID; the caller sets the address,
  // the bootstrap list if it differs, and the roles.
  core::NodeConfig NodeConfigFor() const;
  absl::StatusOr<std::unique_ptr<core::CertificateSigner>> MakeSigner(
      std::function<int64_t()> now_s) const;
  absl::StatusOr<std::shared_ptr<const link::SecureContext>> MakeSecureContext(
      link::SecureContextOptions options) const;

 private:
  NodeIdentity(std::string dir, std::string document, config::OverlayConfiguration configuration,
               std::shared_ptr<const crypto::TrustStore> trust, std::vector<uint8_t> key_der,
               crypto::Certificate certificate)
      : dir_(std::move(dir)),
        document_(std::move(document)),
        configuration_(std::move(configuration)),
        trust_(std::move(trust)),
        key_der_(std::move(key_der)),
        certificate_(std::move(certificate)) {}

  std::string dir_;
  std::string document_;
  config::OverlayConfiguration configuration_;
  std::shared_ptr<const crypto::TrustStore> trust_;  // null in an overlay with no root-cert
  std::vector<uint8_t> key_der_;
  crypto::Certificate certificate_;
};

}  // namespace p2psip::runtime

#endif  // P2PSIP_RUNTIME_IDENTITY_H_

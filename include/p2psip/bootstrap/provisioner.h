// Operator-side provisioning: identities issued straight from the overlay's CA, without the
// HTTPS enrollment round trip (RFC 6940 §11.3 leaves how a CA issues to the operator; a carrier
// provisions subscribers in bulk this way, and p2psipd issues its own identity so on first run).
//
// Reads an overlay directory (config/overlay_directory.h: the document and ca/) and records the
// Node-IDs it gives in DIR/enrollment/issued like the enrollment server, so that a user
// provisioned here and enrolling later keeps the same Node-IDs. Each identity is written in the
// layout `p2psip enroll --out` writes and runtime::NodeIdentity reads:
//   OUT/overlay.relo, OUT/node/key.der (0600), OUT/node/cert.der.
//
// Not synchronised with a running enrollment server of the same directory: an enrollment of a
// new user while a batch runs may lose that user's Node-ID record (not the certificate).
#ifndef P2PSIP_BOOTSTRAP_PROVISIONER_H_
#define P2PSIP_BOOTSTRAP_PROVISIONER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "p2psip/bootstrap/issued_node_ids.h"
#include "p2psip/crypto/certificate.h"
#include "p2psip/crypto/signing_key.h"

namespace p2psip::bootstrap {

struct ProvisionedIdentity {
  crypto::Certificate certificate;
  std::vector<NodeId> node_ids;
};

class Provisioner {
 public:
  static absl::StatusOr<std::unique_ptr<Provisioner>> Open(const std::string& overlay_dir);

  // A fresh key of `scheme`, a certificate for `user` (user@domain, the rfc822Name) with
  // `node_ids` Node-IDs valid [now_s - 300, now_s + validity_s), written under `out_dir`.
  absl::StatusOr<ProvisionedIdentity> Issue(std::string_view user, const std::string& out_dir,
                                            crypto::SignatureScheme scheme, int64_t now_s,
                                            int64_t validity_s, uint32_t node_ids = 1);
  // Writes the Node-IDs issued so far to DIR/enrollment/issued (Issue does not, so that a batch
  // saves once).
  absl::Status Save();

  const std::string& overlay_name() const { return overlay_name_; }

 private:
  Provisioner() = default;
  std::string dir_;
  std::string document_;
  std::string overlay_name_;
  size_t node_id_length_ = 16;
  std::unique_ptr<crypto::CertificateAuthority> ca_;
  IssuedNodeIds issued_;
  bool dirty_ = false;
};

}  // namespace p2psip::bootstrap

#endif  // P2PSIP_BOOTSTRAP_PROVISIONER_H_

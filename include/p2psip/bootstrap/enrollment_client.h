// The client side of bootstrap (RFC 6940 §11.2, §11.3; digest §8, §9.1): fetch the overlay
// configuration document over HTTPS, then enroll a key with the document's enrollment server
// and check the certificate it returns. What `p2psip enroll` runs.
#ifndef P2PSIP_BOOTSTRAP_ENROLLMENT_CLIENT_H_
#define P2PSIP_BOOTSTRAP_ENROLLMENT_CLIENT_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "p2psip/config/overlay_document.h"
#include "p2psip/crypto/certificate.h"
#include "p2psip/crypto/signing_key.h"

namespace p2psip::bootstrap {

struct FetchedConfiguration {
  std::string document;                        // the bytes served, to keep as overlay.relo
  config::OverlayConfiguration configuration;  // the one for the overlay
};

// GETs `url` (https://HOST[:PORT]/.well-known/reload-config), trusting a server certificate that
// chains to `roots` and matches the URL's host or `overlay_name`. The document must parse and
// validate; its configuration is the one whose instance-name is `overlay_name` (NotFound if
// none: digest §9.1 says discard it), or the first one when `overlay_name` is empty.
absl::StatusOr<FetchedConfiguration> FetchConfiguration(std::string_view url,
                                                        std::span<const crypto::Certificate> roots,
                                                        std::string_view overlay_name,
                                                        absl::Duration timeout);

struct EnrollmentCredentials {
  std::string user;
  std::string password;
  uint32_t node_ids = 1;
};

struct Enrollment {
  crypto::Certificate certificate;
  std::vector<NodeId> node_ids;  // as the certificate names them
};

// POSTs a CSR for `key` to the configuration's enrollment-server (the first that answers) and
// checks the answer: the server's certificate must chain to the configuration's root-certs and
// match its instance-name; the returned certificate must chain to a root-cert at `now_s`
// (BasicConstraints included), certify `key`, name `user` and carry Node-IDs of the overlay's
// length. A 403 is PermissionDenied "enrollment refused: <token>" with the RFC token.
absl::StatusOr<Enrollment> Enroll(const config::OverlayConfiguration& configuration,
                                  const crypto::SigningKey& key,
                                  const EnrollmentCredentials& credentials, int64_t now_s,
                                  absl::Duration timeout);

// The self-signed model (RFC 6940 §11.3 end, digest §8), where the configuration has
// <self-signed-permitted digest="sha1|sha256">true</...>: no enrollment server; the node's
// certificate is its own, valid [now_s - 300, now_s + validity_s), and each Node-ID is the
// digest of its key (index 0 for one, 1..k for k). FailedPrecondition where the configuration
// does not permit it; InvalidArgument for an unknown digest or a bad count.
absl::StatusOr<Enrollment> SelfSign(const config::OverlayConfiguration& configuration,
                                    const crypto::SigningKey& key, std::string_view user,
                                    uint32_t node_ids, int64_t now_s, int64_t validity_s);

}  // namespace p2psip::bootstrap

#endif  // P2PSIP_BOOTSTRAP_ENROLLMENT_CLIENT_H_

// The overlay directory that `p2psip overlay init` creates and `p2psip enroll-server` serves
// from (the shared contract between them):
//
//   DIR/overlay.relo      the signed overlay configuration document
//   DIR/ca/root.der       the overlay's root CA certificate, DER (also DIR/ca/root.pem)
//   DIR/ca/root-key.der   the root CA's private key, PKCS#8 DER, mode 0600
//   DIR/signer/cert.der   the configuration-signer / kind-signer certificate, issued by the CA
//   DIR/signer/key.der    its private key, PKCS#8 DER, mode 0600
//
// Every file is written atomically (a temporary file in the same directory, fsync, rename), so
// a reader such as the enrollment server never sees half a document. Nothing here reads a
// clock: callers pass Unix seconds.
#ifndef P2PSIP_CONFIG_OVERLAY_DIRECTORY_H_
#define P2PSIP_CONFIG_OVERLAY_DIRECTORY_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "p2psip/config/overlay_writer.h"
#include "p2psip/core/environment.h"
#include "p2psip/crypto/signing_key.h"
#include "p2psip/ids.h"

namespace p2psip::config {

inline constexpr std::string_view kOverlayFile = "overlay.relo";
inline constexpr std::string_view kRootCertFile = "ca/root.der";
inline constexpr std::string_view kRootPemFile = "ca/root.pem";
inline constexpr std::string_view kRootKeyFile = "ca/root-key.der";
inline constexpr std::string_view kSignerCertFile = "signer/cert.der";
inline constexpr std::string_view kSignerKeyFile = "signer/key.der";
inline constexpr std::string_view kDefaultEnrollmentUrl = "https://127.0.0.1:6084/enroll";

struct OverlayInitOptions {
  std::string name;  // the overlay's instance-name
  std::string dir;
  std::vector<OverlaySpec::Bootstrap> bootstrap_nodes;  // empty: 127.0.0.1:6084
  std::string enrollment_url;                           // empty: kDefaultEnrollmentUrl
  bool self_signed_permitted = false;
  crypto::SignatureScheme scheme = crypto::SignatureScheme::kEcdsaP256Sha256;
  int validity_days = 365;  // the CA, the signer's certificate and the document's expiration
  bool force = false;       // write into a directory that is not empty
  // chord-update-interval (RFC 6940 default 600 s): how soon a quiet ring notices a dead
  // neighbour; local and test overlays want it shorter.
  uint32_t chord_update_interval_s = 600;
  // max-message-size: large enough for a ConfigUpdate carrying this signed document (~8 kB).
  uint32_t max_message_size = 5000;
  int64_t now_s = 0;
};

struct OverlayInitResult {
  std::vector<std::string> files;  // paths written, in the order above
  NodeId signer_id;                // the configuration-signer / kind-signer's Node-ID
};

// Creates DIR (and its parents) and the layout above. FailedPrecondition when DIR exists and is
// not empty and `force` is not set.
absl::StatusOr<OverlayInitResult> InitOverlayDirectory(const OverlayInitOptions& options);

// Rewrites DIR/overlay.relo with the next sequence number (65534 -> 0), signed again with
// DIR/signer: the ConfigUpdate a bootstrap node pushes. Returns the new sequence.
absl::StatusOr<uint16_t> BumpOverlayDirectory(const std::string& dir, int64_t now_s);

// The signer of DIR/signer, trusting DIR/ca/root.der, at the time `now_s` gives.
absl::StatusOr<std::unique_ptr<core::Signer>> LoadDirectorySigner(const std::string& dir,
                                                                  std::function<int64_t()> now_s);

// "ADDR:PORT", "[IPv6]:PORT" or a bare address (port 6084); the address must be an IP literal.
absl::StatusOr<OverlaySpec::Bootstrap> ParseBootstrap(std::string_view text);

// A certificate file, DER or PEM ("-----BEGIN CERTIFICATE-----"): the DER bytes.
absl::StatusOr<std::vector<uint8_t>> ReadCertificateFile(const std::string& path);
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);
// Writes `bytes` to `path` through a temporary file and rename(2), with permissions `mode`.
absl::Status WriteFileAtomically(const std::string& path, std::string_view bytes, mode_t mode);

}  // namespace p2psip::config

#endif  // P2PSIP_CONFIG_OVERLAY_DIRECTORY_H_

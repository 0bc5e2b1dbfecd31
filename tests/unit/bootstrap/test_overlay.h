// Test helper: an overlay directory in the layout `p2psip overlay init` writes (DIR/overlay.relo,
// DIR/ca/root.der, DIR/ca/root-key.der), built directly so the bootstrap tests do not depend on
// the overlay init command. The document is unsigned: the configuration parser does not check
// signatures, and the first document is trusted through HTTPS only (digest §9.4).
#ifndef P2PSIP_TESTS_UNIT_BOOTSTRAP_TEST_OVERLAY_H_
#define P2PSIP_TESTS_UNIT_BOOTSTRAP_TEST_OVERLAY_H_

#include <ctime>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "p2psip/bootstrap/file_util.h"
#include "p2psip/bootstrap/server_directory.h"
#include "p2psip/crypto/certificate.h"

namespace p2psip::bootstrap::testing {

inline std::string OverlayXml(std::string_view overlay, std::string_view enroll_url,
                              const crypto::Certificate& root) {
  const std::span<const uint8_t> der = root.der();
  return absl::StrCat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<overlay xmlns=\"urn:ietf:params:xml:ns:p2p:config-base\">\n"
      "  <configuration instance-name=\"",
      std::string(overlay), "\" sequence=\"1\">\n    <root-cert>",
      absl::Base64Escape(std::string(reinterpret_cast<const char*>(der.data()), der.size())),
      "</root-cert>\n    <enrollment-server>", std::string(enroll_url),
      "</enrollment-server>\n  </configuration>\n</overlay>\n");
}

inline absl::Status WriteBytes(const std::string& path, std::span<const uint8_t> bytes,
                               mode_t mode) {
  return WriteFileAtomic(
      path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), mode);
}

// Creates DIR/ca and DIR/overlay.relo for `overlay` with a fresh P-256 CA.
inline absl::Status MakeOverlayDirectory(const std::string& dir, std::string_view overlay,
                                         std::string_view enroll_url) {
  const int64_t now = std::time(nullptr);
  absl::StatusOr<crypto::CertificateAuthority> ca = crypto::CertificateAuthority::Create(
      absl::StrCat(std::string(overlay), " CA"), crypto::SignatureScheme::kEcdsaP256Sha256,
      now - 3600, now + 365 * 86400);
  if (!ca.ok()) return ca.status();
  const OverlayDirectory d{dir};
  if (absl::Status s = MakeDirectories(dir + "/ca", 0700); !s.ok()) return s;
  if (absl::Status s = WriteBytes(d.CaCert(), ca->root().der(), 0644); !s.ok()) return s;
  if (absl::Status s = WriteBytes(d.CaKey(), ca->PrivateKeyDer(), 0600); !s.ok()) return s;
  return WriteFileAtomic(d.Config(), OverlayXml(overlay, enroll_url, ca->root()), 0644);
}

}  // namespace p2psip::bootstrap::testing

#endif  // P2PSIP_TESTS_UNIT_BOOTSTRAP_TEST_OVERLAY_H_

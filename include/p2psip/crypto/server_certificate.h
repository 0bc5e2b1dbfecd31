// The TLS certificate of the overlay's HTTPS server (the configuration and enrollment server,
// RFC 6940 §11.2, §11.3; digest §8, §9.1).
//
// A node that fetches the configuration checks that the HTTPS certificate matches the URL's
// host or the overlay name, and the enrollment client checks it against the overlay name. The
// overlay CA issues this certificate (so the root-certs of the document are all a client needs
// to trust) with subjectAltName dNSName = the overlay name plus, for servers reached by an IP
// literal such as 127.0.0.1, iPAddress entries. It is not an overlay node certificate: no
// reload:// URI, extendedKeyUsage serverAuth only.
#ifndef P2PSIP_CRYPTO_SERVER_CERTIFICATE_H_
#define P2PSIP_CRYPTO_SERVER_CERTIFICATE_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "p2psip/crypto/certificate.h"

namespace p2psip::crypto {

struct ServerCertificateRequest {
  std::span<const uint8_t> subject_public_key_der;  // DER SubjectPublicKeyInfo of a usable key
  std::string_view overlay_name;                    // becomes dNSName and subject CN
  std::span<const std::string> ip_addresses;        // IPv4/IPv6 literals, as iPAddress
  int64_t not_before_s = 0;
  int64_t not_after_s = 0;
  uint64_t serial = 0;  // > 0
};

// A certificate issued by `ca`: subject CN=overlay name, non-critical subjectAltName (dNSName,
// iPAddress...), basicConstraints critical CA:FALSE, keyUsage digitalSignature (plus
// keyEncipherment for RSA), extendedKeyUsage serverAuth, key identifiers, SHA-256 signature.
// InvalidArgument for an empty or non-printable overlay name, a bad IP literal, a bad key or
// validity.
absl::StatusOr<Certificate> IssueServerCertificate(const CertificateAuthority& ca,
                                                   const ServerCertificateRequest& request);

}  // namespace p2psip::crypto

#endif  // P2PSIP_CRYPTO_SERVER_CERTIFICATE_H_

// PKCS#10 certification requests (RFC 2986) for RELOAD enrollment (RFC 6940 §11.3; digest §8).
//
// A RELOAD node proves to the enrollment server that it holds the private key it wants
// certified by sending a CSR as the `csr` part (application/pkcs10) of its enrollment POST. The
// server takes nothing from the CSR but the public key: the subject stays empty (the RFC puts
// the identity only in the subjectAltName the server writes) and any requested extension is
// ignored, because the server alone chooses Node-IDs and the user name.
#ifndef P2PSIP_CRYPTO_CSR_H_
#define P2PSIP_CRYPTO_CSR_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "p2psip/crypto/signing_key.h"

namespace p2psip::crypto {

// Requests larger than this are refused before parsing (an RSA-4096 CSR is about 1.2 KB).
inline constexpr size_t kMaxCsrBytes = 16 * 1024;

// A DER CertificationRequest for `key`: version 0, empty subject, no attributes, signed by
// `key` with its scheme (SHA-256). Fails only if BoringSSL does.
absl::StatusOr<std::vector<uint8_t>> CreateCsr(const SigningKey& key);

// Parses one DER CertificationRequest (nothing after it), checks that its own key verifies its
// signature and that the key is one p2psip accepts (VerifyingKey), and returns the DER
// SubjectPublicKeyInfo. InvalidArgument for anything else, with the reason.
absl::StatusOr<std::vector<uint8_t>> ParseCsr(std::span<const uint8_t> der);

}  // namespace p2psip::crypto

#endif  // P2PSIP_CRYPTO_CSR_H_

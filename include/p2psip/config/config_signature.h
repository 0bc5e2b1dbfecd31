// Signatures of the overlay configuration document (RFC 6940 §11.1, §11.4; digest §9.4, §15.2).
//
// Decision (digest §15.2; the RFC says "sign the blob with a SecurityBlock" but gives no input
// formula): the signature input of a <configuration> is its exact bytes, from the `<` of
// `<configuration` to the `>` of `</configuration>` (no canonicalisation: one changed byte,
// white space included, breaks it), followed by the signer's encoded SignerIdentity, which
// core::Signer::Sign appends itself as it does for messages (§6.3.4). A <kind> is signed the
// same way over `<kind`…`</kind>`. The <signature> / <kind-signature> element holds the base64 of
// a whole encoded SecurityBlock: the signer's certificates (so that a receiver holding only the
// root can verify) and the Signature. We write no `algorithm` attribute: the block's
// SignatureAndHashAlgorithm says it, and the attribute is ignored when reading.
//
// Verification goes through a core::Signer (the node's CertificateSigner, whose TrustStore holds
// the overlay's roots), so a certificate from another CA fails like a bad signature.
#ifndef P2PSIP_CONFIG_CONFIG_SIGNATURE_H_
#define P2PSIP_CONFIG_CONFIG_SIGNATURE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "p2psip/config/overlay_document.h"
#include "p2psip/core/environment.h"
#include "p2psip/crypto/certificate.h"

namespace p2psip::config {

// Why a signature was refused. The status of a failed Verify*Signature carries it as a payload
// (read it with SignatureFailureOf) and as the code noted here.
enum class SignatureFailure : uint8_t {
  kMissing,        // Unauthenticated: no <signature> / <kind-signature>
  kMalformed,      // InvalidArgument: the blob is not one whole SecurityBlock
  kBadSignature,   // Unauthenticated: does not verify, or the certificate is not trusted
  kNotAuthorized,  // PermissionDenied: verifies, but the signer is not a listed signer
};
std::optional<SignatureFailure> SignatureFailureOf(const absl::Status& status);

// The element to insert after the signed text: `<signature>BASE64</signature>` or
// `<kind-signature>BASE64</kind-signature>`, the base64 wrapped at 64 characters, each line
// starting with `indent` (white space, which xsd:base64Binary allows).
std::string SignConfigurationText(std::string_view configuration_text, core::Signer& signer,
                                  std::string_view indent = "");
std::string SignKindText(std::string_view kind_text, core::Signer& signer,
                         std::string_view indent = "");

// Checks `signature` over `document`[bytes] and that the signer's Node-ID (the one its
// SignerIdentity names) is one of `allowed_signers` (hex, any case, as the document lists
// them). `what` names the element in error messages ("configuration at line 3").
absl::StatusOr<core::SignerInfo> VerifySignedRange(std::string_view document, ByteRange bytes,
                                                   const std::optional<SignatureBlob>& signature,
                                                   std::span<const std::string> allowed_signers,
                                                   core::Signer& verifier, std::string_view what);

// A configuration of `document` (the text it was parsed from), against `allowed_signers`: for
// an update, the configuration-signers of the configuration the node runs now.
absl::StatusOr<core::SignerInfo> VerifyConfigurationSignature(
    std::string_view document, const OverlayConfiguration& configuration,
    std::span<const std::string> allowed_signers, core::Signer& verifier);
absl::StatusOr<core::SignerInfo> VerifyKindSignature(std::string_view document,
                                                     const RequiredKind& kind,
                                                     std::span<const std::string> kind_signers,
                                                     core::Signer& verifier);

// Every signature of a document on its own terms (what `p2psip overlay verify` and a node
// bootstrapping from a trusted channel check): each configuration by one of its own
// configuration-signers, each kind by one of its configuration's kind-signers. The first
// failure is returned.
struct DocumentSignatures {
  struct Entry {
    std::string what;  // "configuration overlay.example.org", "kind SIP-REGISTRATION"
    NodeId signer;
  };
  std::vector<Entry> verified;
};
absl::StatusOr<DocumentSignatures> VerifyDocumentSignatures(std::string_view document,
                                                            const OverlayDocument& parsed,
                                                            core::Signer& verifier);

// A Signer that only verifies, trusting `roots` at the time `now_s` gives: a CertificateSigner
// whose own key is a throw-away P-256 key with a self-signed certificate (never used to sign
// anything that leaves the process). For tools that hold no overlay identity.
absl::StatusOr<std::unique_ptr<core::Signer>> MakeVerifier(std::vector<crypto::Certificate> roots,
                                                           std::function<int64_t()> now_s);

// "SIP-REGISTRATION", or the id in decimal for a kind without a name.
std::string KindLabel(const RequiredKind& kind);

// Base64 (RFC 4648, with padding, no line breaks).
std::string Base64(std::span<const uint8_t> bytes);

}  // namespace p2psip::config

#endif  // P2PSIP_CONFIG_CONFIG_SIGNATURE_H_

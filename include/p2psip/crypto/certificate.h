// X.509 certificates of a RELOAD overlay (RFC 6940 §11.3, §13.3; digest §8): who a node is, as
// its enrollment server (or, in self-signed mode, its own key) vouches, on BoringSSL.
//
// An overlay certificate names its holder only in subjectAltName: one or more
// uniformResourceIdentifier entries `reload://<hex Destination List>@<overlay>/`, each a single
// node entry (`01` · length · Node-ID), and the user name as one rfc822Name; the subject DN is
// empty, so the SAN extension is critical. Digest §15.9: we parse leniently and emit strictly.
// Accepted in a certificate (hex in either case; Node-IDs of 16..20 bytes):
//   reload://0110<32 hex>@overlay/     the RFC form (emitted)
//   reload://0110<32 hex>@overlay      without the trailing '/'
//   reload://<32..40 hex>@overlay[/]   the bare Node-ID, without type and length
// Hex that reads as a whole single node entry (type 1, length 16..20 matching the rest) is the
// Destination List form; otherwise 16..20 bytes are a bare Node-ID. Any other URI is ignored.
//
//   Certificate          one parsed certificate; immutable, copies share the parse.
//   CertificateAuthority the overlay's root key and self-signed CA certificate; issues the
//                        end-entity certificates (what `p2psip overlay init` and the enrollment
//                        server use). Move-only: it owns the root's private key.
//   TrustStore           the overlay's root certificates (the configuration's root-cert
//                        elements); verifies a chain at a time the caller gives.
//   Self-signed mode     (digest §8, "self-signed-permitted"): SelfSignedNodeId and
//                        CreateSelfSignedCertificate.
// Nothing here reads a clock: every time is Unix seconds passed in by the caller.
#ifndef P2PSIP_CRYPTO_CERTIFICATE_H_
#define P2PSIP_CRYPTO_CERTIFICATE_H_

#include <openssl/base.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "p2psip/crypto/signing_key.h"
#include "p2psip/ids.h"

namespace p2psip::crypto {

// `reload://01<length><hex Node-ID>@<overlay>/`: the URI Issue writes for a Node-ID.
std::string NodeIdUri(const NodeId& id, std::string_view overlay_name);
// The Node-ID of a RELOAD URI in any of the accepted forms above; nullopt otherwise.
std::optional<NodeId> NodeIdFromUri(std::string_view uri);

class Certificate {
 public:
  // One DER X.509 certificate, with nothing after it. The key must be one p2psip verifies with
  // (RSA of at least 2048 bits, or EC P-256); anything else is InvalidArgument.
  static absl::StatusOr<Certificate> FromDer(std::span<const uint8_t> der);

  std::span<const uint8_t> der() const;
  // SHA-256 of der(): the cert_hash of a SignerIdentity with hash algorithm sha256.
  const std::array<uint8_t, 32>& Sha256() const;
  // Every Node-ID named by a reload:// URI in subjectAltName, in certificate order.
  const std::vector<NodeId>& node_ids() const;
  // The first rfc822Name in subjectAltName; empty if there is none.
  const std::string& user_name() const;
  int64_t not_before() const;  // Unix seconds
  int64_t not_after() const;
  const VerifyingKey& public_key() const;
  // The DER SubjectPublicKeyInfo (the input of SelfSignedNodeId).
  std::span<const uint8_t> public_key_der() const;
  // Issuer equals subject and the certificate's own key verifies its signature.
  bool IsSelfSigned() const;
  // basicConstraints CA:TRUE.
  bool IsCa() const;

  // BoringSSL's parse, shared by every copy (for TrustStore and the link layer); callers must
  // not modify it.
  X509* x509() const;

  friend bool operator==(const Certificate& a, const Certificate& b) {
    return a.Sha256() == b.Sha256();
  }

 private:
  struct Parsed;
  explicit Certificate(std::shared_ptr<const Parsed> parsed) : parsed_(std::move(parsed)) {}
  std::shared_ptr<const Parsed> parsed_;  // never null
};

class CertificateAuthority {
 public:
  // A fresh root key of `scheme` and its self-signed certificate: subject and issuer
  // CN=common_name, basicConstraints critical CA:TRUE, keyUsage critical keyCertSign|cRLSign, a
  // subject key identifier, serial 1, valid [not_before_s, not_after_s].
  static absl::StatusOr<CertificateAuthority> Create(std::string common_name,
                                                     SignatureScheme scheme, int64_t not_before_s,
                                                     int64_t not_after_s);
  // A CA saved with PrivateKeyDer() and root().der(). The certificate must be a CA certificate
  // for the key; otherwise InvalidArgument.
  static absl::StatusOr<CertificateAuthority> FromDer(std::span<const uint8_t> private_key_der,
                                                      std::span<const uint8_t> certificate_der);

  CertificateAuthority(CertificateAuthority&&) = default;
  CertificateAuthority& operator=(CertificateAuthority&&) = default;

  // An end-entity certificate for the key `subject_public_key_der` (DER SubjectPublicKeyInfo of
  // a supported key): empty subject, a critical subjectAltName with one strict reload:// URI per
  // Node-ID (at least one) and the user name as rfc822Name (none if empty; ASCII only),
  // basicConstraints critical CA:FALSE, keyUsage, extendedKeyUsage serverAuth+clientAuth (for
  // the (D)TLS links), key identifiers, serial `serial` (> 0), SHA-256 signature.
  absl::StatusOr<Certificate> Issue(std::span<const uint8_t> subject_public_key_der,
                                    std::span<const NodeId> node_ids, std::string_view user_name,
                                    std::string_view overlay_name, int64_t not_before_s,
                                    int64_t not_after_s, uint64_t serial) const;

  const Certificate& root() const { return root_; }
  // The root key as a DER PKCS#8 PrivateKeyInfo (keep it secret).
  std::vector<uint8_t> PrivateKeyDer() const { return key_.PrivateKeyDer(); }

 private:
  CertificateAuthority(SigningKey key, Certificate root) : key_(std::move(key)), root_(root) {}
  SigningKey key_;
  Certificate root_;
};

// Why a chain did not verify. TrustStore::Verify's status carries it twice: as the absl code
// (below) and, exactly, as a payload that CertificateErrorOf reads back.
enum class CertificateError : uint8_t {
  kExpired,       // OutOfRange: a certificate of the chain is past its notAfter
  kNotYetValid,   // OutOfRange: ... before its notBefore
  kUnknownCa,     // NotFound ("unknown CA"): no chain to any root of the store
  kBadSignature,  // PermissionDenied: a certificate's signature does not verify with its issuer
  kInvalidChain,  // FailedPrecondition: anything else (an issuer that is not a CA, a path
                  // length, an unknown critical extension...)
};
// The CertificateError a failed TrustStore::Verify put in `status`; nullopt for any other.
std::optional<CertificateError> CertificateErrorOf(const absl::Status& status);

// The overlay's trust anchors. Immutable after Create; Verify is const and may be called from
// several threads at once.
class TrustStore {
 public:
  // At least one root, each a CA certificate; otherwise InvalidArgument.
  static absl::StatusOr<TrustStore> Create(std::span<const Certificate> roots);

  // Verifies that `leaf` chains to one of the roots through `intermediates` (in any order,
  // extra ones ignored), every certificate valid at `now_s` (not_before <= now_s < not_after:
  // BoringSSL treats the notAfter second as expired). Returns the chain it verified, from
  // `leaf` to the root, or an error that CertificateErrorOf classifies.
  absl::StatusOr<std::vector<Certificate>> Verify(const Certificate& leaf,
                                                  std::span<const Certificate> intermediates,
                                                  int64_t now_s) const;

  const std::vector<Certificate>& roots() const { return roots_; }

 private:
  struct Store;
  TrustStore(std::vector<Certificate> roots, std::shared_ptr<const Store> store)
      : roots_(std::move(roots)), store_(std::move(store)) {}
  std::vector<Certificate> roots_;
  std::shared_ptr<const Store> store_;  // never null
};

// --- Self-signed mode (digest §8) ---

enum class SelfSignedDigest : uint8_t { kSha1, kSha256 };

// The Node-ID of a self-signed key: the high-order `node_id_length` (16..20) bytes of
// digest(SPKI) for index 0 (a node with one Node-ID), or of digest(uint32 BE index ‖ SPKI) for
// the index-th (1..k) of k Node-IDs. InvalidArgument for a length out of range.
absl::StatusOr<NodeId> SelfSignedNodeId(std::span<const uint8_t> public_key_der,
                                        SelfSignedDigest digest, size_t node_id_length,
                                        uint32_t index = 0);

// A self-signed end-entity certificate for `key` with the SAN of CertificateAuthority::Issue
// (issuer and subject empty, CA:FALSE). The caller derives `node_ids` with SelfSignedNodeId.
absl::StatusOr<Certificate> CreateSelfSignedCertificate(
    const SigningKey& key, std::span<const NodeId> node_ids, std::string_view user_name,
    std::string_view overlay_name, int64_t not_before_s, int64_t not_after_s, uint64_t serial);

}  // namespace p2psip::crypto

#endif  // P2PSIP_CRYPTO_CERTIFICATE_H_

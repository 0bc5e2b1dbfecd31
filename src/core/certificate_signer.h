// CertificateSigner: the Signer of a node in an overlay with certificate-based security
// (RFC 6940 §6.3.4, §7.1, §11.3; digest §2.6, §8), on X.509 certificates and BoringSSL.
//
// Sign: the signature of `input ‖ encoded SignerIdentity` with this node's key, the pair of
// crypto::WirePair(scheme) and the identity
//   cert_hash(sha256, SHA-256(certificate DER))                  one Node-ID in the certificate
//   cert_hash_node_id(sha256, SHA-256(Node-ID ‖ certificate DER)) several: names this node's
// Verify: finds the signer's certificate by the identity's hash (sha256 or sha1) among the
// certificates the message carried, or in a cache of certificates whose chain already verified
// (or, in the self-signed model, whose Node-IDs are digests of their own key);
// verifies the chain against the overlay's TrustStore at the injected time (so an expired
// certificate stops verifying even from the cache); checks the pair against the certificate's
// key and the signature over `input ‖ encoded identity`. The other carried certificates (and
// this node's own intermediates) serve as intermediates.
//
// The cache holds up to `cache_capacity` certificates (default 1024; 0 disables it), least
// recently used out first; an entry remembers the validity window of its whole chain.
//
// Time: the core never reads a clock, so the signer calls the injected `now_s` (Unix seconds,
// the wall clock: certificates are dated) once per verification.
//
// One owner: not thread-safe (Verify updates the cache and the counters); a Node owns one.
#ifndef P2PSIP_CORE_CERTIFICATE_SIGNER_H_
#define P2PSIP_CORE_CERTIFICATE_SIGNER_H_

#include <array>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "p2psip/core/environment.h"
#include "p2psip/crypto/certificate.h"
#include "p2psip/crypto/signing_key.h"

namespace p2psip::core {

// Why verifications failed, one counter per reason; `verified` counts the successes.
struct CertificateSignerCounters {
  uint64_t signed_inputs = 0;
  uint64_t sign_failures = 0;  // BoringSSL failed: the signature went out empty
  uint64_t verified = 0;
  uint64_t cache_hits = 0;           // of `verified` and failures: certificate from the cache
  uint64_t unsupported = 0;          // algorithm pair, identity type or identity hash unknown
  uint64_t unknown_certificate = 0;  // no certificate carried or cached has the identity's hash
  uint64_t no_node_id = 0;           // the certificate names no Node-ID
  uint64_t chain_rejected = 0;       // TrustStore: expired, not yet valid, unknown CA...
  uint64_t algorithm_mismatch = 0;   // the pair is not the certificate key's scheme
  uint64_t bad_signature = 0;
  uint64_t self_signed_accepted = 0;     // of `verified`-path resolutions: self-signed model
  uint64_t self_signed_id_mismatch = 0;  // self-signed, but its Node-IDs are not its key's digest
};

// The self-signed model (RFC 6940 §11.3 end, digest §8): where the configuration has
// <self-signed-permitted digest="...">, a self-signed certificate is accepted without a chain
// when each Node-ID it names is the key's digest (SelfSignedNodeId: index 0 for one Node-ID,
// 1..k for k of them).
struct SelfSignedPolicy {
  crypto::SelfSignedDigest digest = crypto::SelfSignedDigest::kSha256;
  size_t node_id_length = 16;
};

struct CertificateSignerOptions {
  size_t cache_capacity = 1024;  // verified certificates kept; 0: none
  // Which Node-ID of a certificate with several this node signs as (empty: the first).
  NodeId node_id;
  // Set where the overlay permits self-signed certificates; then `trust` may be null (an
  // overlay with no root-cert, where every node is self-signed).
  std::optional<SelfSignedPolicy> self_signed;
};

class CertificateSigner final : public Signer {
 public:
  using Clock = std::function<int64_t()>;  // Unix seconds

  // `certificate` must be for `key` and name a Node-ID (options.node_id, if given, among them);
  // `now_s` must be non-null, and `trust` too unless options.self_signed is set. The chain is not
  // checked here: receivers check it.
  static absl::StatusOr<std::unique_ptr<CertificateSigner>> Create(
      crypto::SigningKey key, crypto::Certificate certificate,
      std::vector<crypto::Certificate> intermediates,
      std::shared_ptr<const crypto::TrustStore> trust, Clock now_s,
      CertificateSignerOptions options = {});

  // A signer without credentials, for code that only checks signatures (a configuration
  // document's, before the node has a certificate): Verify works as above; Sign returns an empty
  // signature (counted in sign_failures) that every receiver rejects.
  static absl::StatusOr<std::unique_ptr<CertificateSigner>> CreateVerifier(
      std::shared_ptr<const crypto::TrustStore> trust, Clock now_s,
      CertificateSignerOptions options = {});

  wire::Signature Sign(std::span<const uint8_t> input) override;
  std::optional<SignerInfo> Verify(std::span<const uint8_t> input, const wire::Signature& signature,
                                   std::span<const wire::GenericCertificate> certificates) override;
  // This node's certificate, then its intermediates (type X.509).
  std::vector<wire::GenericCertificate> Certificates() const override { return carried_; }

  const NodeId& node_id() const { return node_id_; }
  // This node's certificate; nullopt for a verifier.
  const std::optional<crypto::Certificate>& certificate() const { return certificate_; }
  const CertificateSignerCounters& counters() const { return counters_; }
  size_t cache_size() const { return cache_.size(); }

 private:
  // A SignerIdentity's type, hash algorithm and hash (at most SHA-256's 32 bytes).
  struct Key {
    uint8_t type = 0;
    uint8_t hash_algorithm = 0;
    uint8_t size = 0;
    std::array<uint8_t, 32> hash{};
    friend bool operator==(const Key&, const Key&) = default;
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(H::combine_contiguous(std::move(h), k.hash.data(), k.size), k.type,
                        k.hash_algorithm);
    }
  };
  struct Entry {
    Key key;
    crypto::Certificate certificate;
    NodeId node_id;                                   // the Node-ID the identity names
    std::shared_ptr<const std::vector<uint8_t>> der;  // the certificate, for SignerInfo
    int64_t valid_from = 0;  // the whole chain is valid in [valid_from, valid_until)
    int64_t valid_until = 0;
  };
  using Lru = std::list<Entry>;  // most recently used first

  CertificateSigner(std::optional<crypto::SigningKey> key,
                    std::optional<crypto::Certificate> certificate,
                    std::vector<crypto::Certificate> intermediates,
                    std::shared_ptr<const crypto::TrustStore> trust, Clock now_s,
                    CertificateSignerOptions options, NodeId node_id);

  const Entry* Lookup(const Key& key, int64_t now_s);
  // Finds the certificate named by `key` among `certificates`, verifies its chain and caches it.
  std::optional<Entry> Resolve(const Key& key,
                               std::span<const wire::GenericCertificate> certificates,
                               int64_t now_s);
  void Insert(Entry entry);
  // Whether `leaf` is acceptable under the self-signed model (counts a mismatch).
  bool SelfSignedAcceptable(const crypto::Certificate& leaf);

  std::optional<crypto::SigningKey> key_;  // both absent for a verifier
  std::optional<crypto::Certificate> certificate_;
  std::vector<crypto::Certificate> intermediates_;
  std::shared_ptr<const crypto::TrustStore> trust_;
  Clock now_s_;
  size_t cache_capacity_;
  std::optional<SelfSignedPolicy> self_signed_;
  NodeId node_id_;
  wire::SignerIdentity identity_;
  std::vector<uint8_t> encoded_identity_;
  std::vector<wire::GenericCertificate> carried_;
  Lru lru_;
  absl::flat_hash_map<Key, Lru::iterator> cache_;
  CertificateSignerCounters counters_;
};

}  // namespace p2psip::core

#endif  // P2PSIP_CORE_CERTIFICATE_SIGNER_H_

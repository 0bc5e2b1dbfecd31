// CertificatePool: the certificates of the signers of the values a storage service holds.
//
// RFC 6940 §6.3.4 and §7 oblige a storing peer to keep the certificates that verify the values
// it stores and to hand them out with the values (FetchAns, and the replica Stores that copy
// them to other peers), because a fetcher or a replica holder may never have seen the signer.
// The pool keeps each certificate once, however many values it signed, found by the
// SignerIdentity a value's signature names (cert_hash or cert_hash_node_id). It does not
// reference-count: Sweep() drops what no held value names any more, and the service runs it
// when the pool has grown well past the last count of live signers (amortised O(values)).
//
// Owned by one StorageService (one thread), like the shards whose values it serves.
#ifndef P2PSIP_CORE_STORAGE_CERTIFICATE_POOL_H_
#define P2PSIP_CORE_STORAGE_CERTIFICATE_POOL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "p2psip/wire/security_block.h"

namespace p2psip::core::storage {

class CertificatePool {
 public:
  using Der = std::shared_ptr<const std::vector<uint8_t>>;
  // A SignerIdentity reduced to its bytes (type, hash algorithm, hash): the pool's key.
  using Key = std::string;
  static Key KeyOf(const wire::SignerIdentity& identity);

  // Keeps `certificate` for values signed with `identity` (no-op for a null certificate or an
  // identity without a hash).
  void Retain(const wire::SignerIdentity& identity, Der certificate);
  // The certificate for `identity`, or null.
  const Der* Find(const wire::SignerIdentity& identity) const;
  // Appends the certificate that verifies `signature` to `out` unless it is already there.
  void AppendFor(const wire::Signature& signature,
                 std::vector<wire::GenericCertificate>* out) const;
  // Forgets every certificate whose key is not in `live`.
  void Sweep(const absl::flat_hash_set<Key>& live);

  size_t size() const { return by_identity_.size(); }
  size_t MemoryBytes() const;

 private:
  absl::flat_hash_map<Key, Der> by_identity_;
};

}  // namespace p2psip::core::storage

#endif  // P2PSIP_CORE_STORAGE_CERTIFICATE_POOL_H_

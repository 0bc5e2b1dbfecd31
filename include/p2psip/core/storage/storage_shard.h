// StorageShard: the stored data of a disjoint set of Resource-IDs (RFC 6940 §7), owned by one
// thread (a worker core in p2psipd, a node in the simulator): no locks inside.
//
// It applies the data rules of Store (§7.4.1), answers Fetch (§7.4.2), Stat (§7.4.3) and Find
// (§7.4.4), and expires values on their lifetime. Signatures are verified by the caller, who
// hands over, for every value and for the request, what the signer's certificate says
// (SignerInfo); access policies are checked here through access_control.h. Whether this node is
// responsible for the Resource-ID, and whether a replica store comes from a plausible peer, are
// the topology's questions, answered before the shard is called.
#ifndef P2PSIP_CORE_STORAGE_STORAGE_SHARD_H_
#define P2PSIP_CORE_STORAGE_STORAGE_SHARD_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/functional/function_ref.h"
#include "p2psip/core/storage/kinds.h"
#include "p2psip/ids.h"
#include "p2psip/wire/constants.h"
#include "p2psip/wire/storage_messages.h"

namespace p2psip::core::storage {

// An error answer: the RELOAD error code, a reason for error_info text (or the structured
// error_info of Generation_Counter_Too_Low / Unknown_Kind, already encoded).
struct StorageError {
  wire::ErrorCode code = wire::ErrorCode::kInvalidMessage;
  std::string reason;
  std::vector<uint8_t> error_info;  // empty: use `reason` as text
};

template <class T>
using StorageResult = std::variant<T, StorageError>;

namespace shard_internal {

// The longest Resource-ID a shard stores: every overlay hash fits (ids.h); a Store to a longer
// id is Error_Invalid_Message. Keeping the id inline keeps a resource's hash slot at 32 bytes.
inline constexpr size_t kMaxStoredIdLength = kMaxNodeIdLength;

// One stored value (56 bytes + its bytes). The slot it occupies is (kind, index, key): index is
// the array index (0 otherwise), key the dictionary key (empty otherwise). Every record of a
// kind carries that kind's generation counter, so that no per-kind header is needed. The
// lifetime is not kept: answers report what remains of it, computed from expiry_ms.
struct Record {
  uint64_t storage_time = 0;
  uint64_t expiry_ms = 0;  // the value is gone once now_ms >= expiry_ms
  uint64_t generation = 0;
  uint32_t kind = 0;
  uint32_t index = 0;
  uint32_t value_length = 0;
  uint32_t signature_length = 0;
  uint16_t key_length = 0;
  bool exists = false;
  // One allocation: key · DataValue.value · the encoded wire::Signature.
  std::unique_ptr<uint8_t[]> bytes;

  std::span<const uint8_t> key() const { return {bytes.get(), key_length}; }
  std::span<const uint8_t> value() const { return {bytes.get() + key_length, value_length}; }
  std::span<const uint8_t> signature() const {
    return {bytes.get() + key_length + value_length, signature_length};
  }
  bool Live(uint64_t now_ms) const { return now_ms < expiry_ms; }
};

// The records of one Resource-ID, sorted by (kind, index, key) so that answers come out in a
// deterministic order and slots are found by binary search. One record stays inline.
using Records = absl::InlinedVector<Record, 1>;

// A Resource-ID and its records: 32 bytes in the hash set (id inline, records behind a
// pointer). Only the id takes part in hashing and equality, so the records are mutable.
struct Resource {
  uint8_t id_size = 0;
  std::array<uint8_t, kMaxStoredIdLength> id{};
  mutable std::unique_ptr<Records> records;

  std::span<const uint8_t> id_bytes() const { return {id.data(), id_size}; }
};

// Heterogeneous lookup by the id bytes, so that a lookup builds no Resource.
struct ResourceHash {
  using is_transparent = void;
  size_t operator()(std::span<const uint8_t> id) const;
  size_t operator()(const Resource& r) const { return (*this)(r.id_bytes()); }
};
struct ResourceEq {
  using is_transparent = void;
  static std::span<const uint8_t> Bytes(const Resource& r) { return r.id_bytes(); }
  static std::span<const uint8_t> Bytes(std::span<const uint8_t> id) { return id; }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    const std::span<const uint8_t> x = Bytes(a), y = Bytes(b);
    return std::equal(x.begin(), x.end(), y.begin(), y.end());
  }
};

}  // namespace shard_internal

class StorageShard {
 public:
  // `kinds` must outlive the shard (it is the published configuration snapshot).
  explicit StorageShard(const KindRegistry* kinds) : kinds_(kinds) {}

  // Applies a Store atomically: every kind and value passes or nothing changes.
  // value_signers[k][v] describes the signer of request.kind_data[k].values[v];
  // request_signer the signer of the request (checked too when replica_number == 0).
  // In the order of §7.4.1.1: kinds known (Error_Unknown_Kind, error_info = the unknown
  // kinds), each kind once (Error_Invalid_Message), no anonymous values (Error_Forbidden),
  // access policy (Error_Forbidden), generation counter (Error_Generation_Counter_Too_Low,
  // error_info = the current counters), storage_time strictly newer (Error_Data_Too_Old),
  // max-size and max-count (Error_Data_Too_Large). On success each changed kind's generation
  // counter grows by one (originals) or becomes the larger of the stored and the request's
  // (replicas, whose counters must not be 0), and the answer lists the new counters with empty
  // replica lists (the node fills them in).
  //
  // A replica store (replica_number >= 1) is how peers copy data among themselves (replication,
  // and the transfers on join, leave and failure: digest §15.3). It merges: a value not newer
  // than the one this shard holds at its slot is skipped rather than failing the request, so
  // that the same data pushed twice, or by two peers, is harmless and the newest copy wins.
  StorageResult<wire::StoreAns> Store(const wire::StoreReq& request,
                                      const SignerInfo& request_signer,
                                      std::span<const std::vector<SignerInfo>> value_signers,
                                      uint64_t now_ms);

  // One response per specifier, in order. A specifier whose generation equals the stored
  // counter gets no values; values that do not exist are synthesized (exists = false, identity
  // none, algorithm {0,0}, empty signature). Unknown kinds: Error_Unknown_Kind.
  StorageResult<wire::FetchAns> Fetch(const wire::FetchReq& request, uint64_t now_ms) const;
  // Like Fetch, with metadata (length and SHA-256 of each value) instead of values.
  StorageResult<wire::StatAns> Stat(const wire::StatReq& request, uint64_t now_ms) const;
  // For each kind, the stored Resource-ID closest (clockwise, at or after) to the requested
  // one; an empty Resource-ID for unknown kinds or none stored; duplicate kinds:
  // Error_Invalid_Message.
  StorageResult<wire::FindAns> Find(const wire::FindReq& request, uint64_t now_ms) const;

  // Drops values whose lifetime ended and resources left empty.
  void Expire(uint64_t now_ms);
  // A new configuration: the kinds now in force (must outlive the shard), and the values of a
  // kind it no longer carries dropped (§11.1).
  void SetKinds(const KindRegistry* kinds) { kinds_ = kinds; }
  void EraseKind(uint32_t kind);

  // --- Replication ---
  // Every live value at `resource` as a replica Store: each kind with its generation counter,
  // each value with its signature, its array index or dictionary key, and the lifetime it has
  // left. No kind_data when nothing live is held there.
  wire::StoreReq ExportReplica(const ResourceId& resource, uint8_t replica_number,
                               uint64_t now_ms) const;
  // Every Resource-ID held, in no particular order.
  std::vector<ResourceId> ResourceIds() const;
  // Forgets a Resource-ID (its data now lives on closer peers).
  void Erase(const ResourceId& resource);
  // Calls `fn` with the encoded wire::Signature of every record held, live or not yet expired
  // away (which certificates are still needed).
  void ForEachSignature(absl::FunctionRef<void(std::span<const uint8_t>)> fn) const;
  // Every unexpired value: its kind and the size of its data (RFC 7851 INSTANCES_STORED and
  // DATASIZE_STORED count these). O(values), no decoding.
  void Census(uint64_t now_ms, absl::FunctionRef<void(uint32_t kind, size_t bytes)> fn) const;

  size_t resource_count() const;
  size_t value_count() const;
  // Bytes held, for the memory-per-record benchmark.
  size_t MemoryBytes() const;

 private:
  // Representation: a flat hash set of Resources (Resource-ID inline, 32 bytes a slot), each
  // pointing at its records sorted by (kind, index, key); a record keeps its timestamps, its
  // kind's generation counter and one allocation with the key, the value and the encoded
  // signature (see shard_internal::Record). Expired records stay until Expire() but are
  // invisible to every answer; a kind's generation counter is that of its live records (0 when
  // none), so answers depend only on the stores and now_ms, never on when Expire ran. Nothing
  // iterates the hash set to build an answer except Find, which takes a minimum under a total
  // order, so hash order never reaches an answer.
  using Resource = shard_internal::Resource;
  using ResourceSet =
      absl::flat_hash_set<Resource, shard_internal::ResourceHash, shard_internal::ResourceEq>;

  const Resource* FindResource(const ResourceId& id) const;
  // Removes the records `gone` selects and the resources left empty.
  void EraseIf(absl::FunctionRef<bool(const shard_internal::Record&)> gone);

  const KindRegistry* kinds_;
  ResourceSet resources_;
  // Reused to encode signatures on Store (no allocation per Store once it has grown).
  std::vector<uint8_t> scratch_;
};

}  // namespace p2psip::core::storage

#endif  // P2PSIP_CORE_STORAGE_STORAGE_SHARD_H_

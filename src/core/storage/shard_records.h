// Internal to the storage shard: the record helpers that Store and the answers share.
// Not part of the public API (include/p2psip/core/storage/storage_shard.h is).
#ifndef P2PSIP_CORE_STORAGE_SHARD_RECORDS_H_
#define P2PSIP_CORE_STORAGE_SHARD_RECORDS_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "p2psip/core/storage/storage_shard.h"

namespace p2psip::core::storage::shard_internal {

// Array ranges may name indices far past the array's end, each of which is answered with a
// synthesized value; beyond this many in one request the answer could never fit a message.
inline constexpr uint64_t kMaxArrayValuesPerRequest = 4096;
// KindId unknown_kinds<0..2^8-1>: at most 63 ids fit.
inline constexpr size_t kMaxUnknownKinds = 255 / sizeof(uint32_t);

StorageError Fail(wire::ErrorCode code, std::string reason);
// Error_Unknown_Kind with the structured error_info.
StorageError UnknownKinds(std::vector<uint32_t> kinds);

// The slot a value occupies within its resource; records are sorted by it.
struct Slot {
  uint32_t kind = 0;
  uint32_t index = 0;
  std::span<const uint8_t> key;
};
Slot SlotOf(const Record& r);
bool SlotLess(const Slot& a, const Slot& b);
bool SameSlot(const Slot& a, const Slot& b);

// The records of one kind within a resource's sorted records (empty if none).
std::span<const Record> KindRecords(const Records* records, uint32_t kind);
// The unexpired record at `slot`, or nullptr.
const Record* FindLive(std::span<const Record> kind_records, const Slot& slot, uint64_t now_ms);
// The kind's generation counter as its unexpired values carry it (0: none).
uint64_t CurrentGeneration(std::span<const Record> kind_records, uint64_t now_ms);
// One past the highest unexpired array index.
uint64_t ArrayLength(std::span<const Record> kind_records, uint64_t now_ms);
size_t LiveCount(std::span<const Record> kind_records, uint64_t now_ms);
// Seconds left, rounded up so that a value that is still returned never claims lifetime 0.
uint32_t RemainingLifetime(const Record& r, uint64_t now_ms);
const wire::DataValue& DataOf(const wire::StoredDataValue& v);

// A value that does not exist, as Fetch synthesizes it: storage_time 0, lifetime 0, algorithm
// {0,0}, identity none, at the given slot.
wire::StoredData Synthesized(wire::DataModel model, uint32_t index, std::span<const uint8_t> key);
// The stored value as it goes on the wire, with what remains of its lifetime.
wire::StoredData ToStoredData(const Record& r, wire::DataModel model, uint64_t now_ms);

}  // namespace p2psip::core::storage::shard_internal

#endif  // P2PSIP_CORE_STORAGE_SHARD_RECORDS_H_

#include "core/storage/shard_records.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string_view>
#include <type_traits>
#include <utility>

#include "absl/hash/hash.h"
#include "p2psip/wire/body.h"

namespace p2psip::core::storage::shard_internal {

using wire::DataModel;
using wire::ErrorCode;

size_t ResourceHash::operator()(std::span<const uint8_t> id) const {
  return absl::Hash<std::string_view>{}(
      std::string_view(reinterpret_cast<const char*>(id.data()), id.size()));
}

StorageError Fail(ErrorCode code, std::string reason) {
  return StorageError{code, std::move(reason), {}};
}

StorageError UnknownKinds(std::vector<uint32_t> kinds) {
  if (kinds.size() > kMaxUnknownKinds) kinds.resize(kMaxUnknownKinds);
  StorageError e = Fail(ErrorCode::kUnknownKind, "unknown kind");
  e.error_info = wire::MakeUnknownKindError(kinds).error_info;
  return e;
}

Slot SlotOf(const Record& r) { return {r.kind, r.index, r.key()}; }

bool SlotLess(const Slot& a, const Slot& b) {
  if (a.kind != b.kind) return a.kind < b.kind;
  if (a.index != b.index) return a.index < b.index;
  return std::lexicographical_compare(a.key.begin(), a.key.end(), b.key.begin(), b.key.end());
}

bool SameSlot(const Slot& a, const Slot& b) {
  return a.kind == b.kind && a.index == b.index && std::ranges::equal(a.key, b.key);
}

// The records of `kind`, a contiguous run of the sorted records.
std::span<const Record> KindRecords(const Records* records, uint32_t kind) {
  if (records == nullptr) return {};
  const auto lo = std::partition_point(records->begin(), records->end(),
                                       [kind](const Record& r) { return r.kind < kind; });
  const auto hi =
      std::partition_point(lo, records->end(), [kind](const Record& r) { return r.kind <= kind; });
  return {lo, hi};
}

// The live record at `slot`, or nullptr.
const Record* FindLive(std::span<const Record> kind_records, const Slot& slot, uint64_t now_ms) {
  const auto it =
      std::partition_point(kind_records.begin(), kind_records.end(),
                           [&slot](const Record& r) { return SlotLess(SlotOf(r), slot); });
  if (it == kind_records.end() || !SameSlot(SlotOf(*it), slot) || !it->Live(now_ms)) return nullptr;
  return &*it;
}

// A kind's counter is that of its live records (all carry the same one); 0 when none live.
uint64_t CurrentGeneration(std::span<const Record> kind_records, uint64_t now_ms) {
  for (const Record& r : kind_records) {
    if (r.Live(now_ms)) return r.generation;
  }
  return 0;
}

// One past the highest live array index (the array's length), 0 when empty.
uint64_t ArrayLength(std::span<const Record> kind_records, uint64_t now_ms) {
  for (auto it = kind_records.rbegin(); it != kind_records.rend(); ++it) {
    if (it->Live(now_ms)) return uint64_t{it->index} + 1;
  }
  return 0;
}

size_t LiveCount(std::span<const Record> kind_records, uint64_t now_ms) {
  return std::ranges::count_if(kind_records, [now_ms](const Record& r) { return r.Live(now_ms); });
}

// Seconds left, rounded up so that a value that is still returned never claims lifetime 0.
uint32_t RemainingLifetime(const Record& r, uint64_t now_ms) {
  const uint64_t left_ms = r.expiry_ms > now_ms ? r.expiry_ms - now_ms : 0;
  return static_cast<uint32_t>(
      std::min<uint64_t>((left_ms + 999) / 1000, std::numeric_limits<uint32_t>::max()));
}

const wire::DataValue& DataOf(const wire::StoredDataValue& v) {
  if (const auto* a = std::get_if<wire::ArrayEntry>(&v)) return a->value;
  if (const auto* d = std::get_if<wire::DictionaryEntry>(&v)) return d->value;
  return std::get<wire::DataValue>(v);
}

wire::StoredData Synthesized(DataModel model, uint32_t index, std::span<const uint8_t> key) {
  wire::StoredData sd;  // storage_time 0, lifetime 0, algorithm {0,0}, identity none
  switch (model) {
    case DataModel::kSingle:
      sd.value = wire::DataValue{};
      break;
    case DataModel::kArray:
      sd.value = wire::ArrayEntry{index, {}};
      break;
    case DataModel::kDictionary:
      sd.value = wire::DictionaryEntry{wire::DictionaryKey(key.begin(), key.end()), {}};
      break;
  }
  return sd;
}

wire::StoredData ToStoredData(const Record& r, DataModel model, uint64_t now_ms) {
  wire::StoredData sd = Synthesized(model, r.index, r.key());
  sd.storage_time = r.storage_time;
  sd.lifetime = RemainingLifetime(r, now_ms);
  wire::DataValue dv{r.exists, std::vector<uint8_t>(r.value().begin(), r.value().end())};
  std::visit(
      [&dv](auto& v) {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, wire::DataValue>) {
          v = std::move(dv);
        } else {
          v.value = std::move(dv);
        }
      },
      sd.value);
  // The bytes were encoded by Store, so they decode; on the impossible failure the value goes
  // out unsigned and the fetcher discards it.
  wire::DecodeError error;
  wire::ByteReader reader(r.signature(), &error);
  if (!wire::Decode(reader, &sd.signature)) sd.signature = wire::Signature{};
  return sd;
}

}  // namespace p2psip::core::storage::shard_internal

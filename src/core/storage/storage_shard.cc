#include "p2psip/core/storage/storage_shard.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string_view>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "p2psip/core/storage/access_control.h"
#include "p2psip/wire/body.h"

namespace p2psip::core::storage {

namespace shard_internal {

size_t ResourceHash::operator()(std::span<const uint8_t> id) const {
  return absl::Hash<std::string_view>{}(
      std::string_view(reinterpret_cast<const char*>(id.data()), id.size()));
}

}  // namespace shard_internal

namespace {

using shard_internal::Record;
using shard_internal::Records;
using wire::DataModel;
using wire::ErrorCode;

// Array ranges may name indices far past the array's end, each of which is answered with a
// synthesized value; beyond this many in one request the answer could never fit a message.
constexpr uint64_t kMaxArrayValuesPerRequest = 4096;
// KindId unknown_kinds<0..2^8-1>: at most 63 ids fit.
constexpr size_t kMaxUnknownKinds = 255 / sizeof(uint32_t);

StorageError Fail(ErrorCode code, std::string reason) {
  return StorageError{code, std::move(reason), {}};
}

StorageError UnknownKinds(std::vector<uint32_t> kinds) {
  if (kinds.size() > kMaxUnknownKinds) kinds.resize(kMaxUnknownKinds);
  StorageError e = Fail(ErrorCode::kUnknownKind, "unknown kind");
  e.error_info = wire::MakeUnknownKindError(kinds).error_info;
  return e;
}

// The slot a value occupies within its resource; records are sorted by it.
struct Slot {
  uint32_t kind = 0;
  uint32_t index = 0;
  std::span<const uint8_t> key;
};

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

// --- answers -------------------------------------------------------------------------------

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

wire::MetaData MetaOf(bool exists, std::span<const uint8_t> value) {
  wire::MetaData m;
  m.exists = exists;
  m.value_length = static_cast<uint32_t>(value.size());
  m.hash_algorithm = wire::kHashSha256;
  // The hash covers DataValue.value as encoded: its uint32 length, then the bytes.
  const uint8_t length[4] = {
      static_cast<uint8_t>(value.size() >> 24), static_cast<uint8_t>(value.size() >> 16),
      static_cast<uint8_t>(value.size() >> 8), static_cast<uint8_t>(value.size())};
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, length, sizeof(length));
  if (!value.empty()) SHA256_Update(&ctx, value.data(), value.size());
  m.hash_value.resize(SHA256_DIGEST_LENGTH);
  SHA256_Final(m.hash_value.data(), &ctx);
  return m;
}

wire::StoredMetaData ToMeta(const Record* r, DataModel model, uint32_t index,
                            std::span<const uint8_t> key, uint64_t now_ms) {
  wire::StoredMetaData out;
  wire::MetaData m = r != nullptr ? MetaOf(r->exists, r->value()) : MetaOf(false, {});
  if (r != nullptr) {
    out.storage_time = r->storage_time;
    out.lifetime = RemainingLifetime(*r, now_ms);
  }
  switch (model) {
    case DataModel::kSingle:
      out.metadata = std::move(m);
      break;
    case DataModel::kArray:
      out.metadata = wire::ArrayEntryMeta{index, std::move(m)};
      break;
    case DataModel::kDictionary:
      out.metadata =
          wire::DictionaryEntryMeta{wire::DictionaryKey(key.begin(), key.end()), std::move(m)};
      break;
  }
  return out;
}

// Checks every specifier (kinds known, model as configured, array ranges well formed) before
// any answer is built, so that an error answer is never preceded by partial work.
std::optional<StorageError> ValidateSpecifiers(const KindRegistry& kinds,
                                               std::span<const wire::StoredDataSpecifier> specs) {
  std::vector<uint32_t> unknown;
  for (const wire::StoredDataSpecifier& s : specs) {
    if ((!s.model_known || kinds.Find(s.kind) == nullptr) &&
        std::ranges::find(unknown, s.kind) == unknown.end()) {
      unknown.push_back(s.kind);
    }
  }
  if (!unknown.empty()) return UnknownKinds(std::move(unknown));
  uint64_t array_values = 0;
  for (const wire::StoredDataSpecifier& s : specs) {
    const KindDefinition* def = kinds.Find(s.kind);
    if (s.model != def->model) {
      return Fail(ErrorCode::kInvalidMessage,
                  absl::StrCat("specifier model does not match kind ", s.kind));
    }
    if (s.model != DataModel::kArray) continue;
    // kArrayLastIndex is the largest uint32, so comparing the raw values treats "the last
    // element" as the end of the array, whatever the array's length.
    std::vector<wire::ArrayRange> ranges = s.indices;
    std::ranges::sort(ranges, {}, &wire::ArrayRange::first);
    for (size_t i = 0; i < ranges.size(); ++i) {
      if (ranges[i].first > ranges[i].last) {
        return Fail(ErrorCode::kInvalidMessage, "array range with first > last");
      }
      if (i > 0 && ranges[i].first <= ranges[i - 1].last) {
        return Fail(ErrorCode::kInvalidMessage, "overlapping array ranges");
      }
      if (ranges[i].last != wire::kArrayLastIndex) {
        array_values += uint64_t{ranges[i].last} - ranges[i].first + 1;
      }
    }
  }
  if (array_values > kMaxArrayValuesPerRequest) {
    return Fail(ErrorCode::kResponseTooLarge, "array ranges name too many indices");
  }
  return std::nullopt;
}

// Calls emit(record or nullptr, index, key) for every value `spec` selects, in answer order;
// nullptr means "synthesize a nonexistent value at this index / key".
template <class Emit>
void Select(std::span<const Record> kind_records, const wire::StoredDataSpecifier& spec,
            uint64_t now_ms, Emit&& emit) {
  switch (spec.model) {
    case DataModel::kSingle:
      emit(FindLive(kind_records, Slot{spec.kind, 0, {}}, now_ms), 0, {});
      return;
    case DataModel::kDictionary:
      if (spec.keys.empty()) {
        for (const Record& r : kind_records) {
          if (r.Live(now_ms)) emit(&r, 0, r.key());
        }
        return;
      }
      for (const wire::DictionaryKey& key : spec.keys) {
        emit(FindLive(kind_records, Slot{spec.kind, 0, key}, now_ms), 0,
             std::span<const uint8_t>(key));
      }
      return;
    case DataModel::kArray: {
      const uint64_t length = ArrayLength(kind_records, now_ms);
      for (const wire::ArrayRange& range : spec.indices) {
        auto resolve = [length](uint32_t i) -> int64_t {
          return i == wire::kArrayLastIndex ? static_cast<int64_t>(length) - 1 : int64_t{i};
        };
        const int64_t first = resolve(range.first), last = resolve(range.last);
        auto it =
            std::partition_point(kind_records.begin(), kind_records.end(),
                                 [first](const Record& r) { return int64_t{r.index} < first; });
        for (int64_t i = std::max<int64_t>(first, 0); i <= last; ++i) {
          const auto index = static_cast<uint32_t>(i);
          while (it != kind_records.end() && it->index < index) ++it;
          const Record* found =
              it != kind_records.end() && it->index == index && it->Live(now_ms) ? &*it : nullptr;
          emit(found, index, {});
        }
      }
      return;
    }
  }
}

absl::uint128 RingPosition(std::span<const uint8_t> id) {
  // Big-endian, the first 16 bytes; shorter ids are padded on the right so that ring order
  // agrees with byte order.
  absl::uint128 v = 0;
  for (size_t i = 0; i < 16; ++i) v = (v << 8) | (i < id.size() ? id[i] : 0);
  return v;
}

}  // namespace

const StorageShard::Resource* StorageShard::FindResource(const ResourceId& id) const {
  const auto it = resources_.find(id.bytes());
  return it == resources_.end() ? nullptr : &*it;
}

// --- Store -----------------------------------------------------------------------------------

StorageResult<wire::StoreAns> StorageShard::Store(
    const wire::StoreReq& request, const SignerInfo& request_signer,
    std::span<const std::vector<SignerInfo>> value_signers, uint64_t now_ms) {
  const std::vector<wire::StoreKindData>& kds = request.kind_data;

  // 1. Every kind known.
  std::vector<uint32_t> unknown;
  for (const wire::StoreKindData& kd : kds) {
    if ((!kd.model_known || kinds_->Find(kd.kind) == nullptr) &&
        std::ranges::find(unknown, kd.kind) == unknown.end()) {
      unknown.push_back(kd.kind);
    }
  }
  if (!unknown.empty()) return UnknownKinds(std::move(unknown));

  // 2. Each kind once; the request well formed.
  for (size_t i = 0; i < kds.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (kds[i].kind == kds[j].kind) {
        return Fail(ErrorCode::kInvalidMessage,
                    absl::StrCat("kind ", kds[i].kind, " more than once"));
      }
    }
  }
  if (request.resource.size() > shard_internal::kMaxStoredIdLength) {
    return Fail(ErrorCode::kInvalidMessage, "Resource-ID longer than the overlay's hashes");
  }
  if (value_signers.size() != kds.size()) {
    return Fail(ErrorCode::kInvalidMessage, "signer list does not match the kinds");
  }
  std::vector<const KindDefinition*> defs(kds.size());
  for (size_t k = 0; k < kds.size(); ++k) {
    defs[k] = kinds_->Find(kds[k].kind);
    if (value_signers[k].size() != kds[k].values.size()) {
      return Fail(ErrorCode::kInvalidMessage, "signer list does not match the values");
    }
    for (const wire::StoredData& sd : kds[k].values) {
      if (wire::ModelOf(sd.value) != defs[k]->model) {
        return Fail(ErrorCode::kInvalidMessage,
                    absl::StrCat("value of kind ", kds[k].kind, " has the wrong data model"));
      }
      const auto* entry = std::get_if<wire::DictionaryEntry>(&sd.value);
      if (entry != nullptr && entry->key.size() > std::numeric_limits<uint16_t>::max()) {
        return Fail(ErrorCode::kInvalidMessage, "dictionary key too long");
      }
    }
  }

  // 3. No anonymous values.
  for (const wire::StoreKindData& kd : kds) {
    for (const wire::StoredData& sd : kd.values) {
      if (sd.signature.identity.type == wire::SignerIdentityType::kNone ||
          sd.signature.IsAnonymous()) {
        return Fail(ErrorCode::kForbidden, "unsigned value");
      }
    }
  }

  // 4. Access policy: the signer of each value and, for an original store, of the request.
  for (size_t k = 0; k < kds.size(); ++k) {
    for (size_t v = 0; v < kds[k].values.size(); ++v) {
      const wire::StoredDataValue& value = kds[k].values[v].value;
      absl::Status s = CheckAccess(*defs[k], request.resource, value, value_signers[k][v]);
      if (s.ok() && request.replica_number == 0) {
        s = CheckAccess(*defs[k], request.resource, value, request_signer);
      }
      if (!s.ok()) return Fail(ErrorCode::kForbidden, std::string(s.message()));
    }
  }

  // 5. Generation counters.
  const Resource* existing = FindResource(request.resource);
  const Records* records = existing != nullptr ? existing->records.get() : nullptr;
  std::vector<uint64_t> current(kds.size());
  bool too_low = false;
  for (size_t k = 0; k < kds.size(); ++k) {
    current[k] = CurrentGeneration(KindRecords(records, kds[k].kind), now_ms);
    if (request.replica_number > 0) {
      if (kds[k].generation_counter == 0) {
        return Fail(ErrorCode::kInvalidMessage, "replica store with generation counter 0");
      }
    } else if (kds[k].generation_counter != 0 && kds[k].generation_counter != current[k]) {
      too_low = true;
    }
  }
  if (too_low) {
    wire::StoreAns counters;
    for (size_t k = 0; k < kds.size(); ++k) {
      counters.kind_responses.push_back({kds[k].kind, current[k], {}});
    }
    StorageError e = Fail(ErrorCode::kGenerationCounterTooLow, "generation counter too low");
    e.error_info = wire::MakeGenerationCounterTooLowError(counters).error_info;
    return e;
  }

  // 6, 7. Stage the new records (nothing changes yet): storage_time strictly newer than what
  // each replaces, then size and count. Too_Old wins over Too_Large, as the checks are ordered.
  std::vector<Record> staged;
  std::optional<StorageError> too_old, too_large;
  for (size_t k = 0; k < kds.size(); ++k) {
    const KindDefinition& def = *defs[k];
    const std::span<const Record> kind_records = KindRecords(records, kds[k].kind);
    const size_t first_staged = staged.size();
    uint64_t next_append = ArrayLength(kind_records, now_ms);
    size_t new_slots = 0;
    for (const wire::StoredData& sd : kds[k].values) {
      const wire::DataValue& dv = DataOf(sd.value);
      if (dv.value.size() > def.max_size && !too_large) {
        too_large = Fail(ErrorCode::kDataTooLarge,
                         absl::StrCat("value of kind ", def.id, " larger than ", def.max_size));
      }
      Record r;
      r.kind = def.id;
      std::span<const uint8_t> key;
      if (const auto* a = std::get_if<wire::ArrayEntry>(&sd.value)) {
        uint64_t index = a->index;
        if (index == wire::kArrayAppend) {
          // No room for another index: the array cannot grow.
          if (next_append >= wire::kArrayAppend) {
            if (!too_large) too_large = Fail(ErrorCode::kDataTooLarge, "array full");
            continue;
          }
          index = next_append;
        }
        r.index = static_cast<uint32_t>(index);
        next_append = std::max(next_append, index + 1);
      } else if (const auto* d = std::get_if<wire::DictionaryEntry>(&sd.value)) {
        key = d->key;
      }
      // What this value replaces: an earlier value of this request at the slot, else the stored.
      const Slot slot{r.kind, r.index, key};
      const Record* replaced = nullptr;
      for (size_t i = staged.size(); i > first_staged; --i) {
        if (SameSlot(SlotOf(staged[i - 1]), slot)) {
          replaced = &staged[i - 1];
          break;
        }
      }
      if (replaced == nullptr) {
        replaced = FindLive(kind_records, slot, now_ms);
        if (replaced == nullptr) ++new_slots;
      }
      if (replaced != nullptr && sd.storage_time <= replaced->storage_time && !too_old) {
        too_old =
            Fail(ErrorCode::kDataTooOld,
                 absl::StrCat("storage_time not newer than the stored value of kind ", def.id));
      }
      scratch_.clear();
      wire::ByteWriter w(&scratch_);
      wire::Encode(w, sd.signature);
      if (!w.ok()) return Fail(ErrorCode::kInvalidMessage, "signature does not encode");
      r.storage_time = sd.storage_time;
      const uint64_t lifetime_ms = uint64_t{sd.lifetime} * 1000;
      r.expiry_ms = now_ms > std::numeric_limits<uint64_t>::max() - lifetime_ms
                        ? std::numeric_limits<uint64_t>::max()
                        : now_ms + lifetime_ms;
      r.exists = dv.exists;
      r.key_length = static_cast<uint16_t>(key.size());
      r.value_length = static_cast<uint32_t>(dv.value.size());
      r.signature_length = static_cast<uint32_t>(scratch_.size());
      const size_t total = key.size() + dv.value.size() + scratch_.size();
      r.bytes = std::make_unique_for_overwrite<uint8_t[]>(total);
      uint8_t* p = r.bytes.get();
      if (!key.empty()) p = std::copy(key.begin(), key.end(), p);
      if (!dv.value.empty()) p = std::copy(dv.value.begin(), dv.value.end(), p);
      std::copy(scratch_.begin(), scratch_.end(), p);
      staged.push_back(std::move(r));
    }
    // Tombstones (exists = false) count: they are stored values until they expire.
    if (LiveCount(kind_records, now_ms) + new_slots > def.max_count && !too_large) {
      too_large = Fail(ErrorCode::kDataTooLarge,
                       absl::StrCat("more than ", def.max_count, " values of kind ", def.id));
    }
  }
  if (too_old) return *std::move(too_old);
  if (too_large) return *std::move(too_large);

  // Commit. Nothing below can fail.
  if (existing == nullptr && !staged.empty()) {
    Resource fresh;
    fresh.id_size = static_cast<uint8_t>(request.resource.size());
    std::ranges::copy(request.resource.bytes(), fresh.id.begin());
    fresh.records = std::make_unique<Records>();
    existing = &*resources_.insert(std::move(fresh)).first;
  }
  if (existing != nullptr) {
    Records& recs = *existing->records;
    // Expired records are invisible already; dropping them here keeps the resource small.
    recs.erase(std::remove_if(recs.begin(), recs.end(),
                              [now_ms](const Record& r) { return !r.Live(now_ms); }),
               recs.end());
    for (Record& r : staged) {
      const Slot slot = SlotOf(r);
      const auto it = std::partition_point(
          recs.begin(), recs.end(), [&slot](const Record& x) { return SlotLess(SlotOf(x), slot); });
      if (it != recs.end() && SameSlot(SlotOf(*it), slot)) {
        *it = std::move(r);
      } else {
        recs.insert(it, std::move(r));
      }
    }
  }
  wire::StoreAns answer;
  for (size_t k = 0; k < kds.size(); ++k) {
    uint64_t generation = current[k];
    if (!kds[k].values.empty()) {
      generation = request.replica_number > 0                           ? kds[k].generation_counter
                   : current[k] == std::numeric_limits<uint64_t>::max() ? current[k]
                                                                        : current[k] + 1;
      Records& recs = *existing->records;
      for (Record& r : recs) {
        if (r.kind == kds[k].kind) r.generation = generation;
      }
    }
    answer.kind_responses.push_back({kds[k].kind, generation, {}});
  }
  if (existing != nullptr && existing->records->empty()) resources_.erase(request.resource.bytes());
  return answer;
}

// --- Fetch, Stat, Find -----------------------------------------------------------------------

StorageResult<wire::FetchAns> StorageShard::Fetch(const wire::FetchReq& request,
                                                  uint64_t now_ms) const {
  if (auto error = ValidateSpecifiers(*kinds_, request.specifiers)) return *std::move(error);
  const Resource* resource = FindResource(request.resource);
  const Records* records = resource != nullptr ? resource->records.get() : nullptr;
  wire::FetchAns answer;
  answer.kind_responses.reserve(request.specifiers.size());
  for (const wire::StoredDataSpecifier& spec : request.specifiers) {
    const std::span<const Record> kind_records = KindRecords(records, spec.kind);
    wire::FetchKindResponse& out = answer.kind_responses.emplace_back();
    out.kind = spec.kind;
    out.generation = CurrentGeneration(kind_records, now_ms);
    if (spec.generation != 0 && spec.generation == out.generation) continue;
    Select(kind_records, spec, now_ms,
           [&](const Record* r, uint32_t index, std::span<const uint8_t> key) {
             out.values.push_back(r != nullptr ? ToStoredData(*r, spec.model, now_ms)
                                               : Synthesized(spec.model, index, key));
           });
  }
  return answer;
}

StorageResult<wire::StatAns> StorageShard::Stat(const wire::StatReq& request,
                                                uint64_t now_ms) const {
  if (auto error = ValidateSpecifiers(*kinds_, request.specifiers)) return *std::move(error);
  const Resource* resource = FindResource(request.resource);
  const Records* records = resource != nullptr ? resource->records.get() : nullptr;
  wire::StatAns answer;
  answer.kind_responses.reserve(request.specifiers.size());
  for (const wire::StoredDataSpecifier& spec : request.specifiers) {
    const std::span<const Record> kind_records = KindRecords(records, spec.kind);
    wire::StatKindResponse& out = answer.kind_responses.emplace_back();
    out.kind = spec.kind;
    out.generation = CurrentGeneration(kind_records, now_ms);
    if (spec.generation != 0 && spec.generation == out.generation) continue;
    Select(kind_records, spec, now_ms,
           [&](const Record* r, uint32_t index, std::span<const uint8_t> key) {
             out.values.push_back(ToMeta(r, spec.model, index, key, now_ms));
           });
  }
  return answer;
}

StorageResult<wire::FindAns> StorageShard::Find(const wire::FindReq& request,
                                                uint64_t now_ms) const {
  for (size_t i = 0; i < request.kinds.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (request.kinds[i] == request.kinds[j]) {
        return Fail(ErrorCode::kInvalidMessage,
                    absl::StrCat("kind ", request.kinds[i], " more than once"));
      }
    }
  }
  const absl::uint128 target = RingPosition(request.resource.bytes());
  wire::FindAns answer;
  for (uint32_t kind : request.kinds) {
    const Resource* best = nullptr;
    absl::uint128 best_distance = 0;
    if (kinds_->Find(kind) != nullptr) {
      // A full scan: Find is rare (service discovery), and a minimum under a total order
      // (distance, then id bytes) does not depend on the hash set's iteration order.
      for (const Resource& r : resources_) {
        const std::span<const Record> kind_records = KindRecords(r.records.get(), kind);
        if (std::ranges::none_of(kind_records,
                                 [now_ms](const Record& x) { return x.Live(now_ms); })) {
          continue;
        }
        const absl::uint128 distance = RingPosition(r.id_bytes()) - target;  // mod 2^128
        if (best == nullptr || distance < best_distance ||
            (distance == best_distance &&
             std::ranges::lexicographical_compare(r.id_bytes(), best->id_bytes()))) {
          best = &r;
          best_distance = distance;
        }
      }
    }
    answer.results.push_back({kind, best != nullptr ? ResourceId(best->id_bytes()) : ResourceId()});
  }
  return answer;
}

// --- housekeeping ----------------------------------------------------------------------------

void StorageShard::Expire(uint64_t now_ms) {
  for (auto it = resources_.begin(); it != resources_.end();) {
    Records& recs = *it->records;
    recs.erase(std::remove_if(recs.begin(), recs.end(),
                              [now_ms](const Record& r) { return !r.Live(now_ms); }),
               recs.end());
    if (recs.empty()) {
      resources_.erase(it++);
    } else {
      if (recs.capacity() > 2 * recs.size()) recs.shrink_to_fit();
      ++it;
    }
  }
}

size_t StorageShard::resource_count() const { return resources_.size(); }

size_t StorageShard::value_count() const {
  size_t n = 0;
  for (const Resource& r : resources_) n += r.records->size();
  return n;
}

size_t StorageShard::MemoryBytes() const {
  // The hash set's slots and one control byte per slot, then what each resource points at.
  // Allocator headers are not counted.
  size_t bytes = sizeof(*this) + resources_.capacity() * (sizeof(Resource) + 1);
  for (const Resource& r : resources_) {
    const Records& recs = *r.records;
    bytes += sizeof(Records);
    if (recs.capacity() > 1) bytes += recs.capacity() * sizeof(Record);
    for (const Record& rec : recs)
      bytes += rec.key_length + rec.value_length + rec.signature_length;
  }
  return bytes + scratch_.capacity();
}

}  // namespace p2psip::core::storage

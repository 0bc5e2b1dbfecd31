// Fetch, Stat and Find (RFC 6940 §7.4.2-§7.4.4): selecting values and synthesizing the
// missing ones.
#include <openssl/sha.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "core/storage/shard_records.h"
#include "p2psip/core/storage/storage_shard.h"

namespace p2psip::core::storage {
namespace {

using shard_internal::ArrayLength;
using shard_internal::CurrentGeneration;
using shard_internal::Fail;
using shard_internal::FindLive;
using shard_internal::KindRecords;
using shard_internal::kMaxArrayValuesPerRequest;
using shard_internal::Record;
using shard_internal::Records;
using shard_internal::RemainingLifetime;
using shard_internal::Slot;
using shard_internal::Synthesized;
using shard_internal::ToStoredData;
using shard_internal::UnknownKinds;
using wire::DataModel;
using wire::ErrorCode;

// --- answers -------------------------------------------------------------------------------

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

}  // namespace p2psip::core::storage

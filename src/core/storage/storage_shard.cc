#include "p2psip/core/storage/storage_shard.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string_view>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "core/storage/shard_records.h"
#include "p2psip/core/storage/access_control.h"
#include "p2psip/wire/body.h"

namespace p2psip::core::storage {
namespace {

using shard_internal::ArrayLength;
using shard_internal::CurrentGeneration;
using shard_internal::DataOf;
using shard_internal::Fail;
using shard_internal::FindLive;
using shard_internal::KindRecords;
using shard_internal::LiveCount;
using shard_internal::Record;
using shard_internal::Records;
using shard_internal::SameSlot;
using shard_internal::Slot;
using shard_internal::SlotLess;
using shard_internal::SlotOf;
using shard_internal::UnknownKinds;
using wire::ErrorCode;

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
  const bool replica = request.replica_number > 0;
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
      if (replaced == nullptr) replaced = FindLive(kind_records, slot, now_ms);
      // A replica store merges: what this peer already holds at least as new is kept.
      if (replica && replaced != nullptr && sd.storage_time <= replaced->storage_time) continue;
      if (replaced == nullptr) ++new_slots;
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
      generation = replica ? std::max(current[k], kds[k].generation_counter)
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

// --- replication -----------------------------------------------------------------------------

wire::StoreReq StorageShard::ExportReplica(const ResourceId& resource, uint8_t replica_number,
                                           uint64_t now_ms) const {
  wire::StoreReq req;
  req.resource = resource;
  req.replica_number = replica_number;
  const Resource* r = FindResource(resource);
  if (r == nullptr) return req;
  for (const Record& rec : *r->records) {
    if (!rec.Live(now_ms)) continue;
    const KindDefinition* def = kinds_->Find(rec.kind);
    if (def == nullptr) continue;  // the configuration dropped the kind: not ours to spread
    if (req.kind_data.empty() || req.kind_data.back().kind != rec.kind) {
      req.kind_data.push_back({rec.kind, rec.generation, true, {}, {}});
    }
    req.kind_data.back().values.push_back(shard_internal::ToStoredData(rec, def->model, now_ms));
  }
  return req;
}

std::vector<ResourceId> StorageShard::ResourceIds() const {
  std::vector<ResourceId> ids;
  ids.reserve(resources_.size());
  for (const Resource& r : resources_) ids.emplace_back(r.id_bytes());
  return ids;
}

void StorageShard::Erase(const ResourceId& resource) { resources_.erase(resource.bytes()); }

void StorageShard::ForEachSignature(absl::FunctionRef<void(std::span<const uint8_t>)> fn) const {
  for (const Resource& r : resources_) {
    if (r.records == nullptr) continue;
    for (const shard_internal::Record& record : *r.records) fn(record.signature());
  }
}

void StorageShard::Census(uint64_t now_ms,
                          absl::FunctionRef<void(uint32_t kind, size_t bytes)> fn) const {
  for (const Resource& r : resources_) {
    if (r.records == nullptr) continue;
    for (const shard_internal::Record& record : *r.records) {
      if (record.Live(now_ms)) fn(record.kind, record.value_length);
    }
  }
}

// --- housekeeping ----------------------------------------------------------------------------

void StorageShard::Expire(uint64_t now_ms) {
  EraseIf([now_ms](const Record& r) { return !r.Live(now_ms); });
}

void StorageShard::EraseKind(uint32_t kind) {
  EraseIf([kind](const Record& r) { return r.kind == kind; });
}

void StorageShard::EraseIf(absl::FunctionRef<bool(const Record&)> gone) {
  for (auto it = resources_.begin(); it != resources_.end();) {
    Records& recs = *it->records;
    recs.erase(std::remove_if(recs.begin(), recs.end(), [&](const Record& r) { return gone(r); }),
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

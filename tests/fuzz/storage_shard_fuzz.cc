// Fuzz target for the storage shard (RFC 6940 §7) behind the codec: any StoreReq that decodes
// with the kinds' data models is applied to a shard, then fetched, stat'ed and found. If the
// first input byte is odd the Resource-ID is replaced by H(the signer's user name), so that the
// USER-MATCH test kinds accept the values and the deeper paths (quotas, generation counters,
// merges, array appends) run. The invariant checked: what a shard exports as a replica store
// is accepted by an empty shard, and both then answer the same Fetch identically.
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>
#include <vector>

#include "p2psip/core/storage/kinds.h"
#include "p2psip/core/storage/storage_shard.h"
#include "p2psip/wire/hashes.h"
#include "p2psip/wire/storage_messages.h"

namespace {

using namespace p2psip;  // NOLINT(build/namespaces): a fuzz target, not a library

const core::storage::KindRegistry& Kinds() {
  static const core::storage::KindRegistry kinds = [] {
    auto r = core::storage::KindRegistry::WithBuiltins();
    const wire::DataModel models[] = {wire::DataModel::kSingle, wire::DataModel::kArray,
                                      wire::DataModel::kDictionary};
    for (uint32_t i = 0; i < 3; ++i) {
      core::storage::KindDefinition k;
      k.id = 0xF0000001 + i;
      k.model = models[i];
      k.policy = core::storage::AccessPolicy::kUserMatch;
      k.max_count = 8;
      k.max_size = 256;
      (void)r.Add(k);
    }
    return r;
  }();
  return kinds;
}

// One Fetch asking for every value of every kind the request names.
wire::FetchReq FetchAll(const wire::StoreReq& req) {
  wire::FetchReq f;
  f.resource = req.resource;
  for (const wire::StoreKindData& kd : req.kind_data) {
    const core::storage::KindDefinition* def = Kinds().Find(kd.kind);
    if (def == nullptr) continue;
    wire::StoredDataSpecifier spec;
    spec.kind = kd.kind;
    spec.model = def->model;
    if (def->model == wire::DataModel::kArray) spec.indices.push_back({0, 63});
    f.specifiers.push_back(std::move(spec));
  }
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const core::storage::KindRegistry& kinds = Kinds();
  wire::StoreReq req;
  wire::DecodeError error;
  wire::ByteReader r(std::span<const uint8_t>(data + 1, size - 1), &error, kinds.Context());
  if (!wire::Decode(r, &req) || !r.empty()) return 0;

  core::SignerInfo signer;
  signer.node_id = NodeId(std::vector<uint8_t>(16, 0x5A));
  signer.node_ids = {signer.node_id};
  signer.user_name = "fuzz@example.com";
  if (data[0] & 1) req.resource = wire::ChordResourceId(signer.user_name);
  std::vector<std::vector<core::SignerInfo>> signers;
  for (const wire::StoreKindData& kd : req.kind_data)
    signers.emplace_back(kd.values.size(), signer);

  constexpr uint64_t kNow = 1'700'000'000'000;
  core::storage::StorageShard shard(&kinds);
  (void)shard.Store(req, signer, signers, kNow);
  (void)shard.Store(req, signer, signers, kNow + 1);  // the same again: too old, or a merge
  const wire::FetchReq fetch = FetchAll(req);
  const auto fetched = shard.Fetch(fetch, kNow + 2);
  (void)shard.Stat(wire::StatReq{fetch.resource, fetch.specifiers}, kNow + 2);
  wire::FindReq find;
  find.resource = req.resource;
  for (const wire::StoreKindData& kd : req.kind_data) find.kinds.push_back(kd.kind);
  (void)shard.Find(find, kNow + 2);

  // Replication: an empty shard accepts the export and answers the same.
  const wire::StoreReq replica = shard.ExportReplica(req.resource, 1, kNow + 2);
  if (!replica.kind_data.empty()) {
    std::vector<std::vector<core::SignerInfo>> replica_signers;
    for (const wire::StoreKindData& kd : replica.kind_data) {
      replica_signers.emplace_back(kd.values.size(), signer);
    }
    core::storage::StorageShard copy(&kinds);
    if (!std::holds_alternative<wire::StoreAns>(
            copy.Store(replica, signer, replica_signers, kNow + 2))) {
      __builtin_trap();
    }
    const auto again = copy.Fetch(fetch, kNow + 2);
    const auto* a = std::get_if<wire::FetchAns>(&fetched);
    const auto* b = std::get_if<wire::FetchAns>(&again);
    if ((a == nullptr) != (b == nullptr) || (a != nullptr && !(*a == *b))) __builtin_trap();
  }
  // Past every lifetime nothing is left.
  shard.Expire(UINT64_MAX);
  if (shard.value_count() != 0 || shard.resource_count() != 0) __builtin_trap();
  return 0;
}

#include "core/storage_service.h"

#include "p2psip/wire/codec.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "p2psip/wire/codec.h"
#include "p2psip/wire/stored_data.h"

namespace p2psip::core {

using storage::StorageError;
using storage::StorageResult;
using wire::ErrorCode;

namespace {

constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();
// How often expired values are swept out of the shards (answers never show them meanwhile).
constexpr uint64_t kExpiryIntervalMs = 60000;

StorageError Error(ErrorCode code, std::string reason) { return {code, std::move(reason), {}}; }

// A shard's Resource-IDs in byte order: what maintenance sends must not depend on hash order
// (the simulator replays runs bit for bit).
std::vector<ResourceId> SortedIds(const storage::StorageShard& shard) {
  std::vector<ResourceId> ids = shard.ResourceIds();
  std::ranges::sort(ids, [](const ResourceId& a, const ResourceId& b) {
    return std::ranges::lexicographical_compare(a.bytes(), b.bytes());
  });
  return ids;
}

bool Contains(std::span<const RingId> list, RingId id) {
  return std::ranges::find(list, id) != list.end();
}

}  // namespace

StorageService::StorageService(const NodeConfig& config, const storage::KindRegistry* kinds,
                               StorageHost* host, NodeCounters* counters)
    : config_(config),
      host_(host),
      counters_(counters),
      self_(RingId::Of(config.id)),
      sync_due_ms_(kNever) {
  const size_t n = std::max<size_t>(1, config.storage_shards);
  for (size_t i = 0; i < n; ++i) shards_.push_back(std::make_unique<storage::StorageShard>(kinds));
}

size_t StorageService::ShardOf(const ResourceId& id) const {
  if (shards_.size() == 1) return 0;
  // Resource-IDs are already uniform hashes: their first bytes pick the shard, the same in
  // every process (a runtime can steer a request to its core from the bytes alone).
  uint64_t v = 0;
  const std::span<const uint8_t> b = id.bytes();
  for (size_t i = 0; i < b.size() && i < 8; ++i) v = (v << 8) | b[i];
  return v % shards_.size();
}

// --- Requests --------------------------------------------------------------------------------

StorageResult<wire::Body> StorageService::Handle(
    uint16_t code, const wire::Body& body, const SignerInfo& request_signer,
    std::span<const wire::GenericCertificate> certificates, uint64_t now_ms, Outbox* out,
    std::vector<wire::GenericCertificate>* carried) {
  StorageResult<wire::Body> result = Error(ErrorCode::kInvalidMessage, "not a storage request");
  const auto wrap = [&result](auto r) {
    if (auto* ok = std::get_if<0>(&r)) {
      result = wire::Body(std::move(*ok));
    } else {
      result = std::get<StorageError>(std::move(r));
    }
  };
  switch (static_cast<wire::MessageCode>(code)) {
    case wire::MessageCode::kStoreReq:
      result = Store(std::get<wire::StoreReq>(body), request_signer, certificates, now_ms, out);
      break;
    case wire::MessageCode::kFetchReq: {
      const auto& req = std::get<wire::FetchReq>(body);
      auto fetched = shards_[ShardOf(req.resource)]->Fetch(req, now_ms);
      if (auto* ans = std::get_if<wire::FetchAns>(&fetched); ans != nullptr && carried != nullptr) {
        for (const wire::FetchKindResponse& kr : ans->kind_responses) {
          for (const wire::StoredData& sd : kr.values)
            certificates_.AppendFor(sd.signature, carried);
        }
      }
      wrap(std::move(fetched));
      break;
    }
    case wire::MessageCode::kStatReq: {
      const auto& req = std::get<wire::StatReq>(body);
      wrap(shards_[ShardOf(req.resource)]->Stat(req, now_ms));
      break;
    }
    case wire::MessageCode::kFindReq:
      result = Find(std::get<wire::FindReq>(body), now_ms);
      break;
    default:
      break;
  }
  if (std::holds_alternative<StorageError>(result)) ++counters_->storage_errors;
  return result;
}

StorageResult<wire::Body> StorageService::Store(
    const wire::StoreReq& request, const SignerInfo& request_signer,
    std::span<const wire::GenericCertificate> certificates, uint64_t now_ms, Outbox* out) {
  const Topology& topology = host_->topology();
  if (request.replica_number == 0) {
    if (!topology.IsResponsible(RingId::Of(request.resource))) {
      return Error(ErrorCode::kForbidden, "this peer is not responsible for the Resource-ID");
    }
  } else {
    // §10.4: a replica store must come from a plausible peer: a neighbour, or a peer closer
    // than our furthest known predecessor (one we have not learned of yet). While we know
    // fewer than three predecessors (joining, small ring) any peer is plausible.
    const RingId from = RingId::Of(request_signer.node_id);
    const std::span<const RingId> preds = topology.predecessors();
    const bool plausible = preds.size() < 3 || Contains(preds, from) ||
                           Contains(topology.successors(), from) ||
                           InOpen(from, preds.back(), self_);
    if (!plausible) {
      return Error(ErrorCode::kForbidden, "replica store from a peer that is not a neighbour");
    }
  }

  // §7.4.1.1: every value's signature must verify; what its certificate says goes to the
  // access policy. Kinds of unknown model have no parsed values (the shard reports them).
  std::vector<std::vector<SignerInfo>> value_signers(request.kind_data.size());
  Signer& signer = host_->signer();
  for (size_t k = 0; k < request.kind_data.size(); ++k) {
    const wire::StoreKindData& kd = request.kind_data[k];
    for (const wire::StoredData& sd : kd.values) {
      std::optional<SignerInfo> info =
          VerifyValue(signer, request.resource, kd.kind, sd, certificates, &scratch_);
      if (!info) {
        ++counters_->bad_value_signatures;
        return Error(ErrorCode::kForbidden,
                     absl::StrCat("signature of a value of kind ", kd.kind, " does not verify"));
      }
      value_signers[k].push_back(*std::move(info));
    }
  }

  // RFC 7904 §3.3: a SIP-REGISTRATION's AOR is its signer's user name (USER-NODE-MATCH makes
  // the Resource-ID its hash), so the overlay's domain restriction applies to that name.
  if (const storage::DomainRestriction* domains = config_.sip_domain_restriction.get()) {
    for (size_t k = 0; k < request.kind_data.size(); ++k) {
      if (request.kind_data[k].kind != wire::kKindSipRegistration) continue;
      for (const SignerInfo& s : value_signers[k]) {
        if (absl::Status allowed = domains->Check(s.user_name); !allowed.ok()) {
          return Error(ErrorCode::kForbidden, std::string(allowed.message()));
        }
      }
    }
  }

  storage::StorageShard& shard = *shards_[ShardOf(request.resource)];
  auto stored = shard.Store(request, request_signer, value_signers, now_ms);
  if (auto* error = std::get_if<StorageError>(&stored)) return std::move(*error);
  ++counters_->stores_applied;
  for (size_t k = 0; k < request.kind_data.size(); ++k) {
    const std::vector<wire::StoredData>& values = request.kind_data[k].values;
    for (size_t v = 0; v < values.size(); ++v) {
      certificates_.Retain(values[v].signature.identity, value_signers[k][v].certificate);
    }
  }
  MaybeSweepCertificates();
  wire::StoreAns answer = std::get<wire::StoreAns>(std::move(stored));
  if (request.replica_number == 0) {
    // The responsible peer copies to its successor and the successor's successor.
    std::vector<NodeId> replicas;
    const std::span<const RingId> succs = topology.successors();
    for (size_t i = 0; i < succs.size() && i < 2; ++i) {
      if (succs[i] == self_) continue;
      replicas.push_back(succs[i].ToNodeId());
      Replicate(request.resource, replicas.back(), static_cast<uint8_t>(i + 1), now_ms, out);
    }
    for (wire::StoreKindResponse& r : answer.kind_responses) r.replicas = replicas;
  }
  return wire::Body(std::move(answer));
}

std::optional<SignerInfo> StorageService::VerifyValue(
    Signer& signer, const ResourceId& resource, uint32_t kind, const wire::StoredData& sd,
    std::span<const wire::GenericCertificate> certificates, std::vector<uint8_t>* scratch) {
  wire::StoredDataSignatureInput(resource.bytes(), kind, sd.storage_time, sd.value, scratch);
  std::optional<SignerInfo> info = signer.Verify(*scratch, sd.signature, certificates);
  const auto* entry = std::get_if<wire::ArrayEntry>(&sd.value);
  if (!info && entry != nullptr && entry->index != wire::kArrayAppend) {
    wire::StoredDataSignatureInput(resource.bytes(), kind, sd.storage_time,
                                   wire::ArrayEntry{wire::kArrayAppend, entry->value}, scratch);
    info = signer.Verify(*scratch, sd.signature, certificates);
  }
  return info;
}

StorageResult<wire::Body> StorageService::Find(const wire::FindReq& request,
                                               uint64_t now_ms) const {
  if (!host_->topology().IsResponsible(RingId::Of(request.resource))) {
    return Error(ErrorCode::kNotFound, "this peer is not responsible for the Resource-ID");
  }
  // Each shard answers for its own ids; the closest over all shards wins, per kind.
  wire::FindAns merged;
  const RingId from = RingId::Of(request.resource);
  for (size_t s = 0; s < shards_.size(); ++s) {
    auto part = shards_[s]->Find(request, now_ms);
    if (auto* error = std::get_if<StorageError>(&part)) return std::move(*error);
    const wire::FindAns& ans = std::get<wire::FindAns>(part);
    if (s == 0) {
      merged = ans;
      continue;
    }
    for (size_t k = 0; k < ans.results.size(); ++k) {
      const ResourceId& candidate = ans.results[k].closest;
      ResourceId& best = merged.results[k].closest;
      if (candidate.empty()) continue;
      if (best.empty() ||
          Distance(from, RingId::Of(candidate)) < Distance(from, RingId::Of(best))) {
        best = candidate;
      }
    }
  }
  return wire::Body(std::move(merged));
}

StorageResult<wire::FetchAns> StorageService::FetchLocal(const wire::FetchReq& request,
                                                         uint64_t now_ms) const {
  return shards_[ShardOf(request.resource)]->Fetch(request, now_ms);
}

void StorageService::ReplaceKinds(const storage::KindRegistry* kinds,
                                  std::span<const uint32_t> dropped) {
  for (auto& shard : shards_) {
    shard->SetKinds(kinds);
    for (uint32_t kind : dropped) shard->EraseKind(kind);
  }
  SweepCertificates();
}

void StorageService::OnReplicaAnswer(const absl::Status& status, uint64_t now_ms) {
  if (status.ok()) return;
  ++counters_->replica_stores_failed;
  // The copy may be missing: after the hold-down, offer everything to every holder again.
  resync_all_ = true;
  sync_due_ms_ = std::min(sync_due_ms_, now_ms + config_.replica_holddown_ms);
}

// --- Replication -----------------------------------------------------------------------------

void StorageService::Replicate(const ResourceId& id, const NodeId& peer, uint8_t replica_number,
                               uint64_t now_ms, Outbox* out) {
  wire::StoreReq req = shards_[ShardOf(id)]->ExportReplica(id, replica_number, now_ms);
  if (req.kind_data.empty()) return;
  std::vector<wire::GenericCertificate> carried;
  for (const wire::StoreKindData& kd : req.kind_data) {
    for (const wire::StoredData& sd : kd.values) certificates_.AppendFor(sd.signature, &carried);
  }
  ++counters_->replica_stores_sent;
  host_->SendReplica(peer, req, carried, now_ms, out);
}

StorageService::View StorageService::CurrentView() const {
  const Topology& t = host_->topology();
  View v;
  v.known = true;
  for (RingId p : t.predecessors()) {
    if (v.preds.size() < 3) v.preds.push_back(p);
  }
  for (RingId s : t.successors()) {
    if (v.succs.size() < 3) v.succs.push_back(s);
  }
  return v;
}

absl::InlinedVector<RingId, 3> StorageService::Holders(RingId id, const View& view,
                                                       bool* unsure) const {
  absl::InlinedVector<RingId, 3> h;
  const auto& p = view.preds;
  const auto& s = view.succs;
  const auto add = [&h](RingId r) {
    if (!Contains(h, r)) h.push_back(r);
  };
  *unsure = false;
  if (p.empty() || InHalfOpen(id, p[0], self_)) {
    *unsure = p.empty();  // alone, or still joining: everything is ours for now
    add(self_);
    for (size_t i = 0; i < s.size() && i < 2; ++i) add(s[i]);
  } else if (p.size() >= 2 && InHalfOpen(id, p[1], p[0])) {
    add(p[0]);
    add(self_);
    if (!s.empty()) add(s[0]);
  } else if (p.size() >= 3 && InHalfOpen(id, p[2], p[1])) {
    add(p[1]);
    add(p[0]);
    add(self_);
  } else {
    // Three or more peers lie between the id and us, unless we know fewer than three
    // predecessors (a small ring, or one still forming): then we cannot tell.
    *unsure = p.size() < 3;
  }
  return h;
}

void StorageService::CheckNeighbours(uint64_t now_ms) {
  const uint64_t version = host_->topology().neighbors_version();
  if (version == seen_version_ && seen_.known) return;  // the common case: one compare
  seen_version_ = version;
  View v = CurrentView();
  if (v == seen_) return;
  // The successor replacement hold-down applies to what its name says: a new immediate
  // successor gets its copies once it has lasted the hold-down. A change among the
  // predecessors (a join before us takes its range; a failure makes us responsible, or first
  // replica, for more) or further down the successors acts at once.
  const bool successor_replaced =
      seen_.known && !seen_.succs.empty() && (v.succs.empty() || v.succs[0] != seen_.succs[0]);
  const bool predecessors_changed = v.preds != seen_.preds;
  const uint64_t due =
      successor_replaced && !predecessors_changed ? now_ms + config_.replica_holddown_ms : now_ms;
  sync_due_ms_ = std::min(sync_due_ms_, due);
  // The view moved: a pending drop waits for it to hold still again.
  if (drop_due_ms_ != kNever) drop_due_ms_ = now_ms + config_.drop_delay_ms;
  seen_ = std::move(v);
}

uint64_t StorageService::NextDeadline() const {
  return std::min({sync_due_ms_, drop_due_ms_, resource_count() > 0 ? next_expiry_ms_ : kNever});
}

void StorageService::OnTimer(uint64_t now_ms, Outbox* out) {
  if (now_ms >= sync_due_ms_) Sync(now_ms, out);
  if (now_ms >= drop_due_ms_) DropPass();
  if (now_ms >= next_expiry_ms_) {
    for (auto& shard : shards_) shard->Expire(now_ms);
    next_expiry_ms_ = now_ms + kExpiryIntervalMs;
    SweepCertificates();  // the expiry pass walked every record already: the same order of work
  }
}

void StorageService::MaybeSweepCertificates() {
  if (certificates_.size() > 2 * certificates_live_ + 16) SweepCertificates();
}

void StorageService::SweepCertificates() {
  absl::flat_hash_set<storage::CertificatePool::Key> live;
  wire::Signature signature;
  for (const auto& shard : shards_) {
    shard->ForEachSignature([&](std::span<const uint8_t> encoded) {
      wire::DecodeError error;
      if (wire::DecodeExact(encoded, &signature, &error)) {
        live.insert(storage::CertificatePool::KeyOf(signature.identity));
      }
    });
  }
  certificates_.Sweep(live);
  certificates_live_ = certificates_.size();
}

void StorageService::Sync(uint64_t now_ms, Outbox* out) {
  sync_due_ms_ = kNever;
  const View old = resync_all_ ? View{} : synced_;
  resync_all_ = false;
  synced_ = seen_;
  for (auto& shard : shards_) {
    for (const ResourceId& id : SortedIds(*shard)) {
      const RingId r = RingId::Of(id);
      bool unsure_now = false, unsure_before = false;
      const auto now_holders = Holders(r, synced_, &unsure_now);
      if (now_holders.empty()) {
        // Not ours any more, by this view; dropped only once the view has held still for the
        // drop delay (DropPass): a view can be wrong for a while (a dead neighbour not yet
        // noticed), and a copy dropped by mistake is never sent again by holders who think
        // we had it all along.
        if (!unsure_now) drop_due_ms_ = now_ms + config_.drop_delay_ms;
        continue;
      }
      const auto before =
          old.known ? Holders(r, old, &unsure_before) : absl::InlinedVector<RingId, 3>{};
      const bool trust_before = old.known && !unsure_before && !before.empty();
      for (size_t i = 0; i < now_holders.size(); ++i) {
        const RingId h = now_holders[i];
        if (h == self_ || (trust_before && Contains(before, h))) continue;
        Replicate(id, h.ToNodeId(), static_cast<uint8_t>(std::max<size_t>(i, 1)), now_ms, out);
      }
    }
  }
}

void StorageService::DropPass() {
  drop_due_ms_ = kNever;
  for (auto& shard : shards_) {
    for (const ResourceId& id : SortedIds(*shard)) {
      bool unsure = false;
      if (Holders(RingId::Of(id), synced_, &unsure).empty() && !unsure) {
        shard->Erase(id);
        ++counters_->resources_dropped;
      }
    }
  }
}

void StorageService::HandOff(uint64_t now_ms, Outbox* out) {
  const View v = CurrentView();
  for (auto& shard : shards_) {
    for (const ResourceId& id : SortedIds(*shard)) {
      bool unsure = false;
      const auto h = Holders(RingId::Of(id), v, &unsure);
      const auto at = std::ranges::find(h, self_);
      if (at == h.end()) continue;
      // Without us the holders shift by one: the peer after the last of them joins them, and
      // if we were responsible our successor becomes so (it holds a copy; send it anyway).
      const size_t position = static_cast<size_t>(at - h.begin());
      std::vector<RingId> to;
      if (position == 0 && !v.succs.empty()) to.push_back(v.succs[0]);
      const size_t newcomer = 2 - position;  // index into succs of the new third holder
      if (newcomer < v.succs.size()) to.push_back(v.succs[newcomer]);
      for (RingId peer : to) {
        if (peer != self_) Replicate(id, peer.ToNodeId(), 1, now_ms, out);
      }
    }
  }
}

void StorageService::Census(uint64_t now_ms, std::vector<wire::KindInstances>* instances,
                            uint64_t* bytes) const {
  absl::flat_hash_map<uint32_t, uint64_t> per_kind;
  *bytes = 0;
  for (const auto& shard : shards_) {
    shard->Census(now_ms, [&](uint32_t kind, size_t size) {
      ++per_kind[kind];
      *bytes += size;
    });
  }
  instances->clear();
  for (const auto& [kind, n] : per_kind) instances->push_back({kind, n});
  std::ranges::sort(*instances, {}, &wire::KindInstances::kind);
}

size_t StorageService::resource_count() const {
  size_t n = 0;
  for (const auto& s : shards_) n += s->resource_count();
  return n;
}

size_t StorageService::value_count() const {
  size_t n = 0;
  for (const auto& s : shards_) n += s->value_count();
  return n;
}

size_t StorageService::MemoryBytes() const {
  size_t n = sizeof(*this) + scratch_.capacity();
  for (const auto& s : shards_) n += s->MemoryBytes();
  return n + certificates_.MemoryBytes();
}

}  // namespace p2psip::core

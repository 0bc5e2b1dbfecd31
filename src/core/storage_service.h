// StorageService: RELOAD storage at one peer (RFC 6940 §7) and the replication (§10.4) that keeps
// every accepted value on three peers through joins, leaves and failures (digest §6).
//
// It owns the node's storage shards and routes each request to the shard that owns its
// Resource-ID (its first bytes pick the shard, so shards hold disjoint sets). For a Store it
// verifies the signature of every value through the Signer (§7.1), checks that this peer is
// responsible (originals) or that the sender is a neighbour (replica stores), applies it to the
// shard, and copies the result to its two successors with replica_number 1 and 2. A replica
// store that fails (error answer or timeout) makes the next sync offer everything to every
// holder again.
//
// Replication maintenance compares the neighbour set (three predecessors and successors) with
// the one it last acted on. For each Resource-ID held it works out the three holders (the
// responsible peer and its two successors) under both views and sends a replica store to every
// peer that has become a holder; a Resource-ID for which this peer is no longer one of the three
// is dropped (§10.4: "SHOULD delete") once the view has held still for the drop delay (a view
// can be wrong while a dead neighbour goes unnoticed). A new immediate successor gets its copies
// only after the successor replacement hold-down (30 s), so that a successor that flaps moves
// nothing; any other change acts at once: a joining predecessor gets its range before it is asked
// for it, and when a peer fails, whichever surviving holder sees it among its predecessors or
// second successors re-creates the lost copy without waiting (each failure is seen that way by
// at least one holder). A peer that leaves first hands each Resource-ID to the peer that
// becomes its new holder. Every maintenance store is a replica store (digest §15.3): it
// merges, the newest copy wins.
#ifndef P2PSIP_CORE_STORAGE_SERVICE_H_
#define P2PSIP_CORE_STORAGE_SERVICE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "core/storage/certificate_pool.h"
#include "p2psip/core/environment.h"
#include "p2psip/core/node.h"
#include "p2psip/core/ring.h"
#include "p2psip/core/storage/kinds.h"
#include "p2psip/core/storage/storage_shard.h"
#include "p2psip/core/topology.h"
#include "p2psip/wire/body.h"
#include "p2psip/wire/diagnostics.h"

namespace p2psip::core {

// StorageHost (what the service needs from its node) is declared in node.h.

class StorageService {
 public:
  // `kinds`, `host` and `counters` must outlive the service.
  StorageService(const NodeConfig& config, const storage::KindRegistry* kinds, StorageHost* host,
                 NodeCounters* counters);

  // Answers a Store, Fetch, Stat or Find addressed to this node: the answer body, or the error.
  // `request_signer` is what the request signer's certificate says; `certificates` are those
  // the request carried, for verifying the values' signatures. A FetchAns must carry the
  // certificates of its values' signers: they are appended to `*carried` (if not null).
  storage::StorageResult<wire::Body> Handle(
      uint16_t code, const wire::Body& body, const SignerInfo& request_signer,
      std::span<const wire::GenericCertificate> certificates, uint64_t now_ms, Outbox* out,
      std::vector<wire::GenericCertificate>* carried = nullptr);

  // Verifies the signature of `sd`, a value of `kind` at `resource` (RFC 6940 §7.1: the signer
  // signed resource ‖ kind ‖ storage_time ‖ value; a copy of an appended array entry carries its
  // real index but was signed as an append). `scratch` holds the signature input.
  static std::optional<SignerInfo> VerifyValue(
      Signer& signer, const ResourceId& resource, uint32_t kind, const wire::StoredData& sd,
      std::span<const wire::GenericCertificate> certificates, std::vector<uint8_t>* scratch);

  // The outcome of a replica Store this service sent. After a failure every Resource-ID is
  // offered again to all its holders once the hold-down has passed.
  void OnReplicaAnswer(const absl::Status& status, uint64_t now_ms);

  // A new configuration's kinds (must outlive the service); the data of `dropped` is deleted.
  void ReplaceKinds(const storage::KindRegistry* kinds, std::span<const uint32_t> dropped);

  // Looks at the topology's neighbour set after every event and schedules maintenance when it
  // changed.
  void CheckNeighbours(uint64_t now_ms);
  uint64_t NextDeadline() const;
  void OnTimer(uint64_t now_ms, Outbox* out);
  // Before a graceful Leave: hands every Resource-ID to the peer that becomes its new holder.
  void HandOff(uint64_t now_ms, Outbox* out);

  // A Fetch answered from this node's own shards, without the network (tests, the simulator).
  storage::StorageResult<wire::FetchAns> FetchLocal(const wire::FetchReq& request,
                                                    uint64_t now_ms) const;
  // Values held per kind (ascending kind) and the bytes of their data (RFC 7851
  // INSTANCES_STORED, DATASIZE_STORED).
  void Census(uint64_t now_ms, std::vector<wire::KindInstances>* instances, uint64_t* bytes) const;
  size_t resource_count() const;
  size_t value_count() const;
  // Signers' certificates retained for the values held (once per signer).
  size_t certificate_count() const { return certificates_.size(); }
  size_t MemoryBytes() const;

 private:
  // The neighbour set maintenance acts on: closest first.
  struct View {
    absl::InlinedVector<RingId, 3> preds;
    absl::InlinedVector<RingId, 3> succs;
    bool known = false;  // false before the first look
    friend bool operator==(const View&, const View&) = default;
  };
  // The three peers that hold `id` under `view` (the responsible one first); empty when this
  // peer is not one of them. `*unsure` is set when the view is too small to say.
  absl::InlinedVector<RingId, 3> Holders(RingId id, const View& view, bool* unsure) const;
  View CurrentView() const;
  void Sync(uint64_t now_ms, Outbox* out);
  // Drops the Resource-IDs this peer no longer holds under the current view.
  void DropPass();
  size_t ShardOf(const ResourceId& id) const;

  storage::StorageResult<wire::Body> Store(const wire::StoreReq& request,
                                           const SignerInfo& request_signer,
                                           std::span<const wire::GenericCertificate> certificates,
                                           uint64_t now_ms, Outbox* out);
  storage::StorageResult<wire::Body> Find(const wire::FindReq& request, uint64_t now_ms) const;
  void Replicate(const ResourceId& id, const NodeId& peer, uint8_t replica_number, uint64_t now_ms,
                 Outbox* out);
  // Drops retained certificates no held value needs, once the pool has outgrown the last count.
  void MaybeSweepCertificates();
  void SweepCertificates();

  const NodeConfig& config_;
  StorageHost* host_;
  NodeCounters* counters_;
  RingId self_;
  std::vector<std::unique_ptr<storage::StorageShard>> shards_;
  storage::CertificatePool certificates_;
  size_t certificates_live_ = 0;  // the pool's size after the last sweep
  View synced_;                   // the view the holders were last brought in line with
  View seen_;                     // the view at the last CheckNeighbours
  uint64_t seen_version_ = 0;     // the topology's neighbors_version() then
  uint64_t sync_due_ms_;
  uint64_t drop_due_ms_ = UINT64_MAX;  // when DropPass runs (the view held still that long)
  bool resync_all_ = false;            // a replica store failed: the next sync offers everything
  uint64_t next_expiry_ms_ = 0;
  std::vector<uint8_t> scratch_;  // signature input
};

}  // namespace p2psip::core

#endif  // P2PSIP_CORE_STORAGE_SERVICE_H_

// RoutingSnapshot and SnapshotTopology: the routing state of a node, frozen, so that threads
// other than the one running the overlay algorithm can route with it (DESIGN.md §1: "the routing
// table ... is published as immutable snapshots").
//
// In p2psipd the control thread owns the CHORD-RELOAD state machine (ChordTopology). After every
// change it publishes a RoutingSnapshot; each worker's Node routes and replicates through a
// SnapshotTopology that reads the latest snapshot it has loaded. The snapshot holds a copy of
// the Chord table, so a worker makes exactly the decisions the control thread's own Node would
// (the same ChordTable::IsResponsible and NextHop code runs on the copy).
//
// Ownership: a snapshot is immutable once published; whoever publishes it (runtime/rcu.h) frees
// it when no reader can hold it. A SnapshotTopology holds a pointer that its owner (one worker
// thread) replaces between bursts; it never outlives the snapshot it points to.
#ifndef P2PSIP_CORE_ROUTING_SNAPSHOT_H_
#define P2PSIP_CORE_ROUTING_SNAPSHOT_H_

#include <cstdint>
#include <optional>
#include <span>

#include "p2psip/core/chord_table.h"
#include "p2psip/core/topology.h"

namespace p2psip::core {

struct RoutingSnapshot {
  // Which snapshot this is: grows with every publication, so a reader can tell a new one.
  uint64_t version = 0;
  ChordTable table;
  // The topology's state, as ChordTopology uses it for routing.
  bool joined = false;    // in the ring (a peer) or attached (a client): Topology::joined()
  bool in_ring = false;   // a peer in the ring: responsible for its range
  bool client = false;    // a client (attached or attaching): no neighbours of its own
  bool attached = false;  // an attached client: everything goes through `client_peer`
  RingId client_peer;     // the peer a client is attached through
  uint64_t neighbors_version = 0;  // Topology::neighbors_version() at publication

  explicit RoutingSnapshot(RingId self) : table(self) {}

  // As ChordTopology answers them.
  bool IsResponsible(RingId id) const { return in_ring && table.IsResponsible(id); }
  std::optional<RingId> NextHop(RingId id) const {
    if (attached) return client_peer;
    return table.NextHop(id);
  }
};

// A Topology whose routing reads a RoutingSnapshot and whose control methods do nothing: the
// overlay algorithm runs elsewhere (the thread that publishes the snapshots). A Node built with
// it forwards, answers what its dispatcher gives it (storage) and replicates; it never joins,
// updates or attaches. Before the first snapshot it is not joined, responsible for nothing and
// knows no next hop.
class SnapshotTopology final : public Topology {
 public:
  SnapshotTopology() = default;

  // The snapshot to read from now on (not owned; null: none yet).
  void set_snapshot(const RoutingSnapshot* snapshot) { snapshot_ = snapshot; }
  const RoutingSnapshot* snapshot() const { return snapshot_; }

  bool IsResponsible(RingId id) const override {
    return snapshot_ != nullptr && snapshot_->IsResponsible(id);
  }
  std::optional<RingId> NextHop(RingId id) const override {
    if (snapshot_ == nullptr) return std::nullopt;
    return snapshot_->NextHop(id);
  }
  void Start(uint64_t, Outbox*) override {}
  void OnLinkUp(LinkId, const NodeId&, uint64_t, Outbox*) override {}
  void OnLinkDown(LinkId, const NodeId&, uint64_t, Outbox*) override {}
  // Topology requests belong to the thread running the overlay algorithm; the dispatcher never
  // hands one here, and if one came it is refused rather than answered from a copy.
  absl::Status HandleRequest(const InboundRequest& request, wire::Body* answer,
                             Outbox* out) override;
  void OnAnswer(const InboundAnswer&, Outbox*) override {}
  uint64_t NextDeadline() const override { return UINT64_MAX; }
  void OnTimer(uint64_t, Outbox*) override {}
  void Leave(uint64_t, Outbox*) override {}
  std::span<const RingId> predecessors() const override;
  std::span<const RingId> successors() const override;
  uint64_t neighbors_version() const override {
    return snapshot_ == nullptr ? 0 : snapshot_->neighbors_version;
  }
  bool joined() const override { return snapshot_ != nullptr && snapshot_->joined; }
  size_t MemoryBytes() const override { return sizeof(*this); }

 private:
  const RoutingSnapshot* snapshot_ = nullptr;
};

}  // namespace p2psip::core

#endif  // P2PSIP_CORE_ROUTING_SNAPSHOT_H_

// ChordTopology: CHORD-RELOAD (RFC 6940 §10) behind the Topology interface.
//
// Joining (§10.5): connect to a bootstrap node, Attach to Resource-ID self+1 through it (send
// update = true) to reach the Admitting Peer (AP); from AP's Update learn the neighbour set and
// Attach to each neighbour (source-routed via AP) and to the fingers; then Join at AP, and
// Update every neighbour. Peers enter the routing table only once linked and once they have
// sent an Update (§6.5.1: no routing through a peer before its Update).
//
// Maintenance (§10.7): Update to the neighbours every chord-update-interval (jittered) and,
// with chord-reactive, whenever the neighbour set changes; a peer that receives an Update from a
// non-neighbour who counts it as a neighbour answers with its own Update so the sender learns
// the closer peers. Lost links are failures; missing fingers are refreshed every
// chord-ping-interval by Attaching to the finger target. Clients attach to the peer responsible
// for their own Node-ID and route everything through it.
#ifndef P2PSIP_CORE_CHORD_TOPOLOGY_H_
#define P2PSIP_CORE_CHORD_TOPOLOGY_H_

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "p2psip/core/chord_table.h"
#include "p2psip/core/node.h"
#include "p2psip/core/topology.h"

namespace p2psip::core {

class ChordTopology final : public Topology {
 public:
  // `counters` (the node's) must outlive the topology.
  ChordTopology(const NodeConfig& config, TopologyHost* host, NodeCounters* counters);

  bool IsResponsible(RingId id) const override;
  std::optional<RingId> NextHop(RingId id) const override;
  void Start(uint64_t now_ms, Outbox* out) override;
  void OnLinkUp(LinkId link, const NodeId& peer, uint64_t now_ms, Outbox* out) override;
  void OnLinkDown(LinkId link, const NodeId& peer, uint64_t now_ms, Outbox* out) override;
  absl::Status HandleRequest(const InboundRequest& request, wire::Body* answer,
                             Outbox* out) override;
  void OnAnswer(const InboundAnswer& answer, Outbox* out) override;
  uint64_t NextDeadline() const override;
  void OnTimer(uint64_t now_ms, Outbox* out) override;
  void Leave(uint64_t now_ms, Outbox* out) override;
  std::span<const RingId> predecessors() const override;
  std::span<const RingId> successors() const override;
  uint64_t neighbors_version() const override {
    return table_.neighbors_version() * 2 + (state_ == State::kClient ? 1 : 0);
  }
  bool joined() const override { return state_ == State::kJoined || state_ == State::kClient; }
  size_t MemoryBytes() const override;
  uint64_t routing_version() const override {
    return table_.version() * 16 + static_cast<uint64_t>(state_);
  }
  bool FillSnapshot(RoutingSnapshot* snapshot) const override;

  const ChordTable& table() const { return table_; }

 private:
  enum class State : uint8_t {
    kIdle,
    kBootstrapping,       // waiting for the link to a bootstrap node
    kAttachingAdmitting,  // Attach to self+1 sent
    kAttachingNeighbors,  // AP answered; attaching to the neighbour set
    kJoining,             // Join sent to AP
    kJoined,
    kClientAttaching,
    kClient,
    kLeft,
  };
  enum class OpKind : uint8_t {
    kAttachAdmitting,
    kAttachNeighbor,
    kAttachFinger,
    kAttachClientPeer,
    kJoin,
    kUpdate,
    kLeave,
    kPartitionPing,
  };

  void Bootstrap(uint64_t now_ms, Outbox* out);
  // The candidate of a peer's Attach to link to (null: none this node can use).
  const wire::IceCandidate* ChooseCandidate(std::span<const wire::IceCandidate> candidates) const;
  // Remembers where a peer we linked with can be reached (§11.4: a cache of about 10
  // directly connected peers, tried before the configured bootstrap nodes).
  void CachePeer(const wire::IpAddressPort& address);
  void Restart(uint64_t now_ms, const char* why);
  uint64_t Send(std::vector<wire::Destination> dests, wire::MessageCode code,
                const wire::Body& body, OpKind kind, RingId target, uint64_t now_ms, Outbox* out);
  // Attach to `target` (a Resource-ID position), optionally source-routed via a peer.
  void AttachTo(RingId target, const NodeId* via, OpKind kind, bool exact_node, uint64_t now_ms,
                Outbox* out);
  void SendUpdate(const NodeId& to, uint8_t type, uint64_t now_ms, Outbox* out);
  wire::AttachReqAns OwnAttachBody(std::string_view role);
  void UpdateNeighbors(uint64_t now_ms, Outbox* out);
  void AttachFingers(uint64_t now_ms, Outbox* out);
  void MaybeJoin(uint64_t now_ms, Outbox* out);
  void BecomeClient(LinkId link, Outbox* out);
  void CheckPartition(uint64_t now_ms, Outbox* out);
  void SendPartitionProbe(uint64_t now_ms, Outbox* out);
  // Considers peers known to exist (from an Update or a Leave): linked ring peers go into the
  // tables at once; of the others, those that would be among the closest neighbours — judged
  // together with the current neighbours and the neighbour Attaches under way, so that a
  // joining node does not attach to every peer it hears of — are attached to (source-routed
  // via `told_by` when given). Returns true when the neighbour set changed.
  bool ConsiderAll(std::span<const NodeId> candidates, const NodeId* told_by, uint64_t now_ms,
                   Outbox* out);
  // Re-offers every linked ring peer as a neighbour (after losses).
  bool RefillNeighbors();
  void ScheduleMaintenance(uint64_t now_ms);
  uint64_t Jitter(uint64_t interval);
  absl::Status Error(wire::ErrorCode code, std::string_view why) const;

  absl::Status HandleAttach(const InboundRequest& r, wire::Body* answer, Outbox* out);
  absl::Status HandleJoin(const InboundRequest& r, wire::Body* answer, Outbox* out);
  absl::Status HandleUpdate(const InboundRequest& r, wire::Body* answer, Outbox* out);
  absl::Status HandleLeave(const InboundRequest& r, wire::Body* answer, Outbox* out);

  const NodeConfig& config_;
  TopologyHost* host_;
  RingId self_;
  ChordTable table_;
  State state_ = State::kIdle;
  uint64_t start_ms_ = 0;
  NodeId bootstrap_peer_;
  NodeId admitting_peer_;
  LinkId client_link_ = kNoLink;
  int neighbor_attaches_pending_ = 0;
  bool ap_update_received_ = false;
  uint64_t next_cookie_ = 1;
  struct Op {
    OpKind kind;
    RingId target;
  };
  absl::flat_hash_map<uint64_t, Op> ops_;
  // Linked peers that are in the ring (they sent an Update or a Join): neighbour candidates
  // after losses. Clients never are.
  absl::flat_hash_set<RingId> ring_links_;
  // Peers that asked (send_update) for an Update once the link is up.
  absl::flat_hash_set<RingId> update_on_link_;
  // Peers whose AttachAns arrived and whose link we wait for: deadline.
  absl::flat_hash_map<RingId, uint64_t> awaiting_link_;
  // Attaches sent and not yet answered, by target (true: a neighbour), so one target is
  // attached once.
  absl::flat_hash_map<RingId, bool> attaching_;
  uint64_t next_update_ms_ = kNoDeadline;
  uint64_t next_finger_ms_ = kNoDeadline;
  uint64_t next_partition_ms_ = kNoDeadline;
  bool probe_connecting_ = false;          // connecting to a bootstrap node for a partition check
  wire::IpAddressPort bootstrap_address_;  // where bootstrap_peer_ was reached
  uint64_t retry_ms_ = kNoDeadline;
  static constexpr size_t kPeerCacheSize = 10;
  std::vector<wire::IpAddressPort> peer_cache_;  // most recent first
  uint32_t bootstrap_attempt_ = 0;
  NodeCounters* counters_;
};

}  // namespace p2psip::core

#endif  // P2PSIP_CORE_CHORD_TOPOLOGY_H_

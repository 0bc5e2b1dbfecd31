// The Topology plug-in interface (RFC 6940 §6.4): what the message layer needs from the overlay
// algorithm, and the overlay-specific methods the algorithm answers. CHORD-RELOAD
// (chord_topology.h) is the one implementation.
//
// A topology talks to the rest of its node only through TopologyHost: it sends requests and
// answers, asks for links and reads the link table; it never sees bytes or sockets.
#ifndef P2PSIP_CORE_TOPOLOGY_H_
#define P2PSIP_CORE_TOPOLOGY_H_

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "p2psip/core/environment.h"
#include "p2psip/core/ring.h"
#include "p2psip/wire/body.h"
#include "p2psip/wire/destination.h"

namespace p2psip::core {

class LinkTable;
struct RoutingSnapshot;

// A request the node received for itself, as the topology sees it.
struct InboundRequest {
  uint16_t code = 0;
  NodeId origin;          // the node that sent it (verified signer)
  LinkId link = kNoLink;  // the link it arrived on
  const wire::Body* body = nullptr;
  uint64_t now_ms = 0;
};

// An answer to a request the topology sent.
struct InboundAnswer {
  uint64_t cookie = 0;  // what the topology passed to SendRequest
  absl::Status status;  // OK, a timeout, or the error answer
  NodeId responder;
  const wire::Body* body = nullptr;  // null unless status is OK
  uint64_t now_ms = 0;
};

class TopologyHost {
 public:
  virtual ~TopologyHost() = default;
  virtual const NodeId& self() const = 0;
  virtual const wire::IpAddressPort& address() const = 0;
  virtual const LinkTable& links() const = 0;
  virtual Random& random() = 0;
  // Sends a request; the answer (or the failure) comes back to Topology::OnAnswer with `cookie`.
  virtual void SendRequest(std::vector<wire::Destination> destinations, uint16_t code,
                           const wire::Body& body, uint64_t cookie, uint64_t now_ms,
                           Outbox* out) = 0;
  // Asks the link layer for a link to `peer` at `address` (no-op if one exists).
  // `link_type`: the candidate's OverlayLinkType (0: DTLS, as for a bootstrap address).
  virtual void Connect(const NodeId& peer, const wire::IpAddressPort& address, Outbox* out,
                       uint8_t link_type = 0) = 0;
  virtual void CloseLink(LinkId link, Outbox* out) = 0;
};

class Topology {
 public:
  virtual ~Topology() = default;

  // --- Routing (read per message) ---
  virtual bool IsResponsible(RingId id) const = 0;
  // The routing-table peer to forward toward `id` (not checking direct links).
  virtual std::optional<RingId> NextHop(RingId id) const = 0;

  // --- Control ---
  // Starts the overlay algorithm: join through a bootstrap link or become the first node.
  virtual void Start(uint64_t now_ms, Outbox* out) = 0;
  virtual void OnLinkUp(LinkId link, const NodeId& peer, uint64_t now_ms, Outbox* out) = 0;
  virtual void OnLinkDown(LinkId link, const NodeId& peer, uint64_t now_ms, Outbox* out) = 0;
  // Answers a topology request (Join, Leave, Update, RouteQuery, Probe, Attach): fills
  // `answer` and returns OK, or returns the error to answer with (its code in the payload).
  virtual absl::Status HandleRequest(const InboundRequest& request, wire::Body* answer,
                                     Outbox* out) = 0;
  virtual void OnAnswer(const InboundAnswer& answer, Outbox* out) = 0;
  // Timers: the earliest time OnTimer wants to run, and the call at or after it.
  virtual uint64_t NextDeadline() const = 0;
  virtual void OnTimer(uint64_t now_ms, Outbox* out) = 0;
  // Graceful departure (Leave to the neighbours).
  virtual void Leave(uint64_t now_ms, Outbox* out) = 0;

  // --- Replication (read by storage) ---
  // The closest predecessors and successors, closest first: the peers that hold copies of what
  // this peer is responsible for and whose copies it holds. Empty for a client.
  virtual std::span<const RingId> predecessors() const = 0;
  virtual std::span<const RingId> successors() const = 0;
  // Changes whenever predecessors() or successors() may have changed.
  virtual uint64_t neighbors_version() const = 0;

  virtual bool joined() const = 0;
  virtual size_t MemoryBytes() const = 0;

  // --- Publication (routing_snapshot.h) ---
  // Changes whenever a RoutingSnapshot of this topology would differ from the last one.
  virtual uint64_t routing_version() const { return 0; }
  // Writes the routing state into `snapshot` (all but its version); false for a topology that
  // cannot be routed from a snapshot.
  virtual bool FillSnapshot(RoutingSnapshot* /*snapshot*/) const { return false; }
};

}  // namespace p2psip::core

#endif  // P2PSIP_CORE_TOPOLOGY_H_

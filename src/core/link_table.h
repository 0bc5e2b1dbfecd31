// LinkTable: the Connection Table of one node (RFC 6940 §3): every direct link, the Node-ID it
// is authenticated as, and whether the peer may be routed through.
//
// Owned by the thread the links are steered to (one node in the simulator and tests). Small:
// a flat map each way, no per-link allocation beyond the map slots.
#ifndef P2PSIP_CORE_LINK_TABLE_H_
#define P2PSIP_CORE_LINK_TABLE_H_

#include <cstddef>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "p2psip/core/environment.h"
#include "p2psip/core/ring.h"

namespace p2psip::core {

class LinkTable {
 public:
  struct Link {
    NodeId peer;
    bool client = false;  // a client attached to us, not part of the ring
  };

  // Records an up link. A second link to the same peer replaces the first in the by-peer map
  // (the older one stays known by id until it goes down).
  void Add(LinkId link, const NodeId& peer);
  // Forgets a link; returns the peer it reached (nullopt if unknown).
  std::optional<NodeId> Remove(LinkId link);
  const Link* Find(LinkId link) const;
  Link* Find(LinkId link);
  LinkId LinkTo(const NodeId& peer) const;
  LinkId LinkTo(RingId peer) const;
  bool Connected(RingId peer) const { return LinkTo(peer) != kNoLink; }
  size_t size() const { return by_id_.size(); }
  // Every link, in ascending link id order (deterministic for the simulator).
  std::vector<LinkId> Links() const;
  size_t MemoryBytes() const;

 private:
  absl::flat_hash_map<LinkId, Link> by_id_;
  absl::flat_hash_map<RingId, LinkId> by_peer_;
};

}  // namespace p2psip::core

#endif  // P2PSIP_CORE_LINK_TABLE_H_

// ChordTable: the CHORD-RELOAD routing state of one peer (RFC 6940 §10.3, §10.7).
//
// The Neighbor Table holds the closest predecessors and successors (at least 3 each); the
// Finger Table holds finger i (i = 1..F) aimed at self + 2^(128-i), valid for a peer in
// [self + 2^(128-i), self + 2^(128-i+1)) (finger 1 is half-way round the ring). F starts at 16
// and can grow to 128. Entries are ring positions only: which link reaches a peer is the
// LinkTable's business, not the topology's.
//
// Owned by the topology controller of one node; single-threaded. Memory is a few hundred bytes
// (fixed arrays, no per-entry allocation) so that a simulator can hold a million of these.
#ifndef P2PSIP_CORE_CHORD_TABLE_H_
#define P2PSIP_CORE_CHORD_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "p2psip/core/ring.h"

namespace p2psip::core {

class ChordTable {
 public:
  static constexpr size_t kMinNeighbors = 3;
  static constexpr int kDefaultFingers = 16;
  static constexpr int kMaxFingers = 128;

  struct Options {
    size_t neighbors = kMinNeighbors;  // predecessors kept, and successors kept (each >= 3)
    int fingers = kDefaultFingers;     // 1..128
  };

  explicit ChordTable(RingId self) : ChordTable(self, Options{}) {}
  ChordTable(RingId self, Options options);

  RingId self() const { return self_; }
  const Options& options() const { return options_; }

  // --- Neighbor Table ---
  // Offers a peer (learned from an Update, a link or a join). Inserts it among the
  // predecessors and/or successors if it is closer than an entry there or a list has room;
  // self is ignored. Returns true when either list changed.
  bool AddNeighbor(RingId peer);
  // Removes a peer from the neighbor lists and the fingers (it failed or left). Returns true
  // when the neighbor lists changed.
  bool Remove(RingId peer);
  // Closest first: predecessors()[0] is the immediate predecessor.
  const absl::InlinedVector<RingId, kMinNeighbors>& predecessors() const { return preds_; }
  const absl::InlinedVector<RingId, kMinNeighbors>& successors() const { return succs_; }
  std::optional<RingId> predecessor() const;
  // Grows by one whenever either list changes (so a reader can tell cheaply that it did).
  uint64_t neighbors_version() const { return neighbors_version_; }
  // Grows by one whenever anything that routing reads changes (neighbours or fingers): a
  // published copy of the table is stale exactly when this differs from the copy's.
  uint64_t version() const { return version_; }
  std::optional<RingId> successor() const;
  bool IsNeighbor(RingId peer) const;

  // --- Finger Table ---
  int finger_count() const { return options_.fingers; }
  // self + 2^(128-i), for i = 1..finger_count().
  RingId FingerTarget(int i) const;
  // Offers a peer for the fingers: every finger whose valid range contains the peer takes it
  // if the slot is empty or the peer is closer to the finger's target (clockwise distance from
  // the target). Returns true when a slot changed.
  bool OfferFinger(RingId peer);
  std::optional<RingId> finger(int i) const;
  // Fingers with no peer in their valid range (candidates for finger refresh, §10.7.4.2).
  std::vector<int> EmptyFingers() const;
  // Grows or shrinks the finger table (1..128); entries beyond the new size are dropped.
  void ResizeFingers(int fingers);

  // --- Routing ---
  // True when k is in (predecessor, self]; a peer with no predecessor owns the whole ring.
  bool IsResponsible(RingId k) const;
  // RFC 6940 §10.3 among the routing-table peers: the peer with the largest id in (self, k];
  // if none, the peer with the smallest id greater than k. nullopt when the table is empty.
  // (A direct connection to k itself is checked by the caller first.)
  std::optional<RingId> NextHop(RingId k) const;
  // Every distinct peer in the neighbor and finger tables.
  std::vector<RingId> AllPeers() const;
  bool Contains(RingId peer) const;
  bool empty() const { return preds_.empty() && succs_.empty() && finger_count_set_ == 0; }

  // Bytes this table occupies, for the simulator's memory report.
  size_t MemoryBytes() const;

 private:
  // Inserts `peer` into `list` ordered by `distance` (smaller = closer), keeping at most n.
  template <class DistanceFn>
  static bool InsertSorted(absl::InlinedVector<RingId, kMinNeighbors>& list, RingId peer, size_t n,
                           DistanceFn distance);

  RingId self_;
  Options options_;
  absl::InlinedVector<RingId, kMinNeighbors> preds_;
  absl::InlinedVector<RingId, kMinNeighbors> succs_;
  // fingers_[i-1] is finger i; a slot equal to self_ is empty (a peer never lists itself).
  std::vector<RingId> fingers_;
  int finger_count_set_ = 0;
  uint64_t neighbors_version_ = 0;
  uint64_t version_ = 0;
};

}  // namespace p2psip::core

#endif  // P2PSIP_CORE_CHORD_TABLE_H_

#include "p2psip/core/chord_table.h"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <vector>

namespace p2psip::core {
namespace {

using U128 = RingId::U128;

// Index of the highest set bit of a non-zero 128-bit value (0..127).
int HighestBit(U128 v) {
  const auto hi = static_cast<uint64_t>(v >> 64);
  if (hi != 0) return 127 - std::countl_zero(hi);
  return 63 - std::countl_zero(static_cast<uint64_t>(v));
}

size_t ClampNeighbors(size_t n) { return std::max(n, ChordTable::kMinNeighbors); }
int ClampFingers(int n) { return std::clamp(n, 1, ChordTable::kMaxFingers); }

}  // namespace

ChordTable::ChordTable(RingId self, Options options) : self_(self), options_(options) {
  options_.neighbors = ClampNeighbors(options_.neighbors);
  options_.fingers = ClampFingers(options_.fingers);
  fingers_.assign(static_cast<size_t>(options_.fingers), self_);
}

template <class DistanceFn>
bool ChordTable::InsertSorted(absl::InlinedVector<RingId, kMinNeighbors>& list, RingId peer,
                              size_t n, DistanceFn distance) {
  const U128 d = distance(peer);
  size_t pos = 0;
  while (pos < list.size() && distance(list[pos]) < d) ++pos;
  // Distinct peers have distinct distances from self, so an equal distance is the same peer.
  if (pos < list.size() && list[pos] == peer) return false;
  if (pos >= n) return false;
  if (list.size() >= n) list.pop_back();
  list.insert(list.begin() + static_cast<std::ptrdiff_t>(pos), peer);
  return true;
}

bool ChordTable::AddNeighbor(RingId peer) {
  if (peer == self_) return false;
  const RingId self = self_;
  // A peer may land in both lists: on a ring of 2..2n+1 nodes it is both ahead and behind.
  const bool pred_changed = InsertSorted(preds_, peer, options_.neighbors,
                                         [self](RingId p) { return Distance(p, self); });
  const bool succ_changed = InsertSorted(succs_, peer, options_.neighbors,
                                         [self](RingId p) { return Distance(self, p); });
  if (pred_changed || succ_changed) {
    ++neighbors_version_;
    ++version_;
  }
  return pred_changed || succ_changed;
}

bool ChordTable::Remove(RingId peer) {
  bool changed = false;
  for (auto* list : {&preds_, &succs_}) {
    auto it = std::find(list->begin(), list->end(), peer);
    if (it != list->end()) {
      list->erase(it);
      changed = true;
    }
  }
  if (peer != self_) {
    for (RingId& slot : fingers_) {
      if (slot == peer) {
        slot = self_;
        --finger_count_set_;
        ++version_;
      }
    }
  }
  if (changed) {
    ++neighbors_version_;
    ++version_;
  }
  return changed;
}

std::optional<RingId> ChordTable::predecessor() const {
  if (preds_.empty()) return std::nullopt;
  return preds_.front();
}

std::optional<RingId> ChordTable::successor() const {
  if (succs_.empty()) return std::nullopt;
  return succs_.front();
}

bool ChordTable::IsNeighbor(RingId peer) const {
  return std::find(preds_.begin(), preds_.end(), peer) != preds_.end() ||
         std::find(succs_.begin(), succs_.end(), peer) != succs_.end();
}

RingId ChordTable::FingerTarget(int i) const {
  // Out-of-range indices are clamped rather than trusted: a shift by >= 128 is undefined.
  return self_ + RingId::PowerOfTwo(128 - std::clamp(i, 1, kMaxFingers));
}

bool ChordTable::OfferFinger(RingId peer) {
  const U128 d = Distance(self_, peer);
  if (d == 0) return false;  // self is never a finger
  // The finger ranges [2^(128-i), 2^(129-i)) partition the clockwise distances, so the peer
  // fits exactly the finger whose target is the highest power of two not above its distance.
  const int i = 128 - HighestBit(d);
  if (i > options_.fingers) return false;  // closer than the last finger: a neighbor's job
  RingId& slot = fingers_[static_cast<size_t>(i - 1)];
  if (slot == self_) {
    slot = peer;
    ++finger_count_set_;
    ++version_;
    return true;
  }
  // Within one range, closer to the target means closer to self clockwise.
  if (d < Distance(self_, slot)) {
    slot = peer;
    ++version_;
    return true;
  }
  return false;
}

std::optional<RingId> ChordTable::finger(int i) const {
  if (i < 1 || i > options_.fingers) return std::nullopt;
  const RingId slot = fingers_[static_cast<size_t>(i - 1)];
  if (slot == self_) return std::nullopt;
  return slot;
}

std::vector<int> ChordTable::EmptyFingers() const {
  std::vector<int> empty;
  for (int i = 1; i <= options_.fingers; ++i) {
    if (fingers_[static_cast<size_t>(i - 1)] == self_) empty.push_back(i);
  }
  return empty;
}

void ChordTable::ResizeFingers(int fingers) {
  options_.fingers = ClampFingers(fingers);
  ++version_;
  fingers_.resize(static_cast<size_t>(options_.fingers), self_);
  finger_count_set_ = static_cast<int>(std::count_if(
      fingers_.begin(), fingers_.end(), [this](RingId slot) { return slot != self_; }));
}

bool ChordTable::IsResponsible(RingId k) const {
  if (preds_.empty()) return true;
  return InHalfOpen(k, preds_.front(), self_);
}

std::optional<RingId> ChordTable::NextHop(RingId k) const {
  // Everything is measured clockwise from self: a peer p is in (self, k] when
  // 0 < d(self, p) <= d(self, k), and among the others the one with the smallest d(k, p) is
  // the one with the smallest d(self, p). (self, self] is the whole ring, hence the max.
  const U128 dk = k == self_ ? ~U128{0} : Distance(self_, k);
  // Largest d(self, p) in (self, k]; 0 = none (an empty finger slot, d = 0, never counts).
  U128 best_in = 0;
  // Smallest d(self, p) - 1 beyond k; the -1 frees ~0 to mean none, as d = 2^128 - 1 is a
  // real peer (the one just behind self).
  U128 best_out_minus_1 = ~U128{0};
  // One pass over the fixed arrays, no AllPeers() vector: this runs per routed message. The
  // selects compile to conditional moves; random keys would mispredict an if/else here.
  auto consider = [&](RingId p) {
    const U128 d = Distance(self_, p);
    const bool in = d <= dk;
    best_in = std::max(best_in, in ? d : U128{0});
    best_out_minus_1 = std::min(best_out_minus_1, in ? ~U128{0} : d - 1);
  };
  for (RingId p : preds_) consider(p);
  for (RingId p : succs_) consider(p);
  for (RingId p : fingers_) consider(p);
  if (best_in != 0) return self_ + RingId(best_in);
  if (best_out_minus_1 != ~U128{0}) return self_ + RingId(best_out_minus_1 + 1);
  return std::nullopt;
}

std::vector<RingId> ChordTable::AllPeers() const {
  std::vector<RingId> peers;
  peers.reserve(preds_.size() + succs_.size() + static_cast<size_t>(finger_count_set_));
  peers.insert(peers.end(), preds_.begin(), preds_.end());
  peers.insert(peers.end(), succs_.begin(), succs_.end());
  for (RingId slot : fingers_) {
    if (slot != self_) peers.push_back(slot);
  }
  std::sort(peers.begin(), peers.end());
  peers.erase(std::unique(peers.begin(), peers.end()), peers.end());
  return peers;
}

bool ChordTable::Contains(RingId peer) const {
  if (peer == self_) return false;
  return IsNeighbor(peer) || std::find(fingers_.begin(), fingers_.end(), peer) != fingers_.end();
}

size_t ChordTable::MemoryBytes() const {
  size_t bytes = sizeof(*this) + fingers_.capacity() * sizeof(RingId);
  // An InlinedVector only owns heap memory once it outgrew its inline storage.
  for (const auto* list : {&preds_, &succs_}) {
    if (list->capacity() > kMinNeighbors) bytes += list->capacity() * sizeof(RingId);
  }
  return bytes;
}

}  // namespace p2psip::core

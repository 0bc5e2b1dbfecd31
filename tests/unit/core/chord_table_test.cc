#include "p2psip/core/chord_table.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <vector>

#include "gtest/gtest.h"
#include "p2psip/core/ring.h"

namespace p2psip::core {
namespace {

using U128 = RingId::U128;

constexpr U128 kMax = ~U128{0};

RingId Hi(uint64_t hi) { return RingId::FromParts(hi, 0); }

RingId RandomId(std::mt19937_64& rng) { return RingId::FromParts(rng(), rng()); }

// A sorted ring of n distinct random ids: the ground truth every table is checked against.
std::vector<RingId> RandomRing(size_t n, std::mt19937_64& rng) {
  std::set<RingId> ids;
  while (ids.size() < n) ids.insert(RandomId(rng));
  return {ids.begin(), ids.end()};
}

// Index of the first id clockwise at or after k: the node responsible for k.
size_t ResponsibleIndex(const std::vector<RingId>& ring, RingId k) {
  const auto it = std::lower_bound(ring.begin(), ring.end(), k);
  return it == ring.end() ? 0 : static_cast<size_t>(it - ring.begin());
}

// The true finger i of ring[idx]: the first node at or after the target, if it lies in the
// finger's range [T_i, T_{i-1}).
std::optional<RingId> TrueFinger(const std::vector<RingId>& ring, size_t idx, int i) {
  const RingId self = ring[idx];
  const RingId target = self + RingId::PowerOfTwo(128 - i);
  const RingId candidate = ring[ResponsibleIndex(ring, target)];
  const U128 d = Distance(self, candidate);
  const U128 low = U128{1} << (128 - i);
  const bool below_high = i == 1 || d < (U128{1} << (129 - i));
  if (candidate == self || d < low || !below_high) return std::nullopt;
  return candidate;
}

// ring[idx]'s table with its true neighbors and true fingers.
ChordTable TrueTable(const std::vector<RingId>& ring, size_t idx,
                     ChordTable::Options options = {}) {
  ChordTable table(ring[idx], options);
  const size_t n = ring.size();
  for (size_t j = 1; j <= table.options().neighbors && j < n; ++j) {
    table.AddNeighbor(ring[(idx + j) % n]);
    table.AddNeighbor(ring[(idx + n - j) % n]);
  }
  for (int i = 1; i <= table.finger_count(); ++i) {
    if (auto f = TrueFinger(ring, idx, i)) table.OfferFinger(*f);
  }
  return table;
}

// RFC 6940 §10.3 spelled out literally over AllPeers(), as the reference for NextHop.
std::optional<RingId> ReferenceNextHop(const ChordTable& table, RingId k) {
  const std::vector<RingId> peers = table.AllPeers();
  if (peers.empty()) return std::nullopt;
  std::optional<RingId> best;
  for (RingId p : peers) {
    if (!InHalfOpen(p, table.self(), k)) continue;
    if (!best || Distance(table.self(), p) > Distance(table.self(), *best)) best = p;
  }
  if (best) return best;
  for (RingId p : peers) {
    if (!best || Distance(k, p) < Distance(k, *best)) best = p;
  }
  return best;
}

std::vector<RingId> Sorted(std::vector<RingId> v) {
  std::sort(v.begin(), v.end());
  return v;
}

template <class List>
std::vector<RingId> ToVector(const List& list) {
  return {list.begin(), list.end()};
}

TEST(ChordTableTest, NewTableIsEmpty) {
  const ChordTable table(Hi(7));
  EXPECT_TRUE(table.empty());
  EXPECT_EQ(table.self(), Hi(7));
  EXPECT_EQ(table.predecessor(), std::nullopt);
  EXPECT_EQ(table.successor(), std::nullopt);
  EXPECT_EQ(table.NextHop(Hi(8)), std::nullopt);
  EXPECT_TRUE(table.AllPeers().empty());
  EXPECT_TRUE(table.IsResponsible(Hi(8)));
  EXPECT_TRUE(table.IsResponsible(Hi(7)));
  EXPECT_EQ(table.finger_count(), ChordTable::kDefaultFingers);
  std::vector<int> all(ChordTable::kDefaultFingers);
  for (int i = 0; i < ChordTable::kDefaultFingers; ++i) all[static_cast<size_t>(i)] = i + 1;
  EXPECT_EQ(table.EmptyFingers(), all);
  EXPECT_FALSE(table.Contains(Hi(7)));
}

TEST(ChordTableTest, NeighborsVersionCountsListChangesOnly) {
  ChordTable t(Hi(100));
  const uint64_t v0 = t.neighbors_version();
  EXPECT_TRUE(t.AddNeighbor(Hi(110)));
  const uint64_t v1 = t.neighbors_version();
  EXPECT_NE(v1, v0);
  EXPECT_FALSE(t.AddNeighbor(Hi(110)));  // already there: no change, same version
  EXPECT_EQ(t.neighbors_version(), v1);
  EXPECT_TRUE(t.OfferFinger(Hi(100) + RingId::PowerOfTwo(127)));  // fingers are not neighbours
  EXPECT_EQ(t.neighbors_version(), v1);
  EXPECT_TRUE(t.Remove(Hi(110)));
  EXPECT_NE(t.neighbors_version(), v1);
  const uint64_t v2 = t.neighbors_version();
  EXPECT_FALSE(t.Remove(Hi(110)));
  EXPECT_EQ(t.neighbors_version(), v2);
}

TEST(ChordTableTest, OptionsAreClamped) {
  EXPECT_EQ(ChordTable(Hi(1), {.neighbors = 0, .fingers = 0}).options().neighbors, 3u);
  EXPECT_EQ(ChordTable(Hi(1), {.neighbors = 1, .fingers = 0}).finger_count(), 1);
  EXPECT_EQ(ChordTable(Hi(1), {.neighbors = 3, .fingers = -5}).finger_count(), 1);
  EXPECT_EQ(ChordTable(Hi(1), {.neighbors = 3, .fingers = 500}).finger_count(), 128);
  EXPECT_EQ(ChordTable(Hi(1), {.neighbors = 9, .fingers = 40}).options().neighbors, 9u);
  EXPECT_EQ(ChordTable(Hi(1), {.neighbors = 9, .fingers = 40}).finger_count(), 40);
}

TEST(ChordTableTest, NeighborOrderingWrapsAroundZero) {
  // self sits just below the top of the ring: successors continue past zero.
  const RingId self(kMax - 100);
  ChordTable table(self);
  const RingId s1(kMax - 50), s2(kMax), s3(9), s4(500);
  const RingId p1(kMax - 101), p2(kMax - 300), p3(Hi(0x8000)), p4(Hi(0x10));
  // Offer them in a scrambled order.
  for (RingId p : {s4, p3, s2, p4, s1, p2, s3, p1}) table.AddNeighbor(p);
  EXPECT_EQ(ToVector(table.successors()), (std::vector<RingId>{s1, s2, s3}));
  EXPECT_EQ(ToVector(table.predecessors()), (std::vector<RingId>{p1, p2, p3}));
  EXPECT_EQ(table.successor(), s1);
  EXPECT_EQ(table.predecessor(), p1);

  // self just above zero: predecessors continue below it, from the top of the ring.
  ChordTable low(RingId(5));
  for (RingId p : {RingId(kMax - 1), RingId(4), RingId(6), RingId(kMax), RingId(1000),
                   RingId(kMax - 7), RingId(7)}) {
    low.AddNeighbor(p);
  }
  EXPECT_EQ(ToVector(low.predecessors()),
            (std::vector<RingId>{RingId(4), RingId(kMax), RingId(kMax - 1)}));
  EXPECT_EQ(ToVector(low.successors()), (std::vector<RingId>{RingId(6), RingId(7), RingId(1000)}));
}

TEST(ChordTableTest, KeepsTheClosestNeighborsUpToCapacity) {
  std::mt19937_64 rng(1);
  for (size_t capacity : {size_t{3}, size_t{5}, size_t{8}}) {
    const RingId self = RandomId(rng);
    ChordTable table(self, {.neighbors = capacity, .fingers = 16});
    std::vector<RingId> peers;
    for (int i = 0; i < 50; ++i) {
      peers.push_back(RandomId(rng));
      table.AddNeighbor(peers.back());
      ASSERT_LE(table.successors().size(), capacity);
      ASSERT_LE(table.predecessors().size(), capacity);
    }
    std::vector<RingId> by_succ = peers, by_pred = peers;
    std::sort(by_succ.begin(), by_succ.end(),
              [&](RingId a, RingId b) { return Distance(self, a) < Distance(self, b); });
    std::sort(by_pred.begin(), by_pred.end(),
              [&](RingId a, RingId b) { return Distance(a, self) < Distance(b, self); });
    by_succ.resize(capacity);
    by_pred.resize(capacity);
    EXPECT_EQ(ToVector(table.successors()), by_succ);
    EXPECT_EQ(ToVector(table.predecessors()), by_pred);
    // A peer farther than every kept neighbor on both sides changes nothing.
    const RingId far = self + RingId::PowerOfTwo(127);
    if (Distance(self, far) > Distance(self, by_succ.back()) &&
        Distance(far, self) > Distance(by_pred.back(), self)) {
      EXPECT_FALSE(table.AddNeighbor(far));
    }
  }
}

TEST(ChordTableTest, AddNeighborReportsChanges) {
  ChordTable table(Hi(100));
  EXPECT_TRUE(table.AddNeighbor(Hi(110)));
  EXPECT_TRUE(table.AddNeighbor(Hi(120)));
  EXPECT_TRUE(table.AddNeighbor(Hi(130)));
  EXPECT_TRUE(table.AddNeighbor(Hi(90)));
  // On this 5-node ring every peer is also within 3 predecessors or 3 successors.
  EXPECT_EQ(ToVector(table.successors()), (std::vector<RingId>{Hi(110), Hi(120), Hi(130)}));
  EXPECT_EQ(ToVector(table.predecessors()), (std::vector<RingId>{Hi(90), Hi(130), Hi(120)}));
  EXPECT_TRUE(table.AddNeighbor(Hi(105)));  // new immediate successor
  EXPECT_EQ(ToVector(table.successors()), (std::vector<RingId>{Hi(105), Hi(110), Hi(120)}));
  EXPECT_EQ(ToVector(table.predecessors()), (std::vector<RingId>{Hi(90), Hi(130), Hi(120)}));
}

TEST(ChordTableTest, IgnoresSelfAndDuplicates) {
  ChordTable table(Hi(100));
  EXPECT_FALSE(table.AddNeighbor(Hi(100)));
  EXPECT_TRUE(table.empty());
  EXPECT_TRUE(table.AddNeighbor(Hi(200)));
  EXPECT_FALSE(table.AddNeighbor(Hi(200)));
  EXPECT_TRUE(table.AddNeighbor(Hi(50)));
  EXPECT_FALSE(table.AddNeighbor(Hi(50)));
  EXPECT_FALSE(table.AddNeighbor(Hi(100)));
  EXPECT_EQ(ToVector(table.successors()), (std::vector<RingId>{Hi(200), Hi(50)}));
  EXPECT_EQ(ToVector(table.predecessors()), (std::vector<RingId>{Hi(50), Hi(200)}));
  EXPECT_FALSE(table.OfferFinger(Hi(100)));
  EXPECT_EQ(table.AllPeers(), Sorted({Hi(50), Hi(200)}));
}

TEST(ChordTableTest, SmallRingPeersAreInBothLists) {
  ChordTable two(Hi(100));
  two.AddNeighbor(Hi(200));
  EXPECT_EQ(two.successor(), Hi(200));
  EXPECT_EQ(two.predecessor(), Hi(200));
  EXPECT_TRUE(two.IsNeighbor(Hi(200)));
  EXPECT_EQ(two.AllPeers(), std::vector<RingId>{Hi(200)});

  ChordTable three(Hi(100));
  three.AddNeighbor(Hi(300));
  three.AddNeighbor(Hi(200));
  EXPECT_EQ(ToVector(three.successors()), (std::vector<RingId>{Hi(200), Hi(300)}));
  EXPECT_EQ(ToVector(three.predecessors()), (std::vector<RingId>{Hi(300), Hi(200)}));
  EXPECT_EQ(three.AllPeers(), Sorted({Hi(200), Hi(300)}));
}

TEST(ChordTableTest, RemoveClearsNeighborsAndFingers) {
  const RingId self = Hi(0);
  ChordTable table(self);
  const RingId n1 = Hi(1), n2 = Hi(2), n3 = Hi(3), n4 = Hi(4);
  const RingId f1 = Hi(0x9000000000000000ULL);  // finger 1 only: far from every neighbor
  for (RingId p : {n1, n2, n3, n4}) table.AddNeighbor(p);
  EXPECT_TRUE(table.OfferFinger(f1));
  EXPECT_EQ(table.finger(1), f1);
  // n1 (distance 2^64) is finger 64 only if the table is that large; with 16 it is not.
  EXPECT_FALSE(table.OfferFinger(n1));

  EXPECT_TRUE(table.Contains(f1));
  EXPECT_FALSE(table.IsNeighbor(f1));
  // A finger-only peer: the neighbor lists do not change, the finger is gone.
  EXPECT_FALSE(table.Remove(f1));
  EXPECT_EQ(table.finger(1), std::nullopt);
  EXPECT_FALSE(table.Contains(f1));
  EXPECT_EQ(table.EmptyFingers().size(), 16u);

  // n4 is a predecessor (the others are all closer as successors).
  EXPECT_EQ(ToVector(table.successors()), (std::vector<RingId>{n1, n2, n3}));
  EXPECT_EQ(ToVector(table.predecessors()), (std::vector<RingId>{n4, n3, n2}));
  EXPECT_TRUE(table.Remove(n2));
  EXPECT_EQ(ToVector(table.successors()), (std::vector<RingId>{n1, n3}));
  EXPECT_EQ(ToVector(table.predecessors()), (std::vector<RingId>{n4, n3}));
  EXPECT_FALSE(table.Remove(n2));
  EXPECT_FALSE(table.Remove(Hi(77)));
  EXPECT_FALSE(table.Remove(self));
  for (RingId p : {n1, n3, n4}) EXPECT_TRUE(table.Remove(p));
  EXPECT_TRUE(table.empty());
  EXPECT_EQ(table.NextHop(Hi(5)), std::nullopt);
}

TEST(ChordTableTest, RemoveOfPeerInNeighborsAndFingerUpdatesBoth) {
  ChordTable table(Hi(0), {.neighbors = 3, .fingers = 2});
  const RingId p = Hi(0x4000000000000001ULL);  // in finger 2's range [2^126, 2^127)
  table.AddNeighbor(p);
  table.OfferFinger(p);
  EXPECT_EQ(table.finger(2), p);
  EXPECT_TRUE(table.Remove(p));
  EXPECT_EQ(table.finger(2), std::nullopt);
  EXPECT_TRUE(table.empty());
}

TEST(ChordTableTest, FingerTargets) {
  const RingId self = RingId(kMax - 41);  // targets wrap past zero
  const ChordTable table(self);
  EXPECT_EQ(table.FingerTarget(1), self + RingId::PowerOfTwo(127));
  EXPECT_EQ(table.FingerTarget(1), RingId(RingId::PowerOfTwo(127).value() - 42));
  EXPECT_EQ(table.FingerTarget(16), self + RingId::PowerOfTwo(112));
  EXPECT_EQ(table.FingerTarget(16), RingId((U128{1} << 112) - 42));
  EXPECT_EQ(table.FingerTarget(2), self + RingId::PowerOfTwo(126));
  for (int i = 1; i <= 16; ++i) {
    EXPECT_EQ(Distance(self, table.FingerTarget(i)), U128{1} << (128 - i)) << i;
  }
  ChordTable big(Hi(3), {.neighbors = 3, .fingers = 128});
  EXPECT_EQ(big.FingerTarget(128), Hi(3) + uint64_t{1});
  EXPECT_EQ(big.FingerTarget(64), Hi(4));
}

TEST(ChordTableTest, OfferFingerRespectsRanges) {
  const RingId self = Hi(0x1234);
  ChordTable table(self);
  const RingId t1 = table.FingerTarget(1), t2 = table.FingerTarget(2);
  const RingId t16 = table.FingerTarget(16);

  // Just below T_16 is closer than every finger range.
  EXPECT_FALSE(table.OfferFinger(t16 - RingId(1)));
  EXPECT_TRUE(table.empty());
  // T_16 itself opens finger 16.
  EXPECT_TRUE(table.OfferFinger(t16));
  EXPECT_EQ(table.finger(16), t16);
  // Just below T_1 belongs to finger 2, not finger 1.
  EXPECT_TRUE(table.OfferFinger(t1 - RingId(1)));
  EXPECT_EQ(table.finger(2), t1 - RingId(1));
  EXPECT_EQ(table.finger(1), std::nullopt);
  // Just behind self is the far end of finger 1's range.
  EXPECT_TRUE(table.OfferFinger(self - RingId(1)));
  EXPECT_EQ(table.finger(1), self - RingId(1));
  // Closer to T_1 replaces it; farther does not.
  EXPECT_TRUE(table.OfferFinger(t1 + RingId(10)));
  EXPECT_EQ(table.finger(1), t1 + RingId(10));
  EXPECT_FALSE(table.OfferFinger(t1 + RingId(11)));
  EXPECT_FALSE(table.OfferFinger(t1 + RingId(10)));  // the same peer again
  EXPECT_TRUE(table.OfferFinger(t1));
  EXPECT_EQ(table.finger(1), t1);
  // Closer to T_2 replaces finger 2 without touching finger 1.
  EXPECT_TRUE(table.OfferFinger(t2 + RingId(5)));
  EXPECT_EQ(table.finger(2), t2 + RingId(5));
  EXPECT_EQ(table.finger(1), t1);

  EXPECT_EQ(table.finger(0), std::nullopt);
  EXPECT_EQ(table.finger(17), std::nullopt);
  std::vector<int> expected_empty;
  for (int i = 3; i <= 15; ++i) expected_empty.push_back(i);
  EXPECT_EQ(table.EmptyFingers(), expected_empty);
  // Fingers are peers but not neighbors.
  EXPECT_FALSE(table.IsNeighbor(t1));
  EXPECT_TRUE(table.Contains(t1));
  EXPECT_EQ(table.AllPeers(), Sorted({t1, t2 + RingId(5), t16}));
  EXPECT_EQ(table.predecessor(), std::nullopt);
  EXPECT_FALSE(table.empty());
}

TEST(ChordTableTest, OfferFingerFindsTrueFingersOnRandomRing) {
  std::mt19937_64 rng(42);
  const std::vector<RingId> ring = RandomRing(1000, rng);
  for (size_t idx = 0; idx < ring.size(); idx += 37) {
    ChordTable table(ring[idx], {.neighbors = 3, .fingers = 32});
    std::vector<RingId> shuffled = ring;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    for (RingId p : shuffled) table.OfferFinger(p);
    std::vector<int> expected_empty;
    for (int i = 1; i <= 32; ++i) {
      const std::optional<RingId> truth = TrueFinger(ring, idx, i);
      ASSERT_EQ(table.finger(i), truth) << "node " << idx << " finger " << i;
      if (!truth) expected_empty.push_back(i);
    }
    EXPECT_EQ(table.EmptyFingers(), expected_empty);
    // About log2(1000) ~ 10 fingers find a peer; the short ones are empty on 1000 nodes.
    EXPECT_GE(32 - expected_empty.size(), 6u);
    EXPECT_LE(32 - expected_empty.size(), 16u);
  }
}

TEST(ChordTableTest, ResizeFingers) {
  const RingId self = Hi(0);
  ChordTable table(self, {.neighbors = 3, .fingers = 4});
  EXPECT_FALSE(table.OfferFinger(Hi(0x0100000000000000ULL)));  // finger 8: beyond 4
  EXPECT_TRUE(table.OfferFinger(Hi(0x8000000000000000ULL)));   // finger 1
  table.ResizeFingers(20);
  EXPECT_EQ(table.finger_count(), 20);
  EXPECT_EQ(table.options().fingers, 20);
  EXPECT_EQ(table.finger(1), Hi(0x8000000000000000ULL));
  EXPECT_EQ(table.EmptyFingers().size(), 19u);
  EXPECT_TRUE(table.OfferFinger(Hi(0x0100000000000000ULL)));
  EXPECT_EQ(table.finger(8), Hi(0x0100000000000000ULL));
  // Shrinking drops finger 8 but keeps finger 1.
  table.ResizeFingers(2);
  EXPECT_EQ(table.finger_count(), 2);
  EXPECT_EQ(table.finger(8), std::nullopt);
  EXPECT_EQ(table.AllPeers(), std::vector<RingId>{Hi(0x8000000000000000ULL)});
  EXPECT_EQ(table.EmptyFingers(), std::vector<int>{2});
  // Shrinking away the last finger leaves the table empty.
  table.ResizeFingers(1);
  EXPECT_FALSE(table.empty());
  table.Remove(Hi(0x8000000000000000ULL));
  EXPECT_TRUE(table.empty());
  table.OfferFinger(Hi(0x8000000000000000ULL));
  table.ResizeFingers(0);  // clamps to 1
  EXPECT_EQ(table.finger_count(), 1);
  EXPECT_FALSE(table.empty());
  table.ResizeFingers(1000);  // clamps to 128
  EXPECT_EQ(table.finger_count(), 128);
  EXPECT_EQ(table.EmptyFingers().size(), 127u);
  EXPECT_TRUE(table.OfferFinger(RingId(1)));  // distance 1 is finger 128
  EXPECT_EQ(table.finger(128), RingId(1));

  ChordTable shrink(self, {.neighbors = 3, .fingers = 16});
  shrink.OfferFinger(Hi(0x0100000000000000ULL));  // finger 8
  shrink.ResizeFingers(4);
  EXPECT_TRUE(shrink.empty());
  // The first range past the table's end is refused too (not written past the last slot).
  EXPECT_FALSE(shrink.OfferFinger(Hi(0x0800000000000000ULL)));  // finger 5
  EXPECT_TRUE(shrink.empty());
  EXPECT_EQ(shrink.EmptyFingers(), (std::vector<int>{1, 2, 3, 4}));
}

TEST(ChordTableTest, IsResponsibleEdges) {
  ChordTable table(Hi(200));
  EXPECT_TRUE(table.IsResponsible(Hi(1)));  // no predecessor: the whole ring
  table.AddNeighbor(Hi(100));
  EXPECT_FALSE(table.IsResponsible(Hi(100)));
  EXPECT_TRUE(table.IsResponsible(Hi(100) + uint64_t{1}));
  EXPECT_TRUE(table.IsResponsible(Hi(150)));
  EXPECT_TRUE(table.IsResponsible(Hi(200)));
  EXPECT_FALSE(table.IsResponsible(Hi(200) + uint64_t{1}));
  EXPECT_FALSE(table.IsResponsible(RingId(0)));

  // Responsibility wraps across zero when the predecessor is above self.
  ChordTable low(RingId(5));
  low.AddNeighbor(RingId(kMax - 5));
  EXPECT_TRUE(low.IsResponsible(RingId(0)));
  EXPECT_TRUE(low.IsResponsible(RingId(kMax)));
  EXPECT_TRUE(low.IsResponsible(RingId(kMax - 4)));
  EXPECT_TRUE(low.IsResponsible(RingId(5)));
  EXPECT_FALSE(low.IsResponsible(RingId(kMax - 5)));
  EXPECT_FALSE(low.IsResponsible(RingId(6)));

  // Only the immediate predecessor counts.
  low.AddNeighbor(RingId(2));
  EXPECT_FALSE(low.IsResponsible(RingId(0)));
  EXPECT_FALSE(low.IsResponsible(RingId(2)));
  EXPECT_TRUE(low.IsResponsible(RingId(3)));
}

TEST(ChordTableTest, NextHopHandPicked) {
  ChordTable table(Hi(100));
  for (uint64_t p : {110, 120, 130, 90, 80, 70}) table.AddNeighbor(Hi(p));
  table.OfferFinger(Hi(100) + RingId::PowerOfTwo(127));  // finger 1 = Hi(100) + 2^127
  const RingId f1 = Hi(100) + RingId::PowerOfTwo(127);
  // The largest peer in (self, k].
  EXPECT_EQ(table.NextHop(Hi(125)), Hi(120));
  EXPECT_EQ(table.NextHop(Hi(120)), Hi(120));  // k itself is in (self, k]
  EXPECT_EQ(table.NextHop(Hi(131)), Hi(130));
  EXPECT_EQ(table.NextHop(f1), f1);
  EXPECT_EQ(table.NextHop(Hi(95)), Hi(90));  // all the way round
  EXPECT_EQ(table.NextHop(Hi(71)), Hi(70));
  // Nothing in (self, k]: the first peer after k (our successor owns k).
  EXPECT_EQ(table.NextHop(Hi(105)), Hi(110));
  EXPECT_EQ(table.NextHop(Hi(100) + uint64_t{1}), Hi(110));
  // k == self: (self, self] is the whole ring, so the farthest peer clockwise.
  EXPECT_EQ(table.NextHop(Hi(100)), Hi(90));
  // Only peers behind k: with one peer, it is the answer either way.
  ChordTable single(Hi(100));
  single.AddNeighbor(Hi(50));
  EXPECT_EQ(single.NextHop(Hi(60)), Hi(50));
  EXPECT_EQ(single.NextHop(Hi(40)), Hi(50));
  EXPECT_EQ(single.NextHop(Hi(101)), Hi(50));
}

TEST(ChordTableTest, NextHopAtTheTopOfTheRing) {
  // Peers at distance 2^128 - 1 (just behind self) and keys right behind self.
  ChordTable table(RingId(10));
  table.AddNeighbor(RingId(9));
  table.AddNeighbor(RingId(11));
  EXPECT_EQ(table.NextHop(RingId(9)), RingId(9));
  EXPECT_EQ(table.NextHop(RingId(8)), RingId(11));
  EXPECT_EQ(table.NextHop(RingId(10)), RingId(9));
  EXPECT_EQ(table.NextHop(RingId(11)), RingId(11));
  EXPECT_EQ(table.NextHop(RingId(12)), RingId(11));
  EXPECT_EQ(table.NextHop(RingId(0)), RingId(11));
  ChordTable top(RingId(0));
  top.AddNeighbor(RingId(kMax));
  EXPECT_EQ(top.NextHop(RingId(kMax)), RingId(kMax));
  EXPECT_EQ(top.NextHop(RingId(kMax - 1)), RingId(kMax));
  EXPECT_EQ(top.NextHop(RingId(0)), RingId(kMax));
}

TEST(ChordTableTest, NextHopMatchesBruteForceOnTrueTables) {
  std::mt19937_64 rng(7);
  const std::vector<RingId> ring = RandomRing(1000, rng);
  for (size_t idx = 0; idx < ring.size(); ++idx) {
    const ChordTable table = TrueTable(ring, idx);
    const RingId self = ring[idx];
    std::vector<RingId> keys = {self, self + uint64_t{1}, self - RingId(1)};
    for (RingId p : table.AllPeers()) {
      keys.push_back(p);
      keys.push_back(p + uint64_t{1});
      keys.push_back(p - RingId(1));
    }
    for (int j = 0; j < 20; ++j) keys.push_back(RandomId(rng));
    for (RingId k : keys) {
      ASSERT_EQ(table.NextHop(k), ReferenceNextHop(table, k)) << idx << " " << k.ToHex();
    }
  }
}

TEST(ChordTableTest, NextHopMatchesBruteForceOnRandomTables) {
  std::mt19937_64 rng(11);
  for (int t = 0; t < 500; ++t) {
    const RingId self = RandomId(rng);
    const size_t neighbors = 3 + rng() % 6;
    const int fingers = 1 + static_cast<int>(rng() % 128);
    ChordTable table(self, {.neighbors = neighbors, .fingers = fingers});
    // Peers clustered near self as well as spread over the ring, so both lists and many
    // finger ranges fill.
    const int count = static_cast<int>(rng() % 40);
    for (int j = 0; j < count; ++j) {
      const int shift = static_cast<int>(rng() % 128);
      const RingId offset(RingId::FromParts(rng(), rng()).value() >> shift);
      const RingId peer = rng() % 2 ? self + offset : self - offset;
      if (rng() % 2) table.AddNeighbor(peer);
      if (rng() % 2) table.OfferFinger(peer);
      if (rng() % 8 == 0) table.Remove(peer);
    }
    std::vector<RingId> keys = {self, self + uint64_t{1}, self - RingId(1)};
    for (RingId p : table.AllPeers()) {
      keys.push_back(p);
      keys.push_back(p + uint64_t{1});
      keys.push_back(p - RingId(1));
    }
    for (int j = 0; j < 20; ++j) keys.push_back(RandomId(rng));
    for (RingId k : keys) {
      ASSERT_EQ(table.NextHop(k), ReferenceNextHop(table, k)) << t << " " << k.ToHex();
    }
  }
}

TEST(ChordTableTest, GreedyRoutingReachesTheResponsibleNode) {
  constexpr size_t kNodes = 1000;
  std::mt19937_64 rng(2024);
  const std::vector<RingId> ring = RandomRing(kNodes, rng);
  std::vector<ChordTable> tables;
  tables.reserve(kNodes);
  for (size_t idx = 0; idx < kNodes; ++idx) tables.push_back(TrueTable(ring, idx));

  // Keys: random ones plus every node id and the ids right before and after each node.
  std::vector<RingId> keys;
  for (int j = 0; j < 200; ++j) keys.push_back(RandomId(rng));
  for (RingId id : ring) {
    keys.push_back(id);
    keys.push_back(id + uint64_t{1});
    keys.push_back(id - RingId(1));
  }

  const int hop_limit = static_cast<int>(std::ceil(std::log2(double{kNodes}))) + 2;
  int max_hops = 0;
  uint64_t total_hops = 0, routes = 0;
  std::vector<int> visited_at(kNodes, -1);  // route number that last visited the node
  for (size_t start = 0; start < kNodes; ++start) {
    for (RingId k : keys) {
      const size_t owner = ResponsibleIndex(ring, k);
      size_t at = start;
      int hops = 0;
      const int route = static_cast<int>(routes % 0x7fffffff);
      visited_at[at] = route;
      while (!tables[at].IsResponsible(k)) {
        const std::optional<RingId> next = tables[at].NextHop(k);
        ASSERT_TRUE(next.has_value());
        const size_t next_idx =
            static_cast<size_t>(std::lower_bound(ring.begin(), ring.end(), *next) - ring.begin());
        ASSERT_LT(next_idx, kNodes);
        ASSERT_EQ(ring[next_idx], *next);
        ASSERT_NE(visited_at[next_idx], route)
            << "loop from " << start << " to " << k.ToHex() << " at hop " << hops;
        visited_at[next_idx] = route;
        at = next_idx;
        ++hops;
        ASSERT_LE(hops, hop_limit) << "from " << start << " to " << k.ToHex();
      }
      ASSERT_EQ(at, owner) << "from " << start << " to " << k.ToHex();
      max_hops = std::max(max_hops, hops);
      total_hops += static_cast<uint64_t>(hops);
      ++routes;
    }
  }
  // Greedy Chord halves the remaining distance per hop: about log2(N)/2 on average.
  const double mean = static_cast<double>(total_hops) / static_cast<double>(routes);
  EXPECT_LT(mean, std::log2(double{kNodes}));
  RecordProperty("max_hops", max_hops);
  RecordProperty("mean_hops_x100", static_cast<int>(mean * 100));
}

TEST(ChordTableTest, AllPeersIsDistinct) {
  ChordTable table(Hi(0), {.neighbors = 3, .fingers = 128});
  // Small ring: every peer is a predecessor, a successor and a finger.
  const RingId a = Hi(0x4000000000000000ULL), b = Hi(0x9000000000000000ULL);
  for (RingId p : {a, b}) {
    table.AddNeighbor(p);
    table.OfferFinger(p);
  }
  EXPECT_EQ(table.AllPeers(), Sorted({a, b}));
  EXPECT_TRUE(table.Contains(a));
  EXPECT_TRUE(table.Contains(b));
  EXPECT_FALSE(table.Contains(Hi(1)));
}

TEST(ChordTableTest, MemoryBytes) {
  const ChordTable table(Hi(1));
  EXPECT_EQ(table.MemoryBytes(), sizeof(ChordTable) + ChordTable::kDefaultFingers * sizeof(RingId));
  ChordTable big(Hi(1), {.neighbors = 3, .fingers = 128});
  EXPECT_EQ(big.MemoryBytes(), sizeof(ChordTable) + 128 * sizeof(RingId));
  // More than 3 neighbors spill the inlined vectors to the heap, which counts too.
  ChordTable wide(Hi(1), {.neighbors = 8, .fingers = 16});
  for (uint64_t i = 2; i < 20; ++i) wide.AddNeighbor(Hi(i));
  EXPECT_GE(wide.MemoryBytes(), sizeof(ChordTable) + (16 + 8 + 8) * sizeof(RingId));
  // The simulator holds a million of these: keep it to a few hundred bytes.
  EXPECT_LE(table.MemoryBytes(), 512u);
}

}  // namespace
}  // namespace p2psip::core

// SpscRing and RingMesh: capacity rules, FIFO order across wrap-around, partial bursts,
// move-only items and their destruction, and a two-thread stress test (bounded in count) that
// checks order and that nothing is lost or duplicated.
#include "p2psip/runtime/spsc_ring.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <numeric>
#include <thread>
#include <vector>

namespace p2psip::runtime {
namespace {

template <typename T>
std::unique_ptr<SpscRing<T>> MakeRing(size_t capacity) {
  auto ring = SpscRing<T>::Create(capacity);
  EXPECT_TRUE(ring.ok()) << ring.status();
  return ring.ok() ? *std::move(ring) : nullptr;
}

TEST(SpscRingTest, CapacityMustBeAPowerOfTwo) {
  EXPECT_FALSE(SpscRing<int>::Create(0).ok());
  EXPECT_FALSE(SpscRing<int>::Create(3).ok());
  EXPECT_FALSE(SpscRing<int>::Create(100).ok());
  EXPECT_FALSE(SpscRing<int>::Create(SpscRing<int>::kMaxCapacity * 2).ok());
  auto ring = MakeRing<int>(1);
  ASSERT_TRUE(ring);
  EXPECT_EQ(ring->capacity(), 1u);
  EXPECT_EQ(MakeRing<int>(64)->capacity(), 64u);
}

TEST(SpscRingTest, FillsToCapacityThenRefuses) {
  auto ring = MakeRing<int>(8);
  ASSERT_TRUE(ring);
  std::vector<int> in(11);
  std::iota(in.begin(), in.end(), 100);
  EXPECT_EQ(ring->EnqueueBurst(in.begin(), in.end()), 8u) << "a prefix, up to capacity";
  EXPECT_FALSE(ring->TryEnqueue(7));
  EXPECT_EQ(ring->size_approx(), 8u);
  int out[3];
  EXPECT_EQ(ring->DequeueBurst(out, 3), 3u);
  EXPECT_EQ(out[0], 100);
  EXPECT_EQ(out[2], 102);
  EXPECT_EQ(ring->EnqueueBurst(in.begin() + 8, in.end()), 3u);
  std::vector<int> rest(20);
  EXPECT_EQ(ring->DequeueBurst(rest), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(rest[i], 103 + i);
  EXPECT_EQ(ring->DequeueBurst(rest), 0u);
  EXPECT_FALSE(ring->TryDequeue().has_value());
}

TEST(SpscRingTest, KeepsOrderAcrossManyWrapArounds) {
  auto ring = MakeRing<uint64_t>(16);
  ASSERT_TRUE(ring);
  uint64_t next_in = 0, next_out = 0;
  std::vector<uint64_t> burst(13), out(13);
  for (int round = 0; round < 1000; ++round) {
    const size_t want = 1 + round % 13;  // burst sizes that do not divide the capacity
    for (size_t i = 0; i < want; ++i) burst[i] = next_in + i;
    next_in += ring->EnqueueBurst(burst.begin(), burst.begin() + want);
    const size_t got = ring->DequeueBurst(out.data(), (round * 7) % 13);
    for (size_t i = 0; i < got; ++i) ASSERT_EQ(out[i], next_out++);
  }
  while (std::optional<uint64_t> v = ring->TryDequeue()) ASSERT_EQ(*v, next_out++);
  EXPECT_EQ(next_out, next_in);
  EXPECT_GT(next_in, 1000u);
}

TEST(SpscRingTest, MovesMoveOnlyItemsAndDestroysLeftovers) {
  auto counter = std::make_shared<int>(0);
  {
    auto ring = MakeRing<std::unique_ptr<int>>(4);
    ASSERT_TRUE(ring);
    std::vector<std::unique_ptr<int>> items;
    for (int i = 0; i < 4; ++i) items.push_back(std::make_unique<int>(i));
    EXPECT_EQ(ring->EnqueueBurst(std::span(items)), 4u);
    for (const auto& p : items) EXPECT_EQ(p, nullptr) << "moved into the ring";
    std::optional<std::unique_ptr<int>> first = ring->TryDequeue();
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(**first, 0);
    // Three left in the ring; shared_ptr use counts show whether the ring destroys them.
    auto shared_ring = MakeRing<std::shared_ptr<int>>(4);
    ASSERT_TRUE(shared_ring);
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(shared_ring->TryEnqueue(std::shared_ptr<int>(counter)));
    EXPECT_EQ(counter.use_count(), 4);
    std::shared_ptr<int> out[1];
    EXPECT_EQ(shared_ring->DequeueBurst(out, 1), 1u);
    EXPECT_EQ(counter.use_count(), 4) << "moved out, not copied: the slot was destroyed";
    out[0].reset();
    EXPECT_EQ(counter.use_count(), 3);
  }
  EXPECT_EQ(counter.use_count(), 1) << "the ring destroyed the items it still held";
}

TEST(SpscRingTest, TwoThreadsKeepOrderAndLoseNothing) {
  constexpr uint64_t kItems = 1 << 20;
  auto ring = MakeRing<uint64_t>(64);  // small, so the producer often finds it full
  ASSERT_TRUE(ring);
  std::atomic<bool> stop = false;
  std::thread producer([&] {
    uint64_t next = 0;
    uint64_t burst[37];
    while (next < kItems && !stop.load(std::memory_order_relaxed)) {
      const size_t want = std::min<uint64_t>(1 + next % 37, kItems - next);
      for (size_t i = 0; i < want; ++i) burst[i] = next + i;
      const size_t n = ring->EnqueueBurst(burst, burst + want);
      next += n;
      if (n == 0) std::this_thread::yield();
    }
  });
  uint64_t expected = 0;
  uint64_t mismatches = 0;
  uint64_t out[32];
  for (uint64_t idle = 0; expected < kItems && idle < (uint64_t{1} << 24);) {
    const size_t n = ring->DequeueBurst(out, 1 + expected % 32);
    if (n == 0) {
      ++idle;
      std::this_thread::yield();
      continue;
    }
    for (size_t i = 0; i < n; ++i) mismatches += out[i] != expected++;
  }
  stop = true;
  producer.join();
  EXPECT_EQ(mismatches, 0u);
  EXPECT_EQ(expected, kItems);
  EXPECT_EQ(ring->size_approx(), 0u);
}

TEST(RingMeshTest, OneRingPerOrderedPairOfCores) {
  auto mesh = RingMesh<int>::Create(3, 8);
  ASSERT_TRUE(mesh.ok()) << mesh.status();
  RingMesh<int>& m = **mesh;
  EXPECT_EQ(m.cores(), 3u);
  std::vector<SpscRing<int>*> seen;
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(m.ring(k, k), nullptr);
    EXPECT_EQ(m.ring(k, 3), nullptr);
    EXPECT_EQ(m.ring(3, k), nullptr);
    for (size_t j = 0; j < 3; ++j) {
      if (j == k) continue;
      ASSERT_NE(m.ring(k, j), nullptr);
      EXPECT_EQ(m.ring(k, j)->capacity(), 8u);
      for (SpscRing<int>* r : seen) EXPECT_NE(r, m.ring(k, j));
      seen.push_back(m.ring(k, j));
    }
  }
  EXPECT_EQ(seen.size(), 6u);
  SpscRing<int>* zero_to_two = m.ring(0, 2);
  SpscRing<int>* two_to_zero = m.ring(2, 0);
  ASSERT_TRUE(zero_to_two != nullptr && two_to_zero != nullptr);
  EXPECT_TRUE(zero_to_two->TryEnqueue(5));
  EXPECT_FALSE(two_to_zero->TryDequeue().has_value());
  EXPECT_EQ(zero_to_two->TryDequeue(), std::optional<int>(5));
  EXPECT_FALSE(RingMesh<int>::Create(0, 8).ok());
  EXPECT_FALSE(RingMesh<int>::Create(2, 6).ok());
}

}  // namespace
}  // namespace p2psip::runtime

// The per-thread buffer pool (p2psip/buffer_pool.h) and the framing's DrainedFifo: what lets a
// worker forward without allocating per message.
#include "p2psip/buffer_pool.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "p2psip/link/drained_fifo.h"

namespace p2psip {
namespace {

// Each test runs on a thread of its own, so that it starts with no spares.
template <typename F>
void OnFreshThread(F f) {
  std::thread t(f);
  t.join();
}

TEST(BufferPool, ARecycledBufferComesBackWithItsStorage) {
  OnFreshThread([] {
    std::vector<uint8_t> a = TakeBuffer();
    EXPECT_TRUE(a.empty());
    EXPECT_GE(a.capacity(), kBufferCapacity);
    a.assign(1500, 0x5a);
    const uint8_t* storage = a.data();
    RecycleBuffer(a);
    EXPECT_TRUE(a.empty());
    EXPECT_EQ(a.capacity(), 0u);  // the storage went to the pool
    std::vector<uint8_t> b = TakeBuffer();
    EXPECT_TRUE(b.empty());
    EXPECT_EQ(b.data(), storage);
    std::vector<uint8_t> c = TakeBuffer();  // the pool is empty again: a new one
    EXPECT_NE(c.data(), storage);
    EXPECT_GE(c.capacity(), kBufferCapacity);
  });
}

TEST(BufferPool, KeepsOnlyBuffersOfTheUsualSizesAndAtMostTheLimit) {
  OnFreshThread([] {
    std::vector<uint8_t> small(10);  // not from TakeBuffer: too small to serve a datagram
    RecycleBuffer(small);
    std::vector<uint8_t> huge;
    huge.reserve(kMaxSpareCapacity + 1);  // would pin memory
    RecycleBuffer(huge);
    std::vector<uint8_t> fresh = TakeBuffer();
    const uint8_t* fresh_storage = fresh.data();
    EXPECT_NE(fresh_storage, nullptr);
    RecycleBuffer(fresh);
    EXPECT_EQ(TakeBuffer().data(), fresh_storage);  // only the usable one was kept

    EXPECT_TRUE(internal::SpareBuffers().empty());
    std::vector<std::vector<uint8_t>> many(kMaxSpareBuffers + 10);
    for (auto& b : many) b = TakeBuffer();
    for (auto& b : many) RecycleBuffer(b);
    EXPECT_EQ(internal::SpareBuffers().size(), kMaxSpareBuffers);  // the rest were freed
    for (const auto& b : many) EXPECT_EQ(b.capacity(), 0u);
  });
}

TEST(BufferPool, EachThreadHasItsOwnSpares) {
  const uint8_t* storage = nullptr;
  std::vector<uint8_t> handed_over;
  OnFreshThread([&] {
    handed_over = TakeBuffer();
    storage = handed_over.data();
  });
  OnFreshThread([&] {
    RecycleBuffer(handed_over);  // recycled on another thread: that thread keeps it
    EXPECT_EQ(TakeBuffer().data(), storage);
  });
}

TEST(DrainedFifo, FirstInFirstOut) {
  link::DrainedFifo<std::string> q;
  EXPECT_TRUE(q.empty());
  q.push_back("a");
  q.emplace_back("b");
  q.push_back("c");
  EXPECT_EQ(q.size(), 3u);
  EXPECT_EQ(q.back(), "c");
  std::string out;
  while (!q.empty()) {
    out += q.front();
    q.pop_front();
  }
  EXPECT_EQ(out, "abc");
}

TEST(DrainedFifo, ReusesItsStorageOnceDrained) {
  link::DrainedFifo<int> q;
  for (int i = 0; i < 8; ++i) q.push_back(i);
  const int* first = &q.front();
  while (!q.empty()) q.pop_front();
  for (int round = 0; round < 100; ++round) {
    for (int i = 0; i < 8; ++i) q.push_back(i);
    EXPECT_EQ(&q.front(), first);  // the same storage every time: nothing allocated
    while (!q.empty()) q.pop_front();
  }
}

TEST(DrainedFifo, NeverDrainedItStillCompactsAndKeepsOrder) {
  link::DrainedFifo<int> q;
  int next_in = 0, next_out = 0;
  for (int step = 0; step < 10000; ++step) {
    q.push_back(next_in++);
    q.push_back(next_in++);
    ASSERT_EQ(q.front(), next_out);
    q.pop_front();
    ++next_out;
    if (step % 2 == 0) {
      ASSERT_EQ(q.front(), next_out);
      q.pop_front();
      ++next_out;
    }
  }
  EXPECT_EQ(q.size(), static_cast<size_t>(next_in - next_out));
  while (!q.empty()) {
    ASSERT_EQ(q.front(), next_out++);
    q.pop_front();
  }
  EXPECT_EQ(next_out, next_in);
}

}  // namespace
}  // namespace p2psip

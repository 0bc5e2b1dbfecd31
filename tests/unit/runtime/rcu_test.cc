// QSBR snapshots: the reclamation rule step by step on one thread (what a grace period waits
// for, offline readers, late onliners, partial reclamation, the bounded Synchronize), then
// reader threads and a writer checking that no reader ever holds a snapshot that was freed.
#include "p2psip/runtime/rcu.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

namespace p2psip::runtime {
namespace {

using std::chrono::milliseconds;

// A snapshot that records its destruction in a table owned by the test.
struct Tracked {
  static constexpr uint64_t kAlive = 0xA11CEA11CEA11CEull;
  Tracked(uint64_t s, std::vector<std::atomic<bool>>* f) : seq(s), freed(f) {}
  ~Tracked() {
    canary = 0xDEADDEADDEADDEADull;
    (*freed)[seq].store(true, std::memory_order_release);
  }
  uint64_t seq;
  std::vector<std::atomic<bool>>* freed;
  uint64_t canary = kAlive;
};

class RcuTest : public ::testing::Test {
 protected:
  RcuTest() : freed_(64) {}
  std::unique_ptr<const Tracked> Make(uint64_t seq) {
    return std::make_unique<Tracked>(seq, &freed_);
  }
  bool Freed(uint64_t seq) const { return freed_[seq].load(); }
  std::unique_ptr<QsbrDomain> Domain(size_t readers) {
    auto d = QsbrDomain::Create(readers);
    EXPECT_TRUE(d.ok()) << d.status();
    return *std::move(d);
  }

  std::vector<std::atomic<bool>> freed_;
};

TEST_F(RcuTest, CreateChecksTheReaderCount) {
  EXPECT_FALSE(QsbrDomain::Create(0).ok());
  EXPECT_FALSE(QsbrDomain::Create(QsbrDomain::kMaxReaders + 1).ok());
  EXPECT_EQ(Domain(3)->readers(), 3u);
}

TEST_F(RcuTest, FreesOnlyAfterEveryOnlineReaderPassedAQuiescentState) {
  auto domain = Domain(2);
  domain->Online(0);
  domain->Online(1);
  {
    RcuPublisher<Tracked> pub(domain.get(), Make(1));
    EXPECT_EQ(pub.Load()->seq, 1u);
    domain->Quiescent(0);  // before the swap: does not count for it
    domain->Quiescent(1);
    pub.Publish(Make(2));
    EXPECT_EQ(pub.Load()->seq, 2u);
    EXPECT_EQ(pub.retired(), 1u);
    EXPECT_EQ(pub.Reclaim(), 0u);
    domain->Quiescent(0);
    EXPECT_EQ(pub.Reclaim(), 0u) << "reader 1 may still hold snapshot 1";
    EXPECT_FALSE(Freed(1));
    domain->Quiescent(1);
    EXPECT_EQ(pub.Reclaim(), 1u);
    EXPECT_TRUE(Freed(1));
    EXPECT_FALSE(Freed(2));
    EXPECT_EQ(pub.retired(), 0u);
  }
  EXPECT_TRUE(Freed(2)) << "the publisher frees the current snapshot";
}

TEST_F(RcuTest, OfflineReadersDoNotDelayReclamation) {
  auto domain = Domain(3);
  domain->Online(0);
  domain->Online(1);  // reader 2 never comes online
  RcuPublisher<Tracked> pub(domain.get(), Make(1));
  domain->Offline(1);  // about to sleep in poll()
  pub.Publish(Make(2));
  EXPECT_EQ(pub.Reclaim(), 0u);
  domain->Quiescent(0);
  EXPECT_EQ(pub.Reclaim(), 1u);
  EXPECT_TRUE(Freed(1));
}

TEST_F(RcuTest, AReaderComingOnlineAfterASwapDoesNotHoldTheOldSnapshot) {
  auto domain = Domain(2);
  domain->Online(0);
  RcuPublisher<Tracked> pub(domain.get(), Make(1));
  pub.Publish(Make(2));
  domain->Online(1);  // it can only Load snapshot 2 from now on
  domain->Quiescent(0);
  EXPECT_EQ(pub.Reclaim(), 1u);
  EXPECT_EQ(pub.Load()->seq, 2u);
  pub.Publish(Make(3));  // but now reader 1 is online and may hold snapshot 2
  domain->Quiescent(0);
  EXPECT_EQ(pub.Reclaim(), 0u);
  EXPECT_FALSE(Freed(2));
  domain->Quiescent(1);
  EXPECT_EQ(pub.Reclaim(), 1u);
  EXPECT_TRUE(Freed(2));
}

TEST_F(RcuTest, ReclaimsThePrefixThatIsPastItsGracePeriod) {
  auto domain = Domain(2);
  domain->Online(0);
  domain->Online(1);
  RcuPublisher<Tracked> pub(domain.get(), Make(1));
  pub.Publish(Make(2));  // retires 1
  domain->Quiescent(0);
  domain->Quiescent(1);
  pub.Publish(Make(3));  // retires 2, after both readers' quiescent states
  pub.Publish(Make(4));  // retires 3
  EXPECT_EQ(pub.retired(), 3u);
  EXPECT_EQ(pub.Reclaim(), 1u);
  EXPECT_TRUE(Freed(1));
  EXPECT_FALSE(Freed(2));
  EXPECT_FALSE(Freed(3));
  domain->Quiescent(0);
  domain->Quiescent(1);
  EXPECT_EQ(pub.Reclaim(), 2u);
  EXPECT_TRUE(Freed(2) && Freed(3));
  EXPECT_FALSE(Freed(4));
}

TEST_F(RcuTest, TokensCompleteInOrder) {
  auto domain = Domain(1);
  domain->Online(0);
  const uint64_t t1 = domain->Start();
  const uint64_t t2 = domain->Start();
  EXPECT_LT(t1, t2);
  EXPECT_FALSE(domain->Check(t1));
  domain->Quiescent(0);
  EXPECT_TRUE(domain->Check(t1));
  EXPECT_TRUE(domain->Check(t2));
  EXPECT_FALSE(domain->Check(domain->Start()));
  domain->Offline(0);
  EXPECT_TRUE(domain->Check(domain->Start())) << "nobody online: complete at once";
}

TEST_F(RcuTest, SynchronizeIsBoundedAndWaitsForTheReaders) {
  auto domain = Domain(1);
  domain->Online(0);
  RcuPublisher<Tracked> pub(domain.get(), Make(1));
  pub.Publish(Make(2));
  EXPECT_FALSE(pub.Synchronize(milliseconds(20))) << "reader 0 never passes a quiescent state";
  EXPECT_FALSE(Freed(1));
  EXPECT_EQ(pub.retired(), 1u);

  std::atomic<bool> stop = false;
  std::thread reader([&] {
    for (int i = 0; i < 1000000 && !stop; ++i) {
      domain->Quiescent(0);
      std::this_thread::yield();
    }
    domain->Offline(0);
  });
  const bool done = pub.Synchronize(std::chrono::seconds(10));
  stop = true;
  reader.join();
  EXPECT_TRUE(done);
  EXPECT_TRUE(Freed(1));
  EXPECT_EQ(pub.retired(), 0u);
  EXPECT_TRUE(pub.Synchronize(milliseconds(0))) << "nothing retired";
}

// Readers load, hold and check snapshots while the writer replaces and reclaims them. The
// writer swaps while a reader is known to hold the current snapshot, so that a reclamation that
// ignored that reader would free it under the reader's feet: the reader then sees freed[seq]
// set (and the canary overwritten) before its next quiescent state.
TEST(RcuStressTest, ReadersNeverSeeAFreedSnapshot) {
  constexpr size_t kReaders = 3;
  constexpr uint64_t kSnapshots = 5000;
  constexpr uint64_t kNone = ~uint64_t{0};
  std::vector<std::atomic<bool>> freed(kSnapshots + 1);
  auto domain_or = QsbrDomain::Create(kReaders);
  ASSERT_TRUE(domain_or.ok());
  QsbrDomain& domain = **domain_or;
  RcuPublisher<Tracked> pub(&domain, std::make_unique<Tracked>(0, &freed));

  std::atomic<bool> writer_done = false;
  std::atomic<uint64_t> violations = 0, loads = 0, backwards = 0;
  std::vector<std::atomic<uint64_t>> holding(kReaders);  // the seq a reader holds, or kNone
  for (auto& h : holding) h = kNone;
  std::vector<std::thread> readers;
  for (size_t r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      domain.Online(r);
      uint64_t last = 0;
      for (uint64_t burst = 0; !writer_done.load(std::memory_order_acquire) && burst < 50000000;
           ++burst) {
        Snapshot<Tracked> s = pub.Load();
        const uint64_t seq = s->seq;
        holding[r].store(seq);
        if (seq < last) ++backwards;
        last = seq;
        for (int k = 0; k < 2000; ++k) {  // hold it a while, as a burst of packets would
          if (s->canary != Tracked::kAlive || s->seq != seq ||
              freed[seq].load(std::memory_order_acquire)) {
            ++violations;
            break;
          }
        }
        holding[r].store(kNone);
        loads.fetch_add(1, std::memory_order_relaxed);
        domain.Quiescent(r);
        if (burst % 64 == r) {  // now and then, sleep as a worker does in poll()
          domain.Offline(r);
          std::this_thread::yield();
          domain.Online(r);
        }
      }
      domain.Offline(r);
    });
  }
  uint64_t swaps_under_a_reader = 0;
  for (uint64_t seq = 1; seq <= kSnapshots; ++seq) {
    // Wait (bounded) until some reader holds the snapshot about to be replaced.
    bool held = false;
    for (int spin = 0; !held && spin < 100000; ++spin) {
      for (const auto& h : holding) held = held || h.load() == seq - 1;
      if (!held) std::this_thread::yield();
    }
    swaps_under_a_reader += held;
    pub.Publish(std::make_unique<Tracked>(seq, &freed));
    pub.Reclaim();
    if (pub.retired() > 1000) pub.Synchronize(std::chrono::seconds(5));  // bound the memory
  }
  writer_done = true;
  for (auto& t : readers) t.join();
  EXPECT_TRUE(pub.Synchronize(std::chrono::seconds(5)));
  EXPECT_EQ(pub.retired(), 0u);
  EXPECT_EQ(violations.load(), 0u);
  EXPECT_EQ(backwards.load(), 0u) << "a reader went back to an older snapshot";
  EXPECT_GT(swaps_under_a_reader, kSnapshots / 2) << "the test hardly exercised anything";
  EXPECT_GE(loads.load(), kSnapshots / 2);
  for (uint64_t seq = 0; seq < kSnapshots; ++seq) ASSERT_TRUE(freed[seq].load()) << seq;
  EXPECT_FALSE(freed[kSnapshots].load());
}

}  // namespace
}  // namespace p2psip::runtime

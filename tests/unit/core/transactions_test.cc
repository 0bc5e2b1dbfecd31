#include "p2psip/core/transactions.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace p2psip::core {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<uint8_t> Msg(uint64_t txid) {
  return {static_cast<uint8_t>(txid), static_cast<uint8_t>(txid >> 8), 0xAB};
}

std::vector<uint64_t> ResendIds(const TransactionTable::Expired& expired) {
  std::vector<uint64_t> ids;
  for (const TransactionTable::Pending* p : expired.resend) ids.push_back(p->txid);
  return ids;
}

std::vector<uint64_t> FailedIds(const TransactionTable::Expired& expired) {
  std::vector<uint64_t> ids;
  for (const TransactionTable::Pending& p : expired.failed) ids.push_back(p.txid);
  return ids;
}

// Bytes the process has allocated and not freed (glibc only; 0 elsewhere and under sanitizers,
// whose allocators glibc does not see, which makes the memory checks below vacuous there).
size_t HeapInUse() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;  // big vectors live in their own mmap()ed blocks
#else
  return 0;
#endif
}

// ---------------------------------------------------------------------------------------------
// TransactionTable

TEST(TransactionTableTest, DefaultScheduleRetransmitsEveryThreeSecondsAndFailsAt15s) {
  TransactionTable table;
  EXPECT_EQ(table.NextDeadline(), kNoDeadline);
  ASSERT_TRUE(table.Begin(42, 7, Msg(42), 0));
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.NextDeadline(), 3000u);

  TransactionTable::Expired out;
  int expected_transmissions = 1;
  for (uint64_t t : {3000u, 6000u, 9000u, 12000u}) {
    table.Poll(t - 1, &out);
    EXPECT_THAT(out.resend, IsEmpty()) << t;
    EXPECT_THAT(out.failed, IsEmpty()) << t;
    table.Poll(t, &out);
    ASSERT_EQ(out.resend.size(), 1u) << t;
    EXPECT_THAT(out.failed, IsEmpty());
    const TransactionTable::Pending& p = *out.resend[0];
    EXPECT_EQ(p.txid, 42u);
    EXPECT_EQ(p.cookie, 7u);
    EXPECT_EQ(p.message, Msg(42));
    EXPECT_EQ(p.transmissions, ++expected_transmissions);
    EXPECT_EQ(p.deadline_ms, t + 3000);
    EXPECT_EQ(table.NextDeadline(), t + 3000);
  }
  table.Poll(14999, &out);
  EXPECT_THAT(out.resend, IsEmpty());
  EXPECT_THAT(out.failed, IsEmpty());
  table.Poll(15000, &out);
  EXPECT_THAT(out.resend, IsEmpty());
  ASSERT_EQ(out.failed.size(), 1u);
  EXPECT_EQ(out.failed[0].txid, 42u);
  EXPECT_EQ(out.failed[0].cookie, 7u);
  EXPECT_EQ(out.failed[0].message, Msg(42));
  EXPECT_EQ(out.failed[0].transmissions, 5);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.NextDeadline(), kNoDeadline);
  table.Poll(100000, &out);
  EXPECT_THAT(out.failed, IsEmpty());
}

TEST(TransactionTableTest, PollClearsTheOutputFirst) {
  TransactionTable table;
  ASSERT_TRUE(table.Begin(1, 0, Msg(1), 0));
  TransactionTable::Expired out;
  out.failed.push_back({});
  table.Poll(3000, &out);
  EXPECT_THAT(ResendIds(out), ElementsAre(1u));
  EXPECT_THAT(out.failed, IsEmpty());
  table.Poll(3001, &out);
  EXPECT_THAT(out.resend, IsEmpty());
}

TEST(TransactionTableTest, CompleteStopsRetransmission) {
  TransactionTable table;
  ASSERT_TRUE(table.Begin(9, 99, Msg(9), 100));
  TransactionTable::Expired out;
  table.Poll(3100, &out);
  EXPECT_THAT(ResendIds(out), ElementsAre(9u));

  std::optional<TransactionTable::Pending> done = table.Complete(9);
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->txid, 9u);
  EXPECT_EQ(done->cookie, 99u);
  EXPECT_EQ(done->message, Msg(9));
  EXPECT_EQ(done->transmissions, 2);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.NextDeadline(), kNoDeadline);

  EXPECT_FALSE(table.Complete(9).has_value());  // a late duplicate answer
  for (uint64_t t = 6100; t <= 30000; t += 1000) {
    table.Poll(t, &out);
    EXPECT_THAT(out.resend, IsEmpty());
    EXPECT_THAT(out.failed, IsEmpty());
  }
}

TEST(TransactionTableTest, CompleteOfUnknownIdIsNullopt) {
  TransactionTable table;
  EXPECT_FALSE(table.Complete(1).has_value());
  ASSERT_TRUE(table.Begin(2, 0, Msg(2), 0));
  EXPECT_FALSE(table.Complete(1).has_value());
  EXPECT_EQ(table.size(), 1u);
}

// A poll a little late keeps the 3 s grid (next deadline = previous deadline + 3 s).
TEST(TransactionTableTest, SlightlyLatePollKeepsTheSchedule) {
  TransactionTable table;
  ASSERT_TRUE(table.Begin(1, 0, Msg(1), 0));
  TransactionTable::Expired out;
  table.Poll(3100, &out);
  ASSERT_EQ(out.resend.size(), 1u);
  EXPECT_EQ(out.resend[0]->deadline_ms, 6000u);
  table.Poll(7500, &out);  // 1.5 s late: 9 s is still ahead
  ASSERT_EQ(out.resend.size(), 1u);
  EXPECT_EQ(out.resend[0]->transmissions, 3);
  EXPECT_EQ(out.resend[0]->deadline_ms, 9000u);
  table.Poll(9000, &out);
  table.Poll(12000, &out);
  EXPECT_THAT(ResendIds(out), ElementsAre(1u));
  table.Poll(15000, &out);
  EXPECT_THAT(FailedIds(out), ElementsAre(1u));  // still the 15 s maximum lifetime
}

// A poll so late that the next slot has passed too (first poll at 7.5 s, slots were 3 s and
// 6 s): one send, not a burst, and the rest of the schedule restarts from the poll.
TEST(TransactionTableTest, VeryLatePollSendsOnceAndReschedulesFromNow) {
  TransactionTable table;
  ASSERT_TRUE(table.Begin(1, 0, Msg(1), 0));
  TransactionTable::Expired out;
  table.Poll(7500, &out);
  ASSERT_EQ(out.resend.size(), 1u);
  EXPECT_EQ(out.resend[0]->transmissions, 2);
  EXPECT_EQ(out.resend[0]->deadline_ms, 10500u);
  EXPECT_EQ(table.NextDeadline(), 10500u);
  for (uint64_t t : {10500u, 13500u, 16500u}) {
    table.Poll(t, &out);
    EXPECT_THAT(ResendIds(out), ElementsAre(1u)) << t;
  }
  EXPECT_EQ(table.NextDeadline(), 19500u);
  table.Poll(19499, &out);
  EXPECT_THAT(out.failed, IsEmpty());
  table.Poll(19500, &out);
  ASSERT_EQ(out.failed.size(), 1u);
  EXPECT_EQ(out.failed[0].transmissions, 5);
}

TEST(TransactionTableTest, PollOrdersByFiredDeadlineThenTxid) {
  // The same set of transactions begun in two different orders gives identical Poll output:
  // resend and failed by (deadline that fired, txid), whatever the hash map's order.
  std::mt19937_64 rng(1234);
  struct Start {
    uint64_t txid;
    uint64_t at;
  };
  std::vector<Start> starts;
  std::set<uint64_t> used;
  for (int i = 0; i < 2000; ++i) {
    uint64_t txid = rng();
    if (!used.insert(txid).second) continue;
    starts.push_back({txid, rng() % 50});  // many ties on the deadline
  }
  std::vector<std::pair<uint64_t, uint64_t>> expected;  // (deadline, txid)
  for (const Start& s : starts) expected.emplace_back(s.at + 3000, s.txid);
  std::sort(expected.begin(), expected.end());
  std::vector<uint64_t> expected_ids;
  for (const auto& [deadline, txid] : expected) expected_ids.push_back(txid);

  std::vector<Start> shuffled = starts;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  for (const std::vector<Start>* order : {&starts, &shuffled}) {
    TransactionTable table;
    TransactionTable::Options fail_fast;
    fail_fast.max_transmissions = 1;
    TransactionTable failing(fail_fast);
    for (const Start& s : *order) {
      ASSERT_TRUE(table.Begin(s.txid, s.txid ^ 1, Msg(s.txid), s.at));
      ASSERT_TRUE(failing.Begin(s.txid, s.txid ^ 1, Msg(s.txid), s.at));
    }
    TransactionTable::Expired out;
    table.Poll(3049, &out);
    EXPECT_EQ(ResendIds(out), expected_ids);
    for (const TransactionTable::Pending* p : out.resend) {
      EXPECT_EQ(p->cookie, p->txid ^ 1);
      EXPECT_EQ(p->message, Msg(p->txid));
    }
    failing.Poll(3049, &out);
    EXPECT_THAT(out.resend, IsEmpty());
    EXPECT_EQ(FailedIds(out), expected_ids);
    EXPECT_EQ(failing.size(), 0u);
  }
}

TEST(TransactionTableTest, PollOnlyTakesWhatIsDue) {
  TransactionTable table;
  ASSERT_TRUE(table.Begin(3, 0, Msg(3), 0));
  ASSERT_TRUE(table.Begin(1, 0, Msg(1), 500));
  ASSERT_TRUE(table.Begin(2, 0, Msg(2), 0));
  TransactionTable::Expired out;
  table.Poll(3000, &out);
  EXPECT_THAT(ResendIds(out), ElementsAre(2u, 3u));
  EXPECT_EQ(table.NextDeadline(), 3500u);
  table.Poll(3500, &out);
  EXPECT_THAT(ResendIds(out), ElementsAre(1u));
}

TEST(TransactionTableTest, ResendPointersStayValidWhileOthersFailInTheSamePoll) {
  TransactionTable::Options options;
  options.max_transmissions = 2;
  TransactionTable table(options);
  // Odd ids begin at 0 and are on their last transmission at 6 s; even ids begin at 3 s and
  // are retransmitted at 6 s. Their deadlines tie, so failures and resends interleave by txid.
  for (uint64_t id = 1; id < 1000; id += 2) ASSERT_TRUE(table.Begin(id, id, Msg(id), 0));
  TransactionTable::Expired out;
  table.Poll(3000, &out);
  ASSERT_EQ(out.resend.size(), 500u);
  for (uint64_t id = 2; id <= 1000; id += 2) ASSERT_TRUE(table.Begin(id, id, Msg(id), 3000));
  table.Poll(6000, &out);
  ASSERT_EQ(out.failed.size(), 500u);
  ASSERT_EQ(out.resend.size(), 500u);
  for (size_t i = 0; i < out.resend.size(); ++i) {
    const TransactionTable::Pending* p = out.resend[i];
    EXPECT_EQ(p->txid, 2 * (i + 1));
    EXPECT_EQ(p->cookie, p->txid);
    EXPECT_EQ(p->message, Msg(p->txid));
    EXPECT_EQ(p->transmissions, 2);
    EXPECT_EQ(p->deadline_ms, 9000u);
  }
  for (size_t i = 0; i < out.failed.size(); ++i) {
    EXPECT_EQ(out.failed[i].txid, 2 * i + 1);
    EXPECT_EQ(out.failed[i].message, Msg(2 * i + 1));
  }
  EXPECT_EQ(table.size(), 500u);
}

TEST(TransactionTableTest, BeginRefusesDuplicatesAndBeyondMaxPending) {
  TransactionTable::Options options;
  options.max_pending = 3;
  TransactionTable table(options);
  EXPECT_TRUE(table.Begin(1, 10, Msg(1), 0));
  EXPECT_FALSE(table.Begin(1, 11, Msg(99), 500));  // already pending: nothing changes
  EXPECT_TRUE(table.Begin(2, 20, Msg(2), 0));
  EXPECT_TRUE(table.Begin(3, 30, Msg(3), 0));
  EXPECT_FALSE(table.Begin(4, 40, Msg(4), 0));  // full
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.NextDeadline(), 3000u);

  std::optional<TransactionTable::Pending> one = table.Complete(1);
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->cookie, 10u);
  EXPECT_EQ(one->message, Msg(1));
  EXPECT_TRUE(table.Begin(4, 40, Msg(4), 0));
  EXPECT_EQ(table.size(), 3u);

  TransactionTable::Options none;
  none.max_pending = 0;
  TransactionTable closed(none);
  EXPECT_FALSE(closed.Begin(1, 0, Msg(1), 0));
  EXPECT_EQ(closed.NextDeadline(), kNoDeadline);
}

TEST(TransactionTableTest, CancelRemovesWithoutFailure) {
  TransactionTable table;
  ASSERT_TRUE(table.Begin(1, 0, Msg(1), 0));
  ASSERT_TRUE(table.Begin(2, 0, Msg(2), 1000));
  EXPECT_TRUE(table.Cancel(1));
  EXPECT_FALSE(table.Cancel(1));
  EXPECT_FALSE(table.Cancel(3));
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.NextDeadline(), 4000u);
  TransactionTable::Expired out;
  table.Poll(3000, &out);
  EXPECT_THAT(out.resend, IsEmpty());
  table.Poll(4000, &out);
  EXPECT_THAT(ResendIds(out), ElementsAre(2u));
  for (uint64_t t = 5000; t <= 20000; t += 1000) {
    table.Poll(t, &out);
    for (const TransactionTable::Pending& p : out.failed) EXPECT_NE(p.txid, 1u);
  }
  EXPECT_EQ(table.size(), 0u);
}

TEST(TransactionTableTest, NextDeadlineIsTheEarliestLiveDeadline) {
  TransactionTable table;
  EXPECT_EQ(table.NextDeadline(), kNoDeadline);
  ASSERT_TRUE(table.Begin(1, 0, Msg(1), 0));
  ASSERT_TRUE(table.Begin(2, 0, Msg(2), 1000));
  ASSERT_TRUE(table.Begin(3, 0, Msg(3), 2000));
  EXPECT_EQ(table.NextDeadline(), 3000u);
  TransactionTable::Expired out;
  table.Poll(3000, &out);  // 1 moves to 6000
  EXPECT_EQ(table.NextDeadline(), 4000u);
  ASSERT_TRUE(table.Complete(2).has_value());
  EXPECT_EQ(table.NextDeadline(), 5000u);
  ASSERT_TRUE(table.Cancel(3));
  EXPECT_EQ(table.NextDeadline(), 6000u);
  ASSERT_TRUE(table.Complete(1).has_value());
  EXPECT_EQ(table.NextDeadline(), kNoDeadline);
  ASSERT_TRUE(table.Begin(1, 0, Msg(1), 7000));
  EXPECT_EQ(table.NextDeadline(), 10000u);
}

TEST(TransactionTableTest, TxidBegunAgainWithTheSameDeadlineIsPolledOnce) {
  TransactionTable table;
  ASSERT_TRUE(table.Begin(4, 0, Msg(4), 0));  // keeps (3000, 4) on top: 5's entry stays behind
  ASSERT_TRUE(table.Begin(5, 1, Msg(5), 0));
  ASSERT_TRUE(table.Complete(5).has_value());
  ASSERT_TRUE(table.Begin(5, 2, Msg(5), 0));
  ASSERT_TRUE(table.Begin(6, 3, Msg(6), 0));
  TransactionTable::Expired out;
  table.Poll(3000, &out);
  EXPECT_THAT(ResendIds(out), ElementsAre(4u, 5u, 6u));
  EXPECT_EQ(out.resend[1]->cookie, 2u);
  EXPECT_EQ(out.resend[1]->transmissions, 2);
}

TEST(TransactionTableTest, ZeroIntervalSendsAtMostOncePerPoll) {
  TransactionTable::Options options;
  options.retransmit_ms = 0;
  options.max_transmissions = 3;
  TransactionTable table(options);
  ASSERT_TRUE(table.Begin(1, 0, Msg(1), 10));
  EXPECT_EQ(table.NextDeadline(), 10u);
  TransactionTable::Expired out;
  table.Poll(10, &out);
  EXPECT_THAT(ResendIds(out), ElementsAre(1u));
  table.Poll(10, &out);
  EXPECT_THAT(ResendIds(out), ElementsAre(1u));
  EXPECT_EQ(out.resend[0]->transmissions, 3);
  table.Poll(10, &out);
  EXPECT_THAT(FailedIds(out), ElementsAre(1u));
}

TEST(TransactionTableTest, SingleTransmissionFailsAtTheFirstDeadline) {
  TransactionTable::Options options;
  options.max_transmissions = 1;
  options.retransmit_ms = 200;
  TransactionTable table(options);
  ASSERT_TRUE(table.Begin(1, 0, Msg(1), 0));
  TransactionTable::Expired out;
  table.Poll(200, &out);
  EXPECT_THAT(out.resend, IsEmpty());
  EXPECT_THAT(FailedIds(out), ElementsAre(1u));
}

TEST(TransactionTableTest, ManyCompletionsBehindALongLivedRequestStayBounded) {
  // Transaction 0 holds the earliest deadline, so every completed one behind it is left in the
  // timer heap; the heap must be compacted rather than grow with the number of requests.
  TransactionTable table;
  ASSERT_TRUE(table.Begin(0, 0, Msg(0), 0));
  const size_t before = HeapInUse();
  for (uint64_t id = 1; id <= 1'000'000; ++id) {
    ASSERT_TRUE(table.Begin(id, id, {}, 0));
    ASSERT_TRUE(table.Complete(id).has_value());
  }
  const size_t after = HeapInUse();
  EXPECT_LT(after, before + (1u << 20)) << "timer heap grew unboundedly";
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.NextDeadline(), 3000u);
  TransactionTable::Expired out;
  table.Poll(3000, &out);
  EXPECT_THAT(ResendIds(out), ElementsAre(0u));
  EXPECT_EQ(table.NextDeadline(), 6000u);
}

// Random operations against a plain reference model (std::map, linear scans): same Poll
// output in the same order, same NextDeadline after every step. Few txids, so ids are reused
// and the lazily deleted heap sees every kind of stale entry.
TEST(TransactionTableTest, MatchesAReferenceModelUnderRandomOperations) {
  struct Ref {
    uint64_t cookie;
    int transmissions;
    uint64_t deadline;
  };
  TransactionTable::Options options;
  options.max_pending = 40;
  options.retransmit_ms = 300;
  options.max_transmissions = 4;
  TransactionTable table(options);
  std::map<uint64_t, Ref> ref;
  std::mt19937_64 rng(99);
  uint64_t now = 0;
  TransactionTable::Expired out;
  for (int step = 0; step < 200000; ++step) {
    const uint64_t txid = rng() % 64;
    switch (rng() % 6) {
      case 0:
      case 1: {
        const bool ok = ref.size() < options.max_pending && !ref.contains(txid);
        ASSERT_EQ(table.Begin(txid, step, Msg(txid), now), ok);
        if (ok) ref[txid] = {static_cast<uint64_t>(step), 1, now + 300};
        break;
      }
      case 2: {
        std::optional<TransactionTable::Pending> done = table.Complete(txid);
        const auto it = ref.find(txid);
        ASSERT_EQ(done.has_value(), it != ref.end());
        if (done) {
          EXPECT_EQ(done->cookie, it->second.cookie);
          EXPECT_EQ(done->transmissions, it->second.transmissions);
          ref.erase(it);
        }
        break;
      }
      case 3:
        ASSERT_EQ(table.Cancel(txid), ref.erase(txid) == 1);
        break;
      default: {
        // Mostly on time (at the next deadline), sometimes a little or very late.
        const uint64_t next = table.NextDeadline();
        if (next != kNoDeadline && rng() % 2) {
          now = std::max(now, next);
        } else {
          now += rng() % 700;
        }
        std::vector<std::tuple<uint64_t, uint64_t, int>> due;  // deadline, txid, outcome
        for (const auto& [id, r] : ref) {
          if (r.deadline <= now) due.emplace_back(r.deadline, id, 0);
        }
        std::sort(due.begin(), due.end());
        std::vector<uint64_t> want_resend;
        std::vector<uint64_t> want_failed;
        for (const auto& [deadline, id, unused] : due) {
          Ref& r = ref[id];
          if (r.transmissions < options.max_transmissions) {
            ++r.transmissions;
            r.deadline = deadline + 300 > now ? deadline + 300 : now + 300;
            want_resend.push_back(id);
          } else {
            want_failed.push_back(id);
            ref.erase(id);
          }
        }
        table.Poll(now, &out);
        ASSERT_EQ(ResendIds(out), want_resend) << step;
        ASSERT_EQ(FailedIds(out), want_failed) << step;
        for (const TransactionTable::Pending* p : out.resend) {
          EXPECT_EQ(p->transmissions, ref[p->txid].transmissions);
          EXPECT_EQ(p->deadline_ms, ref[p->txid].deadline);
          EXPECT_EQ(p->message, Msg(p->txid));
        }
      }
    }
    uint64_t want_next = kNoDeadline;
    for (const auto& [id, r] : ref) want_next = std::min(want_next, r.deadline);
    ASSERT_EQ(table.NextDeadline(), want_next) << step;
    ASSERT_EQ(table.size(), ref.size());
  }
}

// ---------------------------------------------------------------------------------------------
// DuplicateCache

std::vector<uint8_t> Answer(uint8_t b) { return {b, b, b}; }

TEST(DuplicateCacheTest, HitWithinTtlMissAtAndAfterTtl) {
  DuplicateCache cache;
  EXPECT_EQ(cache.Lookup(1, 0), nullptr);
  cache.Insert(1, Answer(7), 1000);
  EXPECT_EQ(cache.size(), 1u);
  const std::vector<uint8_t>* hit = cache.Lookup(1, 1000);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(*hit, Answer(7));
  ASSERT_NE(cache.Lookup(1, 15999), nullptr);
  EXPECT_EQ(cache.Lookup(1, 16000), nullptr);
  EXPECT_EQ(cache.Lookup(1, 60000), nullptr);
  EXPECT_EQ(cache.Lookup(2, 1000), nullptr);
}

TEST(DuplicateCacheTest, ExpireDropsEntriesAtTtl) {
  DuplicateCache cache;
  EXPECT_EQ(cache.NextDeadline(), kNoDeadline);
  cache.Insert(1, Answer(1), 0);
  cache.Insert(2, Answer(2), 5000);
  EXPECT_EQ(cache.NextDeadline(), 15000u);
  cache.Expire(14999);
  EXPECT_EQ(cache.size(), 2u);
  cache.Expire(15000);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.Lookup(1, 15000), nullptr);
  EXPECT_NE(cache.Lookup(2, 15000), nullptr);
  EXPECT_EQ(cache.NextDeadline(), 20000u);
  cache.Expire(20000);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.NextDeadline(), kNoDeadline);
  cache.Insert(3, Answer(3), 30000);
  EXPECT_EQ(cache.NextDeadline(), 45000u);
}

TEST(DuplicateCacheTest, OverwriteKeepsTheNewerAnswerAndTime) {
  DuplicateCache cache;
  cache.Insert(1, Answer(1), 0);
  cache.Insert(2, Answer(2), 4000);
  cache.Insert(1, Answer(9), 10000);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.NextDeadline(), 19000u);  // 1's old slot is stale: 2 is the oldest now
  cache.Expire(15000);                      // 1's old time has passed, its new one has not
  EXPECT_EQ(cache.size(), 2u);
  const std::vector<uint8_t>* hit = cache.Lookup(1, 24999);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(*hit, Answer(9));
  cache.Expire(19000);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.NextDeadline(), 25000u);
  cache.Expire(25000);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(DuplicateCacheTest, OverwriteInTheSameMillisecond) {
  DuplicateCache cache;
  cache.Insert(1, Answer(1), 500);
  cache.Insert(1, Answer(2), 500);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(*cache.Lookup(1, 500), Answer(2));
  EXPECT_EQ(cache.NextDeadline(), 15500u);
  cache.Expire(15500);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.NextDeadline(), kNoDeadline);
}

TEST(DuplicateCacheTest, EvictsOldestBeyondMaxEntries) {
  DuplicateCache::Options options;
  options.max_entries = 3;
  DuplicateCache cache(options);
  cache.Insert(1, Answer(1), 0);
  cache.Insert(2, Answer(2), 1);
  cache.Insert(3, Answer(3), 2);
  cache.Insert(4, Answer(4), 3);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.Lookup(1, 3), nullptr);
  EXPECT_EQ(cache.NextDeadline(), 15001u);
  cache.Insert(2, Answer(5), 4);  // 2 becomes the newest: 3 is the oldest now
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.NextDeadline(), 15002u);
  cache.Insert(6, Answer(6), 5);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.Lookup(3, 5), nullptr);
  EXPECT_NE(cache.Lookup(2, 5), nullptr);
  EXPECT_NE(cache.Lookup(4, 5), nullptr);
  EXPECT_NE(cache.Lookup(6, 5), nullptr);
  cache.Insert(7, Answer(7), 5);  // ties evict in arrival order: 4 (at 3) goes first
  EXPECT_EQ(cache.Lookup(4, 5), nullptr);
  EXPECT_NE(cache.Lookup(2, 5), nullptr);
}

TEST(DuplicateCacheTest, ZeroCapacityKeepsNothing) {
  DuplicateCache::Options options;
  options.max_entries = 0;
  DuplicateCache cache(options);
  cache.Insert(1, Answer(1), 0);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.Lookup(1, 0), nullptr);
  EXPECT_EQ(cache.NextDeadline(), kNoDeadline);
}

TEST(DuplicateCacheTest, ClockGoingBackwardsIsClampedToTheNewestTime) {
  DuplicateCache cache;
  cache.Insert(1, Answer(1), 10000);
  cache.Insert(2, Answer(2), 5000);  // recorded as 10000: expiry order stays intact
  EXPECT_NE(cache.Lookup(2, 24999), nullptr);
  cache.Expire(25000);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(DuplicateCacheTest, ManyInsertsWithPeriodicExpireStayCorrectAndBounded) {
  DuplicateCache::Options options;
  options.ttl_ms = 1000;
  options.max_entries = 100000;
  DuplicateCache cache(options);
  const size_t before = HeapInUse();
  // 100000 distinct answers, one per ms, expired every 100 ms: the cache holds at most one TTL
  // worth (1000 entries) plus one expiry period.
  for (uint64_t i = 0; i < 100000; ++i) {
    cache.Insert(i, Answer(static_cast<uint8_t>(i)), i);
    if (i % 100 == 99) {
      cache.Expire(i);
      // Entries at max(0, i-999) .. i remain.
      const uint64_t oldest = i >= 999 ? i - 999 : 0;
      ASSERT_EQ(cache.size(), i + 1 - oldest) << i;
      ASSERT_EQ(cache.NextDeadline(), oldest + 1000) << i;
    }
    ASSERT_LE(cache.size(), 1100u);
  }
  EXPECT_EQ(cache.Lookup(98999, 99999), nullptr);
  ASSERT_NE(cache.Lookup(99000, 99999), nullptr);
  EXPECT_EQ(*cache.Lookup(99000, 99999), Answer(static_cast<uint8_t>(99000)));
  cache.Expire(200000);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.NextDeadline(), kNoDeadline);
  const size_t after = HeapInUse();
  EXPECT_LT(after, before + (1u << 20));
}

TEST(DuplicateCacheTest, RepeatedOverwritesWithoutExpireStayBounded) {
  // Only overwrites leave stale slots in the expiry order; a million of them on ten ids with
  // no Expire call must not grow it.
  DuplicateCache cache;
  const size_t before = HeapInUse();
  for (uint64_t i = 0; i < 1'000'000; ++i) cache.Insert(i % 10, {}, i / 100);
  const size_t after = HeapInUse();
  EXPECT_LT(after, before + (1u << 20)) << "order_ grew unboundedly";
  EXPECT_EQ(cache.size(), 10u);
  EXPECT_EQ(cache.NextDeadline(), 9999u + 15000u);
  cache.Expire(9999 + 15000);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(DuplicateCacheTest, EvictionAtCapacityUnderChurnKeepsTheNewest) {
  DuplicateCache::Options options;
  options.max_entries = 64;
  DuplicateCache cache(options);
  for (uint64_t i = 0; i < 100000; ++i) {
    cache.Insert(i, Answer(1), i);
    ASSERT_LE(cache.size(), 64u);
  }
  EXPECT_EQ(cache.size(), 64u);
  EXPECT_EQ(cache.Lookup(100000 - 65, 100000), nullptr);
  EXPECT_NE(cache.Lookup(100000 - 64, 100000), nullptr);
  EXPECT_EQ(cache.NextDeadline(), 100000u - 64 + 15000);
}

// Random inserts (one per ms, so no ties), lookups and expiries against a reference model.
TEST(DuplicateCacheTest, MatchesAReferenceModelUnderRandomOperations) {
  DuplicateCache::Options options;
  options.ttl_ms = 500;
  options.max_entries = 30;
  DuplicateCache cache(options);
  std::map<uint64_t, std::pair<uint8_t, uint64_t>> ref;  // txid -> (answer byte, time)
  std::mt19937_64 rng(7);
  uint64_t now = 0;
  for (int step = 0; step < 200000; ++step) {
    now += 1 + rng() % 20;
    const uint64_t txid = rng() % 50;
    switch (rng() % 4) {
      case 0:
      case 1: {
        const auto answer = static_cast<uint8_t>(rng());
        cache.Insert(txid, Answer(answer), now);
        ref[txid] = {answer, now};
        if (ref.size() > options.max_entries) {
          auto oldest = ref.begin();
          for (auto it = ref.begin(); it != ref.end(); ++it) {
            if (it->second.second < oldest->second.second) oldest = it;
          }
          ref.erase(oldest);
        }
        break;
      }
      case 2: {
        const std::vector<uint8_t>* got = cache.Lookup(txid, now);
        const auto it = ref.find(txid);
        const bool live = it != ref.end() && now - it->second.second < options.ttl_ms;
        ASSERT_EQ(got != nullptr, live) << step;
        if (got) {
          EXPECT_EQ(*got, Answer(it->second.first));
        }
        break;
      }
      default:
        cache.Expire(now);
        std::erase_if(ref, [&](const auto& kv) { return now - kv.second.second >= 500; });
    }
    uint64_t want_next = kNoDeadline;
    for (const auto& [id, v] : ref) want_next = std::min(want_next, v.second + options.ttl_ms);
    ASSERT_EQ(cache.NextDeadline(), want_next) << step;
    ASSERT_EQ(cache.size(), ref.size()) << step;
  }
}

}  // namespace
}  // namespace p2psip::core

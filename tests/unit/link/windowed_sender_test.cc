// WindowedSender: slow start opens the window on ACKs, a gap in the ACK bitmask halves it and
// a timeout drops it to one, once per loss event; the cap is never exceeded; retransmissions
// take new sequence numbers; a message is given up after 5 transmissions; link failure.
#include "p2psip/link/windowed_sender.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

namespace p2psip::link {
namespace {

constexpr uint64_t kMs = 1000;

std::unique_ptr<WindowedSender> Make(WindowedOptions o = {}) {
  auto s = WindowedSender::Create(o);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : nullptr;
}

std::vector<uint32_t> Sequences(const SenderOutput& out) {
  std::vector<uint32_t> v;
  for (const Transmission& t : out.transmit) v.push_back(t.sequence);
  return v;
}

TEST(WindowedSenderTest, SlowStartOpensTheWindowOnAcks) {
  auto s = Make();
  for (SlotId i = 0; i < 100; ++i) s->Push(i);
  SenderOutput out;
  s->Poll(0, out);
  EXPECT_EQ(Sequences(out), (std::vector<uint32_t>{0, 1, 2}));  // initial window 3
  EXPECT_EQ(s->window(), 3u);
  // Each ACK in slow start adds one: the ACKed slot is replaced and one more goes out.
  for (uint32_t seq = 0; seq < 3; ++seq) {
    out.Clear();
    s->OnAck(seq, 0, 10 * kMs, out);
    EXPECT_EQ(out.delivered.size(), 1u);
    EXPECT_EQ(out.transmit.size(), 2u);
  }
  EXPECT_EQ(s->window(), 6u);
  EXPECT_EQ(s->in_flight(), 6u);
  EXPECT_EQ(s->counters().messages_acked, 3u);
}

TEST(WindowedSenderTest, BitmaskAcknowledgesEarlierMessagesWhoseAcksWereLost) {
  auto s = Make();
  for (SlotId i = 0; i < 3; ++i) s->Push(i);
  SenderOutput out;
  s->Poll(0, out);
  out.Clear();
  s->OnAck(2, 0b11, 5 * kMs, out);  // N = 2 with bits for 1 and 0
  std::vector<SlotId> delivered = out.delivered;
  std::sort(delivered.begin(), delivered.end());
  EXPECT_EQ(delivered, (std::vector<SlotId>{0, 1, 2}));
  EXPECT_EQ(s->counters().rtt_samples, 1u);  // only N itself is a sample
  EXPECT_EQ(s->in_flight(), 0u);
}

// Acks everything in flight in sequence order, `rounds` times; checks the cap on the way.
void AckAllInOrder(WindowedSender& s, SenderOutput& out, uint64_t now_us, int rounds,
                   uint32_t* next_ack) {
  for (int r = 0; r < rounds; ++r) {
    const uint32_t until = s.next_sequence();
    for (; *next_ack != until; ++*next_ack) {
      out.Clear();
      s.OnAck(*next_ack, 0, now_us, out);
      ASSERT_LE(s.in_flight(), s.max_window());
      ASSERT_LE(s.window(), s.max_window());
    }
  }
}

TEST(WindowedSenderTest, NeverExceedsTheCap) {
  auto s = Make({.max_window = 8});
  for (SlotId i = 0; i < 1000; ++i) s->Push(i);
  SenderOutput out;
  s->Poll(0, out);
  uint32_t next_ack = 0;
  AckAllInOrder(*s, out, 10 * kMs, 20, &next_ack);
  EXPECT_EQ(s->window(), 8u);
  EXPECT_EQ(s->in_flight(), 8u);
  EXPECT_EQ(s->counters().max_in_flight, 8u);
}

TEST(WindowedSenderTest, GapInAcksHalvesOncePerWindowAndRetransmitsWithNewSequence) {
  auto s = Make({.max_window = 16});
  for (SlotId i = 0; i < 1000; ++i) s->Push(i);
  SenderOutput out;
  s->Poll(0, out);
  uint32_t next_ack = 0;
  AckAllInOrder(*s, out, 10 * kMs, 6, &next_ack);
  ASSERT_EQ(s->window(), 16u);
  ASSERT_EQ(s->in_flight(), 16u);
  // Sequences next_ack .. next_ack+15 are in flight. Lose the first two; ACK the others.
  const uint32_t lost = next_ack;
  const uint32_t first_new = s->next_sequence();
  std::vector<uint32_t> retransmitted;
  for (uint32_t seq = lost + 2; seq < lost + 16; ++seq) {
    out.Clear();
    s->OnAck(seq, 0, 20 * kMs, out);
    for (const Transmission& t : out.transmit) {
      if (t.slot == lost % 1000 || t.slot == (lost + 1) % 1000) retransmitted.push_back(t.sequence);
    }
  }
  EXPECT_EQ(s->counters().loss_events, 1u);  // both losses are one congestion event
  EXPECT_EQ(s->counters().fast_retransmits, 2u);
  EXPECT_EQ(s->ssthresh(), 8.0);  // FlightSize 16 / 2
  EXPECT_LT(s->cwnd(), 10.0);     // then congestion avoidance: +1/cwnd per ACK
  EXPECT_GE(s->cwnd(), 8.0);
  ASSERT_EQ(retransmitted.size(), 2u);
  for (uint32_t seq : retransmitted) EXPECT_GE(seq, first_new);  // new sequence numbers
  EXPECT_NE(retransmitted[0], retransmitted[1]);
}

TEST(WindowedSenderTest, ReorderingShorterThanThresholdIsNotLoss) {
  auto s = Make();
  for (SlotId i = 0; i < 3; ++i) s->Push(i);
  SenderOutput out;
  s->Poll(0, out);
  out.Clear();
  s->OnAck(2, 0, 5 * kMs, out);  // 0 and 1 are only 2 and 1 behind
  EXPECT_EQ(s->counters().loss_events, 0u);
  EXPECT_EQ(s->counters().retransmissions, 0u);
}

TEST(WindowedSenderTest, TimeoutDropsWindowToOne) {
  auto s = Make();
  for (SlotId i = 0; i < 10; ++i) s->Push(i);
  SenderOutput out;
  s->Poll(0, out);
  ASSERT_EQ(s->in_flight(), 3u);
  out.Clear();
  s->Poll(500 * kMs, out);  // all three time out together
  EXPECT_EQ(s->counters().timeouts, 3u);
  EXPECT_EQ(s->counters().loss_events, 1u);
  EXPECT_EQ(s->window(), 1u);
  EXPECT_EQ(s->ssthresh(), 2.0);
  // Retransmitted (not held back by the smaller window) under new numbers 3, 4, 5.
  std::vector<uint32_t> seqs = Sequences(out);
  std::sort(seqs.begin(), seqs.end());
  EXPECT_EQ(seqs, (std::vector<uint32_t>{3, 4, 5}));
  EXPECT_EQ(s->rto().rto_us(), 1000 * kMs);  // backed off once, not three times
}

TEST(WindowedSenderTest, GivesUpAfterFiveTransmissionsWithDistinctSequences) {
  auto s = Make();
  s->Push(42);
  SenderOutput out;
  std::set<uint32_t> seqs;
  uint64_t now = 0;
  int transmissions = 0;
  bool failed_before_given_up = false;
  for (int step = 0; step < 10 && s->in_flight() + s->queued() > 0; ++step) {
    out.Clear();
    s->Poll(now, out);
    for (const Transmission& t : out.transmit) {
      seqs.insert(t.sequence);
      ++transmissions;
    }
    if (!out.given_up.empty()) {
      EXPECT_EQ(out.given_up, std::vector<SlotId>{42});
      failed_before_given_up = s->health() == LinkHealth::kFailed;
    }
    now = s->NextDeadline() == kNever ? now : s->NextDeadline();
  }
  EXPECT_EQ(transmissions, 5);
  EXPECT_EQ(seqs.size(), 5u);
  EXPECT_EQ(s->counters().messages_given_up, 1u);
  EXPECT_TRUE(failed_before_given_up);
  EXPECT_EQ(now, 15500 * kMs);
}

TEST(WindowedSenderTest, SequenceNumbersWrapAroundTwoToThe32) {
  auto s = Make({.initial_sequence = UINT32_MAX - 4});
  for (SlotId i = 0; i < 40; ++i) s->Push(i);
  SenderOutput out;
  s->Poll(0, out);
  uint32_t next_ack = UINT32_MAX - 4;
  AckAllInOrder(*s, out, 10 * kMs, 10, &next_ack);
  EXPECT_EQ(s->counters().messages_acked, 40u);
  EXPECT_EQ(s->counters().retransmissions, 0u);
  EXPECT_EQ(s->counters().unknown_acks + s->counters().stale_acks, 0u);
  out.Clear();
  s->OnAck(UINT32_MAX - 5, 0, 20 * kMs, out);  // just before the first: never sent
  s->OnAck(UINT32_MAX, 0, 20 * kMs, out);      // sent and acknowledged already
  EXPECT_EQ(s->counters().unknown_acks, 1u);
  EXPECT_EQ(s->counters().stale_acks, 1u);
}

TEST(WindowedSenderTest, RejectsBadOptions) {
  EXPECT_FALSE(WindowedSender::Create({.initial_window = 0}).ok());
  EXPECT_FALSE(WindowedSender::Create({.initial_window = 10, .max_window = 5}).ok());
  EXPECT_FALSE(WindowedSender::Create({.max_transmissions = 0}).ok());
}

}  // namespace
}  // namespace p2psip::link

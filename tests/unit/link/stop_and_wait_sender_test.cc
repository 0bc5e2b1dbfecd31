// StopAndWaitSender: RFC 6940 §6.6.3.2's example timeline (t = 0, 500, 1500, 3500, 7500 ms,
// give-up), the 10 ms pause, one message in flight, link failure after an RTO and 3 more
// retransmissions (and not before), stale and unknown ACKs.
#include "p2psip/link/stop_and_wait_sender.h"

#include <gtest/gtest.h>

#include <vector>

namespace p2psip::link {
namespace {

constexpr uint64_t kMs = 1000;

class StopAndWaitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = StopAndWaitSender::Create();
    ASSERT_TRUE(s.ok()) << s.status();
    sender_ = *std::move(s);
  }
  // Polls at `t_ms` and returns the sequence numbers transmitted.
  std::vector<uint32_t> PollAt(uint64_t t_ms) {
    out_.Clear();
    sender_->Poll(t_ms * kMs, out_);
    return Sequences();
  }
  std::vector<uint32_t> AckAt(uint64_t t_ms, uint32_t seq, uint32_t received = 0) {
    out_.Clear();
    sender_->OnAck(seq, received, t_ms * kMs, out_);
    return Sequences();
  }
  std::vector<uint32_t> Sequences() const {
    std::vector<uint32_t> v;
    for (const Transmission& t : out_.transmit) v.push_back(t.sequence);
    return v;
  }

  std::unique_ptr<StopAndWaitSender> sender_;
  SenderOutput out_;
};

TEST_F(StopAndWaitTest, RetransmitsAtDoublingRtoThenGivesUp) {
  sender_->Push(7);
  EXPECT_EQ(PollAt(0), std::vector<uint32_t>{0});
  EXPECT_EQ(out_.transmit[0].slot, 7u);
  const uint64_t expected_ms[] = {500, 1500, 3500, 7500};
  for (uint32_t i = 0; i < 4; ++i) {
    EXPECT_EQ(sender_->NextDeadline(), expected_ms[i] * kMs);
    EXPECT_TRUE(PollAt(expected_ms[i] - 1).empty());
    // Each retransmission takes a new sequence number (RFC 6940 §6.6.2).
    EXPECT_EQ(PollAt(expected_ms[i]), std::vector<uint32_t>{i + 1});
    EXPECT_TRUE(out_.given_up.empty());
  }
  EXPECT_EQ(sender_->NextDeadline(), 15500 * kMs);  // the 5th transmission waits 8 s
  EXPECT_TRUE(PollAt(15499).empty());
  EXPECT_TRUE(PollAt(15500).empty());
  EXPECT_EQ(out_.given_up, std::vector<SlotId>{7});
  EXPECT_EQ(sender_->in_flight(), 0u);
  EXPECT_EQ(sender_->NextDeadline(), kNever);
  const SenderCounters& c = sender_->counters();
  EXPECT_EQ(c.messages_sent, 1u);
  EXPECT_EQ(c.retransmissions, 4u);
  EXPECT_EQ(c.timeouts, 5u);
  EXPECT_EQ(c.messages_given_up, 1u);
  EXPECT_EQ(c.messages_acked, 0u);
}

TEST_F(StopAndWaitTest, LinkFailsAfterRtoAndThreeRetransmissionsNotBefore) {
  sender_->Push(0);
  PollAt(0);
  for (uint64_t t : {500, 1500, 3500}) {
    PollAt(t);
    EXPECT_EQ(sender_->health(), LinkHealth::kUp) << "at " << t << " ms";
    EXPECT_TRUE(out_.health_changes.empty());
  }
  PollAt(7499);
  EXPECT_EQ(sender_->health(), LinkHealth::kUp);
  PollAt(7500);  // the 3rd retransmission's RTO passed without an ACK
  EXPECT_EQ(sender_->health(), LinkHealth::kFailed);
  EXPECT_EQ(out_.health_changes, std::vector<LinkHealth>{LinkHealth::kFailed});
  EXPECT_EQ(sender_->counters().link_failures, 1u);
  PollAt(15500);
  EXPECT_TRUE(out_.health_changes.empty());  // reported once
  // ACKs resume (here a late one for the 4th transmission): the link is usable again.
  AckAt(16000, 3);
  EXPECT_EQ(sender_->health(), LinkHealth::kUp);
  EXPECT_EQ(out_.health_changes, std::vector<LinkHealth>{LinkHealth::kUp});
}

TEST(StopAndWaitFailureTest, AnAckOnTheLinkMeanwhilePreventsFailure) {
  auto s = StopAndWaitSender::Create({.rto = {.dynamic = false}});
  ASSERT_TRUE(s.ok());
  StopAndWaitSender& sender = **s;
  SenderOutput out;
  sender.Push(0);
  sender.Poll(0, out);
  sender.OnAck(0, 0, 100 * kMs, out);  // message 0 delivered
  sender.Push(1);
  sender.Poll(200 * kMs, out);  // message 1, sequence 1, never acknowledged
  out.Clear();
  sender.OnAck(0, 0, 300 * kMs, out);  // a repeated ACK: stale, but the peer is alive
  EXPECT_EQ(sender.counters().stale_acks, 1u);
  EXPECT_TRUE(out.delivered.empty());
  for (uint64_t t : {700, 1700, 3700, 7700, 15700}) sender.Poll(t * kMs, out);
  EXPECT_EQ(sender.counters().messages_given_up, 1u);
  EXPECT_EQ(sender.health(), LinkHealth::kUp);
  EXPECT_EQ(sender.counters().link_failures, 0u);
}

TEST_F(StopAndWaitTest, OneInFlightAndTenMillisecondPauseAfterAck) {
  sender_->Push(1);
  sender_->Push(2);
  EXPECT_EQ(PollAt(0), std::vector<uint32_t>{0});
  EXPECT_EQ(sender_->in_flight(), 1u);
  EXPECT_EQ(sender_->queued(), 1u);
  EXPECT_TRUE(AckAt(40, 0).empty());  // delivered, but the next waits 10 ms
  EXPECT_EQ(out_.delivered, std::vector<SlotId>{1});
  EXPECT_EQ(sender_->NextDeadline(), 50 * kMs);
  EXPECT_TRUE(PollAt(49).empty());
  EXPECT_EQ(PollAt(50), std::vector<uint32_t>{1});
  EXPECT_EQ(out_.transmit[0].slot, 2u);
  EXPECT_EQ(sender_->counters().max_in_flight, 1u);
}

TEST_F(StopAndWaitTest, AckOfEarlierTransmissionDeliversAndSamplesItsRtt) {
  sender_->Push(0);
  PollAt(0);
  PollAt(500);  // second transmission, sequence 1
  AckAt(600, 0);
  EXPECT_EQ(out_.delivered, std::vector<SlotId>{0});
  EXPECT_EQ(sender_->counters().rtt_samples, 1u);
  // R = 600 ms: SRTT 600, RTTVAR 300, RTO = 600 + 1200 = 1800 ms; the sample cleared backoff.
  EXPECT_EQ(sender_->rto().rto_us(), 1800 * kMs);
  // The second transmission's ACK arrives later: stale, counted and ignored.
  AckAt(700, 1);
  EXPECT_TRUE(out_.delivered.empty());
  EXPECT_EQ(sender_->counters().stale_acks, 1u);
  EXPECT_EQ(sender_->counters().messages_acked, 1u);
}

TEST_F(StopAndWaitTest, UnknownAckIsCountedAndIgnored) {
  sender_->Push(0);
  PollAt(0);
  AckAt(10, 1, 0xFFFFFFFF);  // sequence 1 was never sent; its bitmask must not deliver 0
  EXPECT_TRUE(out_.delivered.empty());
  EXPECT_EQ(sender_->in_flight(), 1u);
  EXPECT_EQ(sender_->counters().unknown_acks, 1u);
  EXPECT_EQ(sender_->counters().rtt_samples, 0u);
}

TEST(StopAndWaitOptionsTest, RejectsBadOptions) {
  EXPECT_FALSE(StopAndWaitSender::Create({.max_transmissions = 0}).ok());
  EXPECT_FALSE(StopAndWaitSender::Create({.max_transmissions = 9}).ok());
  EXPECT_FALSE(StopAndWaitSender::Create({.rto = {.min_ms = 0}}).ok());
}

}  // namespace
}  // namespace p2psip::link

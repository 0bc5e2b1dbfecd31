// FramedLink: ACKs with the receive bitmask (one per DATA, or coalesced per burst), malformed
// frames, the queue bound, stream mode (no retransmission; suspect, then failed after 30 s
// without ACKs), and two links wired back to back through a lossy, reordering, duplicating
// in-memory channel (seeded RNG).
#include "p2psip/link/framed_link.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <ostream>
#include <random>
#include <set>
#include <vector>

#include "p2psip/wire/byte_writer.h"
#include "p2psip/wire/decode_error.h"

namespace p2psip::link {
namespace {

constexpr uint64_t kMs = 1000;
using Bytes = std::vector<uint8_t>;

std::unique_ptr<FramedLink> Make(FramedLinkOptions o = {}) {
  auto l = FramedLink::Create(o);
  EXPECT_TRUE(l.ok()) << l.status();
  return l.ok() ? *std::move(l) : nullptr;
}

Bytes DataFrame(uint32_t seq, const Bytes& message) {
  Bytes out;
  wire::ByteWriter w(&out);
  wire::EncodeDataFrame(w, seq, message);
  return out;
}

Bytes AckFrame(uint32_t seq, uint32_t received) {
  Bytes out;
  wire::ByteWriter w(&out);
  wire::EncodeAckFrame(w, seq, received);
  return out;
}

std::vector<wire::FrameView> TakeOutput(FramedLink& link, std::vector<Bytes>* keep) {
  std::vector<wire::FrameView> frames;
  keep->clear();
  link.FlushAck();
  while (link.HasOutput()) {
    keep->emplace_back(link.FrontFrame().begin(), link.FrontFrame().end());
    link.PopFrame();
  }
  for (const Bytes& b : *keep) {
    wire::FrameView f;
    wire::DecodeError e;
    EXPECT_TRUE(wire::DecodeFrame(b, &f, &e));
    frames.push_back(f);
  }
  return frames;
}

TEST(FramedLinkTest, DataIsDeliveredAndAckedWithBitmask) {
  auto link = Make({.coalesce_acks = false});
  const Bytes m1 = {1, 2, 3};
  const Bytes frame = DataFrame(5, m1);  // the delivered message is a view of it
  Received r = link->OnReceive(frame, 0);
  ASSERT_EQ(r.kind, ReceiveKind::kData);
  EXPECT_EQ(Bytes(r.message.begin(), r.message.end()), m1);
  EXPECT_EQ(link->OnReceive(DataFrame(7, {9}), 0).kind, ReceiveKind::kData);
  // The same sequence again (the network duplicated it): ACKed again, not delivered again.
  EXPECT_EQ(link->OnReceive(DataFrame(7, {9}), 0).kind, ReceiveKind::kDuplicateData);
  std::vector<Bytes> keep;
  auto frames = TakeOutput(*link, &keep);
  ASSERT_EQ(frames.size(), 3u);
  for (const auto& f : frames) EXPECT_EQ(f.type, wire::kFrameAck);
  EXPECT_EQ(frames[0].sequence, 5u);
  EXPECT_EQ(frames[1].sequence, 7u);
  EXPECT_EQ(frames[1].received, 0b10u);  // 5 = 7 - 1 - 1: bit 1
  EXPECT_EQ(link->counters().data_delivered, 2u);
  EXPECT_EQ(link->counters().data_duplicates, 1u);
  EXPECT_EQ(link->counters().acks_out, 3u);
}

TEST(FramedLinkTest, OneAckAnswersABurst) {
  auto link = Make();                      // coalesce_acks is the default
  for (uint32_t seq : {5u, 7u, 6u, 7u}) {  // reordered, and 7 duplicated
    EXPECT_NE(link->OnReceive(DataFrame(seq, {1}), 0).kind, ReceiveKind::kMalformed);
    EXPECT_FALSE(link->HasOutput());  // pending until the burst ends
  }
  EXPECT_TRUE(link->ack_pending());
  std::vector<Bytes> keep;
  auto frames = TakeOutput(*link, &keep);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].type, wire::kFrameAck);
  EXPECT_EQ(frames[0].sequence, 7u);     // the highest
  EXPECT_EQ(frames[0].received, 0b11u);  // 6 at bit 0 (it came after 7), 5 at bit 1
  EXPECT_EQ(link->counters().acks_out, 1u);
  EXPECT_EQ(link->counters().acks_coalesced, 3u);
  EXPECT_EQ(link->counters().data_delivered, 3u);
  EXPECT_EQ(link->counters().data_duplicates, 1u);
  EXPECT_FALSE(link->ack_pending());
  link->FlushAck();  // nothing pending: nothing queued
  EXPECT_FALSE(link->HasOutput());
}

TEST(FramedLinkTest, CoalescedAckNeverReachesBeyondItsBitmask) {
  auto link = Make();
  // 100 and 132 fit one ACK (100 is its MSB); 133 does not reach back to 100, so 132's ACK
  // goes first; 99 is 34 below 133, and 134 is 35 above 99: each starts a new ACK.
  for (uint32_t seq : {100u, 132u, 133u, 99u, 134u}) (void)link->OnReceive(DataFrame(seq, {}), 0);
  std::vector<Bytes> keep;
  auto frames = TakeOutput(*link, &keep);
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(frames[0].sequence, 132u);
  EXPECT_EQ(frames[0].received, 0x80000000u);
  EXPECT_EQ(frames[1].sequence, 133u);
  EXPECT_EQ(frames[1].received, 0x1u);  // 132; 100 is N-33, outside
  EXPECT_EQ(frames[2].sequence, 99u);
  EXPECT_EQ(frames[2].received, 0u);  // 98 .. 67 never arrived
  EXPECT_EQ(frames[3].sequence, 134u);
  EXPECT_EQ(frames[3].received, 0x3u);  // 133, 132
  EXPECT_EQ(link->counters().acks_out, 4u);
  EXPECT_EQ(link->counters().acks_coalesced, 1u);
}

TEST(FramedLinkTest, FarApartSequencesAreNeverCoalesced) {
  auto link = Make();
  // 0x80000010 is "after" 29 and "before" 5 in 32-bit serial arithmetic: half the space away.
  for (uint32_t seq : {5u, 29u, 0x80000010u, 0xFFFFFFF0u, 3u}) {
    (void)link->OnReceive(DataFrame(seq, {}), 0);
  }
  std::vector<Bytes> keep;
  auto frames = TakeOutput(*link, &keep);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].sequence, 29u);
  EXPECT_EQ(frames[0].received & (1u << 23), 1u << 23);  // 5 = 29 - 23 - 1
  EXPECT_EQ(frames[1].sequence, 0x80000010u);
  EXPECT_EQ(frames[2].sequence, 3u);  // 0xFFFFFFF0 and 3 lie 19 apart across the wrap
  EXPECT_EQ(frames[2].received & (1u << 18), 1u << 18);
}

TEST(FramedLinkTest, SenderTakesACoalescedAckForEveryFrameItNames) {
  auto a = Make();
  auto b = Make();
  for (uint8_t i = 0; i < 8; ++i) {
    EXPECT_EQ(a->Send(Bytes{i}, 0), SendResult::kQueued);
  }
  int data_frames = 0;
  while (a->HasOutput()) {  // the whole initial window goes out in one burst
    EXPECT_EQ(b->OnReceive(a->FrontFrame(), kMs).kind, ReceiveKind::kData);
    a->PopFrame();
    ++data_frames;
  }
  ASSERT_GT(data_frames, 1);
  std::vector<Bytes> keep;
  auto acks = TakeOutput(*b, &keep);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(a->OnReceive(keep[0], 2 * kMs).kind, ReceiveKind::kAck);
  EXPECT_EQ(a->sender().counters().messages_acked, static_cast<uint64_t>(data_frames));
  LinkEvent e;
  int delivered = 0;
  while (a->PollEvent(&e)) delivered += e.type == LinkEvent::Type::kDelivered;
  EXPECT_EQ(delivered, data_frames);
}

TEST(FramedLinkTest, MalformedFramesAreCountedAndDropped) {
  auto link = Make();
  const Bytes bad[] = {
      {}, {0x80}, {0x81, 0, 0, 0, 1}, {0x42, 1, 2, 3}, {0x80, 0, 0, 0, 1, 0, 0, 9}};
  for (const Bytes& b : bad) EXPECT_EQ(link->OnReceive(b, 0).kind, ReceiveKind::kMalformed);
  Bytes trailing = AckFrame(1, 0);
  trailing.push_back(0);
  EXPECT_EQ(link->OnReceive(trailing, 0).kind, ReceiveKind::kMalformed);
  EXPECT_EQ(link->counters().malformed, 6u);
  EXPECT_FALSE(link->HasOutput());
}

TEST(FramedLinkTest, QueueBoundRefusesWithCounterAndFreesOnAck) {
  FramedLinkOptions o;
  o.sender = SenderKind::kStopAndWait;
  o.queue_capacity = 3;
  o.max_message_size = 8;
  auto link = Make(o);
  uint64_t id = 0;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(link->Send(Bytes{1}, 0, &id), SendResult::kQueued);
  EXPECT_EQ(id, 3u);
  EXPECT_EQ(link->Send(Bytes{1}, 0), SendResult::kQueueFull);
  EXPECT_EQ(link->Send(Bytes(9, 0), 0), SendResult::kTooLarge);
  EXPECT_EQ(link->counters().messages_refused_full, 1u);
  EXPECT_EQ(link->counters().messages_refused_too_large, 1u);
  EXPECT_EQ(link->output_size(), 1u);  // stop-and-wait: one DATA frame out
  EXPECT_EQ(link->OnReceive(AckFrame(0, 0), 5 * kMs).kind, ReceiveKind::kAck);
  LinkEvent e;
  ASSERT_TRUE(link->PollEvent(&e));
  EXPECT_EQ(e.type, LinkEvent::Type::kDelivered);
  EXPECT_EQ(e.message_id, 1u);
  EXPECT_EQ(link->Send(Bytes{1}, 5 * kMs), SendResult::kQueued);
}

TEST(FramedLinkTest, StreamModeNeverRetransmitsAndFailsAfterThirtySeconds) {
  FramedLinkOptions o;
  o.mode = LinkMode::kStream;
  auto link = Make(o);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(link->Send(Bytes{uint8_t(i)}, 0), SendResult::kQueued);
  EXPECT_EQ(link->output_size(), 5u);    // all at once: TCP does the flow control
  EXPECT_EQ(link->messages_held(), 0u);  // slots released once framed
  std::vector<Bytes> keep;
  TakeOutput(*link, &keep);
  std::vector<LinkEvent::Type> events;
  uint64_t now = 0;
  for (int step = 0; step < 50 && link->NextDeadline() != kNever; ++step) {
    now = link->NextDeadline();
    link->OnTimer(now);
    EXPECT_FALSE(link->HasOutput());  // nothing is ever retransmitted
    LinkEvent e;
    while (link->PollEvent(&e)) events.push_back(e.type);
  }
  EXPECT_EQ(events,
            (std::vector<LinkEvent::Type>{LinkEvent::Type::kSuspect, LinkEvent::Type::kFailed}));
  EXPECT_EQ(now, 30'000 * kMs);
  EXPECT_EQ(link->sender().counters().retransmissions, 0u);
  // An ACK of the 4th message acknowledges the first four (in-order transport) and revives it.
  link->OnReceive(AckFrame(3, 0), now + 1);
  EXPECT_EQ(link->health(), LinkHealth::kUp);
  EXPECT_EQ(link->sender().counters().messages_acked, 4u);
  EXPECT_EQ(link->sender().counters().rtt_samples, 1u);
}

// Two links joined by a channel with delay, jitter (so reordering), loss and duplication.
struct Channel {
  struct InFlight {
    int to;
    Bytes frame;
  };
  double loss;
  double duplicate = 0.01;
  uint64_t delay_us = 10 * kMs;
  uint64_t jitter_us = 8 * kMs;
  std::mt19937_64 rng;
  std::multimap<uint64_t, InFlight> wire;

  void Carry(FramedLink& from, int to, uint64_t now) {
    std::uniform_real_distribution<double> u(0, 1);
    from.FlushAck();  // what arrived since the last step is one burst
    while (from.HasOutput()) {
      Bytes frame(from.FrontFrame().begin(), from.FrontFrame().end());
      from.PopFrame();
      const int copies = u(rng) < duplicate ? 2 : 1;
      for (int c = 0; c < copies; ++c) {
        if (u(rng) < loss) continue;
        const uint64_t at = now + delay_us + static_cast<uint64_t>(u(rng) * jitter_us);
        wire.emplace(at, InFlight{to, frame});
      }
    }
  }
};

struct Side {
  std::unique_ptr<FramedLink> link;
  std::map<uint32_t, int> received;  // message number -> times delivered up
  std::set<uint32_t> acked, given_up;
  std::map<uint64_t, uint32_t> id_to_number;
};

Bytes Message(uint32_t number) {
  Bytes m(4 + number % 50, static_cast<uint8_t>(number));
  std::memcpy(m.data(), &number, 4);
  return m;
}

struct Result {
  Side a, b;
};

// A sends `count` messages to B and B sends `count` to A; runs until both are idle.
Result RunBackToBack(FramedLinkOptions o, double loss, uint64_t seed, uint32_t count) {
  Result r;
  r.a.link = Make(o);
  r.b.link = Make(o);
  Channel ch{.loss = loss, .rng = std::mt19937_64(seed)};
  Side* sides[2] = {&r.a, &r.b};
  for (uint32_t n = 0; n < count; ++n) {
    for (Side* s : sides) {
      uint64_t id = 0;
      EXPECT_EQ(s->link->Send(Message(n), 0, &id), SendResult::kQueued);
      s->id_to_number[id] = n;
    }
  }
  uint64_t now = 0;
  for (int step = 0; step < 2'000'000; ++step) {
    ch.Carry(*r.a.link, 1, now);
    ch.Carry(*r.b.link, 0, now);
    uint64_t next = std::min(r.a.link->NextDeadline(), r.b.link->NextDeadline());
    if (!ch.wire.empty()) next = std::min(next, ch.wire.begin()->first);
    if (next == kNever || next > 3600'000 * kMs) break;
    now = std::max(now, next);
    while (!ch.wire.empty() && ch.wire.begin()->first <= now) {
      auto node = ch.wire.extract(ch.wire.begin());
      Side& to = *sides[node.mapped().to];
      Received got = to.link->OnReceive(node.mapped().frame, now);
      if (got.kind == ReceiveKind::kData) {
        uint32_t n;
        EXPECT_GE(got.message.size(), 4u);
        std::memcpy(&n, got.message.data(), 4);
        EXPECT_EQ(Bytes(got.message.begin(), got.message.end()), Message(n));
        ++to.received[n];
      }
    }
    for (Side* s : sides) {
      if (s->link->NextDeadline() <= now) s->link->OnTimer(now);
      LinkEvent e;
      while (s->link->PollEvent(&e)) {
        if (e.type == LinkEvent::Type::kDelivered) s->acked.insert(s->id_to_number[e.message_id]);
        if (e.type == LinkEvent::Type::kGivenUp) s->given_up.insert(s->id_to_number[e.message_id]);
      }
    }
  }
  return r;
}

struct ChannelParam {
  SenderKind sender;
  double loss;
  uint64_t seed;
  bool coalesce_acks = true;
};

void PrintTo(const ChannelParam& p, std::ostream* os) {
  *os << (p.sender == SenderKind::kWindowed ? "windowed" : "stop-and-wait") << " loss " << p.loss
      << " seed " << p.seed << (p.coalesce_acks ? " coalesced ACKs" : " one ACK per DATA");
}

class BackToBackTest : public ::testing::TestWithParam<ChannelParam> {};

TEST_P(BackToBackTest, EveryMessageArrivesOrIsReportedGivenUp) {
  const ChannelParam p = GetParam();
  FramedLinkOptions o;
  o.sender = p.sender;
  o.coalesce_acks = p.coalesce_acks;
  constexpr uint32_t kCount = 200;
  Result r = RunBackToBack(o, p.loss, p.seed, kCount);
  for (auto [sender, receiver] : {std::pair{&r.a, &r.b}, std::pair{&r.b, &r.a}}) {
    EXPECT_EQ(sender->link->messages_held(), 0u);  // finished: nothing queued or in flight
    EXPECT_EQ(sender->acked.size() + sender->given_up.size(), kCount);
    uint64_t duplicates = 0;
    for (uint32_t n = 0; n < kCount; ++n) {
      auto it = receiver->received.find(n);
      const int times = it == receiver->received.end() ? 0 : it->second;
      // Acknowledged means received; given up may or may not have arrived (lost ACKs).
      if (sender->acked.count(n)) {
        EXPECT_GE(times, 1) << n;
      } else {
        EXPECT_TRUE(sender->given_up.count(n)) << n;
      }
      duplicates += times > 1 ? times - 1 : 0;
    }
    EXPECT_LE(receiver->received.size(), kCount);  // nothing that was never sent
    const SenderCounters& c = sender->link->sender().counters();
    EXPECT_EQ(c.messages_acked, sender->acked.size());
    EXPECT_EQ(c.messages_given_up, sender->given_up.size());
    EXPECT_LE(sender->link->sender().counters().max_in_flight, sender->link->sender().max_window());
    if (p.loss == 0) {
      // Nothing lost: every message once, none given up. Stop-and-wait never retransmits here
      // (RTT << RTO); the windowed sender may retransmit spuriously after reordering, which
      // shows up as a duplicate delivery that transaction ids absorb upstream.
      EXPECT_EQ(sender->acked.size(), kCount);
      EXPECT_EQ(receiver->received.size(), kCount);
      if (p.sender == SenderKind::kStopAndWait) {
        EXPECT_EQ(duplicates, 0u);
      }
    } else {
      EXPECT_GT(c.retransmissions, 0u);
      // With loss well under 100% and five tries, giving up is rare.
      EXPECT_LT(sender->given_up.size(), kCount / 20);
    }
    EXPECT_EQ(receiver->link->counters().data_delivered, receiver->received.size() + duplicates);
    // Shown in the test log (and the XML report): how often the RFC's duplicates happened.
    ::testing::Test::RecordProperty(sender == &r.a ? "a_duplicates" : "b_duplicates",
                                    static_cast<int>(duplicates));
    ::testing::Test::RecordProperty(sender == &r.a ? "a_given_up" : "b_given_up",
                                    static_cast<int>(sender->given_up.size()));
  }
}

INSTANTIATE_TEST_SUITE_P(LossAndReordering, BackToBackTest,
                         ::testing::Values(ChannelParam{SenderKind::kStopAndWait, 0.0, 1},
                                           ChannelParam{SenderKind::kStopAndWait, 0.1, 2},
                                           ChannelParam{SenderKind::kStopAndWait, 0.3, 3},
                                           ChannelParam{SenderKind::kWindowed, 0.0, 4},
                                           ChannelParam{SenderKind::kWindowed, 0.1, 5},
                                           ChannelParam{SenderKind::kWindowed, 0.3, 6},
                                           ChannelParam{SenderKind::kStopAndWait, 0.1, 7, false},
                                           ChannelParam{SenderKind::kWindowed, 0.0, 8, false},
                                           ChannelParam{SenderKind::kWindowed, 0.1, 9, false}));

TEST(FramedLinkTest, CreateRejectsBadOptions) {
  EXPECT_FALSE(FramedLink::Create({.queue_capacity = 0}).ok());
  FramedLinkOptions o;
  o.windowed.max_window = 0;
  EXPECT_FALSE(FramedLink::Create(o).ok());
}

}  // namespace
}  // namespace p2psip::link

// LinkManager with real DTLS sessions, its datagrams carried by the test: links in both
// directions, both ends opening at once (glare), garbage, and a link made by one manager and
// handed to another (handshakes on the slow path, then the owner worker).
#include "p2psip/runtime/link_manager.h"

#include <deque>
#include <memory>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "p2psip/wire/body.h"
#include "p2psip/wire/fragmentation.h"
#include "p2psip/wire/message.h"
#include "runtime_test_util.h"

namespace p2psip::runtime {
namespace {

using testing::Pki;

NodeId IdOf(uint8_t b) { return NodeId(std::vector<uint8_t>(16, b)); }

port::Endpoint At(const char* text) { return *port::Endpoint::Parse(text); }

class LinkManagerTest : public ::testing::Test {
 protected:
  struct End {
    port::Endpoint at;
    std::unique_ptr<LinkManager> links;
    LinkEvents events;
    NodeId id;
  };

  End Make(uint8_t id, const char* at) {
    Pki::Member m = pki_.Issue(IdOf(id));
    LinkManagerOptions o;
    o.context = testing::ContextOf(pki_, m);
    o.local = At(at);
    return End{At(at), std::make_unique<LinkManager>(o), {}, IdOf(id)};
  }

  // Moves every datagram between the two ends until both are quiet (bounded).
  void Pump(End& a, End& b) {
    for (int round = 0; round < 50; ++round) {
      std::vector<OutDatagram> from_a, from_b;
      a.links->TakeOutput(&from_a);
      b.links->TakeOutput(&from_b);
      if (from_a.empty() && from_b.empty()) return;
      for (OutDatagram& d : from_a) {
        ASSERT_EQ(d.to, b.at);
        b.links->OnDatagram(a.at, d.bytes, now_us_, &b.events);
      }
      for (OutDatagram& d : from_b) {
        ASSERT_EQ(d.to, a.at);
        a.links->OnDatagram(b.at, d.bytes, now_us_, &a.events);
      }
    }
    FAIL() << "datagrams kept flowing";
  }

  Pki pki_;
  uint64_t now_us_ = Clock().NowUs();
};

TEST_F(LinkManagerTest, OpensALinkAndCarriesMessagesBothWays) {
  End a = Make(1, "127.0.0.1:7000"), b = Make(2, "127.0.0.2:7000");
  const core::LinkId la = a.links->Open(b.at, b.id, now_us_, &a.events);
  ASSERT_NE(la, core::kNoLink);
  Pump(a, b);
  ASSERT_EQ(a.events.ups.size(), 1u);
  EXPECT_EQ(a.events.ups[0].peer, b.id);
  ASSERT_EQ(b.events.ups.size(), 1u);
  EXPECT_EQ(b.events.ups[0].peer, a.id);
  const core::LinkId lb = b.events.ups[0].link;
  a.links->Send(la, std::vector<uint8_t>{1, 2, 3}, now_us_);
  b.links->Send(lb, std::vector<uint8_t>{4, 5}, now_us_);
  Pump(a, b);
  ASSERT_EQ(b.events.messages.size(), 1u);
  EXPECT_THAT(b.events.messages[0].bytes, ::testing::ElementsAre(1, 2, 3));
  ASSERT_EQ(a.events.messages.size(), 1u);
  EXPECT_THAT(a.events.messages[0].bytes, ::testing::ElementsAre(4, 5));
  EXPECT_EQ(a.links->counters().opened, 1u);
  EXPECT_EQ(b.links->counters().accepted, 1u);
}

TEST_F(LinkManagerTest, LongMessagesGoAsReloadFragmentsThatFitTheDatagramBudget) {
  End a = Make(1, "127.0.0.1:7000"), b = Make(2, "127.0.0.2:7000");
  const core::LinkId la = a.links->Open(b.at, b.id, now_us_, &a.events);
  Pump(a, b);
  ASSERT_EQ(b.events.ups.size(), 1u);
  wire::Message m;
  m.header.overlay = 7;
  m.header.transaction_id = 0x1234;
  m.header.destination_list = {wire::Destination::Node(b.id)};
  wire::PingReq ping;
  ping.padding.assign(4500, 0xab);  // under the default max-message-size (5000)
  m.contents = *wire::MakeContents(0x17, ping);
  const std::vector<uint8_t> whole = *wire::EncodeMessage(m);
  a.links->Send(la, whole, now_us_);
  std::vector<OutDatagram> datagrams;
  a.links->TakeOutput(&datagrams);
  for (const OutDatagram& d : datagrams) {
    EXPECT_LE(d.bytes.size(), 1232u) << "a fragment's datagram needs no IP fragmentation";
    b.links->OnDatagram(a.at, d.bytes, now_us_, &b.events);
  }
  Pump(a, b);
  EXPECT_EQ(a.links->counters().fragmented, 1u);
  EXPECT_EQ(a.links->counters().fragments_out, b.events.messages.size());
  ASSERT_GE(b.events.messages.size(), 5u);
  wire::Reassembler reassembler;
  std::vector<uint8_t> rebuilt;
  wire::Reassembler::Result r = wire::Reassembler::Result::kPending;
  for (const auto& message : b.events.messages) {
    EXPECT_LE(message.bytes.size(), 1150u);
    r = reassembler.Add(message.bytes, 0, &rebuilt);
    EXPECT_NE(r, wire::Reassembler::Result::kDropped);
  }
  ASSERT_EQ(r, wire::Reassembler::Result::kComplete);
  EXPECT_EQ(rebuilt, whole);

  // A short message goes whole.
  a.links->Send(la, std::vector<uint8_t>(100, 1), now_us_);
  Pump(a, b);
  EXPECT_EQ(b.events.messages.back().bytes.size(), 100u);
  EXPECT_EQ(a.links->counters().fragmented, 1u);
}

TEST_F(LinkManagerTest, WhenBothEndsOpenAtOnceExactlyOneHandshakeGoesOn) {
  End a = Make(1, "127.0.0.1:7000"), b = Make(2, "127.0.0.2:7000");
  ASSERT_NE(a.links->Open(b.at, b.id, now_us_, &a.events), core::kNoLink);
  ASSERT_NE(b.links->Open(a.at, a.id, now_us_, &b.events), core::kNoLink);
  Pump(a, b);
  // 127.0.0.1 < 127.0.0.2: a's handshake goes on, b answers it as the server.
  EXPECT_EQ(a.links->counters().glare_kept, 1u);
  EXPECT_EQ(b.links->counters().glare_yielded, 1u);
  ASSERT_EQ(a.events.ups.size(), 1u);
  ASSERT_EQ(b.events.ups.size(), 1u);
  EXPECT_EQ(a.events.ups[0].peer, b.id);
  EXPECT_EQ(b.events.ups[0].peer, a.id);
  EXPECT_TRUE(a.events.downs.empty());
  EXPECT_TRUE(b.events.downs.empty());
  EXPECT_EQ(a.links->counters().handshake_failures + b.links->counters().handshake_failures, 0u);
  EXPECT_EQ(a.links->size(), 1u);
  EXPECT_EQ(b.links->size(), 1u);
}

TEST_F(LinkManagerTest, GarbageFromAnUnknownEndpointOpensNothing) {
  End a = Make(1, "127.0.0.1:7000");
  const std::vector<uint8_t> junk = {0x16, 0xFE, 0xFD, 0, 1, 9, 9, 9};
  a.links->OnDatagram(At("127.0.0.9:1"), junk, now_us_, &a.events);
  EXPECT_FALSE(a.links->MayOpen(junk));
  EXPECT_EQ(a.links->counters().not_dtls, 2u);
  EXPECT_EQ(a.links->size(), 0u);
  EXPECT_TRUE(a.events.empty());
}

TEST_F(LinkManagerTest, AnUpLinkMovesToAnotherManagerWithItsSession) {
  End a = Make(1, "127.0.0.1:7000"), b = Make(2, "127.0.0.2:7000");
  // a's handshakes run in `a` (the slow path); its owner is `worker`, numbered as a's ids say.
  LinkManagerOptions wo;
  wo.local = a.at;
  LinkManager worker(wo);
  const core::LinkId la = a.links->Open(b.at, b.id, now_us_, &a.events);
  Pump(a, b);
  ASSERT_EQ(a.events.ups.size(), 1u);
  std::unique_ptr<AdoptedLink> moved = a.links->Release(la);
  ASSERT_NE(moved, nullptr);
  EXPECT_EQ(moved->peer, b.id);
  EXPECT_EQ(a.links->size(), 0u);
  EXPECT_EQ(a.links->Release(la), nullptr);
  LinkEvents we;
  worker.Adopt(std::move(*moved), &we);
  ASSERT_EQ(we.ups.size(), 1u);
  EXPECT_EQ(we.ups[0].link, la);
  EXPECT_TRUE(worker.Knows(b.at));
  EXPECT_EQ(worker.RemoteOf(la), b.at);
  // The session goes on in the worker: messages both ways.
  worker.Send(la, std::vector<uint8_t>{7}, now_us_);
  const core::LinkId lb = b.events.ups[0].link;
  b.links->Send(lb, std::vector<uint8_t>{8}, now_us_);
  for (int round = 0; round < 10; ++round) {
    std::vector<OutDatagram> from_w, from_b;
    worker.TakeOutput(&from_w);
    b.links->TakeOutput(&from_b);
    for (OutDatagram& d : from_w) b.links->OnDatagram(a.at, d.bytes, now_us_, &b.events);
    for (OutDatagram& d : from_b) worker.OnDatagram(b.at, d.bytes, now_us_, &we);
  }
  ASSERT_EQ(b.events.messages.size(), 1u);
  EXPECT_THAT(b.events.messages[0].bytes, ::testing::ElementsAre(7));
  ASSERT_EQ(we.messages.size(), 1u);
  EXPECT_THAT(we.messages[0].bytes, ::testing::ElementsAre(8));
  EXPECT_EQ(worker.counters().adopted, 1u);
  EXPECT_EQ(a.links->counters().released, 1u);
}

// A certificate of another CA: the end that refuses it sends its alert, so the other end fails
// at once too (instead of retransmitting its flight until its handshake timeout).
TEST_F(LinkManagerTest, ARefusedHandshakeEndsOnBothSidesAtOnce) {
  End a = Make(1, "127.0.0.1:7000");
  Pki foreign;
  Pki::Member m = foreign.Issue(IdOf(2));
  LinkManagerOptions o;
  o.context = testing::ContextOf(foreign, m);
  o.local = At("127.0.0.2:7000");
  End b{o.local, std::make_unique<LinkManager>(o), {}, IdOf(2)};
  ASSERT_NE(a.links->Open(b.at, std::nullopt, now_us_, &a.events), core::kNoLink);
  Pump(a, b);
  EXPECT_EQ(a.links->counters().handshake_failures, 1u);
  EXPECT_EQ(b.links->counters().handshake_failures, 1u);
  EXPECT_EQ(a.links->size(), 0u);
  EXPECT_EQ(b.links->size(), 0u);
  ASSERT_EQ(b.events.downs.size(), 1u);
  EXPECT_FALSE(b.events.downs[0].was_up);
  EXPECT_TRUE(a.events.ups.empty());
  EXPECT_TRUE(b.events.ups.empty());
}

// Records that do not authenticate on an up DTLS link are dropped silently by the session
// (RFC 6347 §4.1.2.7): the manager counts each in bad_records and the link carries on.
TEST_F(LinkManagerTest, BadRecordsOnAnUpLinkAreCountedAndTheLinkLives) {
  End a = Make(1, "127.0.0.1:7000"), b = Make(2, "127.0.0.2:7000");
  const core::LinkId la = a.links->Open(b.at, b.id, now_us_, &a.events);
  Pump(a, b);
  ASSERT_EQ(b.events.ups.size(), 1u);
  std::vector<uint8_t> record = {23, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 99, 0, 40};
  record.resize(13 + 40, 0xA5);
  for (int i = 0; i < 5; ++i) b.links->OnDatagram(a.at, record, now_us_, &b.events);
  record.resize(20);  // a header promising 40 bytes, 7 there
  b.links->OnDatagram(a.at, record, now_us_, &b.events);
  EXPECT_EQ(b.links->counters().bad_records, 6u);
  EXPECT_TRUE(b.events.downs.empty());
  a.links->Send(la, std::vector<uint8_t>{9}, now_us_);
  Pump(a, b);
  ASSERT_EQ(b.events.messages.size(), 1u);
  EXPECT_THAT(b.events.messages[0].bytes, ::testing::ElementsAre(9));
}

TEST_F(LinkManagerTest, LinkIdsFollowTheOffsetFunction) {
  Pki::Member m = pki_.Issue(IdOf(1));
  LinkManagerOptions o;
  o.context = testing::ContextOf(pki_, m);
  o.id_stride = 64;
  o.id_offset_of = [](const port::Endpoint& e) { return static_cast<uint32_t>(e.port % 64); };
  LinkManager links(o);
  LinkEvents ev;
  const core::LinkId id = links.Open(At("127.0.0.2:7005"), std::nullopt, now_us_, &ev);
  EXPECT_EQ(id % 64, 7005u % 64);
  const core::LinkId id2 = links.Open(At("127.0.0.3:7010"), std::nullopt, now_us_, &ev);
  EXPECT_EQ(id2 % 64, 7010u % 64);
  EXPECT_NE(id, id2);
}

}  // namespace
}  // namespace p2psip::runtime

// Node's message layer (RFC 6940 §6.1-§6.2) on a tiny hand-wired network: links are made
// explicitly, messages are delivered in order with no latency, and the test can look at or
// drop any message in flight.
#include "p2psip/core/node.h"

#include <deque>
#include <memory>

#include "core/link_table.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "p2psip/wire/codec.h"
#include "p2psip/wire/fragmentation.h"
#include "p2psip/wire/hashes.h"

namespace p2psip::core {
namespace {

using wire::Destination;

NodeId Id(uint8_t b) { return NodeId(std::vector<uint8_t>(16, b)); }

class MiniNet {
 public:
  struct Peer {
    std::unique_ptr<SimulationSigner> signer;
    std::unique_ptr<SplitMix64> rng;
    std::unique_ptr<Node> node;
    std::vector<Outbox::Result> results;
  };
  struct InFlight {
    int from, to;
    LinkId link;  // at the receiver
    std::vector<uint8_t> bytes;
  };

  int Add(uint8_t id_byte) {
    NodeConfig c;
    c.id = Id(id_byte);
    c.first_node = true;
    auto p = std::make_unique<Peer>();
    p->signer = std::make_unique<SimulationSigner>(c.id);
    p->rng = std::make_unique<SplitMix64>(id_byte);
    p->node = std::make_unique<Node>(c, p->signer.get(), p->rng.get());
    peers_.push_back(std::move(p));
    return static_cast<int>(peers_.size()) - 1;
  }
  Node& node(int i) { return *peers_[i]->node; }
  std::vector<Outbox::Result>& results(int i) { return peers_[i]->results; }

  // Link ids: the receiver's id for the link from `a` is 100 * a + b + 1 (both directions).
  void Link(int a, int b) {
    node(a).OnLinkUp(LinkOf(a, b), node(b).id(), now, &out_);
    Drain(a);
    node(b).OnLinkUp(LinkOf(b, a), node(a).id(), now, &out_);
    Drain(b);
  }
  static LinkId LinkOf(int self, int peer) { return static_cast<LinkId>(100 * self + peer + 1); }

  // Hands what node `i` produced to the network.
  void Drain(int i) {
    for (auto& s : out_.sends) {
      const int peer = static_cast<int>(s.link - 1) % 100;
      if (fragment_mtu != 0) {
        // As a link with this path MTU sends them (§6.7), and in reverse order.
        auto pieces = wire::FragmentMessage(s.message, fragment_mtu);
        if (pieces.ok() && pieces->size() > 1) {
          for (auto f = pieces->rbegin(); f != pieces->rend(); ++f) {
            queue_.push_back({i, peer, LinkOf(peer, i), std::move(*f)});
          }
          continue;
        }
      }
      queue_.push_back({i, peer, LinkOf(peer, i), std::move(s.message)});
    }
    for (auto& r : out_.results) peers_[i]->results.push_back(std::move(r));
    out_.clear();
  }

  // Delivers until nothing is in flight; `drop` may remove messages (return true).
  void Run(const std::function<bool(const InFlight&)>& drop = nullptr) {
    while (!queue_.empty()) {
      InFlight m = std::move(queue_.front());
      queue_.pop_front();
      seen.push_back(m);
      if (drop && drop(m)) continue;
      node(m.to).OnMessage(m.link, m.bytes, now, &out_);
      Drain(m.to);
    }
  }

  void Tick(uint64_t t, const std::function<bool(const InFlight&)>& drop = nullptr) {
    now = t;
    for (int i = 0; i < static_cast<int>(peers_.size()); ++i) {
      if (node(i).NextDeadline() <= now) {
        node(i).OnTimer(now, &out_);
        Drain(i);
      }
    }
    Run(drop);
  }

  void Inject(int from, int to, std::vector<uint8_t> bytes) {
    queue_.push_back({from, to, LinkOf(to, from), std::move(bytes)});
  }

  Outbox out_;
  uint64_t now = 0;
  std::vector<InFlight> seen;
  size_t fragment_mtu = 0;  // non-zero: every hop sends messages longer than this as fragments

 private:
  std::vector<std::unique_ptr<Peer>> peers_;
  std::deque<InFlight> queue_;
};

// A request as node `from` (with its signer) would originate it.
std::vector<uint8_t> Craft(const NodeId& from, std::vector<Destination> dests, uint8_t ttl,
                           std::vector<wire::MessageExtension> extensions = {},
                           std::vector<Destination> via = {},
                           const std::string& overlay = "overlay.example.org") {
  wire::Message m;
  m.header.overlay = wire::OverlayHash(overlay);
  m.header.configuration_sequence = 1;
  m.header.ttl = ttl;
  m.header.transaction_id = 0x5151;
  m.header.destination_list = std::move(dests);
  m.header.via_list = std::move(via);
  m.contents = *wire::MakeContents(0x17, wire::PingReq{});
  m.contents.extensions = std::move(extensions);
  auto contents = *wire::EncodeToBytes(m.contents);
  std::vector<uint8_t> input;
  for (int i = 3; i >= 0; --i) input.push_back(static_cast<uint8_t>(m.header.overlay >> (8 * i)));
  for (int i = 7; i >= 0; --i) {
    input.push_back(static_cast<uint8_t>(m.header.transaction_id >> (8 * i)));
  }
  input.insert(input.end(), contents.begin(), contents.end());
  SimulationSigner signer(from);
  m.security.signature = signer.Sign(input);
  return *wire::EncodeMessage(m);
}

// The error code of an error answer, or 0.
uint16_t ErrorCodeOf(const std::vector<uint8_t>& bytes) {
  auto m = wire::DecodeMessage(bytes);
  if (!m.ok() || m->contents.message_code != 0xFFFF) return 0;
  auto e = wire::DecodeAs<wire::ErrorResponse>(m->contents.body);
  return e.ok() ? e->error_code : 0;
}

TEST(NodeTest, PingOverADirectLink) {
  MiniNet net;
  const int a = net.Add(1), b = net.Add(2);
  net.Link(a, b);
  const uint64_t id = net.node(a).Ping(Destination::Node(net.node(b).id()), 0, &net.out_);
  net.Drain(a);
  net.Run();
  ASSERT_EQ(net.results(a).size(), 1u);
  const Outbox::Result& r = net.results(a)[0];
  EXPECT_EQ(r.request_id, id);
  EXPECT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.responder, net.node(b).id());
  EXPECT_EQ(r.hops, 0);
  auto ans = wire::DecodeAs<wire::PingAns>(r.body);
  ASSERT_TRUE(ans.ok());
}

TEST(NodeTest, SymmetricRecursiveRoutingThroughAForwarder) {
  MiniNet net;
  const int a = net.Add(1), b = net.Add(2), c = net.Add(3);
  net.Link(a, b);
  net.Link(b, c);
  net.node(a).Request({Destination::Node(net.node(b).id()), Destination::Node(net.node(c).id())},
                      0x17, wire::PingReq{}, 0, &net.out_);
  net.Drain(a);
  net.Run();
  ASSERT_EQ(net.results(a).size(), 1u);
  EXPECT_TRUE(net.results(a)[0].status.ok()) << net.results(a)[0].status;
  EXPECT_EQ(net.results(a)[0].responder, net.node(c).id());
  EXPECT_EQ(net.results(a)[0].hops, 1);
  EXPECT_EQ(net.node(b).counters().forwarded, 2u);  // the request and its answer

  // What C received: B popped itself, appended A (the previous hop) to the Via List and
  // decremented the TTL; the answer went back as [B, A].
  ASSERT_EQ(net.seen.size(), 4u);
  auto req = wire::DecodeMessage(net.seen[1].bytes);
  ASSERT_TRUE(req.ok());
  ASSERT_EQ(req->header.via_list.size(), 1u);
  EXPECT_EQ(req->header.via_list[0].node_id(), net.node(a).id());
  EXPECT_EQ(req->header.destination_list.size(), 1u);
  EXPECT_EQ(req->header.ttl, 99);
  auto ans = wire::DecodeMessage(net.seen[2].bytes);
  ASSERT_TRUE(ans.ok());
  ASSERT_EQ(ans->header.destination_list.size(), 2u);
  EXPECT_EQ(ans->header.destination_list[0].node_id(), net.node(b).id());
  EXPECT_EQ(ans->header.destination_list[1].node_id(), net.node(a).id());
  EXPECT_TRUE(ans->header.via_list.empty());
}

TEST(NodeTest, FragmentsAreForwardedAsTheyAreAndReassembledAtTheDestination) {
  MiniNet net;
  net.fragment_mtu = 600;
  const int a = net.Add(1), b = net.Add(2), c = net.Add(3);
  net.Link(a, b);
  net.Link(b, c);
  wire::PingReq big;
  big.padding.assign(4000, 0x5a);  // about 8 fragments of at most 568 bytes
  net.node(a).Request({Destination::Node(net.node(b).id()), Destination::Node(net.node(c).id())},
                      0x17, big, 0, &net.out_);
  net.Drain(a);
  net.Run();
  ASSERT_EQ(net.results(a).size(), 1u);
  EXPECT_TRUE(net.results(a)[0].status.ok()) << net.results(a)[0].status;
  EXPECT_EQ(net.results(a)[0].responder, net.node(c).id());
  EXPECT_EQ(net.results(a)[0].hops, 1) << "the answer followed the first fragment's Via List";

  size_t fragments_to_c = 0;
  for (const MiniNet::InFlight& m : net.seen) {
    EXPECT_LE(m.bytes.size(), 600u - wire::kFragmentViaAllowance + 16) << "B added its Via entry";
    if (m.to == c) ++fragments_to_c;
  }
  EXPECT_GE(fragments_to_c, 7u);
  EXPECT_EQ(net.node(b).counters().fragments_received, 0u) << "only the destination reassembles";
  EXPECT_EQ(net.node(b).counters().forwarded, fragments_to_c + 1);  // and the answer
  EXPECT_EQ(net.node(c).counters().fragments_received, fragments_to_c);
  EXPECT_EQ(net.node(c).counters().reassembled, 1u);
  EXPECT_EQ(net.node(c).counters().fragments_dropped, 0u);
}

TEST(NodeTest, TtlZeroAtAForwarderIsAnsweredWithTtlExceeded) {
  MiniNet net;
  const int a = net.Add(1), b = net.Add(2), c = net.Add(3);
  net.Link(a, b);
  net.Link(b, c);
  net.Inject(a, b,
             Craft(net.node(a).id(),
                   {Destination::Node(net.node(b).id()), Destination::Node(net.node(c).id())}, 0));
  net.Run();
  ASSERT_EQ(net.seen.size(), 2u);  // the request, then B's error answer to A
  EXPECT_EQ(net.seen[1].to, a);
  EXPECT_EQ(ErrorCodeOf(net.seen[1].bytes), 0x0A);  // Error_TTL_Exceeded
  EXPECT_EQ(net.node(b).counters().forwarded, 0u);
}

TEST(NodeTest, TtlAboveInitialIsRejected) {
  MiniNet net;
  const int a = net.Add(1), b = net.Add(2);
  net.Link(a, b);
  net.Inject(a, b, Craft(net.node(a).id(), {Destination::Node(net.node(b).id())}, 101));
  net.Run();
  ASSERT_EQ(net.seen.size(), 2u);
  EXPECT_EQ(ErrorCodeOf(net.seen[1].bytes), 0x0A);
}

TEST(NodeTest, WrongOverlayIsAnsweredAndCounted) {
  MiniNet net;
  const int a = net.Add(1), b = net.Add(2);
  net.Link(a, b);
  net.Inject(a, b,
             Craft(net.node(a).id(), {Destination::Node(net.node(b).id())}, 100, {}, {},
                   "another.example.org"));
  net.Run();
  EXPECT_EQ(net.node(b).counters().dropped_wrong_overlay, 1u);
  ASSERT_EQ(net.seen.size(), 2u);
  EXPECT_EQ(ErrorCodeOf(net.seen[1].bytes), 0x06);  // Error_Incompatible_with_Overlay
}

TEST(NodeTest, UnknownCriticalExtensionIsRefused) {
  MiniNet net;
  const int a = net.Add(1), b = net.Add(2);
  net.Link(a, b);
  net.Inject(a, b,
             Craft(net.node(a).id(), {Destination::Node(net.node(b).id())}, 100,
                   {{0x7777, true, {1, 2}}}));
  net.Run();
  ASSERT_EQ(net.seen.size(), 2u);
  EXPECT_EQ(ErrorCodeOf(net.seen[1].bytes), 0x0D);  // Error_Unknown_Extension
}

TEST(NodeTest, ARequestThatPassedThisNodeBeforeIsALoop) {
  MiniNet net;
  const int a = net.Add(1), b = net.Add(2), c = net.Add(3);
  net.Link(a, b);
  net.Link(b, c);
  net.Inject(a, b,
             Craft(net.node(a).id(),
                   {Destination::Node(net.node(b).id()), Destination::Node(net.node(c).id())}, 50,
                   {}, {Destination::Node(net.node(b).id())}));
  net.Run();
  // B refuses to forward it and answers A; the answer's route is [A, B] (the forged Via List
  // reversed), so it comes back to B once more and ends there as an unknown answer.
  ASSERT_GE(net.seen.size(), 2u);
  EXPECT_EQ(net.seen[1].to, a);
  EXPECT_EQ(ErrorCodeOf(net.seen[1].bytes), 0x19);  // Error_Loop_Detected (RFC 7851)
  EXPECT_EQ(net.node(b).counters().forwarded, 0u);  // the request was never forwarded
}

TEST(NodeTest, MalformedAndUnsignedMessagesAreDroppedAndCounted) {
  MiniNet net;
  const int a = net.Add(1), b = net.Add(2);
  net.Link(a, b);
  net.Inject(a, b, std::vector<uint8_t>(60, 0xAB));
  auto forged = Craft(net.node(a).id(), {Destination::Node(net.node(b).id())}, 100);
  forged[forged.size() - 1] ^= 1;  // breaks the signature
  net.Inject(a, b, forged);
  net.Run();
  EXPECT_EQ(net.node(b).counters().dropped_malformed, 2u);
  EXPECT_EQ(net.seen.size(), 2u);  // nothing answered
}

TEST(NodeTest, RetransmitsEveryThreeSecondsAndFailsAfterFiveSends) {
  MiniNet net;
  const int a = net.Add(1), b = net.Add(2);
  net.Link(a, b);
  auto to_b = [&](const MiniNet::InFlight& m) { return m.to == b; };
  net.node(a).Ping(Destination::Node(net.node(b).id()), 0, &net.out_);
  net.Drain(a);
  net.Run(to_b);
  for (uint64_t t = 3000; t <= 15000; t += 3000) net.Tick(t, to_b);
  EXPECT_EQ(net.seen.size(), 5u);
  EXPECT_EQ(net.node(a).counters().retransmissions, 4u);
  ASSERT_EQ(net.results(a).size(), 1u);
  EXPECT_EQ(net.results(a)[0].status.code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(NodeTest, DuplicateRequestsGetTheSameAnswer) {
  MiniNet net;
  const int a = net.Add(1), b = net.Add(2);
  net.Link(a, b);
  const auto req = Craft(net.node(a).id(), {Destination::Node(net.node(b).id())}, 100);
  net.Inject(a, b, req);
  net.Inject(a, b, req);
  net.Run();
  ASSERT_EQ(net.seen.size(), 4u);
  EXPECT_EQ(net.node(b).counters().duplicate_requests, 1u);
  auto first = wire::DecodeMessage(net.seen[2].bytes);
  auto second = wire::DecodeMessage(net.seen[3].bytes);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->contents, second->contents);  // the same random response_id twice
}

TEST(NodeTest, UnservedMethodsGetAnErrorNotSilence) {
  MiniNet net;
  const int a = net.Add(1), b = net.Add(2);
  net.Link(a, b);
  // AppAttach (§6.5.2) needs an application link layer this node does not run.
  net.node(a).Request({Destination::Node(net.node(b).id())},
                      static_cast<uint16_t>(wire::MessageCode::kAppAttachReq), wire::AppAttachReq{},
                      0, &net.out_);
  net.Drain(a);
  net.Run();
  ASSERT_EQ(net.results(a).size(), 1u);
  EXPECT_FALSE(net.results(a)[0].status.ok());
  EXPECT_THAT(net.results(a)[0].status.message(), testing::HasSubstr("Error_Forbidden"));
}

TEST(NodeTest, LateAnswersAreCounted) {
  MiniNet net;
  const int a = net.Add(1), b = net.Add(2);
  net.Link(a, b);
  // B answers a request A never sent (crafted with A's identity).
  net.Inject(a, b, Craft(net.node(a).id(), {Destination::Node(net.node(b).id())}, 100));
  net.Run();
  EXPECT_EQ(net.node(a).counters().dropped_late_answer, 1u);
}

}  // namespace
}  // namespace p2psip::core

// RFC 7851 diagnostics through Node: PathTrack and Diagnostic_Ping on a small CHORD-RELOAD ring
// of in-memory nodes (real encoded messages, links made when a node asks for them, a virtual
// clock), checked against what the nodes themselves hold.
#include "p2psip/core/diagnostics.h"

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "p2psip/core/node.h"
#include "p2psip/wire/codec.h"
#include "p2psip/wire/hashes.h"
#include "p2psip/wire/stored_data.h"

namespace p2psip::core {
namespace {

using wire::Destination;
using wire::DiagnosticInfo;
using wire::DmFlagFor;

constexpr uint64_t kStart = 1'700'000'000'000;  // ms since 1970: expirations are wall clock
constexpr uint64_t kUpdateMs = 2000;
constexpr uint16_t kPort = 20000;

// A ring of Nodes. Every message is delivered in order with no latency; a Connect makes a link
// at once (both ends up after the messages already in flight); timers run on a virtual clock.
class RingNet {
 public:
  struct Peer {
    std::unique_ptr<SimulationSigner> signer;
    std::unique_ptr<SplitMix64> rng;
    std::unique_ptr<Node> node;
    absl::flat_hash_map<LinkId, std::pair<int, LinkId>> links;  // -> (peer, its link id)
    LinkId next_link = 1;
    std::vector<Outbox::Result> results;
  };

  // Builds a ring of `n` peers, each joining through the first, and lets it settle.
  explicit RingNet(int n, uint64_t seed = 7) : ids_(seed) {
    for (int i = 0; i < n; ++i) {
      Add(i == 0);
      node(i).Start(now, &out_);
      Drain(i);
      Advance(now + 3000);
    }
    Advance(now + 4 * kUpdateMs);
  }

  Node& node(int i) { return *peers_[i]->node; }
  int size() const { return static_cast<int>(peers_.size()); }
  int IndexOf(const NodeId& id) const {
    for (int i = 0; i < size(); ++i) {
      if (peers_[i]->node->id() == id) return i;
    }
    return -1;
  }

  // Runs until node `i` has the result of request `id`, and returns it.
  std::optional<Outbox::Result> Await(int i, uint64_t id) {
    Drain(i);
    Run();
    for (int step = 0; step < 100; ++step) {
      auto& results = peers_[i]->results;
      for (auto it = results.begin(); it != results.end(); ++it) {
        if (it->request_id == id) {
          Outbox::Result r = std::move(*it);
          results.erase(it);
          return r;
        }
      }
      Advance(now + 1000);
    }
    return std::nullopt;
  }

  // Runs the timers due up to `until`, delivering everything they cause.
  void Advance(uint64_t until) {
    Run();
    for (int step = 0; step < 100000; ++step) {
      uint64_t next = until + 1;
      for (const auto& p : peers_) next = std::min(next, p->node->NextDeadline());
      if (next > until) break;
      now = std::max(now, next);
      for (int i = 0; i < size(); ++i) {
        if (node(i).NextDeadline() <= now) {
          node(i).OnTimer(now, &out_);
          Drain(i);
        }
      }
      Run();
    }
    now = until;
  }

  Outbox out_;
  uint64_t now = kStart;

 private:
  struct Event {
    enum Kind { kDeliver, kLinkUp, kLinkDown } kind;
    int to;
    LinkId link;
    int from;
    std::vector<uint8_t> bytes;
  };

  void Add(bool first) {
    NodeConfig c;
    std::vector<uint8_t> id(16);
    for (int k = 0; k < 2; ++k) {
      const uint64_t r = ids_.Next64();
      for (int b = 0; b < 8; ++b) id[8 * k + b] = static_cast<uint8_t>(r >> (56 - 8 * b));
    }
    c.id = NodeId(id);
    c.address = Address(size());
    c.first_node = first;
    if (!first) c.bootstrap = {Address(0)};
    c.update_interval_ms = kUpdateMs;
    c.finger_refresh_ms = 2 * kUpdateMs;
    c.partition_check_ms = 0;
    auto p = std::make_unique<Peer>();
    p->signer = std::make_unique<SimulationSigner>(c.id);
    p->rng = std::make_unique<SplitMix64>(ids_.Next64());
    p->node = std::make_unique<Node>(c, p->signer.get(), p->rng.get());
    peers_.push_back(std::move(p));
  }

  static wire::IpAddressPort Address(int i) {
    return *wire::IpAddressPort::Parse("127.0.0.1", static_cast<uint16_t>(kPort + i));
  }

  void Drain(int i) {
    Peer& p = *peers_[i];
    for (auto& s : out_.sends) {
      auto it = p.links.find(s.link);
      if (it == p.links.end()) continue;
      queue_.push_back(
          {Event::kDeliver, it->second.first, it->second.second, i, std::move(s.message)});
    }
    for (const auto& c : out_.connects) {
      const int t = c.address.port - kPort;
      if (t < 0 || t >= size() || t == i) continue;
      bool exists = false;
      for (const auto& [l, end] : p.links) exists |= end.first == t;
      if (exists) continue;
      const LinkId mine = p.next_link++, theirs = peers_[t]->next_link++;
      p.links[mine] = {t, theirs};
      peers_[t]->links[theirs] = {i, mine};
      queue_.push_back({Event::kLinkUp, i, mine, t, {}});
      queue_.push_back({Event::kLinkUp, t, theirs, i, {}});
    }
    for (LinkId l : out_.closes) {
      auto it = p.links.find(l);
      if (it == p.links.end()) continue;
      const auto [peer, remote] = it->second;
      p.links.erase(it);
      peers_[peer]->links.erase(remote);
      queue_.push_back({Event::kLinkDown, i, l, peer, {}});
      queue_.push_back({Event::kLinkDown, peer, remote, i, {}});
    }
    for (auto& r : out_.results) p.results.push_back(std::move(r));
    out_.clear();
  }

  void Run() {
    for (int guard = 0; guard < 1000000 && !queue_.empty(); ++guard) {
      Event e = std::move(queue_.front());
      queue_.pop_front();
      switch (e.kind) {
        case Event::kDeliver:
          node(e.to).OnMessage(e.link, e.bytes, now, &out_);
          break;
        case Event::kLinkUp:
          node(e.to).OnLinkUp(e.link, node(e.from).id(), now, &out_);
          break;
        case Event::kLinkDown:
          node(e.to).OnLinkDown(e.link, now, &out_);
          break;
      }
      Drain(e.to);
    }
    ASSERT_TRUE(queue_.empty()) << "messages still in flight after a million deliveries";
  }

  SplitMix64 ids_;
  std::vector<std::unique_ptr<Peer>> peers_;
  std::deque<Event> queue_;
};

ResourceId Res(int i) { return wire::ChordResourceId(std::vector<uint8_t>{'r', uint8_t(i)}); }

// TURN-SERVICE (NODE-MULTIPLE): a node may store at H(its Node-ID || i).
ResourceId TurnRes(const NodeId& node, uint8_t i) {
  std::vector<uint8_t> in(node.bytes().begin(), node.bytes().end());
  in.push_back(i);
  return wire::ChordResourceId(in);
}

const DiagnosticInfo* Find(const wire::DiagnosticsResponse& r, uint16_t kind) {
  for (const DiagnosticInfo& d : r.info) {
    if (d.kind == kind) return &d;
  }
  return nullptr;
}

std::string ReloadErrorOf(const absl::Status& s) {
  auto p = s.GetPayload("reload-error");
  return p ? std::string(*p) : "";
}

// A provider with its own kinds and a list of refused requesters.
class TestProvider : public DiagnosticsProvider {
 public:
  std::optional<DiagnosticInfo> Info(uint16_t kind, std::span<const uint8_t> /*parameters*/,
                                     uint64_t /*now_ms*/) override {
    switch (kind) {
      case wire::kDiagSoftwareVersion:
        return DiagnosticInfo::SoftwareVersion("p2psip-test 1.0");
      case wire::kDiagAppUptime:
        return DiagnosticInfo::Scalar(kind, 42);
      case wire::kDiagStatusInfo:
        return DiagnosticInfo::Scalar(kind, status_info);
      case kDiagP2psipNodeStats: {
        const std::string json = R"({"cores":2})";
        return DiagnosticInfo::Raw(kind, {json.begin(), json.end()});
      }
      default:
        return std::nullopt;
    }
  }
  bool Permits(const SignerInfo& requester, uint16_t code,
               const wire::DiagnosticsRequest& request) override {
    ++asked;
    if (refused.contains(requester.node_id)) return false;
    return DiagnosticsProvider::Permits(requester, code, request);
  }

  absl::flat_hash_set<NodeId> refused;
  uint64_t status_info = 3;
  int asked = 0;
};

// Each test gets its own ring (built in milliseconds), so no test sees another's data.
class DiagnosticsTest : public ::testing::Test {
 protected:
  RingNet& Net() { return net_; }

 private:
  RingNet net_{12};
};

TEST_F(DiagnosticsTest, TheRingFormed) {
  RingNet& net = Net();
  for (int i = 0; i < net.size(); ++i) EXPECT_TRUE(net.node(i).joined()) << i;
}

// Iterating PathTrack from a node walks the route a RouteQuery for the same Resource-ID takes:
// every next_hop is a ring member, the walk ends at the responsible peer, in as many hops.
TEST_F(DiagnosticsTest, PathTrackWalksTheRouteOfARouteQuery) {
  RingNet& net = Net();
  int max_hops = 0;
  for (int k = 0; k < 24; ++k) {
    const int origin = k % net.size();
    const ResourceId res = Res(k);
    auto rq = net.Await(origin, net.node(origin).RouteQuery(res, net.now, &net.out_));
    ASSERT_TRUE(rq && rq->status.ok()) << k;
    max_hops = std::max(max_hops, rq->hops);

    std::vector<Destination> path;
    NodeId asked = net.node(origin).id();
    bool done = false;
    for (int step = 0; step < 16 && !done; ++step) {
      auto r = net.Await(origin, net.node(origin).PathTrack(Destination::Resource(res), path,
                                                            DmFlagFor(wire::kDiagRoutingTableSize),
                                                            net.now, &net.out_));
      ASSERT_TRUE(r.has_value());
      ASSERT_TRUE(r->status.ok()) << r->status;
      EXPECT_EQ(r->responder, asked);
      auto ans = DecodePathTrackAnswer(r->body);
      ASSERT_TRUE(ans.ok()) << ans.status();
      ASSERT_TRUE(ans->next_hop.is_node());
      const NodeId next = ans->next_hop.node_id();
      const int next_index = net.IndexOf(next);
      ASSERT_GE(next_index, 0) << "next_hop is not a ring member";
      // The asked node's own diagnostics: its routing table, and the TTL its request arrived
      // with (one less per forwarding peer on the source route).
      const int asked_index = net.IndexOf(asked);
      const DiagnosticInfo* rts = Find(ans->response, wire::kDiagRoutingTableSize);
      ASSERT_NE(rts, nullptr);
      EXPECT_EQ(rts->scalar, net.node(asked_index).chord_table()->AllPeers().size());
      const size_t forwarders = path.empty() ? 0 : path.size() - 1;
      EXPECT_EQ(int{ans->response.hop_counter}, 100 - static_cast<int>(forwarders));
      if (next == asked) {
        done = true;
      } else {
        path.push_back(Destination::Node(next));
        asked = next;
      }
    }
    ASSERT_TRUE(done) << "PathTrack did not reach a responsible peer";
    EXPECT_EQ(asked, rq->responder) << k;
    EXPECT_TRUE(net.node(net.IndexOf(asked)).topology().IsResponsible(RingId::Of(res)));
    const size_t expected = rq->responder == net.node(origin).id() ? 0 : rq->hops + 1;
    EXPECT_EQ(path.size(), expected) << k;
  }
  EXPECT_GE(max_hops, 1) << "no lookup crossed a forwarding peer: the test proves little";
}

TEST_F(DiagnosticsTest, DiagnosticPingReportsStorageRoutingAndProviderKinds) {
  RingNet& net = Net();
  const int a = 0;
  // A TURN-SERVICE value that lands on another peer.
  int r = -1;
  ResourceId res;
  for (uint8_t i = 1; i < 20 && r < 0; ++i) {
    res = TurnRes(net.node(a).id(), i);
    wire::StoredData sd{net.now, 600, wire::DataValue{true, {'t', 'u', 'r', 'n'}}, {}};
    auto stored =
        net.Await(a, net.node(a).Store(res, wire::kKindTurnService, {sd}, net.now, &net.out_));
    ASSERT_TRUE(stored && stored->status.ok());
    if (stored->responder != net.node(a).id()) r = net.IndexOf(stored->responder);
  }
  ASSERT_GE(r, 0);
  TestProvider provider;
  net.node(r).SetDiagnosticsProvider(&provider);
  const uint64_t answered = net.node(r).counters().diagnostics_answered;
  const uint64_t flags =
      DmFlagFor(wire::kDiagRoutingTableSize) | DmFlagFor(wire::kDiagInstancesStored) |
      DmFlagFor(wire::kDiagDatasizeStored) | DmFlagFor(wire::kDiagMessagesSentRcvd) |
      DmFlagFor(wire::kDiagSoftwareVersion) | DmFlagFor(wire::kDiagAppUptime) |
      DmFlagFor(wire::kDiagStatusInfo) | DmFlagFor(wire::kDiagBatteryStatus);
  const uint64_t sent_at = net.now;
  auto result = net.Await(a, net.node(a).Diagnose({Destination::Node(net.node(r).id())}, flags,
                                                  {kDiagP2psipNodeStats}, net.now, &net.out_));
  net.node(r).SetDiagnosticsProvider(nullptr);
  ASSERT_TRUE(result && result->status.ok()) << (result ? result->status.ToString() : "none");
  auto diag = DecodeDiagnosticPingAnswer(result->body);
  ASSERT_TRUE(diag.ok()) << diag.status();
  EXPECT_EQ(net.node(r).counters().diagnostics_answered, answered + 1);
  EXPECT_EQ(provider.asked, 1);

  EXPECT_EQ(diag->timestamp_initiated, sent_at);
  EXPECT_EQ(diag->expiration, sent_at + kDiagnosticsLifetimeMs);
  EXPECT_EQ(int{diag->hop_counter}, 100 - result->hops);

  const DiagnosticInfo* rts = Find(*diag, wire::kDiagRoutingTableSize);
  ASSERT_NE(rts, nullptr);
  EXPECT_EQ(rts->scalar, net.node(r).chord_table()->AllPeers().size());
  EXPECT_GT(rts->scalar, 0u);

  const DiagnosticInfo* inst = Find(*diag, wire::kDiagInstancesStored);
  ASSERT_NE(inst, nullptr);
  uint64_t turn = 0;
  for (const wire::KindInstances& ki : inst->instances_stored) {
    if (ki.kind == wire::kKindTurnService) turn = ki.instances;
  }
  // Every value the node holds (originals and replicas) is counted, and each is one instance.
  EXPECT_GE(turn, 1u);
  uint64_t total = 0;
  for (const wire::KindInstances& ki : inst->instances_stored) total += ki.instances;
  EXPECT_EQ(total, net.node(r).stored_values());
  const DiagnosticInfo* size = Find(*diag, wire::kDiagDatasizeStored);
  ASSERT_NE(size, nullptr);
  EXPECT_EQ(size->scalar, 4 * total);  // every value stored here is "turn"

  const DiagnosticInfo* msgs = Find(*diag, wire::kDiagMessagesSentRcvd);
  ASSERT_NE(msgs, nullptr);
  bool ping_received = false;
  for (const wire::MessageCounts& mc : msgs->messages_sent_rcvd) {
    if (mc.message_code == 0x17) ping_received = mc.received >= 1;
  }
  EXPECT_TRUE(ping_received);

  // The provider's kinds, and its STATUS_INFO over the core's "no congestion".
  const DiagnosticInfo* version = Find(*diag, wire::kDiagSoftwareVersion);
  ASSERT_NE(version, nullptr);
  EXPECT_EQ(version->software_version, "p2psip-test 1.0");
  const DiagnosticInfo* uptime = Find(*diag, wire::kDiagAppUptime);
  ASSERT_NE(uptime, nullptr);
  EXPECT_EQ(uptime->scalar, 42u);
  const DiagnosticInfo* status = Find(*diag, wire::kDiagStatusInfo);
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(status->scalar, 3u);
  const DiagnosticInfo* stats = Find(*diag, kDiagP2psipNodeStats);
  ASSERT_NE(stats, nullptr);
  EXPECT_EQ(std::string(stats->raw.begin(), stats->raw.end()), R"({"cores":2})");
  // Nobody knows the battery: left out, not invented.
  EXPECT_EQ(Find(*diag, wire::kDiagBatteryStatus), nullptr);
}

TEST_F(DiagnosticsTest, WithoutAProviderTheCoreKindsAnswer) {
  RingNet& net = Net();
  auto result = net.Await(1, net.node(1).Diagnose({Destination::Node(net.node(2).id())},
                                                  DmFlagFor(wire::kDiagStatusInfo) |
                                                      DmFlagFor(wire::kDiagSoftwareVersion),
                                                  {kDiagP2psipNodeStats}, net.now, &net.out_));
  ASSERT_TRUE(result && result->status.ok());
  auto diag = DecodeDiagnosticPingAnswer(result->body);
  ASSERT_TRUE(diag.ok());
  ASSERT_EQ(diag->info.size(), 1u);  // only STATUS_INFO: the rest is the runtime's
  EXPECT_EQ(diag->info[0].kind, wire::kDiagStatusInfo);
  EXPECT_EQ(diag->info[0].scalar, 0u);
}

// The answer comes back within the call that sent the request.
TEST_F(DiagnosticsTest, ANodeDiagnosesItself) {
  RingNet& net = Net();
  auto result = net.Await(
      2, net.node(2).Diagnose({Destination::Node(net.node(2).id())},
                              DmFlagFor(wire::kDiagRoutingTableSize), {}, net.now, &net.out_));
  ASSERT_TRUE(result && result->status.ok());
  auto diag = DecodeDiagnosticPingAnswer(result->body);
  ASSERT_TRUE(diag.ok()) << diag.status();
  EXPECT_EQ(int{diag->hop_counter}, 100);
  ASSERT_EQ(diag->info.size(), 1u);
  EXPECT_EQ(diag->info[0].scalar, net.node(2).chord_table()->AllPeers().size());
}

TEST_F(DiagnosticsTest, ARefusedRequesterGetsForbiddenAndIsCounted) {
  RingNet& net = Net();
  const int a = 3, b = 4;
  TestProvider provider;
  provider.refused.insert(net.node(a).id());
  net.node(b).SetDiagnosticsProvider(&provider);
  const uint64_t refused = net.node(b).counters().diagnostics_refused;
  auto ping = net.Await(
      a, net.node(a).Diagnose({Destination::Node(net.node(b).id())},
                              DmFlagFor(wire::kDiagRoutingTableSize), {}, net.now, &net.out_));
  auto track = net.Await(
      a, net.node(a).PathTrack(Destination::Resource(Res(1)), {Destination::Node(net.node(b).id())},
                               wire::kDmFlagsNone, net.now, &net.out_));
  // Another requester is still answered.
  auto other = net.Await(5, net.node(5).Diagnose({Destination::Node(net.node(b).id())},
                                                 wire::kDmFlagsNone, {}, net.now, &net.out_));
  net.node(b).SetDiagnosticsProvider(nullptr);
  ASSERT_TRUE(ping && track && other);
  EXPECT_EQ(ReloadErrorOf(ping->status), "2") << ping->status;  // Error_Forbidden
  EXPECT_THAT(ping->status.message(), testing::HasSubstr("Error_Forbidden"));
  EXPECT_EQ(ReloadErrorOf(track->status), "2") << track->status;
  EXPECT_TRUE(other->status.ok()) << other->status;
  EXPECT_EQ(net.node(b).counters().diagnostics_refused, refused + 2);
}

TEST_F(DiagnosticsTest, AnExpiredRequestGetsMessageExpired) {
  RingNet& net = Net();
  // Built two minutes ago: its expiration (one minute after that) has passed at the responder.
  auto result = net.Await(6, net.node(6).Diagnose({Destination::Node(net.node(7).id())},
                                                  DmFlagFor(wire::kDiagRoutingTableSize), {},
                                                  net.now - 120'000, &net.out_));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(ReloadErrorOf(result->status), "23") << result->status;  // 0x17 (RFC 7851)
  auto track = net.Await(
      6, net.node(6).PathTrack(Destination::Resource(Res(2)), {Destination::Node(net.node(7).id())},
                               wire::kDmFlagsNone, net.now - 120'000, &net.out_));
  ASSERT_TRUE(track.has_value());
  EXPECT_EQ(ReloadErrorOf(track->status), "23") << track->status;
}

TEST_F(DiagnosticsTest, APingWithoutTheExtensionIsAnsweredAsBefore) {
  RingNet& net = Net();
  const uint64_t answered = net.node(9).counters().diagnostics_answered;
  auto result =
      net.Await(8, net.node(8).Ping(Destination::Node(net.node(9).id()), net.now, &net.out_));
  ASSERT_TRUE(result && result->status.ok());
  auto ans = wire::DecodeAs<wire::PingAns>(result->body);
  ASSERT_TRUE(ans.ok()) << ans.status();
  EXPECT_EQ(ans->time, net.now);
  EXPECT_EQ(net.node(9).counters().diagnostics_answered, answered);
}

TEST_F(DiagnosticsTest, PathTrackFromTheResponsiblePeerNamesItself) {
  RingNet& net = Net();
  const int n = 10;
  // The node's own Node-ID is in its own range: it is the destination.
  auto r = net.Await(n, net.node(n).PathTrack(Destination::Node(net.node(n).id()), {},
                                              wire::kDmFlagsNone, net.now, &net.out_));
  ASSERT_TRUE(r && r->status.ok());
  auto ans = DecodePathTrackAnswer(r->body);
  ASSERT_TRUE(ans.ok());
  EXPECT_EQ(ans->next_hop.node_id(), net.node(n).id());
  EXPECT_TRUE(ans->response.info.empty());
  EXPECT_EQ(int{ans->response.hop_counter}, 100);  // never forwarded
}

TEST(DiagnosticsRequestTest, FlagKindsGoToDmFlagsAndReservedKindsAreDropped) {
  const std::vector<uint16_t> kinds = {wire::kDiagAppUptime, 0, kDiagP2psipNodeStats, 0xFFFF};
  const wire::DiagnosticsRequest r = MakeDiagnosticsRequest(1000, DmFlagFor(1), kinds);
  EXPECT_EQ(r.expiration, 1000 + kDiagnosticsLifetimeMs);
  EXPECT_EQ(r.timestamp_initiated, 1000u);
  EXPECT_EQ(r.dm_flags, DmFlagFor(1) | DmFlagFor(wire::kDiagAppUptime));
  ASSERT_EQ(r.extensions.size(), 1u);
  EXPECT_EQ(r.extensions[0].kind, kDiagP2psipNodeStats);
  EXPECT_TRUE(wire::EncodeToBytes(r).ok());
}

TEST(DiagnosticsDecodeTest, TruncatedAnswersAreErrorsNotCrashes) {
  wire::PathTrackAns ans;
  ans.next_hop = Destination::Node(NodeId(std::vector<uint8_t>(16, 9)));
  ans.response.info.push_back(DiagnosticInfo::Scalar(wire::kDiagRoutingTableSize, 5));
  auto bytes = *wire::EncodeToBytes(ans);
  ASSERT_TRUE(DecodePathTrackAnswer(bytes).ok());
  EXPECT_EQ(*DecodePathTrackAnswer(bytes), ans);
  bytes.pop_back();
  EXPECT_FALSE(DecodePathTrackAnswer(bytes).ok());
  EXPECT_FALSE(DecodeDiagnosticPingAnswer(std::vector<uint8_t>{1, 2, 3}).ok());
}

}  // namespace
}  // namespace p2psip::core

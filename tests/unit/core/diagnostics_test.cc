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
#include "ring_net.h"

namespace p2psip::core {
namespace {

using testing::kStart;
using testing::kUpdateMs;
using testing::RingNet;
using wire::Destination;
using wire::DiagnosticInfo;
using wire::DmFlagFor;

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
  EXPECT_THAT(ping->status.message(), ::testing::HasSubstr("Error_Forbidden"));
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

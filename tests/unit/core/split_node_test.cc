// One node split into parts as p2psipd runs it (part_dispatcher.h, routing_snapshot.h): a
// control part with CHORD-RELOAD and two shard parts routing from its snapshots, each a Node
// with the same Node-ID. The test plays the runtime: it carries handoffs between the parts and
// messages over one link to a second, ordinary node.
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "p2psip/core/node.h"
#include "p2psip/core/part_dispatcher.h"
#include "p2psip/core/routing_snapshot.h"
#include "p2psip/wire/codec.h"
#include "p2psip/wire/hashes.h"
#include "p2psip/wire/stored_data.h"

namespace p2psip::core {
namespace {

using wire::DataModel;
using wire::DataValue;
using wire::Destination;
using wire::StoredData;

constexpr uint64_t kNow = 1'700'000'000'000;
constexpr uint32_t kShards = 2;
constexpr uint32_t kControl = kShards;
constexpr LinkId kLinkAtSplit = 7;  // the split node's link to the other node
constexpr LinkId kLinkAtOther = 1;  // the other node's link to the split node

NodeId Id(uint8_t b) { return NodeId(std::vector<uint8_t>(16, b)); }

ResourceId TurnRes(const NodeId& node, uint8_t i) {
  std::vector<uint8_t> in(node.bytes().begin(), node.bytes().end());
  in.push_back(i);
  return wire::ChordResourceId(in);
}

wire::StoredDataSpecifier TurnSpec() {
  wire::StoredDataSpecifier s;
  s.kind = wire::kKindTurnService;
  s.model = DataModel::kSingle;
  return s;
}

class SplitNodeTest : public ::testing::Test {
 protected:
  struct Part {
    std::unique_ptr<SimulationSigner> signer;
    std::unique_ptr<SplitMix64> rng;
    std::unique_ptr<PartDispatcher> dispatcher;
    std::unique_ptr<Node> node;
    SnapshotTopology* snapshot_topology = nullptr;  // shard parts: owned by `node`
  };

  SplitNodeTest() {
    for (uint32_t p = 0; p <= kControl; ++p) {
      NodeConfig c;
      c.id = Id(0x42);
      c.first_node = true;
      PartDispatcher::TagConfig(p, &c);
      auto part = std::make_unique<Part>();
      part->signer = std::make_unique<SimulationSigner>(c.id);
      part->rng = std::make_unique<SplitMix64>(100 + p);
      part->dispatcher = std::make_unique<PartDispatcher>(p, kShards);
      TopologyFactory topology;
      if (p != kControl) {
        topology = [&part = *part](const NodeConfig&, TopologyHost*, NodeCounters*) {
          auto t = std::make_unique<SnapshotTopology>();
          part.snapshot_topology = t.get();
          return t;
        };
      }
      part->node = std::make_unique<Node>(c, part->signer.get(), part->rng.get(), topology);
      part->node->SetDispatcher(part->dispatcher.get());
      parts_.push_back(std::move(part));
    }
    NodeConfig oc;
    oc.id = Id(0x10);
    other_signer_ = std::make_unique<SimulationSigner>(oc.id);
    other_rng_ = std::make_unique<SplitMix64>(9);
    other_ = std::make_unique<Node>(oc, other_signer_.get(), other_rng_.get());

    control().Start(kNow, &out_);
    Settle(kControl);
    Publish();
  }

  Node& part(uint32_t p) { return *parts_[p]->node; }
  Node& control() { return part(kControl); }

  // What the control thread does after every change: publish a new snapshot to the shards.
  void Publish() {
    auto snap = std::make_unique<RoutingSnapshot>(control().ring_id());
    ASSERT_TRUE(control().FillRoutingSnapshot(snap.get()));
    snap->version = ++published_;
    for (uint32_t p = 0; p < kShards; ++p) {
      parts_[p]->snapshot_topology->set_snapshot(snap.get());
      part(p).OnTopologyChange(kNow);
    }
    snapshots_.push_back(std::move(snap));
  }

  // Every part learns of the link, as the runtime broadcasts a link that came up.
  void LinkUp() {
    for (uint32_t p = 0; p <= kControl; ++p) {
      part(p).OnLinkUp(kLinkAtSplit, other_->id(), kNow, &out_);
      Settle(p);
    }
    other_->OnLinkUp(kLinkAtOther, control().id(), kNow, &other_out_);
    other_out_.clear();  // the other node has no topology work to do here
  }

  // Carries out what part `p` produced: handoffs to their parts, sends to the other node,
  // results kept; until every part is quiet.
  void Settle(uint32_t p) {
    std::deque<std::pair<uint32_t, Outbox>> work;
    work.emplace_back(p, std::move(out_));
    out_.clear();
    while (!work.empty()) {
      auto [from, out] = std::move(work.front());
      work.pop_front();
      for (Outbox::Handoff& h : out.handoffs) {
        ++handoffs_[h.part];
        part(h.part).OnHandedOff(h.link, h.message, kNow, &out_);
        work.emplace_back(h.part, std::move(out_));
        out_.clear();
      }
      for (Outbox::Send& s : out.sends) {
        EXPECT_EQ(s.link, kLinkAtSplit);
        to_other_.push_back(std::move(s.message));
      }
      for (Outbox::Result& r : out.results) results_[from].push_back(std::move(r));
    }
  }

  // Delivers the other node's messages to the part that owns the link (here shard 1, as if the
  // link's worker were core 1), and the split node's to the other node, until both are quiet.
  void Exchange() {
    for (int guard = 0; guard < 100; ++guard) {
      for (Outbox::Send& s : other_out_.sends) to_split_.push_back(std::move(s.message));
      for (Outbox::Result& r : other_out_.results) other_results_.push_back(std::move(r));
      other_out_.clear();
      if (to_split_.empty() && to_other_.empty()) return;
      while (!to_split_.empty()) {
        std::vector<uint8_t> m = std::move(to_split_.front());
        to_split_.pop_front();
        part(1).OnMessage(kLinkAtSplit, m, kNow, &out_);
        Settle(1);
      }
      while (!to_other_.empty()) {
        std::vector<uint8_t> m = std::move(to_other_.front());
        to_other_.pop_front();
        other_->OnMessage(kLinkAtOther, m, kNow, &other_out_);
      }
    }
    ADD_FAILURE() << "messages kept flowing";
  }

  std::vector<std::unique_ptr<Part>> parts_;
  std::vector<std::unique_ptr<RoutingSnapshot>> snapshots_;
  uint64_t published_ = 0;
  Outbox out_;
  std::map<uint32_t, std::vector<Outbox::Result>> results_;
  std::map<uint32_t, int> handoffs_;
  std::deque<std::vector<uint8_t>> to_other_, to_split_;

  std::unique_ptr<SimulationSigner> other_signer_;
  std::unique_ptr<SplitMix64> other_rng_;
  std::unique_ptr<Node> other_;
  Outbox other_out_;
  std::vector<Outbox::Result> other_results_;
};

TEST_F(SplitNodeTest, ShardPartsRouteFromTheControlPartsSnapshot) {
  ASSERT_TRUE(control().joined());
  for (uint32_t p = 0; p < kShards; ++p) {
    EXPECT_TRUE(part(p).joined());
    EXPECT_TRUE(part(p).topology().IsResponsible(RingId::Of(Id(0x77))));  // alone: everything
    ASSERT_NE(part(p).chord_table(), nullptr);
  }
  EXPECT_EQ(control().routing_version(), control().routing_version());
}

TEST_F(SplitNodeTest, StoreFromTheControlPartLandsOnTheOwningShardAndAnswersBack) {
  // Find two Resource-IDs owned by different shards.
  ResourceId res[kShards];
  for (uint8_t i = 1, found = 0; found < (1u << kShards) - 1 && i <= 20; ++i) {  // NODE-MULTIPLE
    const ResourceId r = TurnRes(control().id(), i);
    const uint32_t s = PartDispatcher::ShardOf(r.bytes(), kShards);
    if (!(found & (1u << s))) {
      res[s] = r;
      found |= static_cast<uint8_t>(1u << s);
    }
  }
  for (uint32_t s = 0; s < kShards; ++s) {
    const DataValue value{true, {'v', static_cast<uint8_t>('0' + s)}};
    const uint64_t id = control().Store(res[s], wire::kKindTurnService,
                                        {StoredData{kNow, 600, value, {}}}, kNow, &out_);
    Settle(kControl);
    ASSERT_EQ(results_[kControl].size(), s + 1);
    const Outbox::Result& r = results_[kControl].back();
    EXPECT_EQ(r.request_id, id);
    EXPECT_TRUE(r.status.ok()) << r.status;
    // Only the owning shard holds it; the control part holds nothing.
    EXPECT_EQ(part(s).stored_values(), 1u);
    EXPECT_EQ(part(1 - s).stored_values(), s == 0 ? 0u : 1u);
    EXPECT_EQ(control().stored_values(), 0u);
  }
  // The requests went control -> shard, the answers shard -> control.
  EXPECT_EQ(handoffs_[0], 1);
  EXPECT_EQ(handoffs_[1], 1);
  EXPECT_EQ(handoffs_[kControl], 2);
}

TEST_F(SplitNodeTest, AnotherNodesFetchIsAnsweredByTheShardThatHoldsTheValue) {
  LinkUp();
  // Shard 0's resource, stored through the control part.
  ResourceId res;
  for (uint8_t i = 1; i <= 20; ++i) {  // NODE-MULTIPLE: i in 1..20
    res = TurnRes(control().id(), i);
    if (PartDispatcher::ShardOf(res.bytes(), kShards) == 0) break;
  }
  control().Store(res, wire::kKindTurnService, {StoredData{kNow, 600, DataValue{true, {'x'}}, {}}},
                  kNow, &out_);
  Settle(kControl);
  ASSERT_EQ(part(0).stored_values(), 1u);

  // The other node fetches through the split node (source-routed to it, then the resource):
  // its link is owned by shard 1, which hands the request to shard 0.
  const NodeId via[] = {control().id()};
  other_->Fetch(res, {TurnSpec()}, kNow, &other_out_, via);
  Exchange();
  ASSERT_EQ(other_results_.size(), 1u);
  const Outbox::Result& r = other_results_[0];
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.responder, control().id());
  auto ans = wire::DecodeAs<wire::FetchAns>(r.body, other_->kinds().Context());
  ASSERT_TRUE(ans.ok()) << ans.status();
  ASSERT_EQ(ans->kind_responses.size(), 1u);
  ASSERT_EQ(ans->kind_responses[0].values.size(), 1u);
  EXPECT_EQ(handoffs_[0], 2);  // control's Store, then the other node's Fetch from shard 1
  EXPECT_EQ(part(1).counters().delivered_requests, 0u);
  EXPECT_EQ(part(0).counters().delivered_requests, 2u);
}

TEST_F(SplitNodeTest, APingGoesToTheControlPart) {
  LinkUp();
  other_->Ping(Destination::Node(control().id()), kNow, &other_out_);
  Exchange();
  ASSERT_EQ(other_results_.size(), 1u);
  EXPECT_TRUE(other_results_[0].status.ok()) << other_results_[0].status;
  EXPECT_EQ(control().counters().delivered_requests, 1u);
  EXPECT_EQ(handoffs_[kControl], 1);
}

TEST_F(SplitNodeTest, EachPartsAnswersComeBackToIt) {
  LinkUp();
  for (uint32_t p = 0; p <= kControl; ++p) {
    part(p).Ping(Destination::Node(other_->id()), kNow, &out_);
    Settle(p);
  }
  // Each part's request carries its tag in the transaction id...
  ASSERT_EQ(to_other_.size(), kControl + 1);
  for (uint32_t p = 0; p <= kControl; ++p) {
    auto m = wire::DecodeMessage(to_other_[p]);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->header.transaction_id & PartDispatcher::kTagMask, p);
  }
  // ...so that every answer, all arriving on shard 1's link, reaches the part that asked.
  Exchange();
  for (uint32_t p = 0; p <= kControl; ++p) {
    ASSERT_EQ(results_[p].size(), 1u) << "part " << p;
    EXPECT_TRUE(results_[p][0].status.ok()) << results_[p][0].status;
  }
}

TEST(PartDispatcherTest, AnswersGoToThePartTheirTagNames) {
  PartDispatcher d(kControl, kShards);
  // An answer whose tag names shard 1 goes there; a tag beyond the parts goes to control.
  std::vector<uint8_t> none;
  EXPECT_EQ(d.PartFor(0x18, 0xABCD01, none), 1u);
  EXPECT_EQ(d.PartFor(0x18, 0xABCD02, none), InboundDispatcher::kThisPart);
  EXPECT_EQ(d.PartFor(0xFFFF, 0xABCD00, none), 0u);
  EXPECT_EQ(d.PartFor(0x18, 0xABCDFE, none), InboundDispatcher::kThisPart);
}

TEST(PartDispatcherTest, StorageRequestsGoToTheShardOfTheirResource) {
  wire::FetchReq req{ResourceId(std::vector<uint8_t>{0, 0, 0, 5, 9, 9}), {TurnSpec()}};
  auto contents = wire::MakeContents(static_cast<uint16_t>(wire::MessageCode::kFetchReq), req);
  ASSERT_TRUE(contents.ok());
  auto bytes = wire::EncodeToBytes(*contents);
  ASSERT_TRUE(bytes.ok());
  auto resource = PartDispatcher::StorageResource(0x09, *bytes);
  ASSERT_TRUE(resource.has_value());
  EXPECT_THAT(*resource, ::testing::ElementsAre(0, 0, 0, 5, 9, 9));
  EXPECT_EQ(PartDispatcher::ShardOf(*resource, 3), 5u % 3);
  PartDispatcher d(1, 3);
  EXPECT_EQ(d.PartFor(0x09, 7, *bytes), 2u);
  // A Ping, or a storage request too short to hold its Resource-ID, goes to control (3).
  EXPECT_EQ(d.PartFor(0x17, 7, *bytes), 3u);
  EXPECT_EQ(d.PartFor(0x09, 7, std::span<const uint8_t>(*bytes).first(6)), 3u);
  PartDispatcher mine(2, 3);
  EXPECT_EQ(mine.PartFor(0x09, 7, *bytes), InboundDispatcher::kThisPart);
}

}  // namespace
}  // namespace p2psip::core

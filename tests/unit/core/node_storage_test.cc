// Storage end to end through Node: a lone first node owns the whole ring, so a request to any
// Resource-ID is delivered to itself (no link, no send) and answered locally.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "p2psip/core/node.h"
#include "p2psip/wire/codec.h"
#include "p2psip/wire/hashes.h"
#include "p2psip/wire/stored_data.h"

namespace p2psip::core {
namespace {

using wire::DataModel;
using wire::DataValue;
using wire::StoredData;

constexpr uint64_t kNow = 1'700'000'000'000;

NodeId Id(uint8_t b) { return NodeId(std::vector<uint8_t>(16, b)); }

ResourceId TurnRes(const NodeId& node, uint8_t i) {
  std::vector<uint8_t> in(node.bytes().begin(), node.bytes().end());
  in.push_back(i);
  return wire::ChordResourceId(in);
}

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

wire::StoredDataSpecifier Spec(uint32_t kind, DataModel model) {
  wire::StoredDataSpecifier s;
  s.kind = kind;
  s.model = model;
  return s;
}

class NodeStorageTest : public ::testing::Test {
 protected:
  NodeStorageTest() {
    NodeConfig c;
    c.id = Id(0x42);
    c.first_node = true;
    signer_ = std::make_unique<SimulationSigner>(c.id);
    rng_ = std::make_unique<SplitMix64>(7);
    node_ = std::make_unique<Node>(c, signer_.get(), rng_.get());
    node_->Start(kNow, &out_);
    out_.clear();
  }

  // The result of the request `id`: a lone node answers itself within the call.
  Outbox::Result Take(uint64_t id) {
    EXPECT_TRUE(out_.sends.empty()) << "a lone node has no link to send on";
    for (Outbox::Result& r : out_.results) {
      if (r.request_id == id) {
        Outbox::Result taken = std::move(r);
        out_.clear();
        return taken;
      }
    }
    ADD_FAILURE() << "no result for request " << id;
    out_.clear();
    return {};
  }

  std::unique_ptr<SimulationSigner> signer_;
  std::unique_ptr<SplitMix64> rng_;
  std::unique_ptr<Node> node_;
  Outbox out_;
};

TEST_F(NodeStorageTest, LoneNodeStoresAndFetchesItsOwnTurnService) {
  ASSERT_TRUE(node_->joined());
  const ResourceId res = TurnRes(node_->id(), 1);
  const DataValue value{true, Bytes("turn:192.0.2.1:3478")};
  const Outbox::Result stored = Take(node_->Store(
      res, wire::kKindTurnService, {StoredData{kNow - 5, 600, value, {}}}, kNow, &out_));
  ASSERT_TRUE(stored.status.ok()) << stored.status;
  EXPECT_EQ(stored.responder, node_->id());
  auto store_ans = wire::DecodeAs<wire::StoreAns>(stored.body, node_->kinds().Context());
  ASSERT_TRUE(store_ans.ok()) << store_ans.status();
  ASSERT_EQ(store_ans->kind_responses.size(), 1u);
  EXPECT_EQ(store_ans->kind_responses[0].kind, wire::kKindTurnService);
  EXPECT_EQ(store_ans->kind_responses[0].generation_counter, 1u);
  EXPECT_TRUE(store_ans->kind_responses[0].replicas.empty());  // alone: no successors
  EXPECT_EQ(node_->counters().stores_applied, 1u);
  EXPECT_EQ(node_->counters().replica_stores_sent, 0u);
  EXPECT_EQ(node_->stored_values(), 1u);

  const Outbox::Result fetched = Take(
      node_->Fetch(res, {Spec(wire::kKindTurnService, DataModel::kSingle)}, kNow + 1000, &out_));
  ASSERT_TRUE(fetched.status.ok()) << fetched.status;
  wire::Body body;
  wire::DecodeError err;
  ASSERT_TRUE(wire::DecodeBody(static_cast<uint16_t>(wire::MessageCode::kFetchAns), fetched.body,
                               &body, &err, node_->kinds().Context()))
      << err.ToString();
  const auto& fetch = std::get<wire::FetchAns>(body);
  ASSERT_EQ(fetch.kind_responses.size(), 1u);
  EXPECT_EQ(fetch.kind_responses[0].generation, 1u);
  ASSERT_EQ(fetch.kind_responses[0].values.size(), 1u);
  const StoredData& sd = fetch.kind_responses[0].values[0];
  EXPECT_EQ(sd.value, wire::StoredDataValue(value));
  EXPECT_EQ(sd.storage_time, kNow - 5);
  EXPECT_EQ(sd.lifetime, 599u);
  // Signed by the node over the §7.1 input.
  std::vector<uint8_t> input;
  wire::StoredDataSignatureInput(res.bytes(), wire::kKindTurnService, sd.storage_time, sd.value,
                                 &input);
  SimulationSigner verifier(Id(0x99));
  auto signer = verifier.Verify(input, sd.signature, {});
  ASSERT_TRUE(signer.has_value());
  EXPECT_EQ(signer->node_id, node_->id());

  // FetchLocal shows the same value.
  auto local = node_->FetchLocal(
      wire::FetchReq{res, {Spec(wire::kKindTurnService, DataModel::kSingle)}}, kNow + 1000);
  ASSERT_TRUE(std::holds_alternative<wire::FetchAns>(local));
  EXPECT_EQ(std::get<wire::FetchAns>(local), fetch);
}

TEST_F(NodeStorageTest, StoreWithStorageTimeZeroTakesNow) {
  const ResourceId res = TurnRes(node_->id(), 3);
  const Outbox::Result stored =
      Take(node_->Store(res, wire::kKindTurnService,
                        {StoredData{0, 60, DataValue{true, Bytes("turn:x")}, {}}}, kNow, &out_));
  ASSERT_TRUE(stored.status.ok()) << stored.status;
  auto local = node_->FetchLocal(
      wire::FetchReq{res, {Spec(wire::kKindTurnService, DataModel::kSingle)}}, kNow);
  ASSERT_TRUE(std::holds_alternative<wire::FetchAns>(local));
  EXPECT_EQ(std::get<wire::FetchAns>(local).kind_responses[0].values[0].storage_time, kNow);
}

TEST_F(NodeStorageTest, StoreOfAnUnknownKindFailsWithUnknownKind) {
  const ResourceId res = TurnRes(node_->id(), 2);
  const Outbox::Result r = Take(node_->Store(
      res, 0xF0000077, {StoredData{kNow, 60, DataValue{true, Bytes("x")}, {}}}, kNow, &out_));
  EXPECT_FALSE(r.status.ok());
  EXPECT_THAT(r.status.message(), testing::HasSubstr("Error_Unknown_Kind"));
  EXPECT_EQ(node_->counters().stores_applied, 0u);
  EXPECT_EQ(node_->counters().storage_errors, 1u);
  EXPECT_EQ(node_->stored_values(), 0u);
}

TEST_F(NodeStorageTest, StoreAtAnotherNodesTurnIdIsForbidden) {
  // NODE-MULTIPLE: this node may not write at H(other Node-ID ‖ 1).
  const Outbox::Result r =
      Take(node_->Store(TurnRes(Id(0x77), 1), wire::kKindTurnService,
                        {StoredData{kNow, 60, DataValue{true, Bytes("x")}, {}}}, kNow, &out_));
  EXPECT_FALSE(r.status.ok());
  EXPECT_THAT(r.status.message(), testing::HasSubstr("Error_Forbidden"));
  EXPECT_EQ(node_->stored_values(), 0u);
}

}  // namespace
}  // namespace p2psip::core

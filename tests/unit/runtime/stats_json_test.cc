// The pieces of the node statistics document: every counter by name (a field added to a
// counters struct and not to stats_json.cc fails here), the ring closest first with distinct
// fingers, links, storage.
#include "p2psip/runtime/stats_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "p2psip/core/chord_table.h"

namespace p2psip::runtime {
namespace {

using nlohmann::json;

template <class Counters>
void ExpectEveryField(const json& j) {
  static_assert(sizeof(Counters) % sizeof(uint64_t) == 0);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.size() * sizeof(uint64_t), sizeof(Counters))
      << "a counter is missing from stats_json.cc: " << j.dump();
  for (const auto& [name, value] : j.items()) {
    EXPECT_TRUE(value.is_number_unsigned()) << name;
    EXPECT_EQ(value, json(0)) << name;
  }
}

TEST(StatsJsonTest, EveryCounterByName) {
  ExpectEveryField<core::NodeCounters>(CountersJson(core::NodeCounters{}));
  ExpectEveryField<LinkManagerCounters>(CountersJson(LinkManagerCounters{}));
  ExpectEveryField<port::PortCounters>(CountersJson(port::PortCounters{}));

  core::NodeCounters node;
  node.forwarded = 7;
  node.diagnostics_refused = 3;
  EXPECT_EQ(CountersJson(node)["forwarded"], 7);
  EXPECT_EQ(CountersJson(node)["diagnostics_refused"], 3);
  LinkManagerCounters links;
  links.send_no_link = 9;
  EXPECT_EQ(CountersJson(links)["send_no_link"], 9);
  port::PortCounters port;
  port.tx_dropped = 11;
  EXPECT_EQ(CountersJson(port)["tx_dropped"], 11);
}

NodeId Id(uint8_t first) {
  std::vector<uint8_t> b(16, 0);
  b[0] = first;
  return NodeId(b);
}

TEST(StatsJsonTest, RingClosestFirstWithDistinctFingers) {
  const NodeId self = Id(0x10);
  core::ChordTable table(core::RingId::Of(self));
  for (uint8_t p : {0x20, 0x30, 0x40, 0x50, 0x08, 0x04, 0x90}) {
    table.AddNeighbor(core::RingId::Of(Id(p)));
    table.OfferFinger(core::RingId::Of(Id(p)));
  }
  const json ring = RingJson(self, &table);
  EXPECT_EQ(ring["self"], self.ToHex());
  const std::vector<std::string> succs = ring["successors"];
  ASSERT_EQ(succs.size(), 3u);
  EXPECT_EQ(succs[0], Id(0x20).ToHex());
  EXPECT_EQ(succs[1], Id(0x30).ToHex());
  const std::vector<std::string> preds = ring["predecessors"];
  ASSERT_EQ(preds.size(), 3u);
  EXPECT_EQ(preds[0], Id(0x08).ToHex());
  EXPECT_EQ(preds[1], Id(0x04).ToHex());
  const std::vector<std::string> fingers = ring["fingers"];
  ASSERT_FALSE(fingers.empty());
  std::vector<std::string> sorted_unique = fingers;
  std::sort(sorted_unique.begin(), sorted_unique.end());
  sorted_unique.erase(std::unique(sorted_unique.begin(), sorted_unique.end()), sorted_unique.end());
  EXPECT_EQ(sorted_unique.size(), fingers.size()) << "fingers repeat a peer";
  for (size_t i = 1; i < fingers.size(); ++i) {
    const NodeId a = *NodeId::FromHex(fingers[i - 1]);
    const NodeId b = *NodeId::FromHex(fingers[i]);
    EXPECT_LT(core::Distance(core::RingId::Of(self), core::RingId::Of(a)),
              core::Distance(core::RingId::Of(self), core::RingId::Of(b)));
  }

  const json none = RingJson(self, nullptr);
  EXPECT_TRUE(none["predecessors"].empty());
  EXPECT_TRUE(none["successors"].empty());
  EXPECT_TRUE(none["fingers"].empty());
}

TEST(StatsJsonTest, Link) {
  LinkInfo info{7,        *port::Endpoint::Parse("127.0.0.2:17084"), true, false,
                Id(0x20), "ECDHE-ECDSA-AES128-GCM-SHA256",           0};
  info.sender = {.messages_sent = 10,
                 .retransmissions = 2,
                 .messages_acked = 9,
                 .messages_given_up = 1,
                 .window = 4};
  info.framing = {.data_delivered = 30,
                  .data_duplicates = 1,
                  .acks_in = 5,
                  .acks_out = 3,
                  .acks_coalesced = 28};
  info.rto_us = 500'000;
  info.srtt_us = 812.6;
  const json j = LinkJson(info, 2, true);
  EXPECT_EQ(j, (json{{"id", 7},
                     {"core", 2},
                     {"remote", "127.0.0.2:17084"},
                     {"peer", Id(0x20).ToHex()},
                     {"up", true},
                     {"client", true},
                     {"opened_here", false},
                     {"cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"},
                     {"framing",
                      {{"messages_sent", 10},
                       {"messages_acked", 9},
                       {"retransmissions", 2},
                       {"messages_given_up", 1},
                       {"data_delivered", 30},
                       {"data_duplicates", 1},
                       {"acks_in", 5},
                       {"acks_out", 3},
                       {"acks_coalesced", 28},
                       {"window", 4},
                       {"rto_ms", 500},
                       {"srtt_us", 812}}}}));
  info.peer = NodeId();
  info.up = false;
  EXPECT_EQ(LinkJson(info, 0, false)["peer"], "");
}

TEST(StatsJsonTest, StorageAndLinksOfAFreshNode) {
  core::NodeConfig config;
  config.id = Id(0x42);
  config.first_node = true;
  core::SimulationSigner signer(config.id);
  core::SplitMix64 random(1);
  core::Node node(config, &signer, &random);
  EXPECT_EQ(StorageJson(node), (json{{"resources", 0}, {"values", 0}, {"certificates", 0}}));
  LinkManager links(LinkManagerOptions{});
  EXPECT_EQ(LinksJson(links, node, 0), json::array());
  EXPECT_EQ(RingJson(node)["self"], config.id.ToHex());
}

}  // namespace
}  // namespace p2psip::runtime

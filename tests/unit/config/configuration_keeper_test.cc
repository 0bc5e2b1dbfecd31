// ConfigUpdate end to end: a Node whose ConfigurationAuthority is a ConfigurationKeeper adopts a
// newer signed configuration (its messages then carry the new sequence), refuses a stale or
// unauthorised one with the RFC's error, and deletes the data of a kind the new configuration
// drops (RFC 6940 §6.5.4, §11.1).
#include "p2psip/config/configuration_keeper.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "p2psip/core/node.h"
#include "p2psip/wire/codec.h"
#include "p2psip/wire/hashes.h"
#include "signing_fixture.h"

namespace p2psip::config {
namespace {

using testing::Id;
using testing::TestOverlay;
using testing::Write;

constexpr uint64_t kNowMs = uint64_t{testing::kNow} * 1000;

class ConfigurationKeeperTest : public ::testing::Test {
 protected:
  ConfigurationKeeperTest() : signer_(overlay_.Signer(Id(0xA1))) {
    document_ = Write(overlay_.Spec(5, {Id(0xA1)}, {Id(0xA1)}), *signer_);
    verifier_ = overlay_.Signer(Id(0x42));
    auto keeper = ConfigurationKeeper::Create(document_, testing::kOverlayName, verifier_.get());
    EXPECT_TRUE(keeper.ok()) << keeper.status();
    keeper_ = *std::move(keeper);
    core::NodeConfig c;
    c.id = Id(0x42);
    c.overlay_name = testing::kOverlayName;
    c.first_node = true;
    c.configuration_sequence = 5;
    // A document with four signed kind blocks is about 8 kB, over the 5000-byte default.
    c.max_message_size = 64 * 1024;
    c.kinds = keeper_->kinds();
    node_signer_ = std::make_unique<core::SimulationSigner>(c.id);
    rng_ = std::make_unique<core::SplitMix64>(1);
    node_ = std::make_unique<core::Node>(c, node_signer_.get(), rng_.get());
    node_->SetConfigurationAuthority(keeper_.get());
    node_->Start(kNowMs, &out_);
    out_.clear();
  }

  // A ConfigUpdate(config) carrying `document`, delivered to the lone node itself; its result.
  core::Outbox::Result Update(const std::string& document) {
    wire::ConfigUpdateReq req;
    req.type = wire::kConfigUpdateConfig;
    req.config_data = document;
    const uint64_t id = node_->Request({wire::Destination::Node(node_->id())},
                                       static_cast<uint16_t>(wire::MessageCode::kConfigUpdateReq),
                                       req, kNowMs, &out_);
    for (core::Outbox::Result& r : out_.results) {
      if (r.request_id == id) {
        core::Outbox::Result taken = std::move(r);
        out_.clear();
        return taken;
      }
    }
    ADD_FAILURE() << "no answer";
    return {};
  }

  static int ErrorCodeOf(const core::Outbox::Result& r) {
    auto payload = r.status.GetPayload("reload-error");
    return payload ? std::stoi(std::string(*payload)) : 0;
  }

  TestOverlay overlay_;
  std::unique_ptr<core::CertificateSigner> signer_, verifier_;
  std::string document_;
  std::unique_ptr<ConfigurationKeeper> keeper_;
  std::unique_ptr<core::SimulationSigner> node_signer_;
  std::unique_ptr<core::SplitMix64> rng_;
  std::unique_ptr<core::Node> node_;
  core::Outbox out_;
};

TEST_F(ConfigurationKeeperTest, NewerSignedConfigurationIsAdopted) {
  const std::string next = Write(overlay_.Spec(6, {Id(0xA1)}, {Id(0xA1)}), *signer_);
  const core::Outbox::Result r = Update(next);
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(node_->config().configuration_sequence, 6);
  EXPECT_EQ(keeper_->current().sequence, 6);
  EXPECT_TRUE(keeper_->document() == next);
  EXPECT_EQ(node_->counters().config_updates_adopted, 1u);
  // The node's messages now carry sequence 6: one that says 5 is Error_Config_Too_Old.
  EXPECT_EQ(ErrorCodeOf(Update(document_)), static_cast<int>(wire::ErrorCode::kConfigTooOld));
}

TEST_F(ConfigurationKeeperTest, StaleOrUnauthorisedConfigurationIsRefused) {
  // The same sequence again.
  EXPECT_EQ(ErrorCodeOf(Update(document_)), static_cast<int>(wire::ErrorCode::kConfigTooOld));
  // Newer, but signed by a signer the running configuration does not list.
  auto intruder = overlay_.Signer(Id(0xB2));
  const std::string forged = Write(overlay_.Spec(7, {Id(0xB2)}, {Id(0xB2)}), *intruder);
  EXPECT_EQ(ErrorCodeOf(Update(forged)), static_cast<int>(wire::ErrorCode::kForbidden));
  EXPECT_EQ(node_->config().configuration_sequence, 5);
  EXPECT_EQ(node_->counters().config_updates_rejected, 2u);
  EXPECT_EQ(node_->counters().config_updates_adopted, 0u);
}

TEST_F(ConfigurationKeeperTest, DroppedKindLosesItsData) {
  // A TURN-SERVICE value of the node's own, stored while the kind is in force.
  std::vector<uint8_t> seed(node_->id().bytes().begin(), node_->id().bytes().end());
  seed.push_back(1);
  const ResourceId res = wire::ChordResourceId(seed);
  node_->Store(res, wire::kKindTurnService,
               {wire::StoredData{kNowMs, 600, wire::DataValue{true, {1, 2, 3}}, {}}}, kNowMs,
               &out_);
  ASSERT_EQ(out_.results.size(), 1u);
  ASSERT_TRUE(out_.results[0].status.ok()) << out_.results[0].status;
  out_.clear();
  ASSERT_EQ(node_->stored_values(), 1u);

  OverlaySpec spec = overlay_.Spec(6, {Id(0xA1)}, {Id(0xA1)});
  std::erase_if(spec.kinds, [](const KindBlockSpec& k) { return k.id == wire::kKindTurnService; });
  const core::Outbox::Result r = Update(Write(spec, *signer_));
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(node_->stored_values(), 0u);
  EXPECT_TRUE(std::none_of(
      keeper_->current().required_kinds.begin(), keeper_->current().required_kinds.end(),
      [](const RequiredKind& k) { return k.definition.id == wire::kKindTurnService; }));
  // TURN-SERVICE is an RFC 6940 kind every node implements: it stays storable under its
  // registered definition (KindsOf starts from the built-in kinds); what the configuration
  // dropped is its kind block and the data stored under it.
  EXPECT_NE(node_->kinds().Find(wire::kKindTurnService), nullptr);
}

TEST_F(ConfigurationKeeperTest, NodeWithoutAnAuthorityRefusesUpdates) {
  node_->SetConfigurationAuthority(nullptr);
  const std::string next = Write(overlay_.Spec(6, {Id(0xA1)}, {Id(0xA1)}), *signer_);
  EXPECT_EQ(ErrorCodeOf(Update(next)), static_cast<int>(wire::ErrorCode::kForbidden));
  EXPECT_EQ(node_->config().configuration_sequence, 5);
}

}  // namespace
}  // namespace p2psip::config

// StatsProvider: the diagnostics p2psipd adds to the core's (SOFTWARE_VERSION, APP_UPTIME,
// MEMORY_FOOTPRINT, the node statistics document), answered through a real Node's
// Diagnostic_Ping responder for the node itself, and the limit on the document's size.
#include "p2psip/runtime/stats_provider.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "p2psip/core/node.h"
#include "p2psip/wire/diagnostics.h"

namespace p2psip::runtime {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr uint64_t kStart = 1'700'000'000'000;  // ms since 1970

std::string Text(const wire::DiagnosticInfo& info) {
  return std::string(info.raw.begin(), info.raw.end());
}

TEST(StatsProviderTest, AnswersTheProcessKinds) {
  StatsProvider provider([] { return std::string(R"({"node_id":"00"})"); }, kStart);
  std::optional<wire::DiagnosticInfo> version =
      provider.Info(wire::kDiagSoftwareVersion, {}, kStart + 1);
  ASSERT_TRUE(version.has_value());
  EXPECT_THAT(version->software_version, StartsWith("p2psip "));
  EXPECT_EQ(version->software_version, StatsProvider::SoftwareVersion());
  EXPECT_GT(version->software_version.size(), std::string("p2psip ").size());

  std::optional<wire::DiagnosticInfo> uptime =
      provider.Info(wire::kDiagAppUptime, {}, kStart + 42'999);
  ASSERT_TRUE(uptime.has_value());
  EXPECT_EQ(uptime->scalar, 42u);
  // A clock before the start (it cannot go back, but the provider must not wrap round).
  EXPECT_EQ(provider.Info(wire::kDiagAppUptime, {}, kStart - 5)->scalar, 0u);

  std::optional<wire::DiagnosticInfo> memory =
      provider.Info(wire::kDiagMemoryFootprint, {}, kStart);
  ASSERT_TRUE(memory.has_value());
  EXPECT_GT(memory->scalar, 100u);  // KiB: a gtest binary is resident in more than 100 KiB
  EXPECT_LT(memory->scalar, uint64_t{64} << 20);

  std::optional<wire::DiagnosticInfo> stats = provider.Info(core::kDiagP2psipNodeStats, {}, kStart);
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(Text(*stats), R"({"node_id":"00"})");
}

TEST(StatsProviderTest, LeavesOtherKindsToTheCore) {
  StatsProvider provider([] { return std::string("{}"); }, kStart);
  for (uint16_t kind :
       {wire::kDiagStatusInfo, wire::kDiagRoutingTableSize, wire::kDiagMessagesSentRcvd,
        wire::kDiagInstancesStored, uint16_t{0xF002}}) {
    EXPECT_FALSE(provider.Info(kind, {}, kStart).has_value()) << kind;
  }
}

TEST(StatsProviderTest, AKindSourceAnswersFirst) {
  StatsProvider provider([] { return std::string("{}"); }, kStart);
  provider.set_kind_source([](uint16_t kind) -> std::optional<wire::DiagnosticInfo> {
    if (kind != wire::kDiagDatasizeStored) return std::nullopt;
    return wire::DiagnosticInfo::Scalar(kind, 1234);
  });
  auto bytes = provider.Info(wire::kDiagDatasizeStored, {}, kStart);
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(bytes->scalar, 1234u);
  // Kinds the source leaves alone are the provider's as before.
  EXPECT_TRUE(provider.Info(wire::kDiagSoftwareVersion, {}, kStart).has_value());
  EXPECT_FALSE(provider.Info(wire::kDiagInstancesStored, {}, kStart).has_value());
}

TEST(StatsProviderTest, ResidentSetMatchesStatm) {
  std::optional<uint64_t> kib = StatsProvider::ResidentKib();
  ASSERT_TRUE(kib.has_value());
  std::vector<char> grow(32 << 20, 1);  // 32 MiB touched: the resident set must grow
  for (size_t i = 0; i < grow.size(); i += 4096) grow[i] = static_cast<char>(i);
  std::optional<uint64_t> after = StatsProvider::ResidentKib();
  ASSERT_TRUE(after.has_value());
  EXPECT_GT(*after, *kib + 16 * 1024) << grow[4096];
}

TEST(StatsProviderTest, AnOversizedDocumentBecomesAnErrorDocument) {
  const std::string big(70000, 'x');
  StatsProvider provider([&big] { return big; }, kStart);
  std::optional<wire::DiagnosticInfo> stats = provider.Info(core::kDiagP2psipNodeStats, {}, kStart);
  ASSERT_TRUE(stats.has_value());
  EXPECT_LE(stats->raw.size(), StatsProvider::kMaxDocumentBytes);
  EXPECT_THAT(Text(*stats), HasSubstr(R"("bytes":70000)"));
  EXPECT_THAT(Text(*stats), HasSubstr(R"("limit":65535)"));

  StatsProvider small([] { return std::string(100, ' '); }, kStart, 99);
  EXPECT_THAT(Text(*small.Info(core::kDiagP2psipNodeStats, {}, kStart)),
              HasSubstr(R"("limit":99)"));
}

// Through the core: a Diagnostic_Ping of a node to itself carries the provider's answers.
TEST(StatsProviderTest, NodeAnswersWithTheProvider) {
  core::NodeConfig config;
  config.id = NodeId(std::vector<uint8_t>(16, 0x42));
  config.first_node = true;
  config.address = *wire::IpAddressPort::Parse("127.0.0.1", 6084);
  core::SimulationSigner signer(config.id, "alice@p2psip.local");
  core::SplitMix64 random(1);
  core::Node node(config, &signer, &random);
  int calls = 0;
  StatsProvider provider(
      [&calls] {
        ++calls;
        return std::string(R"({"joined":true})");
      },
      kStart);
  node.SetDiagnosticsProvider(&provider);
  core::Outbox out;
  node.Start(kStart, &out);
  const uint64_t id = node.Diagnose(
      {wire::Destination::Node(config.id)},
      wire::DmFlagFor(wire::kDiagSoftwareVersion) | wire::DmFlagFor(wire::kDiagAppUptime),
      {core::kDiagP2psipNodeStats}, kStart + 5000, &out);
  const core::Outbox::Result* result = nullptr;
  for (const core::Outbox::Result& r : out.results) {
    if (r.request_id == id) result = &r;
  }
  ASSERT_NE(result, nullptr) << "no answer from the node itself";
  ASSERT_TRUE(result->status.ok()) << result->status;
  absl::StatusOr<wire::DiagnosticsResponse> response =
      core::DecodeDiagnosticPingAnswer(result->body);
  ASSERT_TRUE(response.ok()) << response.status();
  std::map<uint16_t, wire::DiagnosticInfo> by_kind;
  for (const wire::DiagnosticInfo& i : response->info) by_kind[i.kind] = i;
  ASSERT_TRUE(by_kind.contains(wire::kDiagSoftwareVersion));
  EXPECT_EQ(by_kind[wire::kDiagSoftwareVersion].software_version, StatsProvider::SoftwareVersion());
  ASSERT_TRUE(by_kind.contains(wire::kDiagAppUptime));
  EXPECT_EQ(by_kind[wire::kDiagAppUptime].scalar, 5u);
  ASSERT_TRUE(by_kind.contains(core::kDiagP2psipNodeStats));
  EXPECT_EQ(Text(by_kind[core::kDiagP2psipNodeStats]), R"({"joined":true})");
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace p2psip::runtime

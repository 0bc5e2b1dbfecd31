// The DTLS fast record path (src/link/dtls_records.h): its records are DTLS 1.2 records that
// BoringSSL's own record layer opens and vice versa (sessions with and without the option
// talk), replays, forgeries and records left of the window are dropped and counted, and
// close_notify crosses either way.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "p2psip/link/secure_session.h"
#include "secure_test_util.h"

namespace p2psip::link {
namespace {

using testing::B;
using testing::Bytes;
using testing::Ca;
using testing::Connect;
using testing::Identity;
using testing::Issue;
using testing::kDay;
using testing::kNowMs;
using testing::kNowS;
using testing::Pump;
using testing::SessionPair;
using testing::Trust;
using State = SecureSession::State;

constexpr auto kScheme = crypto::SignatureScheme::kEcdsaP256Sha256;

std::shared_ptr<const SecureContext> Context(const Identity& who, bool fast) {
  SecureContextOptions options;
  options.fast_records = fast;
  auto context = SecureContext::Create(*who.key, {who.cert}, Trust(kScheme), options);
  EXPECT_TRUE(context.ok()) << context.status();
  return context.ok() ? *std::move(context) : nullptr;
}

SessionPair Pair(bool client_fast, bool server_fast) {
  const Identity a = Issue(Ca(kScheme), kScheme, 0, 0xA1, kNowS - kDay, kNowS + kDay);
  const Identity b = Issue(Ca(kScheme), kScheme, 1, 0xB2, kNowS - kDay, kNowS + kDay);
  SessionPair p = Connect(Context(a, client_fast), Context(b, server_fast), b.id, a.id);
  EXPECT_EQ(p.client.state(), State::kEstablished) << p.client.status();
  EXPECT_EQ(p.server.state(), State::kEstablished) << p.server.status();
  return p;
}

Bytes Record(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

class DtlsRecordsInterop : public ::testing::TestWithParam<std::pair<bool, bool>> {};

TEST_P(DtlsRecordsInterop, RecordsCrossBothWaysInOrderThenCloseNotify) {
  const auto [client_fast, server_fast] = GetParam();
  SessionPair p = Pair(client_fast, server_fast);
  EXPECT_EQ(p.client.fast_records(), client_fast);
  EXPECT_EQ(p.server.fast_records(), server_fast);
  const std::vector<size_t> sizes = {1, 100, 789, 1200, 16384};
  std::vector<Bytes> sent_up, sent_down;
  for (int i = 0; i < 200; ++i) {
    sent_up.push_back(Record(sizes[i % sizes.size()], static_cast<uint8_t>(i)));
    sent_down.push_back(Record(sizes[(i + 2) % sizes.size()], static_cast<uint8_t>(i + 99)));
    ASSERT_TRUE(p.client.Send(sent_up.back()).ok());
    ASSERT_TRUE(p.server.Send(sent_down.back()).ok());
    if (i % 10 == 9) Pump(p.client, p.server, kNowMs);
  }
  Pump(p.client, p.server, kNowMs);
  EXPECT_EQ(p.server.TakeReceived(), sent_up);
  EXPECT_EQ(p.client.TakeReceived(), sent_down);
  EXPECT_EQ(p.client.counters().bad_records_dropped, 0u);
  EXPECT_EQ(p.server.counters().bad_records_dropped, 0u);
  EXPECT_EQ(p.server.counters().records_opened, 200u);
  EXPECT_EQ(p.client.counters().records_sealed, 200u);

  p.client.Close();
  Pump(p.client, p.server, kNowMs);
  EXPECT_EQ(p.server.state(), State::kClosed) << "close_notify was not taken";
}

INSTANTIATE_TEST_SUITE_P(FastAndBoringSsl, DtlsRecordsInterop,
                         ::testing::Values(std::pair{true, true}, std::pair{true, false},
                                           std::pair{false, true}, std::pair{false, false}));

TEST(DtlsRecords, TheServerClosesABoringSslSessionTowardsAFastOne) {
  SessionPair p = Pair(/*client_fast=*/true, /*server_fast=*/false);
  ASSERT_TRUE(p.server.Send(B("last words")).ok());
  p.server.Close();
  Pump(p.client, p.server, kNowMs);
  EXPECT_EQ(p.client.TakeReceived(), std::vector<Bytes>{B("last words")});
  EXPECT_EQ(p.client.state(), State::kClosed);
}

// The datagrams `from` has to send, one record each.
std::vector<Bytes> Datagrams(SecureSession& from, int n, const std::string& tag) {
  for (int i = 0; i < n; ++i) EXPECT_TRUE(from.Send(B(tag + std::to_string(i))).ok());
  return from.TakeOutput();
}

TEST(DtlsRecords, ReplaysForgeriesAndRecordsLeftOfTheWindowAreDroppedAndCounted) {
  SessionPair p = Pair(true, true);
  ASSERT_TRUE(p.server.fast_records());
  std::vector<Bytes> d = Datagrams(p.client, 1, "once ");
  ASSERT_EQ(d.size(), 1u);
  ASSERT_TRUE(p.server.OnReceive(d[0], kNowMs).ok());
  ASSERT_TRUE(p.server.OnReceive(d[0], kNowMs).ok());  // a replay
  EXPECT_EQ(p.server.TakeReceived(), std::vector<Bytes>{B("once 0")});
  EXPECT_EQ(p.server.counters().bad_records_dropped, 1u);

  d = Datagrams(p.client, 1, "forged ");
  d[0].back() ^= 1;  // the tag
  ASSERT_TRUE(p.server.OnReceive(d[0], kNowMs).ok());
  Bytes sequence = Datagrams(p.client, 1, "x")[0];
  sequence[10] ^= 1;  // the sequence number: authenticated as additional data
  ASSERT_TRUE(p.server.OnReceive(sequence, kNowMs).ok());
  Bytes truncated = Datagrams(p.client, 1, "y")[0];
  truncated.resize(truncated.size() - 3);
  ASSERT_TRUE(p.server.OnReceive(truncated, kNowMs).ok());
  EXPECT_TRUE(p.server.TakeReceived().empty());
  EXPECT_EQ(p.server.counters().bad_records_dropped, 4u);
  EXPECT_EQ(p.server.state(), State::kEstablished);  // dropped, not failed (RFC 6347 §4.1.2.7)

  // Reordered within the window: all delivered; one 70 records back: too old.
  d = Datagrams(p.client, 70, "r");
  ASSERT_TRUE(p.server.OnReceive(d[2], kNowMs).ok());
  ASSERT_TRUE(p.server.OnReceive(d[0], kNowMs).ok());
  ASSERT_TRUE(p.server.OnReceive(d[1], kNowMs).ok());
  EXPECT_EQ(p.server.TakeReceived(), (std::vector<Bytes>{B("r2"), B("r0"), B("r1")}));
  ASSERT_TRUE(p.server.OnReceive(d[69], kNowMs).ok());
  ASSERT_TRUE(p.server.OnReceive(d[3], kNowMs).ok());   // 66 behind the newest
  ASSERT_TRUE(p.server.OnReceive(d[10], kNowMs).ok());  // 59 behind: inside the window
  EXPECT_EQ(p.server.TakeReceived(), (std::vector<Bytes>{B("r69"), B("r10")}));
  EXPECT_EQ(p.server.counters().bad_records_dropped, 5u);

  // Records of one datagram are opened one by one: two records, one of them forged.
  std::vector<Bytes> two = Datagrams(p.client, 2, "pair ");
  two[0].back() ^= 1;
  Bytes both = two[0];
  both.insert(both.end(), two[1].begin(), two[1].end());
  ASSERT_TRUE(p.server.OnReceive(both, kNowMs).ok());
  EXPECT_EQ(p.server.TakeReceived(), std::vector<Bytes>{B("pair 1")});
  EXPECT_EQ(p.server.counters().bad_records_dropped, 6u);
}

}  // namespace
}  // namespace p2psip::link

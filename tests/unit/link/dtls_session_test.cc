// DTLS behaviour of SecureSession (RFC 6347): handshake retransmission driven by the injected
// clock under datagram loss, giving up, and the silent drop (with a counter) of tampered,
// replayed and malformed records while the session carries on; TLS, by contrast, fails.
#include <gtest/gtest.h>

#include <optional>

#include "p2psip/link/secure_session.h"
#include "secure_test_util.h"

namespace p2psip::link {
namespace {

using namespace ::p2psip::link::testing;  // NOLINT(build/namespaces)
using State = SecureSession::State;

constexpr SignatureScheme kScheme = SignatureScheme::kEcdsaP256Sha256;

class DtlsSessionTest : public ::testing::Test {
 protected:
  DtlsSessionTest()
      : a_(Issue(Ca(kScheme), kScheme, 0, 0xA1)),
        b_(Issue(Ca(kScheme), kScheme, 1, 0xB2)),
        client_ctx_(MakeContext(a_, kScheme, SecureTransport::kDatagram)),
        server_ctx_(MakeContext(b_, kScheme, SecureTransport::kDatagram)) {}

  SecureSession NewClient(uint64_t now = kNowMs) {
    return *SecureSession::Create(client_ctx_, SecureRole::kClient, b_.id, now);
  }
  SecureSession NewServer(uint64_t now = kNowMs) {
    return *SecureSession::Create(server_ctx_, SecureRole::kServer, a_.id, now);
  }
  SessionPair Established() {
    SessionPair p = Connect(client_ctx_, server_ctx_, b_.id, a_.id);
    EXPECT_TRUE(p.client.established()) << p.client.status();
    EXPECT_TRUE(p.server.established()) << p.server.status();
    return p;
  }
  // One sealed record, as the datagram the client would send.
  static Bytes Seal(SecureSession& from, std::string_view text) {
    EXPECT_TRUE(from.Send(B(text)).ok());
    auto out = from.TakeOutput();
    EXPECT_EQ(out.size(), 1u);
    return out.empty() ? Bytes{} : out[0];
  }

  Identity a_, b_;
  std::shared_ptr<const SecureContext> client_ctx_, server_ctx_;
};

TEST_F(DtlsSessionTest, LostDatagramsAreRecoveredByTheInjectedTimers) {
  SecureSession client = NewClient(), server = NewServer();
  // The first ClientHello and the first datagram of the server's first flight are lost.
  const DropFn drop = [](bool /*to_server*/, size_t index) { return index == 0; };
  uint64_t now = kNowMs;
  Handshake(client, server, now, drop);
  ASSERT_TRUE(client.established()) << client.status();
  ASSERT_TRUE(server.established()) << server.status();
  EXPECT_GE(client.counters().handshake_timeouts_fired, 1u);
  EXPECT_GE(now, kNowMs + 1000);  // at least the initial 1 s retransmission timeout elapsed
  EXPECT_EQ(client.NextTimeout(now), std::nullopt);
  ASSERT_TRUE(client.Send(B("after loss")).ok());
  Pump(client, server, now);
  EXPECT_EQ(server.TakeReceived(), std::vector<Bytes>{B("after loss")});
}

TEST_F(DtlsSessionTest, LostFinalFlightIsResentWhenTheClientRetransmits) {
  SecureSession client = NewClient(), server = NewServer();
  for (int i = 0; i < 10 && !server.established(); ++i) {
    for (const Bytes& d : client.TakeOutput()) ASSERT_TRUE(server.OnReceive(d, kNowMs).ok());
    if (server.established()) break;
    for (const Bytes& d : server.TakeOutput()) ASSERT_TRUE(client.OnReceive(d, kNowMs).ok());
  }
  ASSERT_TRUE(server.established()) << server.status();
  ASSERT_FALSE(client.established());
  ASSERT_FALSE(server.TakeOutput().empty());  // its ChangeCipherSpec + Finished: lost
  const std::optional<uint64_t> due = client.NextTimeout(kNowMs);
  ASSERT_TRUE(due.has_value());
  // (BoringSSL treats the last 15 ms before a deadline as expired.)
  EXPECT_EQ(client.NextTimeout(*due - 100), std::optional<uint64_t>(*due));
  EXPECT_TRUE(client.OnTimeout(*due - 100).ok());  // not yet due: nothing resent
  EXPECT_FALSE(client.HasOutput());
  EXPECT_TRUE(client.OnTimeout(*due).ok());
  EXPECT_TRUE(client.HasOutput());
  EXPECT_EQ(client.counters().handshake_timeouts_fired, 1u);
  Pump(client, server, *due);
  EXPECT_TRUE(client.established()) << client.status();
}

TEST_F(DtlsSessionTest, GivesUpWhenThePeerNeverAnswers) {
  SecureSession client = NewClient();
  uint64_t now = kNowMs;
  for (int i = 0; i < 40 && client.state() == State::kHandshaking; ++i) {
    (void)client.TakeOutput();
    const std::optional<uint64_t> due = client.NextTimeout(now);
    ASSERT_TRUE(due.has_value());
    now = *due;
    (void)client.OnTimeout(now);
  }
  EXPECT_EQ(client.state(), State::kFailed);
  EXPECT_EQ(client.failure(), HandshakeFailure::kTimeout);
  EXPECT_EQ(client.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(client.counters().failures(HandshakeFailure::kTimeout), 1u);
  EXPECT_GE(client.counters().handshake_timeouts_fired, 5u);
}

TEST_F(DtlsSessionTest, TamperedRecordIsDroppedAndCountedAndTheSessionSurvives) {
  SessionPair p = Established();
  for (size_t at : {size_t{3}, size_t{13}, size_t{20}}) {  // header (epoch), nonce, ciphertext
    Bytes datagram = Seal(p.client, "secret");
    ASSERT_GT(datagram.size(), at);
    datagram[at] ^= 0x01;
    EXPECT_TRUE(p.server.OnReceive(datagram, kNowMs).ok());
    EXPECT_TRUE(p.server.TakeReceived().empty());
  }
  Bytes tag_flipped = Seal(p.client, "secret");
  tag_flipped.back() ^= 0x80;
  EXPECT_TRUE(p.server.OnReceive(tag_flipped, kNowMs).ok());
  EXPECT_EQ(p.server.counters().bad_records_dropped, 4u);
  EXPECT_EQ(p.server.state(), State::kEstablished);
  EXPECT_TRUE(p.server.OnReceive(Seal(p.client, "intact"), kNowMs).ok());
  EXPECT_EQ(p.server.TakeReceived(), std::vector<Bytes>{B("intact")});
  EXPECT_EQ(p.server.counters().records_opened, 1u);
}

TEST_F(DtlsSessionTest, ReplayedRecordsAreDropped) {
  SessionPair p = Established();
  const Bytes first = Seal(p.client, "first"), second = Seal(p.client, "second");
  // Reordering within the window is fine; a second copy of either is a replay.
  ASSERT_TRUE(p.server.OnReceive(second, kNowMs).ok());
  ASSERT_TRUE(p.server.OnReceive(first, kNowMs).ok());
  ASSERT_TRUE(p.server.OnReceive(first, kNowMs).ok());
  ASSERT_TRUE(p.server.OnReceive(second, kNowMs).ok());
  EXPECT_EQ(p.server.TakeReceived(), (std::vector<Bytes>{B("second"), B("first")}));
  EXPECT_EQ(p.server.counters().bad_records_dropped, 2u);
  EXPECT_EQ(p.server.counters().records_opened, 2u);
  EXPECT_TRUE(p.server.established());
}

TEST_F(DtlsSessionTest, JunkAndTruncatedDatagramsAreDropped) {
  SessionPair p = Established();
  const Bytes junk = {0x17, 0xfe, 0xfd, 0x00};
  Bytes truncated = Seal(p.client, "cut short");
  truncated.resize(truncated.size() - 5);
  EXPECT_TRUE(p.server.OnReceive(junk, kNowMs).ok());
  EXPECT_TRUE(p.server.OnReceive(truncated, kNowMs).ok());
  EXPECT_TRUE(p.server.OnReceive({}, kNowMs).ok());
  EXPECT_EQ(p.server.counters().bad_records_dropped, 2u);
  // Two records in one datagram both open.
  Bytes two = Seal(p.client, "one");
  const Bytes other = Seal(p.client, "two");
  two.insert(two.end(), other.begin(), other.end());
  EXPECT_TRUE(p.server.OnReceive(two, kNowMs).ok());
  EXPECT_EQ(p.server.TakeReceived(), (std::vector<Bytes>{B("one"), B("two")}));
  EXPECT_EQ(p.server.counters().bad_records_dropped, 2u);
}

TEST(TlsSessionTest, TamperedRecordEndsATlsSession) {
  const Identity a = Issue(Ca(kScheme), kScheme, 0, 0xA1), b = Issue(Ca(kScheme), kScheme, 1, 0xB2);
  SessionPair p = Connect(MakeContext(a, kScheme, SecureTransport::kStream),
                          MakeContext(b, kScheme, SecureTransport::kStream), b.id, a.id);
  ASSERT_TRUE(p.server.established()) << p.server.status();
  EXPECT_EQ(p.client.NextTimeout(kNowMs), std::nullopt);
  ASSERT_TRUE(p.client.Send(B("secret")).ok());
  auto out = p.client.TakeOutput();
  ASSERT_EQ(out.size(), 1u);
  out[0].back() ^= 1;
  EXPECT_FALSE(p.server.OnReceive(out[0], kNowMs).ok());
  EXPECT_EQ(p.server.state(), State::kFailed);
  EXPECT_EQ(p.server.failure(), HandshakeFailure::kProtocol);
  // A handshake that had completed is not counted as a failed handshake.
  EXPECT_EQ(p.server.counters().failures(HandshakeFailure::kProtocol), 0u);
}

}  // namespace
}  // namespace p2psip::link

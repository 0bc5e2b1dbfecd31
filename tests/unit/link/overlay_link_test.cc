// OverlayLink: (D)TLS carrying the framing, end to end between two links in memory: messages
// both ways (also those sent before the handshake completed), DTLS with datagram loss recovered
// by the framing's retransmissions, a TLS stream cut at arbitrary points, the Node-ID check,
// a garbled stream and a silent peer.
#include "p2psip/link/overlay_link.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "secure_test_util.h"

namespace p2psip::link {
namespace {

using testing::B;
using testing::Bytes;
using testing::Id;
using testing::Identity;
using testing::kNowMs;

constexpr uint64_t kStartUs = kNowMs * 1000;

struct Pair {
  Pair(SecureTransport transport, std::optional<NodeId> server_expects = std::nullopt,
       std::optional<NodeId> client_expects = Id(0x22)) {
    const auto scheme = crypto::SignatureScheme::kEcdsaP256Sha256;
    const Identity a = testing::Issue(testing::Ca(scheme), scheme, 0, 0x11);
    const Identity b = testing::Issue(testing::Ca(scheme), scheme, 1, 0x22);
    FramedLinkOptions framing;
    framing.mode = transport == SecureTransport::kStream ? LinkMode::kStream : LinkMode::kDatagram;
    // Client a attaches to server b (b sent the Attach request in RELOAD's terms).
    client = *OverlayLink::Create(testing::MakeContext(a, scheme, transport), SecureRole::kClient,
                                  client_expects, framing, now);
    server = *OverlayLink::Create(testing::MakeContext(b, scheme, transport), SecureRole::kServer,
                                  server_expects, framing, now);
  }

  // Moves ciphertext both ways until both are quiet; `cut` splits each piece at random points
  // (a TCP stream), `drop` drops the i-th datagram of a direction.
  void Run(int rounds = 64, bool cut = false,
           const std::function<bool(bool, size_t)>& drop = nullptr) {
    for (int r = 0; r < rounds; ++r) {
      bool moved = false;
      for (bool to_server : {true, false}) {
        OverlayLink& from = to_server ? *client : *server;
        OverlayLink& to = to_server ? *server : *client;
        for (const Bytes& piece : from.TakeOutput()) {
          moved = true;
          size_t& index = to_server ? sent_to_server : sent_to_client;
          if (drop && drop(to_server, index++)) continue;
          std::vector<Bytes>& got = to_server ? at_server : at_client;
          if (!cut) {
            (void)to.OnReceive(piece, now, &got);
            continue;
          }
          for (size_t at = 0; at < piece.size();) {
            const size_t n = std::min<size_t>(piece.size() - at, 1 + rng() % 40);
            (void)to.OnReceive(std::span(piece).subspan(at, n), now, &got);
            at += n;
          }
        }
      }
      if (!moved) {
        // Nothing in flight: let time pass to the next timer, if any.
        const uint64_t next = std::min(client->NextDeadline(now), server->NextDeadline(now));
        if (next == kNever) return;
        now = std::max(now, next);
        client->OnTimer(now);
        server->OnTimer(now);
      }
    }
  }

  uint64_t now = kStartUs;
  std::unique_ptr<OverlayLink> client, server;
  std::vector<Bytes> at_client, at_server;
  size_t sent_to_server = 0, sent_to_client = 0;
  std::mt19937 rng{7};
};

Bytes Message(int i, size_t size = 100) {
  Bytes m(size, static_cast<uint8_t>(i));
  m[0] = static_cast<uint8_t>(i >> 8);
  return m;
}

class OverlayLinkTest : public ::testing::TestWithParam<SecureTransport> {};

TEST_P(OverlayLinkTest, MessagesBothWaysIncludingThoseSentBeforeTheHandshake) {
  Pair p(GetParam());
  // Queued while the handshake has not even started on the server.
  ASSERT_EQ(p.client->Send(Message(1), p.now), SendResult::kQueued);
  p.Run();
  ASSERT_EQ(p.client->state(), OverlayLink::State::kUp) << p.client->status();
  ASSERT_EQ(p.server->state(), OverlayLink::State::kUp) << p.server->status();
  EXPECT_EQ(p.server->PeerNodeIds(), std::vector<NodeId>{Id(0x11)});
  EXPECT_EQ(p.client->PeerNodeIds(), std::vector<NodeId>{Id(0x22)});
  for (int i = 2; i <= 50; ++i)
    ASSERT_EQ(p.client->Send(Message(i, 50 + i * 20), p.now), SendResult::kQueued);
  for (int i = 1; i <= 30; ++i)
    ASSERT_EQ(p.server->Send(Message(1000 + i), p.now), SendResult::kQueued);
  p.Run(64, GetParam() == SecureTransport::kStream);
  ASSERT_EQ(p.at_server.size(), 50u);
  for (int i = 1; i <= 50; ++i)
    EXPECT_EQ(p.at_server[i - 1], Message(i, i == 1 ? 100 : 50 + i * 20));
  ASSERT_EQ(p.at_client.size(), 30u);
  EXPECT_EQ(p.at_client.back(), Message(1030));
  EXPECT_EQ(p.server->framing().counters().malformed, 0u);
}

TEST_P(OverlayLinkTest, WrongNodeIdFailsTheLink) {
  Pair p(GetParam(), std::nullopt, /*client_expects=*/Id(0x99));
  p.client->Send(Message(1), p.now);
  p.Run();
  EXPECT_EQ(p.client->state(), OverlayLink::State::kFailed);
  EXPECT_EQ(p.client->session().failure(), HandshakeFailure::kWrongNodeId);
  EXPECT_TRUE(p.at_server.empty());
}

INSTANTIATE_TEST_SUITE_P(Transports, OverlayLinkTest,
                         ::testing::Values(SecureTransport::kDatagram, SecureTransport::kStream),
                         [](const auto& param_info) {
                           return param_info.param == SecureTransport::kStream ? "tls" : "dtls";
                         });

TEST(OverlayLinkDtlsTest, LostDatagramsAreRecoveredByTheFraming) {
  Pair p(SecureTransport::kDatagram);
  p.Run();
  ASSERT_EQ(p.client->state(), OverlayLink::State::kUp);
  for (int i = 1; i <= 40; ++i) p.client->Send(Message(i), p.now);
  // Every 4th datagram after the handshake is lost, both ways (DATA and ACKs).
  const size_t base_s = p.sent_to_server, base_c = p.sent_to_client;
  p.Run(400, false,
        [&](bool to_server, size_t i) { return (i - (to_server ? base_s : base_c)) % 4 == 3; });
  // Every message arrived; a retransmission whose original's ACK was lost may arrive twice
  // (the transaction layer absorbs that), so compare the set.
  std::vector<Bytes> got = p.at_server;
  std::sort(got.begin(), got.end());
  got.erase(std::unique(got.begin(), got.end()), got.end());
  EXPECT_EQ(got.size(), 40u);
  EXPECT_GT(p.client->framing().sender().counters().retransmissions, 0u);
  EXPECT_EQ(p.client->state(), OverlayLink::State::kUp);
}

TEST(OverlayLinkDtlsTest, SilentPeerIsReportedAsFailed) {
  Pair p(SecureTransport::kDatagram);
  p.Run();
  ASSERT_EQ(p.client->state(), OverlayLink::State::kUp);
  p.client->Send(Message(1), p.now);
  // The server is gone: nothing the client sends is answered.
  bool failed = false;
  for (int step = 0; step < 100 && !failed; ++step) {
    p.client->TakeOutput();
    const uint64_t next = p.client->NextDeadline(p.now);
    if (next == kNever) break;
    p.now = next;
    p.client->OnTimer(p.now);
    LinkEvent e;
    while (p.client->PollEvent(&e)) failed |= e.type == LinkEvent::Type::kFailed;
  }
  EXPECT_TRUE(failed);
}

TEST(OverlayLinkTlsTest, GarbageInTheStreamFailsTheLink) {
  // The peer is a bare TLS session that seals whatever it is given: bytes that are not frames.
  const auto scheme = crypto::SignatureScheme::kEcdsaP256Sha256;
  const Identity a = testing::Issue(testing::Ca(scheme), scheme, 0, 0x11);
  const Identity b = testing::Issue(testing::Ca(scheme), scheme, 1, 0x22);
  FramedLinkOptions framing;
  framing.mode = LinkMode::kStream;
  auto client = *OverlayLink::Create(testing::MakeContext(a, scheme, SecureTransport::kStream),
                                     SecureRole::kClient, Id(0x22), framing, kStartUs);
  auto peer = *SecureSession::Create(testing::MakeContext(b, scheme, SecureTransport::kStream),
                                     SecureRole::kServer, std::nullopt, kNowMs);
  std::vector<Bytes> got;
  for (int round = 0; round < 16; ++round) {
    for (const Bytes& piece : client->TakeOutput()) ASSERT_TRUE(peer.OnReceive(piece, kNowMs).ok());
    for (const Bytes& piece : peer.TakeOutput()) (void)client->OnReceive(piece, kStartUs, &got);
  }
  ASSERT_EQ(client->state(), OverlayLink::State::kUp);
  ASSERT_TRUE(peer.Send(B("\x42garbage")).ok());
  for (const Bytes& piece : peer.TakeOutput()) (void)client->OnReceive(piece, kStartUs, &got);
  EXPECT_EQ(client->state(), OverlayLink::State::kFailed);
  EXPECT_EQ(client->counters().stream_bad_frames, 1u);
  EXPECT_EQ(client->status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(got.empty());
}

}  // namespace
}  // namespace p2psip::link

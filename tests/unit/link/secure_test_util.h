// Test helpers for the (D)TLS sessions: an overlay CA and a foreign one, node identities issued
// by them, contexts, and a pump that moves ciphertext between two in-memory sessions (with an
// optional loss pattern and the injected-time retransmission timers).
#ifndef P2PSIP_TESTS_UNIT_LINK_SECURE_TEST_UTIL_H_
#define P2PSIP_TESTS_UNIT_LINK_SECURE_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "p2psip/crypto/certificate.h"
#include "p2psip/link/secure_context.h"
#include "p2psip/link/secure_session.h"

namespace p2psip::link::testing {

using Bytes = std::vector<uint8_t>;
using crypto::SignatureScheme;

inline constexpr int64_t kNowS = 1700000000;  // 2023-11-14
inline constexpr uint64_t kNowMs = uint64_t{kNowS} * 1000;
inline constexpr int64_t kDay = 86400;
inline constexpr char kOverlay[] = "overlay.example.org";

inline NodeId Id(uint8_t b) { return NodeId(Bytes(16, b)); }
inline Bytes B(std::string_view s) { return Bytes(s.begin(), s.end()); }

struct Identity {
  std::shared_ptr<const crypto::SigningKey> key;
  crypto::Certificate cert;
  NodeId id;
};

// Two CAs (the overlay's and a foreign one) per scheme, created once: keys are slow to make.
inline const crypto::CertificateAuthority& Ca(SignatureScheme scheme, bool foreign = false) {
  static const std::vector<crypto::CertificateAuthority>* cas = [] {
    auto* v = new std::vector<crypto::CertificateAuthority>();
    for (SignatureScheme s : {SignatureScheme::kRsa2048Sha256, SignatureScheme::kEcdsaP256Sha256}) {
      for (const char* name : {"overlay CA", "foreign CA"}) {
        v->push_back(
            *crypto::CertificateAuthority::Create(name, s, kNowS - 365 * kDay, kNowS + 365 * kDay));
      }
    }
    return v;
  }();
  return (*cas)[(scheme == SignatureScheme::kRsa2048Sha256 ? 0 : 2) + (foreign ? 1 : 0)];
}

inline std::shared_ptr<const crypto::TrustStore> Trust(SignatureScheme scheme) {
  const std::vector<crypto::Certificate> roots = {Ca(scheme).root()};
  return std::make_shared<const crypto::TrustStore>(*crypto::TrustStore::Create(roots));
}

inline std::shared_ptr<const crypto::SigningKey> SharedKey(SignatureScheme scheme, int which) {
  static const std::vector<std::shared_ptr<const crypto::SigningKey>>* keys = [] {
    auto* v = new std::vector<std::shared_ptr<const crypto::SigningKey>>();
    for (SignatureScheme s : {SignatureScheme::kRsa2048Sha256, SignatureScheme::kEcdsaP256Sha256}) {
      for (int i = 0; i < 2; ++i) {
        v->push_back(std::make_shared<const crypto::SigningKey>(*crypto::SigningKey::Generate(s)));
      }
    }
    return v;
  }();
  return (*keys)[(scheme == SignatureScheme::kRsa2048Sha256 ? 0 : 2) + which];
}

// Node `which` (0 or 1: its own key) with Node-ID Id(id_byte), certified by `ca`.
inline Identity Issue(const crypto::CertificateAuthority& ca, SignatureScheme scheme, int which,
                      uint8_t id_byte, int64_t not_before = kNowS - kDay,
                      int64_t not_after = kNowS + 30 * kDay) {
  auto key = SharedKey(scheme, which);
  const std::vector<NodeId> ids = {Id(id_byte)};
  absl::StatusOr<crypto::Certificate> cert = ca.Issue(key->PublicKeyDer(), ids, "node@example.org",
                                                      kOverlay, not_before, not_after, id_byte);
  EXPECT_TRUE(cert.ok()) << cert.status();
  return Identity{key, *std::move(cert), Id(id_byte)};
}

inline std::shared_ptr<const SecureContext> MakeContext(const Identity& who,
                                                        SignatureScheme trust_scheme,
                                                        SecureTransport transport,
                                                        std::string key_log_path = "") {
  SecureContextOptions options;
  options.transport = transport;
  options.key_log_path = std::move(key_log_path);
  auto context = SecureContext::Create(*who.key, {who.cert}, Trust(trust_scheme), options);
  EXPECT_TRUE(context.ok()) << context.status();
  return context.ok() ? *std::move(context) : nullptr;
}

// Decides whether to drop the `index`-th datagram (0-based, per direction) sent by the client
// (to_server) or by the server.
using DropFn = std::function<bool(bool to_server, size_t index)>;

// Moves ciphertext both ways until neither session has output, at most `max_rounds` rounds.
// Returns the number of datagrams (or stream chunks) delivered.
inline size_t Pump(SecureSession& client, SecureSession& server, uint64_t now_ms,
                   const DropFn& drop = nullptr, size_t* sent_to_server = nullptr,
                   size_t* sent_to_client = nullptr, int max_rounds = 64) {
  size_t local_to_server = 0, local_to_client = 0, delivered = 0;
  size_t& to_server = sent_to_server ? *sent_to_server : local_to_server;
  size_t& to_client = sent_to_client ? *sent_to_client : local_to_client;
  for (int round = 0; round < max_rounds && (client.HasOutput() || server.HasOutput()); ++round) {
    for (Bytes& d : client.TakeOutput()) {
      if (drop && drop(true, to_server++)) continue;
      (void)server.OnReceive(d, now_ms);
      ++delivered;
    }
    for (Bytes& d : server.TakeOutput()) {
      if (drop && drop(false, to_client++)) continue;
      (void)client.OnReceive(d, now_ms);
      ++delivered;
    }
  }
  return delivered;
}

// Runs a handshake to its end with the injected clock: pump, and when both sides are idle and
// not done, advance `now_ms` to the earliest retransmission timer and fire it. Bounded in steps.
inline void Handshake(SecureSession& client, SecureSession& server, uint64_t& now_ms,
                      const DropFn& drop = nullptr, int max_steps = 40) {
  size_t to_server = 0, to_client = 0;
  for (int step = 0; step < max_steps; ++step) {
    Pump(client, server, now_ms, drop, &to_server, &to_client);
    if (client.state() == SecureSession::State::kFailed ||
        server.state() == SecureSession::State::kFailed) {
      return;
    }
    // A server that finished while its last flight was lost still needs the client's timer.
    if (client.established() && server.established()) return;
    std::optional<uint64_t> next;
    for (const SecureSession* s : {&client, &server}) {
      if (auto t = s->NextTimeout(now_ms)) next = next ? std::min(*next, *t) : *t;
    }
    if (!next) return;
    now_ms = std::max(now_ms, *next);
    (void)client.OnTimeout(now_ms);
    (void)server.OnTimeout(now_ms);
  }
}

// A connected pair after a handshake.
struct SessionPair {
  SecureSession client;
  SecureSession server;
};

inline SessionPair Connect(std::shared_ptr<const SecureContext> client_ctx,
                           std::shared_ptr<const SecureContext> server_ctx,
                           std::optional<NodeId> client_expects,
                           std::optional<NodeId> server_expects, uint64_t now_ms = kNowMs) {
  auto server = SecureSession::Create(server_ctx, SecureRole::kServer, server_expects, now_ms);
  auto client = SecureSession::Create(client_ctx, SecureRole::kClient, client_expects, now_ms);
  EXPECT_TRUE(server.ok()) << server.status();
  EXPECT_TRUE(client.ok()) << client.status();
  SessionPair pair{*std::move(client), *std::move(server)};
  Handshake(pair.client, pair.server, now_ms);
  return pair;
}

}  // namespace p2psip::link::testing

#endif  // P2PSIP_TESTS_UNIT_LINK_SECURE_TEST_UTIL_H_

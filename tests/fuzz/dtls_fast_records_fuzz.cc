// Fuzz target: what a peer's datagrams can do to an established DTLS session on the fast record
// path (src/link/dtls_records.h), where a node's worker opens records itself. Each input gets a
// fresh session pair (a full handshake, then both sides on the fast path) and is a program:
//   op % 4 == 0  the client seals the next record (length from the next byte); the datagram is
//                delivered with up to two bytes changed (positions and masks from the input)
//   op % 4 == 1  a raw datagram: a length byte and that many bytes from the input
//   op % 4 == 2  the last datagram again (a replay), or a raw one if there was none
//   op % 4 == 3  the last datagram's records in another order: its tail first
// Properties: no crash; the server never fails (bad records are dropped, RFC 6347 §4.1.2.7) and
// is closed only by an authentic alert; it opens at most one record per record the client
// sealed, and never one twice; an unchanged fresh record always comes through.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "p2psip/crypto/certificate.h"
#include "p2psip/crypto/signing_key.h"
#include "p2psip/link/secure_context.h"
#include "p2psip/link/secure_session.h"

namespace {

using namespace p2psip;  // NOLINT(build/namespaces)
using link::SecureSession;

constexpr int64_t kNowS = 1700000000;
constexpr uint64_t kNowMs = uint64_t{kNowS} * 1000;
constexpr size_t kMaxOps = 64;

struct Contexts {
  std::shared_ptr<const link::SecureContext> client, server;
};

const Contexts& Both() {
  static const Contexts both = [] {
    using crypto::SignatureScheme;
    auto ca = crypto::CertificateAuthority::Create("fuzz CA", SignatureScheme::kEcdsaP256Sha256,
                                                   kNowS - 86400, kNowS + 86400);
    auto trust = crypto::TrustStore::Create(std::vector<crypto::Certificate>{ca->root()});
    if (!ca.ok() || !trust.ok()) __builtin_trap();
    auto shared = std::make_shared<const crypto::TrustStore>(*std::move(trust));
    Contexts c;
    for (uint8_t who : {uint8_t{0xA1}, uint8_t{0xB2}}) {
      auto key = crypto::SigningKey::Generate(SignatureScheme::kEcdsaP256Sha256);
      const std::vector<NodeId> ids = {NodeId(std::vector<uint8_t>(16, who))};
      auto cert = ca->Issue(key->PublicKeyDer(), ids, "fuzz@example.org", "fuzz.example.org",
                            kNowS - 3600, kNowS + 3600, who);
      if (!key.ok() || !cert.ok()) __builtin_trap();
      auto ctx = link::SecureContext::Create(*key, {*cert}, shared, {});
      if (!ctx.ok()) __builtin_trap();
      (who == 0xA1 ? c.client : c.server) = *std::move(ctx);
    }
    return c;
  }();
  return both;
}

void Pump(SecureSession& a, SecureSession& b) {
  for (int round = 0; round < 32 && (a.HasOutput() || b.HasOutput()); ++round) {
    for (auto& d : a.TakeOutput()) (void)b.OnReceive(d, kNowMs);
    for (auto& d : b.TakeOutput()) (void)a.OnReceive(d, kNowMs);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto client =
      SecureSession::Create(Both().client, link::SecureRole::kClient, std::nullopt, kNowMs);
  auto server =
      SecureSession::Create(Both().server, link::SecureRole::kServer, std::nullopt, kNowMs);
  if (!client.ok() || !server.ok()) __builtin_trap();
  Pump(*client, *server);
  if (!client->established() || !server->established() || !client->fast_records() ||
      !server->fast_records()) {
    __builtin_trap();
  }
  std::span<const uint8_t> in(data, size);
  const auto next = [&in]() -> uint8_t {
    if (in.empty()) return 0;
    const uint8_t b = in[0];
    in = in.subspan(1);
    return b;
  };
  std::vector<uint8_t> last;
  uint64_t sealed = 0;
  for (size_t op = 0; op < kMaxOps && !in.empty(); ++op) {
    std::vector<uint8_t> datagram;
    bool pristine = false;
    switch (next() % 4) {
      case 0: {
        const std::vector<uint8_t> plaintext(1 + next() % 200, static_cast<uint8_t>(op));
        if (!client->Send(plaintext).ok()) __builtin_trap();
        ++sealed;
        std::vector<std::vector<uint8_t>> out = client->TakeOutput();
        if (out.size() != 1) __builtin_trap();
        datagram = std::move(out[0]);
        pristine = true;
        for (int k = 0; k < 2; ++k) {
          const uint8_t at = next(), mask = next();
          if (mask != 0) pristine = false;
          datagram[at % datagram.size()] ^= mask;
        }
        break;
      }
      case 1: {
        const size_t n = std::min<size_t>(next(), in.size());
        datagram.assign(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n));
        in = in.subspan(n);
        break;
      }
      case 2:
        datagram = last;
        break;
      case 3:
        if (last.size() > 1) {
          const size_t cut = 1 + next() % (last.size() - 1);
          datagram.assign(last.begin() + static_cast<std::ptrdiff_t>(cut), last.end());
          datagram.insert(datagram.end(), last.begin(),
                          last.begin() + static_cast<std::ptrdiff_t>(cut));
        }
        break;
    }
    const uint64_t opened_before = server->counters().records_opened;
    (void)server->OnReceive(datagram, kNowMs);
    const uint64_t opened = server->counters().records_opened - opened_before;
    if (server->state() == SecureSession::State::kFailed) __builtin_trap();
    if (server->state() == SecureSession::State::kClosed) return 0;  // an alert got through
    if (pristine && opened != 1) __builtin_trap();
    if (server->counters().records_opened > sealed) __builtin_trap();
    (void)server->TakeReceived();
    (void)server->TakeOutput();
    last = std::move(datagram);
  }
  return 0;
}

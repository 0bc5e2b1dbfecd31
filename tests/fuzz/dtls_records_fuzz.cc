// Fuzz target: datagrams from an unauthenticated peer, fed to a server-side DTLS SecureSession
// (the first thing a node's DTLS code sees from the network). Input: a sequence of datagrams,
// each a 2-byte big-endian length and that many bytes (a short last one takes what is left).
// Properties: no crash, the session never fails silently (a failed session has an error
// status), and what it hands back stays bounded (a handshake flight, never more than a few
// datagrams per datagram fed). Replayed in parallel by replay_main: the shared context is
// immutable and each input gets its own session.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "p2psip/crypto/certificate.h"
#include "p2psip/link/secure_context.h"
#include "p2psip/link/secure_session.h"

namespace {

using namespace p2psip;  // NOLINT(build/namespaces)

constexpr int64_t kNowS = 1700000000;
constexpr uint64_t kNowMs = uint64_t{kNowS} * 1000;
constexpr size_t kMaxDatagrams = 32;
constexpr size_t kMaxOutputPerDatagram = 16;

std::shared_ptr<const link::SecureContext> ServerContext() {
  static const std::shared_ptr<const link::SecureContext> context = [] {
    using crypto::SignatureScheme;
    auto ca = crypto::CertificateAuthority::Create("fuzz CA", SignatureScheme::kEcdsaP256Sha256,
                                                   kNowS - 86400, kNowS + 86400);
    auto key = crypto::SigningKey::Generate(SignatureScheme::kEcdsaP256Sha256);
    if (!ca.ok() || !key.ok()) __builtin_trap();
    const std::vector<NodeId> ids = {NodeId(std::vector<uint8_t>(16, 0xB2))};
    auto cert = ca->Issue(key->PublicKeyDer(), ids, "fuzz@example.org", "fuzz.example.org",
                          kNowS - 3600, kNowS + 3600, 2);
    auto trust = crypto::TrustStore::Create(std::vector<crypto::Certificate>{ca->root()});
    if (!cert.ok() || !trust.ok()) __builtin_trap();
    auto ctx = link::SecureContext::Create(
        *key, {*cert}, std::make_shared<const crypto::TrustStore>(*std::move(trust)), {});
    if (!ctx.ok()) __builtin_trap();
    return *std::move(ctx);
  }();
  return context;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto session =
      link::SecureSession::Create(ServerContext(), link::SecureRole::kServer, std::nullopt, kNowMs);
  if (!session.ok()) __builtin_trap();
  std::span<const uint8_t> in(data, size);
  uint64_t now = kNowMs;
  for (size_t n = 0; n < kMaxDatagrams && !in.empty(); ++n) {
    size_t length = in.size();
    if (in.size() >= 2) {
      length = std::min<size_t>((size_t{in[0]} << 8) | in[1], in.size() - 2);
      in = in.subspan(2);
    }
    const absl::Status status = session->OnReceive(in.first(length), now);
    in = in.subspan(length);
    if (session->state() == link::SecureSession::State::kFailed && status.ok()) __builtin_trap();
    if (session->TakeOutput().size() > kMaxOutputPerDatagram) __builtin_trap();
    (void)session->TakeReceived();  // nothing can be established: no client could finish
    now += 10;
  }
  if (session->established()) __builtin_trap();  // no input can complete a mutual handshake
  if (auto due = session->NextTimeout(now)) (void)session->OnTimeout(*due);
  return 0;
}

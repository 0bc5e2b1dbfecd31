// DTLS 1.2 link costs through SecureSession (RFC 6940 §6.6.1), in memory, one core:
//   BM_DtlsHandshake/<rsa2048|ecdsa_p256>  one full handshake with mutual certificate
//   authentication
//                              (client and server sessions, ECDHE X25519, certificate chains
//                              verified by the TrustStore, Node-IDs checked): handshakes/s.
//   BM_DtlsRecord/<bytes>      one application record sealed by the client session and opened
//                              by the server session (what every framed RELOAD message costs
//                              per hop): records/s. Suite: ECDHE-ECDSA-AES128-GCM-SHA256.
//   BM_AesGcmSeal/<bytes>      the bound: BoringSSL's raw AES-128-GCM EVP_AEAD seal of the same
//                              payload (8-byte explicit nonce and 13-byte additional data, as a
//                              DTLS 1.2 record has), no record layer around it.
//   BM_AesGcmSealOpen/<bytes>  seal and open, the raw counterpart of BM_DtlsRecord.
// Quote medians of 3 repetitions (--benchmark_repetitions=3
// --benchmark_report_aggregates_only=true), and records as a ratio to the bound of the same run.
// A failed handshake or record aborts the benchmark.
#include <openssl/aead.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "benchmark/benchmark.h"
#include "p2psip/crypto/certificate.h"
#include "p2psip/link/secure_context.h"
#include "p2psip/link/secure_session.h"

namespace p2psip::link {
namespace {

using crypto::SignatureScheme;
using Bytes = std::vector<uint8_t>;

constexpr int64_t kNowS = 1700000000;
constexpr uint64_t kNowMs = uint64_t{kNowS} * 1000;

struct Contexts {
  std::shared_ptr<const SecureContext> client, server;
  NodeId client_id, server_id;
};

Contexts MakeContexts(SignatureScheme scheme) {
  auto ca = crypto::CertificateAuthority::Create("bench CA", scheme, kNowS - 86400, kNowS + 86400);
  auto trust = std::make_shared<const crypto::TrustStore>(
      *crypto::TrustStore::Create(std::vector<crypto::Certificate>{ca->root()}));
  Contexts out;
  for (uint8_t id : {uint8_t{0xA1}, uint8_t{0xB2}}) {
    auto key = crypto::SigningKey::Generate(scheme);
    const std::vector<NodeId> ids = {NodeId(Bytes(16, id))};
    auto cert = ca->Issue(key->PublicKeyDer(), ids, "bench@example.org", "bench.example.org",
                          kNowS - 3600, kNowS + 3600, id);
    auto ctx = *SecureContext::Create(*key, {*cert}, trust, {});
    (id == 0xA1 ? out.client : out.server) = ctx;
    (id == 0xA1 ? out.client_id : out.server_id) = ids[0];
  }
  return out;
}

const Contexts& Setup(SignatureScheme scheme) {
  static const Contexts rsa = MakeContexts(SignatureScheme::kRsa2048Sha256);
  static const Contexts ecdsa = MakeContexts(SignatureScheme::kEcdsaP256Sha256);
  return scheme == SignatureScheme::kRsa2048Sha256 ? rsa : ecdsa;
}

void Pump(SecureSession& client, SecureSession& server) {
  for (int round = 0; round < 16 && (client.HasOutput() || server.HasOutput()); ++round) {
    for (const Bytes& d : client.TakeOutput()) (void)server.OnReceive(d, kNowMs);
    for (const Bytes& d : server.TakeOutput()) (void)client.OnReceive(d, kNowMs);
  }
}

struct Pair {
  SecureSession client, server;
};

Pair Connect(const Contexts& c, benchmark::State& state) {
  auto server = SecureSession::Create(c.server, SecureRole::kServer, c.client_id, kNowMs);
  auto client = SecureSession::Create(c.client, SecureRole::kClient, c.server_id, kNowMs);
  Pair p{*std::move(client), *std::move(server)};
  Pump(p.client, p.server);
  if (!p.client.established() || !p.server.established()) {
    state.SkipWithError("handshake failed");
  }
  return p;
}

void BM_DtlsHandshake(benchmark::State& state, SignatureScheme scheme) {
  const Contexts& c = Setup(scheme);
  for (auto _ : state) {
    Pair p = Connect(c, state);
    benchmark::DoNotOptimize(p.client.PeerNodeIds().data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_DtlsHandshake, rsa2048, SignatureScheme::kRsa2048Sha256)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_DtlsHandshake, ecdsa_p256, SignatureScheme::kEcdsaP256Sha256)
    ->Unit(benchmark::kMicrosecond);

void BM_DtlsRecord(benchmark::State& state) {
  Pair p = Connect(Setup(SignatureScheme::kEcdsaP256Sha256), state);
  const Bytes payload(static_cast<size_t>(state.range(0)), 0x5A);
  for (auto _ : state) {
    if (!p.client.Send(payload).ok()) state.SkipWithError("seal failed");
    for (const Bytes& d : p.client.TakeOutput()) (void)p.server.OnReceive(d, kNowMs);
    auto records = p.server.TakeReceived();
    if (records.size() != 1 || records[0].size() != payload.size()) {
      state.SkipWithError("open failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_DtlsRecord)->Arg(100)->Arg(1000)->Arg(1400);

// A DTLS 1.2 AES-GCM record's shape: 4-byte implicit salt + 8-byte explicit nonce, 13 bytes of
// additional data (sequence, type, version, length), a 16-byte tag.
struct RawAead {
  bssl::ScopedEVP_AEAD_CTX ctx;
  std::array<uint8_t, 12> nonce{};
  std::array<uint8_t, 13> ad{};
  RawAead() {
    const std::array<uint8_t, 16> key{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    EVP_AEAD_CTX_init(ctx.get(), EVP_aead_aes_128_gcm(), key.data(), key.size(),
                      EVP_AEAD_DEFAULT_TAG_LENGTH, nullptr);
  }
  void Next(uint64_t seq) {
    for (int i = 0; i < 8; ++i) nonce[4 + i] = static_cast<uint8_t>(seq >> (56 - 8 * i));
    for (int i = 0; i < 8; ++i) ad[i] = nonce[4 + i];
  }
};

void BM_AesGcmSeal(benchmark::State& state) {
  RawAead aead;
  const Bytes payload(static_cast<size_t>(state.range(0)), 0x5A);
  Bytes out(payload.size() + EVP_AEAD_max_overhead(EVP_aead_aes_128_gcm()));
  uint64_t seq = 0;
  for (auto _ : state) {
    aead.Next(++seq);
    size_t out_len = 0;
    if (!EVP_AEAD_CTX_seal(aead.ctx.get(), out.data(), &out_len, out.size(), aead.nonce.data(),
                           aead.nonce.size(), payload.data(), payload.size(), aead.ad.data(),
                           aead.ad.size())) {
      state.SkipWithError("seal failed");
      break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_AesGcmSeal)->Arg(100)->Arg(1000)->Arg(1400);

void BM_AesGcmSealOpen(benchmark::State& state) {
  RawAead aead;
  const Bytes payload(static_cast<size_t>(state.range(0)), 0x5A);
  Bytes sealed(payload.size() + EVP_AEAD_max_overhead(EVP_aead_aes_128_gcm()));
  Bytes opened(payload.size());
  uint64_t seq = 0;
  for (auto _ : state) {
    aead.Next(++seq);
    size_t sealed_len = 0, opened_len = 0;
    if (!EVP_AEAD_CTX_seal(aead.ctx.get(), sealed.data(), &sealed_len, sealed.size(),
                           aead.nonce.data(), aead.nonce.size(), payload.data(), payload.size(),
                           aead.ad.data(), aead.ad.size()) ||
        !EVP_AEAD_CTX_open(aead.ctx.get(), opened.data(), &opened_len, opened.size(),
                           aead.nonce.data(), aead.nonce.size(), sealed.data(), sealed_len,
                           aead.ad.data(), aead.ad.size())) {
      state.SkipWithError("seal/open failed");
      break;
    }
    benchmark::DoNotOptimize(opened.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_AesGcmSealOpen)->Arg(100)->Arg(800)->Arg(1000)->Arg(1400);

}  // namespace
}  // namespace p2psip::link

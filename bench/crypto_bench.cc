// Message signatures with certificates (RFC 6940 §6.3.4), per scheme, through the core's
// CertificateSigner (what a node pays per message it originates or receives):
//   BM_Sign/<scheme>         Sign: input ‖ SignerIdentity, one BoringSSL signature;
//   BM_VerifyCached/<scheme> Verify with the signer's certificate in the cache: one hash-map
//                            lookup and one BoringSSL verification;
//   BM_VerifyCold/<scheme>   Verify with the cache disabled and the certificate carried in the
//                            message: hash it, parse it, verify its chain to the root
//                            (X509_verify_cert: one more signature check), then the signature.
// The input is 200 bytes, a small message. Each benchmark runs 3 repetitions; the median is the
// figure to quote (--benchmark_report_aggregates_only=true prints only the aggregates). A
// verification failure aborts the benchmark.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "core/certificate_signer.h"
#include "p2psip/crypto/certificate.h"

namespace p2psip::core {
namespace {

using crypto::SignatureScheme;

constexpr int64_t kNow = 1700000000;

struct Pair {
  std::unique_ptr<CertificateSigner> signer;
  std::unique_ptr<CertificateSigner> warm;  // verifier with the default cache
  std::unique_ptr<CertificateSigner> cold;  // verifier without a cache
};

std::unique_ptr<CertificateSigner> MakeSigner(const crypto::CertificateAuthority& ca,
                                              std::shared_ptr<const crypto::TrustStore> trust,
                                              SignatureScheme scheme, uint8_t id_byte,
                                              size_t cache_capacity) {
  auto key = crypto::SigningKey::Generate(scheme);
  const std::vector<NodeId> ids = {NodeId(std::vector<uint8_t>(16, id_byte))};
  auto cert = ca.Issue(key->PublicKeyDer(), ids, "bench@example.org", "bench.example.org",
                       kNow - 86400, kNow + 86400, id_byte);
  auto signer = CertificateSigner::Create(*std::move(key), *std::move(cert), {}, std::move(trust),
                                          [] { return kNow; }, {.cache_capacity = cache_capacity});
  return *std::move(signer);
}

const Pair& Setup(SignatureScheme scheme) {
  static const std::vector<std::unique_ptr<Pair>> pairs = [] {
    std::vector<std::unique_ptr<Pair>> out;
    for (SignatureScheme s : {SignatureScheme::kRsa2048Sha256, SignatureScheme::kEcdsaP256Sha256}) {
      auto ca = crypto::CertificateAuthority::Create("bench CA", s, kNow - 86400, kNow + 86400);
      auto trust = std::make_shared<const crypto::TrustStore>(
          *crypto::TrustStore::Create(std::vector<crypto::Certificate>{ca->root()}));
      auto p = std::make_unique<Pair>();
      p->signer = MakeSigner(*ca, trust, s, 1, 1024);
      p->warm = MakeSigner(*ca, trust, s, 2, 1024);
      p->cold = MakeSigner(*ca, trust, s, 3, 0);
      out.push_back(std::move(p));
    }
    return out;
  }();
  return *pairs[scheme == SignatureScheme::kRsa2048Sha256 ? 0 : 1];
}

const char* Label(SignatureScheme scheme) {
  return scheme == SignatureScheme::kRsa2048Sha256 ? "rsa-2048" : "ecdsa-p256";
}

const std::vector<uint8_t> kInput(200, 0x5A);

void BM_Sign(benchmark::State& state, SignatureScheme scheme) {
  const Pair& p = Setup(scheme);
  for (auto _ : state) benchmark::DoNotOptimize(p.signer->Sign(kInput));
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(Label(scheme));
}

void Verify(benchmark::State& state, SignatureScheme scheme, bool cached) {
  const Pair& p = Setup(scheme);
  CertificateSigner& verifier = cached ? *p.warm : *p.cold;
  const wire::Signature signature = p.signer->Sign(kInput);
  const std::vector<wire::GenericCertificate> certificates = p.signer->Certificates();
  if (!verifier.Verify(kInput, signature, certificates)) {
    state.SkipWithError("verification failed");
    return;
  }
  for (auto _ : state) {
    if (!verifier.Verify(kInput, signature, certificates)) {
      state.SkipWithError("verification failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(Label(scheme));
}

void BM_VerifyCached(benchmark::State& state, SignatureScheme scheme) {
  Verify(state, scheme, /*cached=*/true);
}
void BM_VerifyCold(benchmark::State& state, SignatureScheme scheme) {
  Verify(state, scheme, /*cached=*/false);
}

BENCHMARK_CAPTURE(BM_Sign, rsa, SignatureScheme::kRsa2048Sha256)->Repetitions(3);
BENCHMARK_CAPTURE(BM_Sign, ecdsa, SignatureScheme::kEcdsaP256Sha256)->Repetitions(3);
BENCHMARK_CAPTURE(BM_VerifyCached, rsa, SignatureScheme::kRsa2048Sha256)->Repetitions(3);
BENCHMARK_CAPTURE(BM_VerifyCached, ecdsa, SignatureScheme::kEcdsaP256Sha256)->Repetitions(3);
BENCHMARK_CAPTURE(BM_VerifyCold, rsa, SignatureScheme::kRsa2048Sha256)->Repetitions(3);
BENCHMARK_CAPTURE(BM_VerifyCold, ecdsa, SignatureScheme::kEcdsaP256Sha256)->Repetitions(3);

}  // namespace
}  // namespace p2psip::core

// Full decode and encode of a FetchAns carrying 10 SIP-REGISTRATION dictionary entries, each a
// route registration signed with RSA-2048 (256-byte signature, SHA-256 cert_hash identity):
// what a node parses to answer a SIP lookup (RFC 7904 §4.2). About 3.9 kB on the wire.
#include <vector>

#include "benchmark/benchmark.h"
#include "p2psip/wire/codec.h"
#include "p2psip/wire/storage_messages.h"
#include "p2psip/wire/usage_values.h"

namespace p2psip::wire {
namespace {

FetchAns TenDictionaryValues() {
  FetchKindResponse k;
  k.kind = kKindSipRegistration;
  k.generation = 42;
  for (int i = 0; i < 10; ++i) {
    std::vector<uint8_t> node(16, static_cast<uint8_t>(i));
    auto route = *EncodeToBytes(
        SipRegistration::Route("sip.schemes=SIPS", {Destination::Node(NodeId(node))}));
    StoredData d;
    d.storage_time = 1700000000000 + i;
    d.lifetime = 3600;
    d.value = DictionaryEntry{node, DataValue{true, route}};
    d.signature.hash_algorithm = kHashSha256;
    d.signature.signature_algorithm = kSigRsa;
    d.signature.identity = SignerIdentity::CertHash(kHashSha256, std::vector<uint8_t>(32, 0xab));
    d.signature.value.assign(256, static_cast<uint8_t>(i));
    k.values.push_back(std::move(d));
  }
  FetchAns ans;
  ans.kind_responses.push_back(std::move(k));
  return ans;
}

void BM_FetchAnsDecode10Dict(benchmark::State& state) {
  const std::vector<uint8_t> bytes = *EncodeToBytes(TenDictionaryValues());
  for (auto _ : state) {
    FetchAns out;
    DecodeError err;
    if (!DecodeExact(bytes, &out, &err)) {
      state.SkipWithError("decode failed");
      break;
    }
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
  state.counters["wire_bytes"] = static_cast<double>(bytes.size());
}
BENCHMARK(BM_FetchAnsDecode10Dict);

void BM_FetchAnsEncode10Dict(benchmark::State& state) {
  const FetchAns ans = TenDictionaryValues();
  std::vector<uint8_t> out;
  out.reserve(8192);
  for (auto _ : state) {
    out.clear();  // a reused buffer, as a worker would
    ByteWriter w(&out);
    Encode(w, ans);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(out.size()));
}
BENCHMARK(BM_FetchAnsEncode10Dict);

void BM_FetchAnsRoundTrip10Dict(benchmark::State& state) {
  const std::vector<uint8_t> bytes = *EncodeToBytes(TenDictionaryValues());
  for (auto _ : state) {
    FetchAns out;
    DecodeError err;
    DecodeExact(bytes, &out, &err);
    auto again = EncodeToBytes(out);
    benchmark::DoNotOptimize(again);
  }
}
BENCHMARK(BM_FetchAnsRoundTrip10Dict);

}  // namespace
}  // namespace p2psip::wire

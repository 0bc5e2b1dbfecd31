// The Internet checksum the DPDK port's stack computes for every datagram: the scalar and AVX2
// bulk loops, ChecksumAdd as the port calls it (the faster of the two, chosen at start-up), and
// ChecksumCopy (copy into the frame and sum in one pass) against a memcpy followed by a sum.
// Bytes per second over a hot buffer of the argument's size (800: a forwarded message).
#include <cstring>
#include <vector>

#include "benchmark/benchmark.h"
#include "p2psip/port/checksum.h"

namespace p2psip::port {
namespace {

std::vector<uint8_t> Payload(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 131 + 7);
  return v;
}

void BM_BulkScalar(benchmark::State& state) {
  const std::vector<uint8_t> p = Payload(static_cast<size_t>(state.range(0)));
  for (auto _ : state)
    benchmark::DoNotOptimize(internal::ChecksumBulkScalar(p.data(), p.size(), nullptr));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * p.size()));
}
BENCHMARK(BM_BulkScalar)->Arg(64)->Arg(832)->Arg(1472);

void BM_BulkAvx2(benchmark::State& state) {
  if (!internal::HaveAvx2()) {
    state.SkipWithError("no AVX2 on this CPU");
    return;
  }
  const std::vector<uint8_t> p = Payload(static_cast<size_t>(state.range(0)));
  for (auto _ : state)
    benchmark::DoNotOptimize(internal::ChecksumBulkAvx2(p.data(), p.size(), nullptr));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * p.size()));
}
BENCHMARK(BM_BulkAvx2)->Arg(64)->Arg(832)->Arg(1472);

void BM_ChecksumAdd(benchmark::State& state) {
  const std::vector<uint8_t> p = Payload(static_cast<size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(ChecksumAdd(0, p));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * p.size()));
}
BENCHMARK(BM_ChecksumAdd)->Arg(20)->Arg(800)->Arg(1472);

void BM_MemcpyThenChecksumAdd(benchmark::State& state) {
  const std::vector<uint8_t> p = Payload(static_cast<size_t>(state.range(0)));
  std::vector<uint8_t> frame(p.size());
  for (auto _ : state) {
    std::memcpy(frame.data(), p.data(), p.size());
    benchmark::DoNotOptimize(ChecksumAdd(0, p));
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * p.size()));
}
BENCHMARK(BM_MemcpyThenChecksumAdd)->Arg(800)->Arg(1472);

void BM_ChecksumCopy(benchmark::State& state) {
  const std::vector<uint8_t> p = Payload(static_cast<size_t>(state.range(0)));
  std::vector<uint8_t> frame(p.size());
  for (auto _ : state) {
    benchmark::DoNotOptimize(ChecksumCopy(frame.data(), p, 0));
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * p.size()));
}
BENCHMARK(BM_ChecksumCopy)->Arg(800)->Arg(1472);

}  // namespace
}  // namespace p2psip::port

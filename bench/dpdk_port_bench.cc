// The DPDK port's datagram path (DpdkPort: mbufs, the NetStack's headers and checksums) between
// two ports on crossed net_ring ethdevs in one thread, shaped like ring_bench's BM_UdpLoopback so
// that the two compare: each iteration moves 32 datagrams of 100 bytes from one port to the
// other, in TxBursts and RxBursts of `burst`.
//   BM_DpdkRingPort/<burst>   counters: dropped (must stay 0)
// No system call and no other thread is involved: this is the port's own cost per datagram,
// the ceiling a worker on a NIC queue starts from. Side by side with the kernel port:
//   build/bench/ring_bench --benchmark_filter=UdpLoopback --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true &&
//   build/bench/dpdk_port_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ring.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "p2psip/port/dpdk_port.h"
#include "port/dpdk/eal.h"

namespace p2psip {
namespace {

int g_serial = 0;

std::string RingDevice(rte_ring* rx, rte_ring* tx) {
  const std::string name = "bench" + std::to_string(g_serial++);
  const int id = rte_eth_from_rings(name.c_str(), &rx, 1, &tx, 1, 0);
  char actual[RTE_ETH_NAME_MAX_LEN] = {};
  if (id < 0 || rte_eth_dev_get_name_by_port(static_cast<uint16_t>(id), actual) != 0) return "";
  return actual;
}

std::unique_ptr<port::DpdkPort> Port(const std::string& device, const char* at, uint8_t mac,
                                     size_t burst) {
  port::DpdkPortOptions o;
  o.device = device;
  o.stack.local = *port::Endpoint::Parse(at);
  o.stack.mac = {0x02, 0, 0, 0, 0, mac};
  o.burst_size = burst;
  o.mbufs_per_queue = 2047;
  auto group = port::DpdkPort::CreateGroup(o, 1);
  return group.ok() ? std::move((*group)[0]) : nullptr;
}

void BM_DpdkRingPort(benchmark::State& state) {
  constexpr size_t kDatagrams = 32;
  const size_t burst = static_cast<size_t>(state.range(0));
  const std::string n = std::to_string(g_serial++);
  rte_ring* a_to_b = rte_ring_create(("ab" + n).c_str(), 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
  rte_ring* b_to_a = rte_ring_create(("ba" + n).c_str(), 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (a_to_b == nullptr || b_to_a == nullptr) return state.SkipWithError("rte_ring_create");
  auto a = Port(RingDevice(b_to_a, a_to_b), "198.18.0.1:6084", 1, burst);
  auto b = Port(RingDevice(a_to_b, b_to_a), "198.18.0.2:6084", 2, burst);
  if (!a || !b) return state.SkipWithError("DpdkPort::CreateGroup");
  a->mutable_stack().Learn(0xc6120002, {0x02, 0, 0, 0, 0, 2});  // no ARP inside the loop
  const std::vector<uint8_t> payload(100, 0x42);
  std::vector<port::TxDatagram> tx(kDatagrams, {b->local_endpoint(), payload});
  std::vector<port::RxDatagram> rx(kDatagrams);
  uint64_t lost = 0;
  for (auto _ : state) {
    for (size_t sent = 0; sent < kDatagrams; sent += burst) {
      a->TxBurst(std::span(tx).subspan(sent, burst));
    }
    size_t got = 0;
    for (int tries = 0; got < kDatagrams && tries < 100; ++tries) {
      got += b->RxBurst(std::span(rx).first(burst));
    }
    lost += kDatagrams - got;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kDatagrams));
  state.counters["dropped"] = static_cast<double>(lost + a->counters().tx_dropped);
  a.reset();
  b.reset();
  rte_ring_free(a_to_b);
  rte_ring_free(b_to_a);
}
BENCHMARK(BM_DpdkRingPort)->ArgName("burst")->Arg(1)->Arg(32)->UseRealTime();

}  // namespace
}  // namespace p2psip

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const std::string prefix = "p2psip-bench-" + std::to_string(getpid());
  auto eal = p2psip::port::dpdk::Eal::Init(
      {"dpdk_port_bench", "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry", "-m", "512",
       "--file-prefix=" + prefix, "--log-level=lib.eal:warning"});
  if (!eal.ok()) {
    std::fprintf(stderr, "dpdk_port_bench: %s\n", eal.status().ToString().c_str());
    return 1;
  }
  (*eal)->RemoveRuntimeDirOnExit();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

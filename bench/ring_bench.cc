// The runtime's cross-core ring and the kernel socket port, each in bursts and one at a time.
//   BM_SpscRing/<burst>
//       a producer thread enqueues uint64_t items (as the runtime passes mbuf or message
//       pointers) in bursts of <burst> into a 1024-slot SpscRing; the timed thread dequeues them
//       in bursts of the same size and checks their order. items_per_second is the figure.
//       Either side yields when the ring is full / empty, so that the figure stays meaningful
//       when the two threads share a core.
//   BM_UdpLoopback/<burst>
//       two UdpPorts on 127.0.0.1; each iteration moves 32 datagrams of 100 bytes from one to
//       the other. burst 32: one TxBurst (one sendmmsg) and RxBursts of up to 32 (recvmmsg);
//       burst 1: 32 TxBursts and RxBursts of one datagram each, i.e. one system call per
//       datagram per side, as a plain sendto/recvfrom loop would. Counters: syscalls_per_dgram
//       (send and receive together), dropped (must stay 0).
// Both use real time: the ring's figure involves two threads. On a shared machine run 3
// repetitions and quote the medians:
//   ring_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <poll.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "benchmark/benchmark.h"
#include "p2psip/port/udp_port.h"
#include "p2psip/runtime/spsc_ring.h"

namespace p2psip {
namespace {

void BM_SpscRing(benchmark::State& state) {
  const size_t burst = static_cast<size_t>(state.range(0));
  auto ring_or = runtime::SpscRing<uint64_t>::Create(1024);
  if (!ring_or.ok()) return state.SkipWithError("ring");
  runtime::SpscRing<uint64_t>& ring = **ring_or;
  std::atomic<bool> stop = false;
  std::thread producer([&] {
    std::vector<uint64_t> items(burst);
    uint64_t next = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      for (size_t i = 0; i < burst; ++i) items[i] = next + i;
      size_t done = 0;
      while (done < burst && !stop.load(std::memory_order_relaxed)) {
        const size_t n = ring.EnqueueBurst(items.begin() + done, items.end());
        if (n == 0) std::this_thread::yield();  // full: on a shared machine, let the consumer run
        done += n;
      }
      next += burst;
    }
  });
  constexpr uint64_t kPerIteration = 4096;
  std::vector<uint64_t> out(burst);
  uint64_t expected = 0;
  bool in_order = true;
  for (auto _ : state) {
    for (uint64_t got = 0; got < kPerIteration;) {
      const size_t n = ring.DequeueBurst(out.data(), burst);
      for (size_t i = 0; i < n; ++i) in_order &= out[i] == expected++;
      got += n;
      if (n == 0) std::this_thread::yield();
    }
  }
  stop = true;
  producer.join();
  if (!in_order) state.SkipWithError("items out of order");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kPerIteration));
}
BENCHMARK(BM_SpscRing)->ArgName("burst")->Arg(1)->Arg(32)->UseRealTime();

std::unique_ptr<port::UdpPort> Loopback(size_t burst) {
  port::UdpPortOptions o;
  o.bind = *port::Endpoint::Parse("127.0.0.1:0");
  o.burst_size = burst;
  auto p = port::UdpPort::Create(o);
  return p.ok() ? *std::move(p) : nullptr;
}

void BM_UdpLoopback(benchmark::State& state) {
  constexpr size_t kDatagrams = 32;
  const size_t burst = static_cast<size_t>(state.range(0));
  auto a = Loopback(burst);
  auto b = Loopback(burst);
  if (!a || !b) return state.SkipWithError("cannot bind 127.0.0.1");
  const std::vector<uint8_t> payload(100, 0x42);
  std::vector<port::TxDatagram> tx(kDatagrams, {b->local_endpoint(), payload});
  std::vector<port::RxDatagram> rx(kDatagrams);
  uint64_t lost = 0;
  for (auto _ : state) {
    for (size_t sent = 0; sent < kDatagrams; sent += burst) {
      a->TxBurst(std::span(tx).subspan(sent, burst));
    }
    size_t got = 0;
    // Loopback delivers within sendmmsg, so the datagrams are normally already queued; the
    // poll only bounds the wait if they are not.
    for (int waits = 0; got < kDatagrams && waits < 100;) {
      const size_t n = b->RxBurst(std::span(rx).first(burst));
      got += n;
      if (n == 0) {
        pollfd p{b->wait_fd(), POLLIN, 0};
        poll(&p, 1, 1);
        ++waits;
      }
    }
    lost += kDatagrams - got;
  }
  const double datagrams = static_cast<double>(state.iterations() * kDatagrams);
  state.SetItemsProcessed(static_cast<int64_t>(datagrams));
  state.counters["syscalls_per_dgram"] =
      static_cast<double>(a->stats().tx_syscalls + b->stats().rx_syscalls) / datagrams;
  state.counters["dropped"] = static_cast<double>(lost + a->counters().tx_dropped);
}
BENCHMARK(BM_UdpLoopback)->ArgName("burst")->Arg(1)->Arg(32)->UseRealTime();

}  // namespace
}  // namespace p2psip

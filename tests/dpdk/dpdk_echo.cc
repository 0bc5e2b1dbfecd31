// dpdk_echo: a DpdkPort on a real device, for tests/dpdk/check_veth.py. It echoes every UDP
// datagram back to its sender, optionally greets one endpoint every 100 ms (so that its own
// stack must resolve a kernel's MAC), and prints its counters as one JSON line when it stops
// (SIGTERM, SIGINT, or --seconds).
//
//   dpdk_echo --device NAME --address IP:PORT [--prefix-length N] [--exception NAME]
//             [--greet IP:PORT] [--seconds N] [--checksum-offload on|off] -- EAL-ARGUMENTS...
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <chrono>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "p2psip/port/dpdk_port.h"
#include "port/dpdk/eal.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

int Usage(const char* why) {
  std::fprintf(stderr,
               "dpdk_echo: %s\nusage: dpdk_echo --device NAME --address IP:PORT "
               "[--prefix-length N] [--exception NAME] [--greet IP:PORT] [--seconds N] "
               "[--checksum-offload on|off] -- "
               "EAL-ARGUMENTS...\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace p2psip::port;  // NOLINT(build/namespaces): a test tool
  DpdkPortOptions options;
  std::optional<Endpoint> greet;
  int seconds = 30;
  std::vector<std::string> eal_args = {"dpdk_echo"};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--") {
      for (++i; i < argc; ++i) eal_args.push_back(argv[i]);
      break;
    }
    if (i + 1 >= argc) return Usage(("missing value after " + a).c_str());
    const std::string v = argv[++i];
    if (a == "--device") {
      options.device = v;
    } else if (a == "--exception") {
      options.exception_device = v;
    } else if (a == "--address") {
      std::optional<Endpoint> e = Endpoint::Parse(v);
      if (!e) return Usage(("bad --address " + v).c_str());
      options.stack.local = *e;
    } else if (a == "--greet") {
      greet = Endpoint::Parse(v);
      if (!greet) return Usage(("bad --greet " + v).c_str());
    } else if (a == "--prefix-length") {
      int n = 0;
      if (!absl::SimpleAtoi(v, &n) || n < 0 || n > 32) return Usage("bad --prefix-length");
      options.stack.prefix_length = static_cast<uint8_t>(n);
    } else if (a == "--checksum-offload") {
      if (v != "on" && v != "off") return Usage("--checksum-offload is on or off");
      options.checksum_offload = v == "on";
    } else if (a == "--seconds") {
      if (!absl::SimpleAtoi(v, &seconds) || seconds <= 0) return Usage("bad --seconds");
    } else {
      return Usage(("unknown option " + a).c_str());
    }
  }
  if (options.device.empty()) return Usage("--device is required");

  auto eal = dpdk::Eal::Init(eal_args);
  if (!eal.ok()) {
    std::fprintf(stderr, "dpdk_echo: %s\n", eal.status().ToString().c_str());
    return 1;
  }
  (*eal)->RemoveRuntimeDirOnExit();  // a test tool: one --file-prefix per run
  auto group = DpdkPort::CreateGroup(options, 1);
  if (!group.ok()) {
    std::fprintf(stderr, "dpdk_echo: %s\n", group.status().ToString().c_str());
    return 1;
  }
  DpdkPort& port = *(*group)[0];
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  std::printf("ready %s mac %s\n", port.local_endpoint().ToString().c_str(),
              MacToString(port.stack().options().mac).c_str());
  std::fflush(stdout);

  const auto start = std::chrono::steady_clock::now();
  auto next_greeting = start;
  uint64_t greetings = 0;
  RxDatagram rx[32];
  TxDatagram tx[32];
  while (g_stop == 0) {
    const auto now = std::chrono::steady_clock::now();
    if (now - start > std::chrono::seconds(seconds)) break;
    if (greet.has_value() && now >= next_greeting) {
      const std::string text = absl::StrCat("hello from dpdk ", greetings++);
      TxDatagram d{*greet, {reinterpret_cast<const uint8_t*>(text.data()), text.size()}};
      (void)port.TxBurst({&d, 1});
      next_greeting = now + std::chrono::milliseconds(100);
    }
    const size_t n = port.RxBurst(rx);
    for (size_t i = 0; i < n; ++i) tx[i] = {rx[i].from, rx[i].data};
    if (n > 0) {
      (void)port.TxBurst({tx, n});
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(100));  // a test, not a benchmark
    }
  }
  const PortCounters& c = port.counters();
  const DpdkPortStats& s = port.stats();
  const NetStackCounters& k = port.stack().counters();
  std::printf(
      "{\"rx_datagrams\":%lu,\"tx_datagrams\":%lu,\"tx_dropped\":%lu,\"greetings\":%lu,"
      "\"rx_icmp_echo\":%lu,\"rx_arp_requests\":%lu,\"rx_arp_replies\":%lu,"
      "\"tx_arp_requests\":%lu,\"rx_exception\":%lu,\"rx_not_for_us\":%lu,\"rx_malformed\":%lu,"
      "\"rx_bad_checksum\":%lu,\"exception_to_kernel\":%lu,\"exception_from_kernel\":%lu,"
      "\"exception_dropped\":%lu,\"tx_unresolved\":%lu,\"tx_replies\":%lu,"
      "\"rx_checksum_by_device\":%lu,\"tx_checksum_by_device\":%lu,\"tx_not_prepared\":%lu}\n",
      c.rx_datagrams, c.tx_datagrams, c.tx_dropped, greetings, k.rx_icmp_echo, k.rx_arp_requests,
      k.rx_arp_replies, k.tx_arp_requests, k.rx_exception, k.rx_not_for_us, k.rx_malformed,
      k.rx_bad_checksum, s.exception_to_kernel, s.exception_from_kernel, s.exception_dropped,
      s.tx_unresolved, s.tx_replies, s.rx_checksum_by_device, s.tx_checksum_by_device,
      s.tx_not_prepared);
  std::fflush(stdout);
  group->clear();
  return 0;
}

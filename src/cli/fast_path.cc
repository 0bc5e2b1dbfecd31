#include "cli/fast_path.h"

#include <sched.h>
#include <signal.h>

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "p2psip/port/udp_port.h"
#if P2PSIP_WITH_DPDK
#include "nlohmann/json.hpp"
#include "p2psip/port/dpdk_port.h"
#include "port/dpdk/eal.h"
#include "port/dpdk/telemetry.h"
#include "spdlog/spdlog.h"
#endif

namespace p2psip::cli {
namespace {

absl::StatusOr<FastPath> OpenKernel(const DaemonOptions& o, const port::Endpoint& listen) {
  port::UdpPortOptions options;
  options.bind = listen;
  options.rx_buffer_size = 20000;  // a DTLS record of the largest message we accept
  absl::StatusOr<std::vector<std::unique_ptr<port::UdpPort>>> udp =
      port::UdpPort::CreateGroup(options, o.cores);
  if (!udp.ok()) return udp.status();
  FastPath path;
  for (auto& p : *udp) path.ports.push_back(std::move(p));
  path.description = absl::StrCat("kernel UDP sockets (", o.cores, ")");
  return path;
}

#if P2PSIP_WITH_DPDK
// net_tap asks for a real-time signal (F_SETSIG) on each of its queues and reads a queue only
// after one came. Left to any thread, the signal interrupts blocking calls of the node's own
// (the HTTPS of --join, poll) with EINTR. Blocked in the main thread, before the node's threads
// exist (they inherit the mask), it reaches only the EAL's threads, which rte_eal_init started
// without blocking it. Blocked: SIGIO and every real-time signal DPDK installed a handler for.
void BlockDpdkSignals() {
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGIO);
  for (int sig = SIGRTMIN; sig <= SIGRTMAX; ++sig) {
    struct sigaction current {};
    if (sigaction(sig, nullptr, &current) == 0 && current.sa_handler != SIG_DFL &&
        current.sa_handler != SIG_IGN) {
      sigaddset(&block, sig);
    }
  }
  (void)pthread_sigmask(SIG_BLOCK, &block, nullptr);
}

constexpr size_t kTelemetryStringMax = 8192;  // RTE_TEL_MAX_SINGLE_STRING_LEN, with the NUL

// Every unsigned number in the objects of `groups`, "group/name" (telemetry's names take
// letters, digits, '_' and '/', not '.').
port::dpdk::TelemetryCounters FlatCounters(const nlohmann::json& groups) {
  port::dpdk::TelemetryCounters out;
  if (!groups.is_object()) return out;
  for (const auto& [group, fields] : groups.items()) {
    if (!fields.is_object()) continue;
    for (const auto& [name, value] : fields.items()) {
      if (!value.is_number_unsigned()) continue;
      std::string key = absl::StrCat(group, "/", name);
      std::replace(key.begin(), key.end(), '.', '/');
      out.emplace_back(std::move(key), value.get<uint64_t>());
    }
  }
  return out;
}

std::vector<std::string> Strings(const nlohmann::json& array) {
  std::vector<std::string> out;
  if (!array.is_array()) return out;
  for (const auto& v : array) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

// The telemetry tables from the statistics document (runtime_stats.h's layout, uncut).
port::dpdk::TelemetrySnapshot TelemetryOf(nlohmann::json doc) {
  port::dpdk::TelemetrySnapshot t;
  if (!doc.is_object()) return t;
  t.counters = FlatCounters(doc.value("counters", nlohmann::json::object()));
  for (const auto& core : doc.value("per_core", nlohmann::json::array())) {
    if (!core.is_object() || !core.contains("core")) continue;
    t.cores.emplace_back(core["core"].get<uint32_t>(), FlatCounters(core));
  }
  const nlohmann::json ring = doc.value("ring", nlohmann::json::object());
  t.self = ring.value("self", "");
  t.predecessors = Strings(ring.value("predecessors", nlohmann::json::array()));
  t.successors = Strings(ring.value("successors", nlohmann::json::array()));
  t.fingers = Strings(ring.value("fingers", nlohmann::json::array()));
  for (const auto& l : doc.value("links", nlohmann::json::array())) {
    if (!l.is_object()) continue;
    port::dpdk::TelemetrySnapshot::Link link;
    link.id = l.value("id", uint64_t{0});
    link.core = l.value("core", uint32_t{0});
    link.remote = l.value("remote", "");
    link.peer = l.value("peer", "");
    link.transport = l.value("transport", "");
    link.cipher = l.value("cipher", "");
    link.up = l.value("up", false);
    link.client = l.value("client", false);
    // value() returns a copy: keep it alive while items() walks it.
    const nlohmann::json framing = l.value("framing", nlohmann::json::object());
    for (const auto& [name, value] : framing.items()) {
      if (value.is_number_unsigned()) link.framing.emplace_back(name, value.get<uint64_t>());
    }
    t.links.push_back(std::move(link));
  }
  // Telemetry answers one string of at most kTelemetryStringMax bytes: a larger document (many
  // cores or links) leaves out what the other commands answer, saying where to find it.
  t.document = doc.dump();
  for (const auto& [key, instead] :
       {std::pair{"per_core", "/p2psip/core,N"}, std::pair{"links", "/p2psip/link,ID"},
        std::pair{"ring", "/p2psip/ring"}}) {
    if (t.document.size() < kTelemetryStringMax) break;
    doc[key] = absl::StrCat("left out: see ", instead);
    t.document = doc.dump();
  }
  return t;
}

absl::StatusOr<FastPath> OpenDpdk(const DaemonOptions& o, const port::Endpoint& listen) {
  if (listen.family != port::Endpoint::Family::kIpv4) {
    return absl::InvalidArgumentError("--dpdk-device needs an IPv4 --listen address");
  }
  std::vector<std::string> args = {"p2psipd"};
  for (absl::string_view a : absl::StrSplit(o.eal, absl::ByAnyChar(" \t"), absl::SkipEmpty())) {
    args.emplace_back(a);
  }
  // (Init keeps the process's CPU set: the workers and the control thread may use every core.)
  absl::StatusOr<std::unique_ptr<port::dpdk::Eal>> eal = port::dpdk::Eal::Init(args);
  if (!eal.ok()) {
    return absl::Status(eal.status().code(),
                        absl::StrCat("DPDK: ", eal.status().message(),
                                     " (EAL arguments: ", o.eal.empty() ? "none" : o.eal, ")"));
  }
  std::shared_ptr<port::dpdk::Eal> environment = std::move(*eal);

  port::DpdkPortOptions options;
  options.device = o.dpdk_device;
  options.exception_device = o.dpdk_exception;
  options.checksum_offload = o.dpdk_checksum_offload;
  options.stack.local = listen;
  options.stack.prefix_length = static_cast<uint8_t>(o.dpdk_prefix_length);
  if (!o.dpdk_gateway.empty()) {
    options.stack.gateway = port::Endpoint::Parse(o.dpdk_gateway, 0);
    if (!options.stack.gateway.has_value() ||
        options.stack.gateway->family != port::Endpoint::Family::kIpv4) {
      return absl::InvalidArgumentError(
          absl::StrCat("--dpdk-gateway ", o.dpdk_gateway, ": not an IPv4 address"));
    }
  }
  absl::StatusOr<std::vector<std::unique_ptr<port::DpdkPort>>> group =
      port::DpdkPort::CreateGroup(options, o.cores);
  if (!group.ok()) {
    return group.status();
  }
  BlockDpdkSignals();
  FastPath path;
  path.description =
      absl::StrCat("DPDK ", o.dpdk_device, " (", o.cores, " queue pair", o.cores == 1 ? "" : "s",
                   ", MAC ", port::MacToString((*group)[0]->stack().options().mac), ")");
  const port::DpdkPort& first = *(*group)[0];
  absl::StrAppend(&path.description, ", checksums ",
                  first.tx_checksum_offload() ? "sent by the device" : "sent in software", ", ",
                  first.rx_checksum_offload() ? "checked by the device" : "checked in software");
  if (!o.dpdk_exception.empty())
    absl::StrAppend(&path.description, ", exception path ", o.dpdk_exception);
  for (auto& p : *group) path.ports.push_back(std::move(p));
  path.environment = std::move(environment);
  if (absl::Status s = port::dpdk::RegisterTelemetry(); !s.ok()) {
    spdlog::warn("DPDK telemetry: {}", std::string(s.message()));
  } else {
    path.publish_stats = [](const nlohmann::json& document) {
      port::dpdk::PublishTelemetry(TelemetryOf(document));
    };
  }
  return path;
}
#endif

}  // namespace

absl::StatusOr<FastPath> OpenFastPath(const DaemonOptions& o, const port::Endpoint& listen) {
  if (o.dpdk_device.empty()) {
    if (!o.eal.empty() || !o.dpdk_exception.empty() || !o.dpdk_gateway.empty()) {
      return absl::InvalidArgumentError(
          "--eal, --dpdk-exception and --dpdk-gateway need --dpdk-device");
    }
    return OpenKernel(o, listen);
  }
#if P2PSIP_WITH_DPDK
  return OpenDpdk(o, listen);
#else
  return absl::FailedPreconditionError(
      "this p2psipd was built without DPDK (meson -Ddpdk=enabled with libdpdk-dev installed)");
#endif
}

PortPump::PortPump(std::vector<std::unique_ptr<port::Port>>& ports) {
  std::vector<port::Port*> polled;
  for (auto& p : ports) {
    if (p->wait_fd() < 0) polled.push_back(p.get());
  }
  if (polled.empty()) return;
  thread_ = std::thread([this, polled] {
    port::RxDatagram rx[32];
    while (!stop_.load(std::memory_order_acquire)) {
      for (port::Port* p : polled) (void)p->RxBurst(rx);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
}

PortPump::~PortPump() {
  stop_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
}

}  // namespace p2psip::cli

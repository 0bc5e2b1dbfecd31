// The workers' ports for p2psipd: kernel UDP sockets (one SO_REUSEPORT socket per worker), or,
// with --dpdk-device, one queue pair each of a DPDK ethdev with the node's own stack and a
// net_tap exception path (DESIGN.md §1). The runtime above cannot tell them apart.
#ifndef P2PSIP_CLI_FAST_PATH_H_
#define P2PSIP_CLI_FAST_PATH_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/daemon_options.h"
#include "nlohmann/json.hpp"
#include "p2psip/port/port.h"

namespace p2psip::cli {

struct FastPath {
  // What the ports need to outlive (DPDK's EAL). Destroy it after the ports.
  std::shared_ptr<void> environment;
  std::vector<std::unique_ptr<port::Port>> ports;
  std::string description;  // one line for the banner and the log
  // Set when the statistics document should also go somewhere (DPDK telemetry): the node calls
  // it now and then with the current document, uncut (runtime::RuntimeStatsValue).
  std::function<void(const nlohmann::json& document)> publish_stats;
};

// Polls poll-mode ports (DPDK) from a thread of its own while it lives, dropping what datagrams
// arrive, so that the stack answers ARP and the exception path carries the kernel's traffic
// before the runtime owns the ports (the HTTPS enrollment of --join runs then). Kernel ports
// need no pump and get none. The ports must not be used elsewhere until the pump is destroyed.
class PortPump {
 public:
  explicit PortPump(std::vector<std::unique_ptr<port::Port>>& ports);
  ~PortPump();
  PortPump(const PortPump&) = delete;
  PortPump& operator=(const PortPump&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Kernel sockets on `listen`, or DPDK when o.dpdk_device is set (EAL started from o.eal, which
// needs root or CAP_NET_ADMIN / CAP_NET_RAW). A p2psipd built without DPDK says so.
absl::StatusOr<FastPath> OpenFastPath(const DaemonOptions& o, const port::Endpoint& listen);

}  // namespace p2psip::cli

#endif  // P2PSIP_CLI_FAST_PATH_H_

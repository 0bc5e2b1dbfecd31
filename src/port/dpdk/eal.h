// Eal: DPDK's Environment Abstraction Layer, initialised once per process.
//
// Owns the EAL from Init() until destruction (rte_eal_cleanup). DPDK allows one EAL per
// process, so Init() fails if one is already running. Typical arguments on a machine without
// hugepages or a bound NIC: {"p2psip", "--no-huge", "--no-pci", "--no-shconf",
// "--file-prefix=<unique>", "--vdev=net_ring0"}. Init leaves the calling thread on the CPUs it had
// (rte_eal_init pins it to the main lcore, and every thread made afterwards would inherit that).
#ifndef P2PSIP_PORT_DPDK_EAL_H_
#define P2PSIP_PORT_DPDK_EAL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace p2psip::port::dpdk {

class Eal {
 public:
  // `args` are EAL arguments; args[0] is the program name.
  static absl::StatusOr<std::unique_ptr<Eal>> Init(const std::vector<std::string>& args);
  ~Eal();
  Eal(const Eal&) = delete;
  Eal& operator=(const Eal&) = delete;

  // Ethernet ports probed (vdevs and bound NICs).
  uint16_t port_count() const;
  // The driver name of port `port_id` ("net_ring", ...), or "" if there is no such port.
  std::string driver_name(uint16_t port_id) const;
  // The EAL's runtime directory (/var/run/dpdk/PREFIX as root): its sockets and lock files.
  std::string runtime_dir() const;
  // Remove the runtime directory when the EAL is cleaned up: for a process with a --file-prefix
  // of its own (tests, benchmarks), which would otherwise leave one directory per run.
  void RemoveRuntimeDirOnExit() { remove_runtime_dir_ = true; }

 private:
  Eal() = default;
  bool remove_runtime_dir_ = false;
};

}  // namespace p2psip::port::dpdk

#endif  // P2PSIP_PORT_DPDK_EAL_H_

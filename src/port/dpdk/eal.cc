#include "port/dpdk/eal.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <sched.h>

#include <atomic>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace p2psip::port::dpdk {
namespace {
std::atomic<bool> g_eal_running{false};  // DPDK itself allows one EAL per process.
}  // namespace

absl::StatusOr<std::unique_ptr<Eal>> Eal::Init(const std::vector<std::string>& args) {
  if (g_eal_running.exchange(true)) {
    return absl::FailedPreconditionError("DPDK EAL is already initialised in this process");
  }
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  argv.reserve(copy.size() + 1);
  for (std::string& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  // rte_eal_init pins the calling thread to the main lcore, and threads made afterwards inherit
  // that: give the thread its CPU set back, so that the workers, the control thread and a
  // benchmark's load thread are not all on one core (each worker pins itself if it wants to).
  cpu_set_t cpus;
  const bool saved = sched_getaffinity(0, sizeof(cpus), &cpus) == 0;
  const int rc = rte_eal_init(static_cast<int>(copy.size()), argv.data());
  if (rc < 0) {
    g_eal_running = false;
    return absl::InternalError(absl::StrCat("rte_eal_init failed: ", rte_strerror(rte_errno)));
  }
  if (saved) (void)sched_setaffinity(0, sizeof(cpus), &cpus);
  return std::unique_ptr<Eal>(new Eal());
}

Eal::~Eal() {
  const std::string dir = runtime_dir();
  rte_eal_cleanup();
  g_eal_running = false;
  if (remove_runtime_dir_ && !dir.empty()) {
    std::error_code ignored;  // best effort: a leftover directory is not an error
    std::filesystem::remove_all(dir, ignored);
  }
}

std::string Eal::runtime_dir() const {
  const char* dir = rte_eal_get_runtime_dir();
  return dir != nullptr ? dir : "";
}

uint16_t Eal::port_count() const { return rte_eth_dev_count_avail(); }

std::string Eal::driver_name(uint16_t port_id) const {
  rte_eth_dev_info info{};
  if (rte_eth_dev_info_get(port_id, &info) != 0 || info.driver_name == nullptr) return "";
  return info.driver_name;
}

}  // namespace p2psip::port::dpdk

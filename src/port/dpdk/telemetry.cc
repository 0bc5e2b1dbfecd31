#include "port/dpdk/telemetry.h"

#include <rte_telemetry.h>

#include <memory>
#include <mutex>

#include "absl/strings/str_cat.h"

namespace p2psip::port::dpdk {
namespace {

struct Snapshot {
  std::string document;
  std::vector<std::pair<std::string, uint64_t>> counters;
};

std::mutex g_mu;
std::shared_ptr<const Snapshot> g_snapshot;  // guarded by g_mu

std::shared_ptr<const Snapshot> Latest() {
  std::lock_guard<std::mutex> lock(g_mu);
  return g_snapshot;
}

int OnStats(const char* /*cmd*/, const char* /*params*/, rte_tel_data* d) {
  std::shared_ptr<const Snapshot> s = Latest();
  if (s == nullptr) return rte_tel_data_string(d, "no statistics yet: the node is starting");
  if (s->document.size() >= RTE_TEL_MAX_SINGLE_STRING_LEN) {
    const std::string why = absl::StrCat("the document has ", s->document.size(),
                                         " bytes, over telemetry's ",
                                         RTE_TEL_MAX_SINGLE_STRING_LEN, ": use p2psip stats");
    return rte_tel_data_string(d, why.c_str());
  }
  return rte_tel_data_string(d, s->document.c_str());
}

int OnCounters(const char* /*cmd*/, const char* /*params*/, rte_tel_data* d) {
  rte_tel_data_start_dict(d);
  std::shared_ptr<const Snapshot> s = Latest();
  if (s == nullptr) return 0;
  size_t n = 0;
  for (const auto& [name, value] : s->counters) {
    if (n++ == RTE_TEL_MAX_DICT_ENTRIES) break;
    rte_tel_data_add_dict_u64(d, name.c_str(), value);
  }
  return 0;
}

}  // namespace

absl::Status RegisterTelemetry() {
  if (rte_telemetry_register_cmd("/p2psip/stats", &OnStats,
                                 "The node's statistics document (p2psip stats --json)") != 0 ||
      rte_telemetry_register_cmd("/p2psip/counters", &OnCounters,
                                 "The node's counter totals, group/name: value") != 0) {
    return absl::InternalError("cannot register the /p2psip telemetry commands");
  }
  return absl::OkStatus();
}

void PublishTelemetry(std::string document,
                      std::vector<std::pair<std::string, uint64_t>> counters) {
  auto s = std::make_shared<const Snapshot>(Snapshot{std::move(document), std::move(counters)});
  std::lock_guard<std::mutex> lock(g_mu);
  g_snapshot = std::move(s);
}

}  // namespace p2psip::port::dpdk

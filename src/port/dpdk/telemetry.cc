#include "port/dpdk/telemetry.h"

#include <rte_telemetry.h>

#include <cerrno>
#include <memory>
#include <mutex>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace p2psip::port::dpdk {
namespace {

using Snapshot = TelemetrySnapshot;

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
    const std::string why =
        absl::StrCat("the document has ", s->document.size(), " bytes, over telemetry's ",
                     RTE_TEL_MAX_SINGLE_STRING_LEN, ": use p2psip stats");
    return rte_tel_data_string(d, why.c_str());
  }
  return rte_tel_data_string(d, s->document.c_str());
}

void AddCounters(rte_tel_data* d, const TelemetryCounters& counters) {
  size_t n = 0;
  for (const auto& [name, value] : counters) {
    if (n++ == RTE_TEL_MAX_DICT_ENTRIES) break;
    rte_tel_data_add_dict_u64(d, name.c_str(), value);
  }
}

int OnCounters(const char* /*cmd*/, const char* /*params*/, rte_tel_data* d) {
  rte_tel_data_start_dict(d);
  if (std::shared_ptr<const Snapshot> s = Latest()) AddCounters(d, s->counters);
  return 0;
}

// The number in a command's parameter ("/p2psip/core,1"), or nullopt.
std::optional<uint64_t> Param(const char* params) {
  uint64_t n = 0;
  if (params == nullptr || !absl::SimpleAtoi(params, &n)) return std::nullopt;
  return n;
}

int OnCores(const char* /*cmd*/, const char* /*params*/, rte_tel_data* d) {
  rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
  if (std::shared_ptr<const Snapshot> s = Latest()) {
    for (const auto& core : s->cores) rte_tel_data_add_array_int(d, static_cast<int>(core.first));
  }
  return 0;
}

int OnCore(const char* /*cmd*/, const char* params, rte_tel_data* d) {
  std::shared_ptr<const Snapshot> s = Latest();
  const std::optional<uint64_t> want = Param(params);
  if (s == nullptr || !want) return -EINVAL;  // the client prints an error
  for (const auto& [core, counters] : s->cores) {
    if (core != *want) continue;
    rte_tel_data_start_dict(d);
    AddCounters(d, counters);
    return 0;
  }
  return -EINVAL;
}

// An array of strings, for a dict (the caller passes ownership to it).
rte_tel_data* Strings(const std::vector<std::string>& values) {
  rte_tel_data* a = rte_tel_data_alloc();
  if (a == nullptr) return nullptr;
  rte_tel_data_start_array(a, RTE_TEL_STRING_VAL);
  size_t n = 0;
  for (const std::string& v : values) {
    if (n++ == RTE_TEL_MAX_ARRAY_ENTRIES) break;
    rte_tel_data_add_array_string(a, v.c_str());
  }
  return a;
}

int OnRing(const char* /*cmd*/, const char* /*params*/, rte_tel_data* d) {
  rte_tel_data_start_dict(d);
  std::shared_ptr<const Snapshot> s = Latest();
  if (s == nullptr) return 0;
  rte_tel_data_add_dict_string(d, "self", s->self.c_str());
  for (const auto& [name, ids] :
       {std::pair{"predecessors", &s->predecessors}, std::pair{"successors", &s->successors},
        std::pair{"fingers", &s->fingers}}) {
    if (rte_tel_data* a = Strings(*ids)) rte_tel_data_add_dict_container(d, name, a, 0);
  }
  return 0;
}

int OnLinks(const char* /*cmd*/, const char* /*params*/, rte_tel_data* d) {
  rte_tel_data_start_array(d, RTE_TEL_U64_VAL);
  std::shared_ptr<const Snapshot> s = Latest();
  if (s == nullptr) return 0;
  size_t n = 0;
  for (const Snapshot::Link& l : s->links) {
    if (n++ == RTE_TEL_MAX_ARRAY_ENTRIES) break;
    rte_tel_data_add_array_u64(d, l.id);
  }
  return 0;
}

int OnLink(const char* /*cmd*/, const char* params, rte_tel_data* d) {
  std::shared_ptr<const Snapshot> s = Latest();
  const std::optional<uint64_t> want = Param(params);
  if (s == nullptr || !want) return -EINVAL;
  for (const Snapshot::Link& l : s->links) {
    if (l.id != *want) continue;
    rte_tel_data_start_dict(d);
    rte_tel_data_add_dict_u64(d, "id", l.id);
    rte_tel_data_add_dict_u64(d, "core", l.core);
    rte_tel_data_add_dict_string(d, "remote", l.remote.c_str());
    rte_tel_data_add_dict_string(d, "peer", l.peer.c_str());
    rte_tel_data_add_dict_int(d, "up", l.up ? 1 : 0);
    rte_tel_data_add_dict_int(d, "client", l.client ? 1 : 0);
    rte_tel_data_add_dict_string(d, "transport", l.transport.c_str());
    rte_tel_data_add_dict_string(d, "cipher", l.cipher.c_str());
    // Flat, "framing/name" (22.11's telemetry nests only arrays in a dict).
    for (const auto& [name, value] : l.framing) {
      rte_tel_data_add_dict_u64(d, absl::StrCat("framing/", name).c_str(), value);
    }
    return 0;
  }
  return -EINVAL;
}

}  // namespace

absl::Status RegisterTelemetry() {
  struct Command {
    const char* name;
    telemetry_cb handler;
    const char* help;
  };
  for (const Command& c : {
           Command{"/p2psip/stats", &OnStats,
                   "The node's statistics document (p2psip stats --json)"},
           Command{"/p2psip/counters", &OnCounters, "The node's counter totals, group/name: value"},
           Command{"/p2psip/cores", &OnCores, "The worker cores. Takes no parameters"},
           Command{"/p2psip/core", &OnCore, "A worker core's counters. Parameter: core index"},
           Command{"/p2psip/ring", &OnRing,
                   "The routing table (predecessors, successors, fingers)"},
           Command{"/p2psip/links", &OnLinks, "The connection table's link ids"},
           Command{"/p2psip/link", &OnLink, "One link of the connection table. Parameter: link id"},
       }) {
    if (rte_telemetry_register_cmd(c.name, c.handler, c.help) != 0) {
      return absl::InternalError(absl::StrCat("cannot register the telemetry command ", c.name));
    }
  }
  return absl::OkStatus();
}

void PublishTelemetry(TelemetrySnapshot snapshot) {
  auto s = std::make_shared<const Snapshot>(std::move(snapshot));
  std::lock_guard<std::mutex> lock(g_mu);
  g_snapshot = std::move(s);
}

}  // namespace p2psip::port::dpdk

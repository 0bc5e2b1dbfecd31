#include "p2psip/runtime/runtime_stats.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "nlohmann/json.hpp"
#include "p2psip/runtime/stats_json.h"
#include "p2psip/runtime/stats_provider.h"
#include "p2psip/runtime/stream_links.h"

namespace p2psip::runtime {

using nlohmann::json;

namespace {

// Header, security block (certificate of a few hundred bytes to ~1.5 KiB for RSA, signature)
// and the DiagnosticsResponse around the document.
constexpr size_t kAnswerOverhead = 3000;
constexpr size_t kMinimumBudget = 1000;

json CountersJson(const WorkerCounters& c) {
  return {{"turns", c.turns},
          {"busy_us", c.busy_us},
          {"rx_bursts", c.rx_bursts},
          {"tx_bursts", c.tx_bursts},
          {"steered_away", c.steered_away},
          {"steered_in", c.steered_in},
          {"handshake_datagrams", c.handshake_datagrams},
          {"handshakes_refused", c.handshakes_refused},
          {"rehandshakes", c.rehandshakes},
          {"handoffs_out", c.handoffs_out},
          {"handoffs_in", c.handoffs_in},
          {"sends_remote", c.sends_remote},
          {"sends_in", c.sends_in},
          {"snapshots", c.snapshots},
          {"connect_bad_address", c.connect_bad_address},
          {"unexpected_results", c.unexpected_results}};
}

json CountersJson(const OutgoingCounters& c) {
  return {{"posted", c.posted}, {"deferred", c.deferred}, {"dropped", c.dropped}};
}

// A link to a node that is not (yet) a peer of this node's routing table: a client attached
// to it, or a peer before its first Update.
bool IsClient(const core::Node& node, const LinkInfo& l) {
  const core::ChordTable* table = node.chord_table();
  return l.up && table != nullptr && !table->Contains(core::RingId::Of(l.peer));
}

// Adds every number of `part` to the same key of `total`.
void Accumulate(json& total, const json& part) {
  for (auto it = part.begin(); it != part.end(); ++it) {
    if (!it.value().is_number_unsigned()) continue;
    total[it.key()] = total.value(it.key(), uint64_t{0}) + it.value().get<uint64_t>();
  }
}

// Cuts `doc` down to `max_bytes` as the header says.
std::string Fit(json& doc, size_t max_bytes) {
  std::string text = doc.dump();
  if (text.size() <= max_bytes) return text;
  const size_t total = doc["links"].size();
  doc["links_total"] = total;
  for (size_t keep = total / 2;; keep /= 2) {
    doc["links"].get_ref<json::array_t&>().resize(keep);
    text = doc.dump();
    if (text.size() <= max_bytes || keep == 0) break;
  }
  if (text.size() <= max_bytes) return text;
  for (json& core : doc["per_core"]) core = {{"core", core["core"]}};
  text = doc.dump();
  if (text.size() <= max_bytes) return text;
  doc["ring"]["fingers"] = json::array();
  return doc.dump();
}

}  // namespace

std::optional<wire::DiagnosticInfo> RuntimeStorageInfo(const NodeRuntime& runtime, uint16_t kind) {
  if (kind != wire::kDiagInstancesStored && kind != wire::kDiagDatasizeStored) {
    return std::nullopt;
  }
  absl::flat_hash_map<uint32_t, uint64_t> per_kind;
  uint64_t bytes = 0;
  for (const auto& report : runtime.control().reports()) {
    if (report == nullptr) continue;
    for (const wire::KindInstances& k : report->instances) per_kind[k.kind] += k.instances;
    bytes += report->data_bytes;
  }
  if (kind == wire::kDiagDatasizeStored) return wire::DiagnosticInfo::Scalar(kind, bytes);
  wire::DiagnosticInfo info;
  info.kind = kind;
  for (const auto& [k, n] : per_kind) info.instances_stored.push_back({k, n});
  std::ranges::sort(info.instances_stored, {}, &wire::KindInstances::kind);
  return info;
}

size_t NodeStatsBudget(size_t max_message_size) {
  const size_t room = max_message_size > kAnswerOverhead + kMinimumBudget
                          ? max_message_size - kAnswerOverhead
                          : kMinimumBudget;
  return std::min(room, StatsProvider::kMaxDocumentBytes);
}

nlohmann::json RuntimeStatsValue(const NodeRuntime& runtime, const NodeStatsContext& c) {
  const ControlPlane& control = runtime.control();
  const core::Node& node = control.node();
  json handshakes = runtime::CountersJson(control.handshakes().counters());
  json totals = {{"node", runtime::CountersJson(node.counters())},
                 {"links", handshakes},
                 {"port", json::object()},
                 {"runtime", CountersJson(control.counters())}};
  json storage = {{"resources", 0}, {"values", 0}, {"certificates", 0}};
  json per_core = json::array();
  json links = json::array();
  for (const auto& report : control.reports()) {
    if (report == nullptr) continue;
    json core = {{"core", report->core},
                 {"node", runtime::CountersJson(report->node)},
                 {"links", runtime::CountersJson(report->links)},
                 {"port", runtime::CountersJson(report->port)},
                 {"runtime", CountersJson(report->worker)},
                 {"rings", CountersJson(report->rings)},
                 {"storage",
                  {{"resources", report->resources},
                   {"values", report->values},
                   {"certificates", report->certificates}}}};
    for (const auto& [name, value] : report->port_detail) core["port"][name] = value;
    for (const char* key : {"node", "links", "port", "runtime"}) Accumulate(totals[key], core[key]);
    Accumulate(storage, core["storage"]);
    for (const LinkInfo& l : report->link_table) {
      links.push_back(LinkJson(l, report->core, IsClient(node, l)));
      links.back()["transport"] = "dtls";
    }
    per_core.push_back(std::move(core));
  }
  if (const StreamLinks* streams = control.streams(); streams != nullptr) {
    for (const LinkInfo& l : streams->links().Links()) {
      links.push_back(LinkJson(l, control.index(), IsClient(node, l)));
      links.back()["transport"] = "tls";
    }
    Accumulate(totals["links"], runtime::CountersJson(streams->links().counters()));
  }
  json doc = {
      {"node_id", node.id().ToHex()},
      {"overlay", node.config().overlay_name},
      {"role", c.role},
      {"address", c.address.ToString()},
      {"joined", node.joined()},
      {"uptime_s", c.now_ms > c.start_ms ? (c.now_ms - c.start_ms) / 1000 : 0},
      {"software", StatsProvider::SoftwareVersion()},
      {"cores", runtime.workers()},
      {"ring", RingJson(node)},
      {"links", std::move(links)},
      {"storage", std::move(storage)},
      {"counters", std::move(totals)},
      {"per_core", std::move(per_core)},
      {"control",
       {{"node", runtime::CountersJson(node.counters())},
        {"handshakes", std::move(handshakes)},
        {"snapshots_published", control.snapshots_published()}}},
  };
  return doc;
}

std::string RuntimeStatsJson(const NodeRuntime& runtime, const NodeStatsContext& context,
                             size_t max_bytes) {
  json doc = RuntimeStatsValue(runtime, context);
  return Fit(doc, max_bytes);
}

}  // namespace p2psip::runtime

// The node statistics document of p2psipd's multi-core runtime: what `p2psip stats` shows,
// answered as the RFC 7851 diagnostic kind kDiagP2psipNodeStats by runtime::StatsProvider.
//
//   { "node_id": hex, "overlay": str, "role": "bootstrap|peer|super-peer|client",
//     "address": "ip:port", "joined": bool, "uptime_s": int, "software": str, "cores": int,
//     "ring": {"self": hex, "predecessors": [hex...], "successors": [hex...],
//              "fingers": [hex... distinct peers]},                       (closest first)
//     "links": [{"id", "core" (the control part's index for TLS/TCP links), "remote", "peer"
//                (hex or ""), "up", "client" (not a routing-table peer: a client, or a peer
//                before its first Update), "opened_here", "cipher", "transport": dtls|tls}],
//     "storage": {"resources", "values", "certificates"},               (totals over the shards)
//     "counters": {"node": {NodeCounters}, "links": {LinkManagerCounters},
//                  "port": {PortCounters}, "runtime": {WorkerCounters}}, (totals over the parts)
//     "per_core": [{"core", "node", "links", "port", "runtime", "storage", "rings"}],
//     "control": {"node": {NodeCounters}, "handshakes": {LinkManagerCounters of the slow
//                 path's handshakes}, "snapshots_published": int} }
//
// The workers' parts come from their latest reports (at most half a second old); the ring and
// the control part's counters are current.
//
// Size: the answer must fit the overlay's max-message-size with its header, signature and
// certificate. When the document is larger than the budget, the links list is cut (then
// "links_total" says how many there are), then the per-core entries lose their counters, then
// the fingers are dropped: the identity, ring neighbours and totals always fit.
#ifndef P2PSIP_RUNTIME_RUNTIME_STATS_H_
#define P2PSIP_RUNTIME_RUNTIME_STATS_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "nlohmann/json.hpp"
#include "p2psip/port/port.h"
#include "p2psip/runtime/node_runtime.h"

namespace p2psip::runtime {

// What the document says that the runtime does not know.
struct NodeStatsContext {
  std::string role;
  port::Endpoint address;
  uint64_t start_ms = 0;  // when the daemon started, in the runtime's clock
  uint64_t now_ms = 0;
};

// Bytes of the document an answer can carry in an overlay whose max-message-size is
// `max_message_size` (room left for the forwarding header, the security block with the node's
// certificate and signature, and the Diagnostic_Ping framing); at most 65535.
size_t NodeStatsBudget(size_t max_message_size);

// RFC 7851 INSTANCES_STORED and DATASIZE_STORED of the whole node, summed over the workers'
// latest reports (the control part's own Node holds no storage); nullopt for other kinds.
// For StatsProvider::set_kind_source. On the control thread.
std::optional<wire::DiagnosticInfo> RuntimeStorageInfo(const NodeRuntime& runtime, uint16_t kind);

// The whole document, uncut (for a consumer without the message-size limit: DPDK telemetry).
// On the control thread.
nlohmann::json RuntimeStatsValue(const NodeRuntime& runtime, const NodeStatsContext& context);
// The document (compact JSON, at most `max_bytes` where the cuts above allow). On the control
// thread.
std::string RuntimeStatsJson(const NodeRuntime& runtime, const NodeStatsContext& context,
                             size_t max_bytes);

}  // namespace p2psip::runtime

#endif  // P2PSIP_RUNTIME_RUNTIME_STATS_H_

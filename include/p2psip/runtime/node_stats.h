// What a worker tells the control part about itself, twice a second (CrossCoreMessage::kReport):
// its counters, its links and its shard's size. The control part keeps the latest report of
// each worker and builds `p2psip stats` from them (and from its own Node), so no thread ever
// reads another's counters in place.
#ifndef P2PSIP_RUNTIME_NODE_STATS_H_
#define P2PSIP_RUNTIME_NODE_STATS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "p2psip/core/node.h"
#include "p2psip/port/port.h"
#include "p2psip/runtime/cross_core.h"
#include "p2psip/runtime/link_manager.h"
#include "p2psip/wire/diagnostics.h"

namespace p2psip::runtime {

// Per-worker counters of the runtime itself (beyond the port's, the links' and the Node's).
struct WorkerCounters {
  uint64_t turns = 0;
  // Time in turns that had input (datagrams or ring messages), up to the wait: the worker's
  // load. busy_us over wall time is its utilisation; messages over busy_us its cost per message.
  uint64_t busy_us = 0;
  uint64_t rx_bursts = 0;
  uint64_t tx_bursts = 0;
  uint64_t steered_away = 0;         // datagrams received here for a flow another worker owns
  uint64_t steered_in = 0;           // datagrams another worker passed here
  uint64_t handshake_datagrams = 0;  // passed to the slow path (handshakes in progress there)
  uint64_t rehandshakes = 0;         // a ClientHello from the peer of an up link (it restarted)
  uint64_t handshakes_refused = 0;   // new handshakes refused: too many waiting on the slow path
  uint64_t handoffs_out = 0;         // messages handed to another part (storage shard, control)
  uint64_t handoffs_in = 0;
  uint64_t sends_remote = 0;  // RELOAD messages given to another worker's link
  uint64_t sends_in = 0;      // RELOAD messages sent here on behalf of another part
  uint64_t snapshots = 0;     // routing snapshots taken up
  uint64_t connect_bad_address = 0;
  uint64_t unexpected_results = 0;  // application results in a part that makes no requests
};

struct WorkerReport {
  uint32_t core = 0;
  uint64_t at_us = 0;
  port::PortCounters port;
  std::vector<std::pair<std::string, uint64_t>> port_detail;  // Port::DetailCounters
  LinkManagerCounters links;
  core::NodeCounters node;
  WorkerCounters worker;
  OutgoingCounters rings;
  std::vector<LinkInfo> link_table;
  size_t resources = 0;
  size_t values = 0;
  size_t certificates = 0;
  // The shard's census: values per kind (ascending kind) and the bytes of their data.
  std::vector<wire::KindInstances> instances;
  uint64_t data_bytes = 0;
  uint64_t snapshot_version = 0;
};

}  // namespace p2psip::runtime

#endif  // P2PSIP_RUNTIME_NODE_STATS_H_

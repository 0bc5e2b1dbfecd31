// The pieces of the node statistics document (`p2psip stats`, diagnostic kind
// kDiagP2psipNodeStats) that every runtime fills the same way: counters by field name, the
// CHORD-RELOAD ring, one link, the storage counts. The single-threaded daemon
// (cli/node_stats_json.h) and the multi-core runtime compose the whole document from these, so
// that both give the schema documented there.
//
// Free functions over values the caller owns; they read, never keep, what they are given.
#ifndef P2PSIP_RUNTIME_STATS_JSON_H_
#define P2PSIP_RUNTIME_STATS_JSON_H_

#include <cstdint>

#include "nlohmann/json.hpp"
#include "p2psip/core/node.h"
#include "p2psip/port/port.h"
#include "p2psip/runtime/link_manager.h"

namespace p2psip::runtime {

// Every field of the counters, by its name ({"received": 12, ...}).
nlohmann::json CountersJson(const core::NodeCounters& counters);
nlohmann::json CountersJson(const LinkManagerCounters& counters);
nlohmann::json CountersJson(const port::PortCounters& counters);

// {"self", "predecessors", "successors", "fingers"}: hex ids, closest first (fingers: distinct
// peers by clockwise distance from self). Lists are empty for a node without a Chord table (a
// client).
nlohmann::json RingJson(const core::Node& node);
// The same from a table (null: empty lists) and the node's own id.
nlohmann::json RingJson(const NodeId& self, const core::ChordTable* table);

// {"id", "core", "remote", "peer" (hex, "" until up), "up", "client", "opened_here", "cipher"}.
// `client`: the core's LinkTable says a client is attached over it.
nlohmann::json LinkJson(const LinkInfo& link, uint32_t core, bool client);
// The same for every link of `links`, `client` looked up in `node`'s LinkTable.
nlohmann::json LinksJson(const LinkManager& links, const core::Node& node, uint32_t core);

// {"resources", "values", "certificates"} held by `node`.
nlohmann::json StorageJson(const core::Node& node);

}  // namespace p2psip::runtime

#endif  // P2PSIP_RUNTIME_STATS_JSON_H_

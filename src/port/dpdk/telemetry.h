// p2psipd's statistics through DPDK telemetry (the EAL's unix socket, read with
// dpdk-telemetry.py or any client of that socket):
//   /p2psip/stats       the node's statistics document (what `p2psip stats --json` shows)
//   /p2psip/counters    its "counters" totals as numbers, "group/name": value
//   /p2psip/cores       the worker cores' indexes
//   /p2psip/core,N      worker core N's counters, "group/name": value
//   /p2psip/ring        the routing table: self, predecessors, successors, fingers
//   /p2psip/links       the connection table's link ids
//   /p2psip/link,ID     one link: core, remote, peer, up, client, transport, cipher, and its
//                       framing's figures as "framing/NAME" (messages, ACKs sent, received
//                       and coalesced, retransmissions, RTO)
// The node publishes a snapshot now and then (Publish, from any thread); the EAL's telemetry
// thread answers from the latest one. Nothing here is on the fast path.
#ifndef P2PSIP_PORT_DPDK_TELEMETRY_H_
#define P2PSIP_PORT_DPDK_TELEMETRY_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace p2psip::port::dpdk {

using TelemetryCounters = std::vector<std::pair<std::string, uint64_t>>;

struct TelemetrySnapshot {
  // A document longer than telemetry's limit for one string (8 kB) is answered with an error
  // naming the limit; counters past the first 256 of a set are left out.
  std::string document;
  TelemetryCounters counters;
  std::vector<std::pair<uint32_t, TelemetryCounters>> cores;
  std::string self;
  std::vector<std::string> predecessors, successors, fingers;
  struct Link {
    uint64_t id = 0;
    uint32_t core = 0;
    std::string remote, peer, transport, cipher;
    bool up = false;
    bool client = false;
    TelemetryCounters framing;  // the framing's figures: messages, ACKs, retransmissions, RTO
  };
  std::vector<Link> links;
};

// Registers the commands; after Eal::Init, once per process.
absl::Status RegisterTelemetry();

// Replaces the snapshot the commands answer from.
void PublishTelemetry(TelemetrySnapshot snapshot);

}  // namespace p2psip::port::dpdk

#endif  // P2PSIP_PORT_DPDK_TELEMETRY_H_

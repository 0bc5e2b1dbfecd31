// p2psipd's statistics through DPDK telemetry (the EAL's unix socket, read with
// dpdk-telemetry.py or any client of that socket):
//   /p2psip/stats     the node's statistics document (what `p2psip stats --json` shows)
//   /p2psip/counters  its "counters" totals as numbers, "group/name": value
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

// Registers the commands; after Eal::Init, once per process.
absl::Status RegisterTelemetry();

// Replaces the snapshot the commands answer from. A document longer than telemetry's limit for
// one string (8 kB) is answered with an error naming the limit; counters past the first 256
// are left out.
void PublishTelemetry(std::string document, std::vector<std::pair<std::string, uint64_t>> counters);

}  // namespace p2psip::port::dpdk

#endif  // P2PSIP_PORT_DPDK_TELEMETRY_H_

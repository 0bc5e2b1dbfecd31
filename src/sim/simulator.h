// The overlay simulator: N real core::Node instances over an in-memory network on a virtual
// clock (DESIGN.md §1: the same core that runs in p2psipd).
//
// Messages are real encoded RELOAD messages; links have a configurable one-way latency (with
// jitter) and loss; a failed node's links are reported down to its peers after a detection
// delay, as the link layer's retransmission timeout would. Nodes join one at a time through a
// bootstrap node; then lookups (RouteQuery to random Resource-IDs) measure path length and
// success against the ground truth (the live ring). Churn (Poisson arrivals and departures
// with a median session time) and mass failure (a fraction of nodes killed at once) are
// optional. Everything random comes from the seed: a run is reproducible bit for bit.
#ifndef P2PSIP_SIM_SIMULATOR_H_
#define P2PSIP_SIM_SIMULATOR_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace p2psip::sim {

struct SimConfig {
  int nodes = 100;
  int lookups = 1000;
  uint64_t seed = 1;
  // Churn: exponential session times with this median (0 = no churn), for `duration_s`.
  double churn_median_session_s = 0;
  double duration_s = 0;
  // Clients (nodes that attach to the peer responsible for their Node-ID and route through it,
  // never joining the ring) added after the ring settles; lookups start from them too.
  int clients = 0;
  // Two partitions: every other node joins a second ring, started by a node that could not
  // reach the first one; partition detection (§10.7.4.4) must merge them.
  bool partition = false;
  uint64_t partition_check_ms = 600000;  // how often each peer checks (0 = never)
  // Kill this fraction of the nodes at once after the ring settles (0 = none).
  double kill_fraction = 0;
  // Network.
  uint64_t latency_ms = 20;           // one way, per link
  uint64_t latency_jitter_ms = 10;    // uniform extra
  double loss = 0;                    // per message
  uint64_t failure_detect_ms = 3000;  // link layer notices a dead peer after this
  // CHORD-RELOAD parameters (the RFC's defaults are 600 s and 3600 s; simulations of churn use
  // shorter intervals, as the Chord paper's stabilisation does).
  uint64_t update_interval_ms = 60000;
  uint64_t finger_refresh_ms = 120000;
  int successors = 3;  // predecessors and successors kept (>= 3)
  int fingers = 16;
  // Settling time after the last join, in update intervals.
  double settle_intervals = 2;
  // With kill_fraction: lookups start this many update intervals after the kill.
  double measure_after_intervals = 2;
  // Progress line on stderr every this many seconds of wall time (0 = quiet).
  double progress_every_s = 5;
  // Storage: K TURN-SERVICE values stored through random peers after the ring settles (and
  // before any failure), then fetched through random peers (0 = none).
  int values = 0;
  // With values: kill this many (1 or 2) of 3 consecutive peers at once, `kill_rounds` times
  // at places spread around the ring, each round once the values have 3 copies again (or after
  // 3 update intervals).
  int kill_consecutive = 0;
  int kill_rounds = 10;
  // With values: this many peers join and as many leave gracefully, one at a time.
  int join_leave = 0;
};

struct SimResult {
  int nodes = 0;
  int live_nodes = 0;
  int lookups = 0;
  int lookups_ok = 0;
  int clients = 0;         // clients attached to a peer at the end (of those still alive)
  int client_lookups = 0;  // lookups that a client originated
  int client_lookups_ok = 0;
  double success_rate = 0;
  double mean_hops = 0;  // forwarding peers between requester and responsible peer
  double p50_hops = 0;
  double p99_hops = 0;
  double half_log2_n = 0;          // the Chord paper's expected path length
  std::vector<int> hop_histogram;  // hop_histogram[h] = lookups answered after h hops
  bool ring_correct = false;       // every live node's successor and predecessor are right
  int ring_errors = 0;             // live nodes whose successor or predecessor is wrong
  double maintenance_msgs_per_node_per_s = 0;
  double links_per_node = 0;         // open links (the Connection Table) per live node
  size_t memory_per_node_bytes = 0;  // core state accounted by the nodes themselves
  size_t rss_per_node_bytes = 0;     // process RSS growth over the run / nodes
  double virtual_seconds = 0;
  double wall_seconds = 0;
  uint64_t messages_delivered = 0;
  uint64_t graceful_leaves = 0;      // churn departures that sent Leave first
  uint64_t partitions_detected = 0;  // partition checks that found another ring
  uint64_t trace_hash = 0;           // FNV-1a over every delivered message: equal seeds, equal hash
  // Success rate of lookups issued in successive windows of one update interval after the
  // kill or during churn (what the recovery looks like over time).
  std::vector<double> success_by_interval;
  // Storage (with values > 0). A value's copies are the live peers holding it among the
  // responsible peer, its 4 successors and 3 predecessors (where replicas live).
  int values = 0;
  int values_stored = 0;          // Stores answered OK
  int values_fetchable = 0;       // fetched back, intact, by the final sample
  int values_lost = 0;            // held by no live peer at all at the end
  int values_at_responsible = 0;  // held by the peer responsible for them at the end
  int values_moved = 0;  // whose responsible peer at the end is not the one that took the Store
  int min_copies = 0;    // fewest copies of any stored value at any check
  // Longest time, over the kill rounds, from a kill until every value had 3 copies again
  // (-1: some round never got there).
  double rereplication_seconds = 0;
  std::vector<double> rereplication_by_round;
  // Fraction of the fetches of a sample that returned the value intact (every stored value is
  // fetched once per sample: every update interval during churn, once at the end otherwise).
  // A fetch that fails (an error such as Error_Loop_Detected while the ring changes, a timeout,
  // or the value missing) is tried once more a second later through another random peer, as a
  // user agent would; first_try_by_sample is the rate without that retry. A fetch whose
  // requesting peer departs before the answer is asked again by another peer.
  std::vector<double> fetchable_by_sample;
  std::vector<double> first_try_by_sample;
  // Storage counters summed over every node that ran (replica stores sent and failed,
  // Resource-IDs dropped by peers no longer among their holders, error answers to storage).
  uint64_t replica_stores_sent = 0;
  uint64_t replica_stores_failed = 0;
  uint64_t resources_dropped = 0;
  uint64_t storage_errors = 0;

  std::string ToJson() const;
  std::string StorageJson() const;  // the storage fields, "" without values
  std::string ToText() const;
};

// Runs one simulation. Fails on an impossible configuration (no nodes, bad fractions...).
absl::StatusOr<SimResult> RunSimulation(const SimConfig& config);

}  // namespace p2psip::sim

#endif  // P2PSIP_SIM_SIMULATOR_H_

// NodeRuntime: p2psipd's runtime (DESIGN.md §1) — N worker threads, one per core, each with its
// own port, links and storage shard, and the control part on the thread that calls RunOnce
// (the slow-path thread), joined by SPSC rings (cross_core.h) and routing snapshots under QSBR
// (rcu.h).
//
//   port 0 ─ worker 0 ─┐                    ┌─ RoutingSnapshot (RCU) ◄── control part
//   port 1 ─ worker 1 ─┼── rings, k→m ──────┤                            (CHORD-RELOAD,
//   ...                │  (datagrams of     └─ rings k↔control ────────► diagnostics, leave)
//   port N-1 ─ ...   ──┘   other flows, sends on other workers' links, storage handoffs,
//                          link up/down broadcasts, reports)
//
// Ownership: the runtime owns the fabric, the QSBR domain, the snapshot publisher, the parts and
// the worker threads; Stop() (or the destructor) joins the threads before anything is freed.
#ifndef P2PSIP_RUNTIME_NODE_RUNTIME_H_
#define P2PSIP_RUNTIME_NODE_RUNTIME_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "p2psip/core/node.h"
#include "p2psip/core/routing_snapshot.h"
#include "p2psip/port/port.h"
#include "p2psip/runtime/clock.h"
#include "p2psip/runtime/control_plane.h"
#include "p2psip/runtime/cross_core.h"
#include "p2psip/runtime/link_manager.h"
#include "p2psip/runtime/rcu.h"
#include "p2psip/runtime/worker.h"

namespace p2psip::runtime {

struct NodeRuntimeOptions {
  // One port per worker; port i's datagrams must be those of the flows FlowOwner assigns to i
  // (UdpPort::CreateGroup steers them so; a port that cannot is still correct, only slower:
  // workers pass each other the datagrams of flows they do not own).
  std::vector<std::unique_ptr<port::Port>> ports;
  core::NodeConfig config;
  LinkManagerOptions links;
  // Makes a Signer for one part (each part signs and verifies on its own thread with its own
  // verification cache); called workers + 1 times.
  std::function<absl::StatusOr<std::unique_ptr<core::Signer>>()> make_signer;
  // Makes the Random of one part (p2psipd: a CSPRNG; tests: seeded).
  std::function<std::unique_ptr<core::Random>(uint32_t part)> make_random;
  WorkerOptions worker;
  size_t ring_capacity = 4096;
  // RELOAD over TLS/TCP on the control part: where to listen (port 0: no TLS/TCP links) and
  // the links' options (a kStream context and framing). config.tls_address is set from it.
  std::optional<port::Endpoint> tls_listen;
  LinkManagerOptions stream_links;
};

class NodeRuntime {
 public:
  static absl::StatusOr<std::unique_ptr<NodeRuntime>> Create(NodeRuntimeOptions options,
                                                             const Clock* clock);
  ~NodeRuntime();
  NodeRuntime(const NodeRuntime&) = delete;
  NodeRuntime& operator=(const NodeRuntime&) = delete;

  // Starts the worker threads and the overlay algorithm.
  void Start();
  // One turn of the control part, on the calling thread.
  void RunOnce(int max_wait_ms) { control_->RunOnce(max_wait_ms); }
  // Leaves gracefully, driving the control part meanwhile: the workers hand their data over
  // (waiting up to `handoff_wait_us` for them), the Node sends Leave, and the loop runs on for
  // `linger_us` so that the Leaves and hand-over stores are acknowledged; then every link is
  // closed.
  void Leave(uint64_t handoff_wait_us, uint64_t linger_us);
  // Stops and joins the workers (idempotent).
  void Stop();

  uint32_t workers() const { return fabric_->workers(); }
  ControlPlane& control() { return *control_; }
  const ControlPlane& control() const { return *control_; }
  const Clock& clock() const { return *clock_; }

 private:
  NodeRuntime() = default;

  const Clock* clock_ = nullptr;
  std::unique_ptr<Fabric> fabric_;
  std::unique_ptr<QsbrDomain> qsbr_;
  std::unique_ptr<RcuPublisher<core::RoutingSnapshot>> routing_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<ControlPlane> control_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
};

}  // namespace p2psip::runtime

#endif  // P2PSIP_RUNTIME_NODE_RUNTIME_H_

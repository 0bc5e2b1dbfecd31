// MemoryNetwork and MemoryPort: the in-memory port (DESIGN.md §1, principle 3), a datagram
// network inside one process for tests, the simulator's harness and the benchmarks. It really
// moves bytes: TxBurst copies each datagram into the destination port's bounded queue, and
// RxBurst hands it out, exactly as a socket would, so the worker loop above cannot tell it from
// the kernel socket port.
//
// Ownership: the MemoryNetwork owns nothing but its table of attached ports; each MemoryPort
// is owned by its caller and detaches itself when destroyed. The network must outlive every
// port attached to it.
//
// Threading: any number of threads may send at once (one per port, as with every Port); the
// network's table and each port's queue are guarded by mutexes. This is the test network: the
// fast path's no-lock rule is for the workers, not for the harness that feeds them.
#ifndef P2PSIP_PORT_MEMORY_PORT_H_
#define P2PSIP_PORT_MEMORY_PORT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "p2psip/port/port.h"

namespace p2psip::port {

class MemoryPort;

struct MemoryNetworkOptions {
  size_t queue_capacity = 1024;  // datagrams a port's receive queue holds; more are dropped
  double loss = 0.0;             // probability that the network loses a datagram it accepted
  uint64_t seed = 1;             // for the loss decisions, so that a lossy test is reproducible
};

// Network-wide counters (a consistent copy, from stats()).
struct MemoryNetworkStats {
  uint64_t delivered = 0;        // put in a receive queue
  uint64_t lost = 0;             // accepted, then lost on purpose (options.loss)
  uint64_t dropped_unknown = 0;  // no port attached at the destination
  uint64_t dropped_full = 0;     // the destination's queue was full
};

class MemoryNetwork {
 public:
  // Sees every datagram a port offers to the network, before loss or delivery is decided.
  // It runs on the sending thread with the network's lock held: it must not call back into the
  // network (copy the bytes; they are the sender's).
  using CaptureHook =
      std::function<void(const Endpoint& from, const Endpoint& to, std::span<const uint8_t>)>;

  explicit MemoryNetwork(MemoryNetworkOptions options = {});
  ~MemoryNetwork();
  MemoryNetwork(const MemoryNetwork&) = delete;
  MemoryNetwork& operator=(const MemoryNetwork&) = delete;

  // A port that receives at `endpoint`; port 0 picks a free one from 49152 up. Fails with
  // AlreadyExists when the endpoint is taken, or when eventfd fails.
  absl::StatusOr<std::unique_ptr<MemoryPort>> Attach(const Endpoint& endpoint);

  void SetCaptureHook(CaptureHook hook);
  void set_loss(double loss);
  MemoryNetworkStats stats() const;

 private:
  friend class MemoryPort;
  // Offers one datagram from `from`; true when the network accepted it (delivered or lost).
  bool Send(const Endpoint& from, const TxDatagram& datagram);
  void Detach(const Endpoint& endpoint);

  MemoryNetworkOptions options_;
  mutable std::mutex mu_;
  absl::flat_hash_map<Endpoint, MemoryPort*> ports_;
  CaptureHook capture_;
  std::mt19937_64 rng_;
  MemoryNetworkStats stats_;
  uint16_t next_ephemeral_ = 49152;
};

class MemoryPort final : public Port {
 public:
  ~MemoryPort() override;
  MemoryPort(const MemoryPort&) = delete;
  MemoryPort& operator=(const MemoryPort&) = delete;

  size_t RxBurst(std::span<RxDatagram> out) override;
  // Accepted: delivered or lost by the network. Dropped (tx_dropped): unknown destination or
  // full queue, which the sender learns of here, unlike on a real network.
  size_t TxBurst(std::span<const TxDatagram> datagrams) override;
  // An eventfd, readable exactly while the receive queue is non-empty.
  int wait_fd() const override { return event_fd_; }
  Endpoint local_endpoint() const override { return local_; }
  const PortCounters& counters() const override { return counters_; }

  size_t queued() const;  // datagrams waiting in the receive queue

 private:
  friend class MemoryNetwork;
  struct Slot {
    Endpoint from;
    std::vector<uint8_t> data;  // its capacity is kept and reused: no allocation once warm
  };

  MemoryPort(MemoryNetwork* network, Endpoint local, int event_fd, size_t capacity);
  // Called by the network with its lock held, from the sending thread.
  bool Enqueue(const Endpoint& from, std::span<const uint8_t> data);

  MemoryNetwork* network_;
  Endpoint local_;
  int event_fd_;
  PortCounters counters_;  // owner thread only

  mutable std::mutex queue_mu_;
  std::vector<Slot> queue_;  // ring of queue_capacity slots
  size_t head_ = 0;
  size_t count_ = 0;
  std::vector<Slot> rx_;  // what the latest RxBurst handed out (owner thread only)
};

}  // namespace p2psip::port

#endif  // P2PSIP_PORT_MEMORY_PORT_H_

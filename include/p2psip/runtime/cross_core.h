// The messages p2psipd's threads send each other, and the fabric that carries them
// (DESIGN.md §1, principle 2: "cross-core work is a message on a single-producer/single-consumer
// ring, one ring per ordered pair of cores, sent in bursts").
//
// Parts: workers 0..N-1 (each owns a port, the links steered to it and a storage shard) and the
// control part N (the slow-path thread: the overlay algorithm, diagnostics, leaving). Every part
// runs a core::Node with the node's one Node-ID; what one part needs from another travels as a
// CrossCoreMessage. The Fabric holds a RingMesh over the N+1 parts and one Waker per part, so a
// part that sleeps in poll() wakes when work is posted to it.
//
// Ownership: the Fabric owns the rings and wakers; the runtime owns the Fabric and destroys it
// after every thread has stopped. Each part owns its Outgoing (one per part), the only place it
// posts from, which keeps every ring single-producer.
#ifndef P2PSIP_RUNTIME_CROSS_CORE_H_
#define P2PSIP_RUNTIME_CROSS_CORE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "p2psip/core/environment.h"
#include "p2psip/core/node.h"
#include "p2psip/ids.h"
#include "p2psip/port/port.h"
#include "p2psip/runtime/spsc_ring.h"

namespace p2psip::runtime {

struct WorkerReport;  // node_stats.h
struct AdoptedLink;   // link_manager.h

struct CrossCoreMessage {
  enum class Type : uint8_t {
    kDatagram,       // to the owner worker: a datagram from `endpoint` another worker received
    kNodeMessage,    // a core handoff: Node::OnHandedOff(link, bytes)
    kSend,           // to the link's owner: send RELOAD message `bytes` on `link`
    kOpen,           // to control: open a link to `endpoint` as `peer` (empty: any)
    kClose,          // to the link's owner: close `link`
    kTransmit,       // control to the endpoint's owner: send datagram `bytes` to `endpoint`
                     // (a handshake flight; the owner passes what comes back to control)
    kAdopt,          // control to the endpoint's owner: `adopted`, a link whose handshake is done
    kForget,         // control to the endpoint's owner: the handshake with `endpoint` failed
    kLinkUp,         // from the link's owner to every part: `link` to `endpoint` reaches `peer`
    kLinkDown,       // from the link's owner to every part: `link` is gone
    kHandOff,        // control to worker: hand the shard's data to its new holders (leaving)
    kHandOffDone,    // worker to control: handed over (or gave up waiting for the answers)
    kConfiguration,  // control to worker: apply `decision` (an adopted ConfigUpdate)
    kReport,         // worker to control: `report`, the worker's statistics
    kCloseAll,       // control to worker: close every link (the process is exiting)
  };

  Type type = Type::kDatagram;
  core::LinkId link = core::kNoLink;
  port::Endpoint endpoint;
  NodeId peer;
  uint8_t link_type = 0;  // kOpen: the candidate's OverlayLinkType (0: DTLS)
  std::vector<uint8_t> bytes;
  std::shared_ptr<const core::ConfigurationDecision> decision;
  std::shared_ptr<const WorkerReport> report;
  std::shared_ptr<AdoptedLink> adopted;  // kAdopt: moved from, by its one receiver
};

// An eventfd that wakes one sleeping consumer. The consumer calls PrepareToSleep, checks for
// work once more, then polls fd() (or calls Awake if it found work); producers call Wake after
// posting. The seq_cst store and fences order "sleeping" against the ring indices so that a
// post between the check and the poll still wakes the consumer; a producer makes the system
// call only when the consumer is (about to be) asleep.
class Waker {
 public:
  static absl::StatusOr<std::unique_ptr<Waker>> Create();
  ~Waker();
  Waker(const Waker&) = delete;
  Waker& operator=(const Waker&) = delete;

  int fd() const { return fd_; }
  void PrepareToSleep() {
    sleeping_.store(true, std::memory_order_seq_cst);
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }
  // After waking (or deciding not to sleep): clears the flag and drains the eventfd.
  void Awake();
  void Wake() {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (sleeping_.load(std::memory_order_seq_cst) && sleeping_.exchange(false)) Signal();
  }

 private:
  explicit Waker(int fd) : fd_(fd) {}
  void Signal();

  int fd_;
  std::atomic<bool> sleeping_{false};
};

class Fabric {
 public:
  // `workers` worker parts plus the control part; `ring_capacity` messages per ring.
  static absl::StatusOr<std::unique_ptr<Fabric>> Create(uint32_t workers, size_t ring_capacity);

  uint32_t workers() const { return workers_; }
  uint32_t control() const { return workers_; }  // the control part's index
  uint32_t parts() const { return workers_ + 1; }
  SpscRing<CrossCoreMessage>* ring(uint32_t from, uint32_t to) const {
    return mesh_->ring(from, to);
  }
  Waker& waker(uint32_t part) const { return *wakers_[part]; }
  // True when a ring into `part` holds something (approximate, for the sleep decision).
  bool HasWork(uint32_t part) const;

 private:
  Fabric(uint32_t workers, std::unique_ptr<RingMesh<CrossCoreMessage>> mesh,
         std::vector<std::unique_ptr<Waker>> wakers)
      : workers_(workers), mesh_(std::move(mesh)), wakers_(std::move(wakers)) {}

  uint32_t workers_;
  std::unique_ptr<RingMesh<CrossCoreMessage>> mesh_;
  std::vector<std::unique_ptr<Waker>> wakers_;
};

struct OutgoingCounters {
  uint64_t posted = 0;
  uint64_t deferred = 0;  // the ring was full: kept and sent on a later Flush
  uint64_t dropped = 0;   // the backlog for a part was full too: lost (counted)
};

// One part's sending side: messages are queued per destination and moved onto the rings in
// bursts by Flush, which also wakes the destinations. A full ring does not lose control
// messages: they wait in a bounded backlog and go on the next Flush; only datagrams and RELOAD
// messages (which the link layer and transactions retransmit) are dropped when the backlog is
// full.
class Outgoing {
 public:
  Outgoing(Fabric* fabric, uint32_t self, size_t max_backlog = 1 << 16);

  void Post(uint32_t to, CrossCoreMessage message);
  // To every other part.
  void Broadcast(const CrossCoreMessage& message);
  // Moves what it can onto the rings and wakes their consumers.
  void Flush();
  bool empty() const;
  const OutgoingCounters& counters() const { return counters_; }

 private:
  Fabric* fabric_;
  uint32_t self_;
  size_t max_backlog_;
  std::vector<std::deque<CrossCoreMessage>> queued_;  // per destination part
  OutgoingCounters counters_;
};

}  // namespace p2psip::runtime

#endif  // P2PSIP_RUNTIME_CROSS_CORE_H_

// Worker: one of p2psipd's per-core threads (DESIGN.md §1). It owns
//   - a Port (its own SO_REUSEPORT socket on the kernel port): bursts in, bursts out;
//   - a LinkManager: the DTLS links of the peers the kernel steers to its socket (link ids
//     n * kLinkIdStride + index), their record protection, framing, ACKs and retransmissions.
//     Handshakes run on the slow path (the control part): the worker passes the datagrams of a
//     handshake in progress to it, sends the flights it is given, and adopts the link (the
//     session object itself) once it is up;
//   - a Node over a SnapshotTopology: it forwards what passes through (routing from the control
//     part's latest RoutingSnapshot, read under QSBR), answers the storage requests of the
//     Resource-IDs its shard owns, and replicates them.
//
// A turn: take up the latest routing snapshot; drain the rings from the other parts; receive a
// burst (a datagram whose flow another worker owns goes to that worker); give the links' events
// to the Node and to every other part (link up/down are broadcast by the owner, so that every
// part learns of a link before any message that came over it); carry out the Node's Outbox;
// fire timers; send the links' ciphertext in bursts; report statistics twice a second; then
// sleep in poll() on the socket and the part's eventfd until input, a post or a deadline.
//
// Threading: constructed on any thread, then Run() on its own thread until `stop` is set.
#ifndef P2PSIP_RUNTIME_WORKER_H_
#define P2PSIP_RUNTIME_WORKER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "p2psip/core/routing_snapshot.h"
#include "p2psip/port/port.h"
#include "p2psip/runtime/link_manager.h"
#include "p2psip/runtime/node_part.h"
#include "p2psip/runtime/rcu.h"

namespace p2psip::runtime {

struct WorkerOptions {
  size_t burst = 32;
  size_t max_ring_messages_per_turn = 256;  // from each other part
  uint64_t report_interval_us = 500'000;
  uint64_t handoff_wait_us = 2'000'000;  // leaving: longest wait for the hand-over answers
  // With a poll-mode port (DPDK: wait_fd() is -1), the longest an idle worker waits before it
  // polls the port again; 0 spins (a core of its own, lowest latency).
  uint64_t poll_nap_us = 50;
};

class Worker final : public NodePart {
 public:
  // `routing` publishes the control part's snapshots; `qsbr` has a reader slot `index` for this
  // worker. Both, the port and the clock must outlive the worker.
  Worker(Fabric* fabric, uint32_t index, std::unique_ptr<port::Port> port, LinkManagerOptions links,
         core::NodeConfig config, std::unique_ptr<core::Signer> signer,
         std::unique_ptr<core::Random> random, const Clock* clock, QsbrDomain* qsbr,
         const RcuPublisher<core::RoutingSnapshot>* routing, WorkerOptions options = {});
  ~Worker() override;

  // The thread body: turns until `stop` is set.
  void Run(const std::atomic<bool>& stop);
  // One turn, waiting at most `max_wait_ms` for something to do (tests drive this directly).
  void Turn(int max_wait_ms);

  const port::Port& port() const { return *port_; }

 private:
  void Handle(CrossCoreMessage& message, uint64_t now_us) override;
  void SendOnLink(core::LinkId link, std::vector<uint8_t> bytes, uint64_t now_us) override;
  void CloseLink(core::LinkId link, uint64_t now_us) override;

  // The latest snapshot into the Node's topology (at the start of every turn).
  void TakeSnapshot(uint64_t now_us);
  // Returns the time of its last clock reading (now_us if the port had nothing).
  uint64_t Receive(uint64_t now_us);
  // A datagram of a flow this worker owns: to its link, or to the slow path while the flow's
  // handshake runs there (or starts: a ClientHello).
  void OnOwnedDatagram(const port::Endpoint& from, std::span<const uint8_t> data, uint64_t now_us);
  // Link events to this Node and every other part.
  void ApplyLinkEvents(uint64_t now_us);
  void Settle(uint64_t now_us);
  void Flush();
  void Sleep(int max_wait_ms, uint64_t now_us);
  void MaybeReport(uint64_t now_us);
  // Logs Resource-IDs the shard dropped since the last turn (a notable event: replication
  // decided this node is no longer one of their holders).
  void NoteDrops();

  std::unique_ptr<port::Port> port_;
  bool accept_inbound_;
  LinkManager links_;
  core::SnapshotTopology* topology_ = nullptr;  // owned by the Node
  QsbrDomain* qsbr_;
  const RcuPublisher<core::RoutingSnapshot>* routing_;
  WorkerOptions options_;
  uint64_t snapshot_version_ = 0;
  LinkEvents events_;
  LinkEvents spare_events_;  // ApplyLinkEvents' last batch, emptied: reused for its capacity
  std::vector<port::RxDatagram> rx_;
  std::vector<port::TxDatagram> tx_;
  std::vector<OutDatagram> pending_tx_;
  // Flows whose handshake runs on the slow path; bounded (a flood of ClientHellos from spoofed
  // sources is refused here, before it costs the slow path anything).
  absl::flat_hash_set<port::Endpoint> at_control_;
  static constexpr size_t kMaxHandshakesAtControl = 4096;
  uint64_t next_report_us_ = 0;
  // The Node's timers have millisecond resolution: they are looked at once per millisecond,
  // not on every turn of a spinning worker.
  uint64_t node_timers_checked_ms_ = UINT64_MAX;
  uint64_t last_dropped_ = 0;
  bool handing_off_ = false;
  uint64_t handoff_until_us_ = 0;
};

}  // namespace p2psip::runtime

#endif  // P2PSIP_RUNTIME_WORKER_H_

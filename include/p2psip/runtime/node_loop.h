// NodeLoop: one core::Node on one port, driven by one thread (the worker loop of DESIGN.md §1
// with every component on it).
//
// Each turn: wait (poll on the port's descriptor) until a datagram arrives or the next deadline
// of the node or a link; receive a burst; hand each datagram to the LinkManager; give the
// resulting events to the node (link up, message, link down) and the node's actions back to the
// links (send, open, close) until both sides are quiet; fire what is due; send the links'
// ciphertext in bursts. Application requests enter through Call(), on the same thread.
//
// It owns the Node, its Signer and Random, and the LinkManager; the Port and the Clock belong
// to the caller and must outlive it. Not thread-safe: everything happens on the loop's thread.
#ifndef P2PSIP_RUNTIME_NODE_LOOP_H_
#define P2PSIP_RUNTIME_NODE_LOOP_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "p2psip/core/environment.h"
#include "p2psip/core/node.h"
#include "p2psip/port/port.h"
#include "p2psip/runtime/clock.h"
#include "p2psip/runtime/link_manager.h"

namespace p2psip::runtime {

struct NodeLoopCounters {
  uint64_t turns = 0;
  uint64_t rx_bursts = 0;  // RxBurst calls that returned something
  uint64_t tx_bursts = 0;
  uint64_t connect_bad_address = 0;  // the core asked for a link to an address we cannot use
};

class NodeLoop {
 public:
  using ResultHandler = std::function<void(core::Outbox::Result)>;

  NodeLoop(core::NodeConfig config, std::unique_ptr<core::Signer> signer,
           std::unique_ptr<core::Random> random, port::Port* port, LinkManagerOptions links,
           const Clock* clock, size_t burst = 32);
  ~NodeLoop();
  NodeLoop(const NodeLoop&) = delete;
  NodeLoop& operator=(const NodeLoop&) = delete;

  void Start();
  // Waits at most `max_wait_ms` (0: do not wait) for input or a deadline, then does all that
  // is due. Returns early (after doing what was due) when poll is interrupted by a signal.
  void RunOnce(int max_wait_ms);
  // Runs an application request on the node (f(node, now_ms, outbox) returns its request id)
  // and carries out what it asked for.
  template <class F>
  uint64_t Call(F&& f) {
    const uint64_t id = f(*node_, clock_->NowMs(), &out_);
    Settle(clock_->NowUs());
    return id;
  }
  // Leaves the overlay (core::Node::Leave): data handed over, Leave sent; keep running the loop
  // a little so that they go out.
  void Leave();
  // Closes every link (close_notify), so that peers forget this node's links at once instead of
  // when their retransmissions give up; for a process about to exit.
  void CloseLinks();
  // Results of application requests, as they complete.
  void SetResultHandler(ResultHandler handler) { on_result_ = std::move(handler); }

  core::Node& node() { return *node_; }
  const core::Node& node() const { return *node_; }
  core::Signer& signer() { return *signer_; }
  const LinkManager& links() const { return links_; }
  const port::Port& port() const { return *port_; }
  const NodeLoopCounters& counters() const { return counters_; }
  // Why the latest link that failed (or never came up) went down; OK if none has.
  const absl::Status& last_link_failure() const { return last_link_failure_; }
  uint64_t NextDeadlineUs() const;

 private:
  // Moves node actions to the links and link events to the node until both are quiet, then
  // sends the ciphertext.
  void Settle(uint64_t now_us);
  void ApplyOutbox(uint64_t now_us);
  void ApplyEvents(uint64_t now_us);
  void Flush();
  void NoteJoinState();

  const Clock* clock_;
  std::unique_ptr<core::Signer> signer_;
  std::unique_ptr<core::Random> random_;
  std::unique_ptr<core::Node> node_;
  port::Port* port_;
  LinkManager links_;
  size_t burst_;
  core::Outbox out_;
  LinkEvents events_;
  std::vector<OutDatagram> pending_tx_;
  std::vector<port::RxDatagram> rx_;
  std::vector<port::TxDatagram> tx_;
  ResultHandler on_result_;
  bool was_joined_ = false;
  bool leaving_ = false;
  absl::Status last_link_failure_;
  NodeLoopCounters counters_;
};

}  // namespace p2psip::runtime

#endif  // P2PSIP_RUNTIME_NODE_LOOP_H_

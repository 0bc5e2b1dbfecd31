// ControlPlane: the control part of p2psipd, on the slow-path thread (DESIGN.md §1). Its Node
// runs CHORD-RELOAD (join, updates, finger refresh, leave), answers the requests that are not
// storage (Attach, Join, Update, Ping, RouteQuery, diagnostics, ConfigUpdate) and the
// application's requests. After every turn in which its routing state changed it publishes a
// RoutingSnapshot for the workers (RCU: the workers read it without locks; retired snapshots are
// freed once every worker has passed a quiescent state).
//
// Handshakes are slow-path work too: the control part owns a LinkManager that only runs them.
// A worker passes it the datagrams of a handshake in progress (the flow's ClientHello and what
// follows) and sends the flights it posts back (kTransmit); once a link is up, the control part
// releases the session and hands it to the worker that owns the flow (kAdopt), which announces
// the link to every part. So an RSA signature or a certificate chain check never stalls a
// worker's burst loop. The links it opens itself (the Node's Connect) start the same way.
//
// It owns no socket: what it sends goes to the worker that owns the link. It keeps the latest
// WorkerReport of each worker, from which the runtime builds the node's statistics.
//
// Threading: every method on the control thread.
#ifndef P2PSIP_RUNTIME_CONTROL_PLANE_H_
#define P2PSIP_RUNTIME_CONTROL_PLANE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "p2psip/core/routing_snapshot.h"
#include "p2psip/runtime/link_manager.h"
#include "p2psip/runtime/node_part.h"
#include "p2psip/runtime/rcu.h"
#include "p2psip/runtime/stream_links.h"

namespace p2psip::runtime {

class ControlPlane final : public NodePart {
 public:
  using ResultHandler = std::function<void(core::Outbox::Result)>;

  // `routing` is where the snapshots go (this thread is its only writer). Both, the fabric and
  // the clock must outlive the control plane.
  // `handshakes` configures the links it makes (context, framing, limits on handshakes);
  // `streams` (may be null) carries RELOAD over TLS/TCP, whose links stay on this part.
  ControlPlane(Fabric* fabric, core::NodeConfig config, std::unique_ptr<core::Signer> signer,
               std::unique_ptr<core::Random> random, const Clock* clock,
               RcuPublisher<core::RoutingSnapshot>* routing, LinkManagerOptions handshakes,
               std::unique_ptr<StreamLinks> streams = nullptr);
  ~ControlPlane() override;

  // Starts the overlay algorithm (join, or become the first node).
  void Start();
  // One turn: waits at most `max_wait_ms` for posts or a deadline, then does what is due.
  void RunOnce(int max_wait_ms);
  // Runs an application request on the node (f(node, now_ms, outbox) returns its request id).
  template <class F>
  uint64_t Call(F&& f) {
    const uint64_t now_us = clock_->NowUs();
    const uint64_t id = f(*node_, now_us / 1000, &outbox_);
    AfterWork(now_us);
    return id;
  }
  void SetResultHandler(ResultHandler handler) { on_result_ = std::move(handler); }

  // Leaving, in three steps: every worker hands its data to the new holders (HandOff), then
  // the Node leaves the ring (Leave), then every link is closed (CloseAll) so that peers forget
  // this node at once. handoffs_pending() counts the workers not done with the first step.
  void HandOff();
  size_t handoffs_pending() const { return handoffs_pending_; }
  void Leave();
  void CloseAll();

  // A configuration the Node adopted goes to every worker's Node too.
  void BroadcastConfiguration(std::shared_ptr<const core::ConfigurationDecision> decision);

  // The latest report of each worker (null until its first).
  const std::vector<std::shared_ptr<const WorkerReport>>& reports() const { return reports_; }
  const WorkerCounters& counters() const { return counters_; }
  // The handshakes' manager (its counters: handshakes begun, completed, failed...).
  const LinkManager& handshakes() const { return handshakes_; }
  // The TLS/TCP links (null when the node offers none).
  const StreamLinks* streams() const { return streams_.get(); }
  // Why the latest handshake failed (OK if none has).
  const absl::Status& last_link_failure() const { return last_link_failure_; }
  uint64_t snapshots_published() const { return published_; }

 private:
  void Handle(CrossCoreMessage& message, uint64_t now_us) override;
  void OnResult(core::Outbox::Result result) override;
  void OpenLink(const port::Endpoint& to, const NodeId& peer, uint8_t link_type,
                uint64_t now_us) override;
  void SendOnLink(core::LinkId link, std::vector<uint8_t> bytes, uint64_t now_us) override;
  void CloseLink(core::LinkId link, uint64_t now_us) override;
  // TLS/TCP link events: to this part's Node and every other part.
  void ApplyStreamEvents(uint64_t now_us);
  // Links that came up go to their owners; failed handshakes are forgotten there.
  void ApplyHandshakeEvents();
  void FlushHandshakes();
  // Carries out the Outbox, publishes a snapshot if routing changed, posts.
  void AfterWork(uint64_t now_us);
  void MaybePublish();
  void NoteJoinState();

  RcuPublisher<core::RoutingSnapshot>* routing_;
  LinkManager handshakes_;
  std::unique_ptr<StreamLinks> streams_;
  LinkEvents stream_events_;
  std::vector<pollfd> pollfds_;
  LinkEvents handshake_events_;
  std::vector<OutDatagram> handshake_tx_;
  // Up links (announced by their owners): a handshake datagram that was on its way here when
  // its link was handed over goes on to the owner; a Connect to one is answered with it.
  struct Established {
    core::LinkId link;
    NodeId peer;
  };
  absl::flat_hash_map<port::Endpoint, Established> established_;
  absl::flat_hash_map<core::LinkId, port::Endpoint> established_remote_;
  uint64_t routing_version_ = UINT64_MAX;
  uint64_t published_ = 0;
  std::vector<std::shared_ptr<const WorkerReport>> reports_;
  size_t handoffs_pending_ = 0;
  ResultHandler on_result_;
  bool was_joined_ = false;
  bool leaving_ = false;
};

}  // namespace p2psip::runtime

#endif  // P2PSIP_RUNTIME_CONTROL_PLANE_H_

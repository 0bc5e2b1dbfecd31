// NodePart: what a worker and the control part have in common. Each runs one core::Node (the
// node's Node-ID, its own Signer, its own transactions tagged with the part's index), receives
// CrossCoreMessages from the other parts and carries out its Node's Outbox: RELOAD messages go
// to the worker that owns their link, link requests to the worker that owns the endpoint,
// handoffs to the part the PartDispatcher names.
//
// Link ids say who owns a link: id % kLinkIdStride is the owning worker (LinkManagerOptions
// id_stride/id_offset). Endpoints are owned by port::FlowOwner(endpoint, workers), the worker
// whose socket the kernel steers that peer's datagrams to. Links are made on the control part
// (handshakes are slow-path work) and handed to their owner once up.
//
// Threading: a NodePart and its Node belong to the thread that runs the part.
#ifndef P2PSIP_RUNTIME_NODE_PART_H_
#define P2PSIP_RUNTIME_NODE_PART_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "p2psip/core/environment.h"
#include "p2psip/core/node.h"
#include "p2psip/core/part_dispatcher.h"
#include "p2psip/runtime/clock.h"
#include "p2psip/runtime/cross_core.h"
#include "p2psip/runtime/link_manager.h"
#include "p2psip/runtime/node_stats.h"

namespace p2psip::runtime {

inline constexpr uint32_t kLinkIdStride = 64;
// Links numbered with this owner belong to the control part (TLS/TCP links, stream_links.h).
inline constexpr uint32_t kControlLinkOwner = kLinkIdStride - 1;
inline constexpr uint32_t kMaxWorkers = kControlLinkOwner;

// The worker that owns `link`, or kControlLinkOwner.
inline uint32_t LinkOwner(core::LinkId link) { return link % kLinkIdStride; }

class NodePart {
 public:
  // `fabric` and `clock` must outlive the part. `topology` makes the Node's topology (the
  // control part: CHORD-RELOAD; a worker: a SnapshotTopology).
  NodePart(Fabric* fabric, uint32_t index, core::NodeConfig config,
           std::unique_ptr<core::Signer> signer, std::unique_ptr<core::Random> random,
           const core::TopologyFactory& topology, const Clock* clock);
  virtual ~NodePart();
  NodePart(const NodePart&) = delete;
  NodePart& operator=(const NodePart&) = delete;

  uint32_t index() const { return index_; }
  core::Node& node() { return *node_; }
  const core::Node& node() const { return *node_; }
  core::Signer& signer() { return *signer_; }

 protected:
  // Takes up to `max_per_ring` messages from every ring into this part and handles each;
  // returns how many.
  size_t DrainRings(size_t max_per_ring, uint64_t now_us);
  // Carries out what the Node put in outbox_ until it stays empty.
  void ApplyOutbox(uint64_t now_us);

  // Events of links this part owns (`links` numbers them): up and down to this part's Node
  // and, first, to every other part (so that every part learns of a link before any message
  // that came over it); messages to this part's Node. `kind` names the links in the log.
  // Leaves `events` empty (the messages' buffers recycled, buffer_pool.h).
  void AnnounceLinkEvents(LinkEvents& events, const LinkManager& links, const char* kind,
                          uint64_t now_us);

  // What a part does with a message: the common types here, the rest by the subclass.
  virtual void Handle(CrossCoreMessage& message, uint64_t now_us);
  // RELOAD message `bytes` to send on `link`; by default posted to the link's owner.
  virtual void SendOnLink(core::LinkId link, std::vector<uint8_t> bytes, uint64_t now_us);
  // By default posted to the link's owner.
  virtual void CloseLink(core::LinkId link, uint64_t now_us);
  // By default posted to the control part, which runs the handshake. `link_type`: the
  // candidate's OverlayLinkType (0: DTLS).
  virtual void OpenLink(const port::Endpoint& to, const NodeId& peer, uint8_t link_type,
                        uint64_t now_us);
  // The part that owns `link`.
  uint32_t PartOfLink(core::LinkId link) const {
    const uint32_t owner = LinkOwner(link);
    return owner == kControlLinkOwner ? fabric_->control() : owner;
  }
  // An application result (only the control part makes application requests).
  virtual void OnResult(core::Outbox::Result result);

  Fabric* fabric_;
  uint32_t index_;
  const Clock* clock_;
  std::unique_ptr<core::Signer> signer_;
  std::unique_ptr<core::Random> random_;
  core::PartDispatcher dispatcher_;
  std::unique_ptr<core::Node> node_;
  core::Topology* topology_made_ = nullptr;  // what `topology` made (owned by node_)
  Outgoing outgoing_;
  core::Outbox outbox_;
  core::Outbox spare_outbox_;  // ApplyOutbox's last batch, emptied: reused for its capacity
  WorkerCounters counters_;
  // Why the latest link of this part failed or never came up (OK if none has).
  absl::Status last_link_failure_;

 private:
  std::vector<CrossCoreMessage> inbox_;
};

}  // namespace p2psip::runtime

#endif  // P2PSIP_RUNTIME_NODE_PART_H_

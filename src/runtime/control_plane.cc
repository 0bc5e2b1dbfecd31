#include "p2psip/runtime/control_plane.h"

#include <poll.h>

#include <algorithm>
#include <utility>

#include "p2psip/port/flow_steering.h"
#include "p2psip/wire/attach.h"

#include "spdlog/spdlog.h"

namespace p2psip::runtime {

using Type = CrossCoreMessage::Type;

ControlPlane::ControlPlane(Fabric* fabric, core::NodeConfig config,
                           std::unique_ptr<core::Signer> signer,
                           std::unique_ptr<core::Random> random, const Clock* clock,
                           RcuPublisher<core::RoutingSnapshot>* routing,
                           LinkManagerOptions handshakes, std::unique_ptr<StreamLinks> streams)
    : NodePart(fabric, fabric->control(), std::move(config), std::move(signer), std::move(random),
               /*topology=*/{}, clock),
      routing_(routing),
      handshakes_([&] {
        handshakes.id_stride = kLinkIdStride;
        const uint32_t workers = fabric->workers();
        handshakes.id_offset_of = [workers](const port::Endpoint& e) {
          return port::FlowOwner(e, workers);
        };
        return std::move(handshakes);
      }()),
      streams_(std::move(streams)),
      reports_(fabric->workers()) {}

ControlPlane::~ControlPlane() = default;

void ControlPlane::Start() {
  const uint64_t now_us = clock_->NowUs();
  node_->Start(now_us / 1000, &outbox_);
  AfterWork(now_us);
}

void ControlPlane::RunOnce(int max_wait_ms) {
  ++counters_.turns;
  uint64_t now_us = clock_->NowUs();
  const uint64_t node_ms = node_->NextDeadline();
  const uint64_t node_us = node_ms >= UINT64_MAX / 1000 ? UINT64_MAX : node_ms * 1000;
  uint64_t deadline = std::min(node_us, handshakes_.NextDeadline(now_us));
  if (streams_ != nullptr) deadline = std::min(deadline, streams_->NextDeadline(now_us));
  int wait_ms = max_wait_ms;
  if (deadline <= now_us) {
    wait_ms = 0;
  } else if (deadline - now_us < static_cast<uint64_t>(max_wait_ms) * 1000) {
    wait_ms = static_cast<int>((deadline - now_us + 999) / 1000);
  }
  Waker& waker = fabric_->waker(index_);
  pollfds_.clear();
  pollfds_.push_back({waker.fd(), POLLIN, 0});
  if (streams_ != nullptr) streams_->PollFds(&pollfds_);
  waker.PrepareToSleep();
  if (fabric_->HasWork(index_) || !outgoing_.empty()) wait_ms = 0;
  // EINTR (a signal): the caller checks its flag.
  (void)poll(pollfds_.data(), pollfds_.size(), wait_ms);
  waker.Awake();
  now_us = clock_->NowUs();
  DrainRings(1024, now_us);
  handshakes_.OnTimer(now_us, &handshake_events_);
  if (streams_ != nullptr) {
    streams_->Service(now_us, &stream_events_);
    streams_->OnTimer(now_us, &stream_events_);
    ApplyStreamEvents(now_us);
  }
  if (node_->NextDeadline() <= now_us / 1000) node_->OnTimer(now_us / 1000, &outbox_);
  AfterWork(now_us);
  routing_->Reclaim();
}

void ControlPlane::AfterWork(uint64_t now_us) {
  ApplyOutbox(now_us);
  if (streams_ != nullptr) {
    streams_->FlushOutput(&stream_events_);
    ApplyStreamEvents(now_us);
  }
  ApplyHandshakeEvents();
  FlushHandshakes();
  MaybePublish();
  NoteJoinState();
  outgoing_.Flush();
}

void ControlPlane::MaybePublish() {
  const uint64_t version = node_->routing_version();
  if (version == routing_version_) return;
  auto snapshot = std::make_unique<core::RoutingSnapshot>(node_->ring_id());
  if (!node_->FillRoutingSnapshot(snapshot.get())) return;
  routing_version_ = version;
  snapshot->version = ++published_;
  routing_->Publish(std::move(snapshot));
}

void ControlPlane::Handle(CrossCoreMessage& m, uint64_t now_us) {
  switch (m.type) {
    case Type::kReport:
      if (m.report != nullptr && m.report->core < reports_.size()) {
        reports_[m.report->core] = std::move(m.report);
      }
      break;
    case Type::kHandOffDone:
      if (handoffs_pending_ > 0) --handoffs_pending_;
      break;
    case Type::kDatagram:
      if (auto it = established_.find(m.endpoint); it != established_.end() &&
                                                   !handshakes_.Knows(m.endpoint) &&
                                                   !LooksLikeClientHello(m.bytes)) {
        outgoing_.Post(LinkOwner(it->second.link), std::move(m));  // handed over meanwhile
      } else {
        handshakes_.OnDatagram(m.endpoint, m.bytes, now_us, &handshake_events_);
        ApplyHandshakeEvents();
      }
      break;
    case Type::kOpen:
      OpenLink(m.endpoint, m.peer, m.link_type, now_us);
      break;
    case Type::kSend:  // from another part, on one of this part's TLS/TCP links
      SendOnLink(m.link, std::move(m.bytes), now_us);
      break;
    case Type::kClose:
      CloseLink(m.link, now_us);
      break;
    case Type::kLinkUp:
      established_[m.endpoint] = {m.link, m.peer};
      established_remote_[m.link] = m.endpoint;
      NodePart::Handle(m, now_us);
      break;
    case Type::kLinkDown:
      if (auto it = established_remote_.find(m.link); it != established_remote_.end()) {
        if (auto e = established_.find(it->second);
            e != established_.end() && e->second.link == m.link) {
          established_.erase(e);
        }
        established_remote_.erase(it);
      }
      NodePart::Handle(m, now_us);
      break;
    default:
      NodePart::Handle(m, now_us);
      break;
  }
}

void ControlPlane::OpenLink(const port::Endpoint& to, const NodeId& peer, uint8_t link_type,
                            uint64_t now_us) {
  if (link_type == wire::kOverlayLinkTlsTcpFhNoIce) {
    if (streams_ == nullptr) {
      spdlog::warn("a TLS/TCP link to {} was asked for, but this node has no TLS listener",
                   to.ToString());
      return;
    }
    if (streams_->Open(to, peer.empty() ? std::nullopt : std::optional<NodeId>(peer), now_us,
                       &stream_events_) == core::kNoLink) {
      spdlog::warn("TLS/TCP link to {} could not be made", to.ToString());
    }
    ApplyStreamEvents(now_us);
    return;
  }
  if (auto it = established_.find(to); it != established_.end()) {
    // Up already (a bootstrap node's address the Node asks for again): say so once more, as
    // a LinkManager does for a link it has.
    if (peer.empty() || peer == it->second.peer) {
      node_->OnLinkUp(it->second.link, it->second.peer, now_us / 1000, &outbox_);
    }
    return;
  }
  const core::LinkId id = handshakes_.Open(
      to, peer.empty() ? std::nullopt : std::optional<NodeId>(peer), now_us, &handshake_events_);
  if (id == core::kNoLink) {
    spdlog::warn("link to {} refused (too many links or handshakes)", to.ToString());
  }
}

void ControlPlane::SendOnLink(core::LinkId link, std::vector<uint8_t> bytes, uint64_t now_us) {
  if (PartOfLink(link) != index_) {
    NodePart::SendOnLink(link, std::move(bytes), now_us);
    return;
  }
  if (streams_ != nullptr) streams_->Send(link, bytes, now_us);
}

void ControlPlane::CloseLink(core::LinkId link, uint64_t now_us) {
  if (PartOfLink(link) != index_) {
    NodePart::CloseLink(link, now_us);
    return;
  }
  if (streams_ == nullptr) return;
  streams_->Close(link, &stream_events_);
  ApplyStreamEvents(now_us);
}

void ControlPlane::ApplyStreamEvents(uint64_t now_us) {
  for (int pass = 0; pass < 100 && !stream_events_.empty(); ++pass) {
    LinkEvents events;
    std::swap(events, stream_events_);
    AnnounceLinkEvents(events, streams_->links(), "TLS/TCP", now_us);
    ApplyOutbox(now_us);
  }
}

void ControlPlane::ApplyHandshakeEvents() {
  if (handshake_events_.empty()) return;
  LinkEvents events;
  std::swap(events, handshake_events_);
  for (const LinkEvents::Up& u : events.ups) {
    std::unique_ptr<AdoptedLink> link = handshakes_.Release(u.link);
    if (link == nullptr) continue;
    for (LinkEvents::Message& msg : events.messages) {
      if (msg.link == u.link) link->messages.push_back(std::move(msg.bytes));
    }
    // Known as up from now on, before its owner says so: a Connect meanwhile must not start a
    // second handshake with the same endpoint.
    established_[link->remote] = {u.link, link->peer};
    established_remote_[u.link] = link->remote;
    CrossCoreMessage m;
    m.type = Type::kAdopt;
    m.link = u.link;
    m.endpoint = link->remote;
    m.adopted = std::shared_ptr<AdoptedLink>(std::move(link));
    outgoing_.Post(LinkOwner(u.link), std::move(m));
  }
  for (const LinkEvents::Down& d : events.downs) {
    // Never up here (up links leave at once): a handshake that failed or was refused.
    if (d.why.code() != absl::StatusCode::kCancelled) {
      last_link_failure_ = d.why;
      spdlog::info("link to {} not established: {}", d.remote.ToString(),
                   std::string(d.why.message()));
    }
    CrossCoreMessage m;
    m.type = Type::kForget;
    m.endpoint = d.remote;
    outgoing_.Post(port::FlowOwner(d.remote, fabric_->workers()), std::move(m));
  }
}

void ControlPlane::FlushHandshakes() {
  handshakes_.TakeOutput(&handshake_tx_);
  for (OutDatagram& d : handshake_tx_) {
    CrossCoreMessage m;
    m.type = Type::kTransmit;
    m.endpoint = d.to;
    m.bytes = std::move(d.bytes);
    outgoing_.Post(port::FlowOwner(d.to, fabric_->workers()), std::move(m));
  }
  handshake_tx_.clear();
}

void ControlPlane::OnResult(core::Outbox::Result result) {
  if (on_result_) on_result_(std::move(result));
}

void ControlPlane::HandOff() {
  leaving_ = true;
  handoffs_pending_ = fabric_->workers();
  for (uint32_t w = 0; w < fabric_->workers(); ++w) {
    CrossCoreMessage m;
    m.type = Type::kHandOff;
    outgoing_.Post(w, std::move(m));
  }
  outgoing_.Flush();
}

void ControlPlane::Leave() {
  leaving_ = true;
  const uint64_t now_us = clock_->NowUs();
  // The control part's own storage is empty (storage requests go to the workers), so this is
  // the topology's Leave to the neighbours.
  node_->Leave(now_us / 1000, &outbox_);
  AfterWork(now_us);
}

void ControlPlane::CloseAll() {
  for (uint32_t w = 0; w < fabric_->workers(); ++w) {
    CrossCoreMessage m;
    m.type = Type::kCloseAll;
    outgoing_.Post(w, std::move(m));
  }
  outgoing_.Flush();
}

void ControlPlane::BroadcastConfiguration(
    std::shared_ptr<const core::ConfigurationDecision> decision) {
  CrossCoreMessage m;
  m.type = Type::kConfiguration;
  m.decision = std::move(decision);
  for (uint32_t w = 0; w < fabric_->workers(); ++w) outgoing_.Post(w, m);
  outgoing_.Flush();
}

void ControlPlane::NoteJoinState() {
  const bool joined = node_->joined();
  if (joined == was_joined_) return;
  was_joined_ = joined;
  if (joined) {
    spdlog::info("{} the overlay {} as {}", node_->config().client ? "attached to" : "joined",
                 node_->config().overlay_name, node_->id().ToHex());
  } else if (!leaving_) {
    spdlog::warn("no longer in the overlay ring; rejoining");
  }
}

}  // namespace p2psip::runtime

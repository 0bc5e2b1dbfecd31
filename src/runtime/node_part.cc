#include "p2psip/runtime/node_part.h"

#include <utility>

#include "p2psip/buffer_pool.h"
#include "spdlog/spdlog.h"

namespace p2psip::runtime {

using Type = CrossCoreMessage::Type;

NodePart::NodePart(Fabric* fabric, uint32_t index, core::NodeConfig config,
                   std::unique_ptr<core::Signer> signer, std::unique_ptr<core::Random> random,
                   const core::TopologyFactory& topology, const Clock* clock)
    : fabric_(fabric),
      index_(index),
      clock_(clock),
      signer_(std::move(signer)),
      random_(std::move(random)),
      dispatcher_(index, fabric->workers()),
      outgoing_(fabric, index),
      inbox_(64) {
  core::PartDispatcher::TagConfig(index, &config);
  core::TopologyFactory made;
  if (topology) {
    made = [this, &topology](const core::NodeConfig& c, core::TopologyHost* host,
                             core::NodeCounters* counters) {
      std::unique_ptr<core::Topology> t = topology(c, host, counters);
      topology_made_ = t.get();
      return t;
    };
  }
  node_ = std::make_unique<core::Node>(std::move(config), signer_.get(), random_.get(), made);
  node_->SetDispatcher(&dispatcher_);
}

NodePart::~NodePart() = default;

size_t NodePart::DrainRings(size_t max_per_ring, uint64_t now_us) {
  size_t total = 0;
  for (uint32_t from = 0; from < fabric_->parts(); ++from) {
    if (from == index_) continue;
    SpscRing<CrossCoreMessage>* ring = fabric_->ring(from, index_);
    size_t taken = 0;
    while (taken < max_per_ring) {
      const size_t n =
          ring->DequeueBurst(inbox_.data(), std::min(inbox_.size(), max_per_ring - taken));
      if (n == 0) break;
      for (size_t i = 0; i < n; ++i) Handle(inbox_[i], now_us);
      taken += n;
      ApplyOutbox(now_us);
    }
    total += taken;
  }
  return total;
}

void NodePart::Handle(CrossCoreMessage& m, uint64_t now_us) {
  const uint64_t now_ms = now_us / 1000;
  switch (m.type) {
    case Type::kNodeMessage:
      ++counters_.handoffs_in;
      node_->OnHandedOff(m.link, m.bytes, now_ms, &outbox_);
      break;
    case Type::kLinkUp:
      node_->OnLinkUp(m.link, m.peer, now_ms, &outbox_);
      break;
    case Type::kLinkDown:
      node_->OnLinkDown(m.link, now_ms, &outbox_);
      break;
    case Type::kConfiguration:
      if (m.decision != nullptr) node_->ApplyConfiguration(*m.decision);
      break;
    default:
      spdlog::error("part {}: message type {} not handled here", index_, static_cast<int>(m.type));
      break;
  }
}

void NodePart::AnnounceLinkEvents(LinkEvents& events, const LinkManager& links, const char* kind,
                                  uint64_t now_us) {
  const uint64_t now_ms = now_us / 1000;
  for (const LinkEvents::Up& u : events.ups) {
    spdlog::debug("part {}: {} link {} up: peer {}", index_, kind, u.link, u.peer.ToHex());
    CrossCoreMessage m;
    m.type = Type::kLinkUp;
    m.link = u.link;
    m.peer = u.peer;
    m.endpoint = links.RemoteOf(u.link);
    outgoing_.Broadcast(m);
    node_->OnLinkUp(u.link, u.peer, now_ms, &outbox_);
  }
  for (const LinkEvents::Message& msg : events.messages) {
    node_->OnMessage(msg.link, msg.bytes, now_ms, &outbox_);
  }
  for (const LinkEvents::Down& d : events.downs) {
    if (d.why.code() != absl::StatusCode::kCancelled) last_link_failure_ = d.why;
    if (d.was_up && d.why.code() != absl::StatusCode::kCancelled) {
      spdlog::info("{} link {} to {} down: {}", kind, d.link, d.remote.ToString(),
                   std::string(d.why.message()));
    } else if (!d.was_up) {
      spdlog::info("{} link to {} not established: {}", kind, d.remote.ToString(),
                   std::string(d.why.message()));
    }
    CrossCoreMessage m;
    m.type = Type::kLinkDown;
    m.link = d.link;
    outgoing_.Broadcast(m);
    node_->OnLinkDown(d.link, now_ms, &outbox_);
  }
  for (LinkEvents::Message& msg : events.messages) RecycleBuffer(msg.bytes);
  events.clear();
}

void NodePart::ApplyOutbox(uint64_t now_us) {
  // Sends to this part's own links can make the Node act again (nothing does today, but the
  // loop keeps the contract "until it stays empty"); the bound only guards against a bug.
  for (int pass = 0; pass < 100 && !outbox_.empty(); ++pass) {
    core::Outbox out = std::move(spare_outbox_);  // last time's, emptied: keeps its capacity
    out.clear();
    std::swap(out, outbox_);
    for (core::Outbox::Send& s : out.sends) SendOnLink(s.link, std::move(s.message), now_us);
    for (const core::Outbox::Connect& c : out.connects) {
      std::optional<port::Endpoint> to = port::Endpoint::FromWire(c.address);
      std::optional<port::Endpoint> self = port::Endpoint::FromWire(node_->config().address);
      if (!to.has_value() || (self.has_value() && *to == *self)) {
        ++counters_.connect_bad_address;
        continue;
      }
      OpenLink(*to, c.peer, c.link_type, now_us);
    }
    for (core::LinkId l : out.closes) CloseLink(l, now_us);
    for (core::Outbox::Handoff& h : out.handoffs) {
      ++counters_.handoffs_out;
      CrossCoreMessage m;
      m.type = Type::kNodeMessage;
      m.link = h.link;
      m.bytes = std::move(h.message);
      outgoing_.Post(h.part, std::move(m));
    }
    for (core::Outbox::Result& r : out.results) OnResult(std::move(r));
    out.clear();
    spare_outbox_ = std::move(out);
  }
}

void NodePart::SendOnLink(core::LinkId link, std::vector<uint8_t> bytes, uint64_t) {
  ++counters_.sends_remote;
  CrossCoreMessage m;
  m.type = Type::kSend;
  m.link = link;
  m.bytes = std::move(bytes);
  outgoing_.Post(PartOfLink(link), std::move(m));
}

void NodePart::CloseLink(core::LinkId link, uint64_t) {
  CrossCoreMessage m;
  m.type = Type::kClose;
  m.link = link;
  outgoing_.Post(PartOfLink(link), std::move(m));
}

void NodePart::OpenLink(const port::Endpoint& to, const NodeId& peer, uint8_t link_type, uint64_t) {
  CrossCoreMessage m;
  m.type = Type::kOpen;
  m.endpoint = to;
  m.peer = peer;
  m.link_type = link_type;
  outgoing_.Post(fabric_->control(), std::move(m));  // handshakes run on the slow path
}

void NodePart::OnResult(core::Outbox::Result) { ++counters_.unexpected_results; }

}  // namespace p2psip::runtime

#include "core/chord_topology.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/link_table.h"
#include "p2psip/core/routing_snapshot.h"
#include "p2psip/wire/codec.h"

namespace p2psip::core {

using wire::Destination;
using wire::MessageCode;

namespace {

constexpr uint64_t kRetryMs = 1000;

std::vector<NodeId> ToNodeIds(const absl::InlinedVector<RingId, ChordTable::kMinNeighbors>& v) {
  std::vector<NodeId> out;
  out.reserve(v.size());
  for (RingId r : v) out.push_back(r.ToNodeId());
  return out;
}

std::string RandomHex(Random& rng, int bytes) {
  std::string s;
  for (int i = 0; i < bytes; ++i) s += absl::StrFormat("%02x", rng.Next64() & 0xFF);
  return s;
}

}  // namespace

ChordTopology::ChordTopology(const NodeConfig& config, TopologyHost* host, NodeCounters* counters)
    : config_(config),
      host_(host),
      self_(RingId::Of(config.id)),
      table_(self_, config.chord),
      counters_(counters) {}

absl::Status ChordTopology::Error(wire::ErrorCode code, std::string_view why) const {
  absl::Status s = absl::FailedPreconditionError(std::string(why));
  s.SetPayload("reload-error", absl::Cord(std::to_string(static_cast<int>(code))));
  return s;
}

uint64_t ChordTopology::Jitter(uint64_t interval) {
  // ±10%, so that periodic Updates of many peers do not synchronise.
  const uint64_t spread = interval / 5;
  return interval - interval / 10 + (spread ? host_->random().Uniform(spread) : 0);
}

size_t ChordTopology::MemoryBytes() const {
  return sizeof(*this) + table_.MemoryBytes() - sizeof(table_) +
         ops_.capacity() * (sizeof(uint64_t) + sizeof(Op) + 1) +
         update_on_link_.capacity() * (sizeof(RingId) + 1) +
         awaiting_link_.capacity() * (sizeof(RingId) + sizeof(uint64_t) + 1) +
         attaching_.capacity() * (sizeof(RingId) + sizeof(bool) + 1) +
         ring_links_.capacity() * (sizeof(RingId) + 1) +
         peer_cache_.capacity() * sizeof(wire::IpAddressPort);
}

// --- Routing ---

bool ChordTopology::IsResponsible(RingId id) const {
  if (state_ != State::kJoined) return false;
  return table_.IsResponsible(id);
}

std::optional<RingId> ChordTopology::NextHop(RingId id) const {
  if (state_ == State::kClient) return RingId::Of(admitting_peer_);
  return table_.NextHop(id);
}

// --- Start, join ---

void ChordTopology::Start(uint64_t now_ms, Outbox* out) {
  start_ms_ = now_ms;
  if (config_.first_node && !config_.client) {
    state_ = State::kJoined;  // alone, owning the whole ring (§6.4.2.1 first-node decision)
    ScheduleMaintenance(now_ms);
    return;
  }
  Bootstrap(now_ms, out);
}

void ChordTopology::Bootstrap(uint64_t now_ms, Outbox* out) {
  neighbor_attaches_pending_ = 0;
  ap_update_received_ = false;
  admitting_peer_ = NodeId();
  // Join through any ring peer still linked (after failures), else through a bootstrap node.
  NodeId via;
  for (LinkId l : host_->links().Links()) {
    const NodeId& p = host_->links().Find(l)->peer;
    if (ring_links_.contains(RingId::Of(p)) || p == bootstrap_peer_) {
      via = p;
      break;
    }
  }
  if (via.empty()) {
    // Cached peers first, then the configured bootstrap nodes, one per attempt in turn.
    std::vector<wire::IpAddressPort> targets = peer_cache_;
    for (const auto& b : config_.bootstrap) {
      if (std::find(targets.begin(), targets.end(), b) == targets.end()) targets.push_back(b);
    }
    if (targets.empty()) {
      state_ = State::kIdle;
      retry_ms_ = now_ms + kRetryMs;
      return;
    }
    state_ = State::kBootstrapping;
    bootstrap_address_ = targets[bootstrap_attempt_++ % targets.size()];
    host_->Connect(NodeId(), bootstrap_address_, out);
    retry_ms_ = now_ms + config_.link_wait_ms;
    return;
  }
  if (config_.client && config_.client_through_bootstrap) {
    // RFC 6940 §3.2.1's second way for a client: everything through the peer it reached
    // first, no Attach to the responsible peer (messages addressed to its Node-ID will not
    // reach it; answers do, by symmetric routing).
    admitting_peer_ = via;
    BecomeClient(host_->links().LinkTo(via), out);
    return;
  }
  if (config_.client) {
    state_ = State::kClientAttaching;
    AttachTo(self_, &via, OpKind::kAttachClientPeer, false, now_ms, out);
  } else {
    state_ = State::kAttachingAdmitting;
    AttachTo(self_ + 1, &via, OpKind::kAttachAdmitting, false, now_ms, out);
  }
  retry_ms_ = now_ms + 4 * config_.reliability_timer_ms * 5;
}

void ChordTopology::CachePeer(const wire::IpAddressPort& address) {
  if (address == config_.address) return;
  auto it = std::find(peer_cache_.begin(), peer_cache_.end(), address);
  if (it != peer_cache_.end()) peer_cache_.erase(it);
  peer_cache_.insert(peer_cache_.begin(), address);
  if (peer_cache_.size() > kPeerCacheSize) peer_cache_.pop_back();
}

void ChordTopology::Restart(uint64_t now_ms, const char* /*why*/) {
  state_ = State::kIdle;
  neighbor_attaches_pending_ = 0;
  ap_update_received_ = false;
  attaching_.clear();
  retry_ms_ = now_ms + kRetryMs + host_->random().Uniform(kRetryMs);
}

uint64_t ChordTopology::Send(std::vector<Destination> dests, MessageCode code,
                             const wire::Body& body, OpKind kind, RingId target, uint64_t now_ms,
                             Outbox* out) {
  const uint64_t cookie = next_cookie_++;
  ops_[cookie] = Op{kind, target};
  host_->SendRequest(std::move(dests), static_cast<uint16_t>(code), body, cookie, now_ms, out);
  return cookie;
}

wire::AttachReqAns ChordTopology::OwnAttachBody(std::string_view role) {
  // One host candidate: this node's address. ICE proper (gathering, checks) belongs to the
  // link layer; the core only carries what the link layer says it can be reached at.
  wire::AttachReqAns body;
  body.ufrag = RandomHex(host_->random(), 4);
  body.password = RandomHex(host_->random(), 12);
  body.role.assign(role.begin(), role.end());
  wire::IceCandidate cand;
  cand.addr_port = host_->address();
  cand.overlay_link = wire::kOverlayLinkDtlsUdpSr;
  cand.foundation = "1";
  cand.priority = (126u << 24) | (65535u << 8) | 255u;  // RFC 5245 host, component 1
  cand.type = wire::kCandTypeHost;
  body.candidates.push_back(cand);
  if (config_.tls_address.port != 0) {
    // The passive TLS/TCP candidate (RFC 6940 §6.5.1.1: a TLS/TCP No-ICE candidate set must
    // include one); its priority says which one this node would rather be reached over.
    cand.addr_port = config_.tls_address;
    cand.overlay_link = wire::kOverlayLinkTlsTcpFhNoIce;
    cand.foundation = "2";
    cand.priority = config_.prefer_tls ? cand.priority + 1 : cand.priority - 1;
    body.candidates.push_back(std::move(cand));
  }
  return body;
}

const wire::IceCandidate* ChordTopology::ChooseCandidate(
    std::span<const wire::IceCandidate> candidates) const {
  const wire::IceCandidate* dtls = nullptr;
  const wire::IceCandidate* tls = nullptr;
  for (const wire::IceCandidate& c : candidates) {
    if (c.overlay_link == wire::kOverlayLinkTlsTcpFhNoIce) {
      if (tls == nullptr) tls = &c;
    } else if (c.overlay_link == wire::kOverlayLinkDtlsUdpSr ||
               c.overlay_link == wire::kOverlayLinkDtlsUdpSrNoIce) {
      if (dtls == nullptr) dtls = &c;
    }
  }
  // TLS/TCP only where this node has it too (it can make TCP links) and prefers it, or where
  // the peer offers nothing else.
  const bool can_tls = config_.tls_address.port != 0;
  if (tls != nullptr && can_tls && (config_.prefer_tls || dtls == nullptr)) return tls;
  return dtls;
}

void ChordTopology::AttachTo(RingId target, const NodeId* via, OpKind kind, bool exact_node,
                             uint64_t now_ms, Outbox* out) {
  if (!attaching_.emplace(target, kind == OpKind::kAttachNeighbor).second) return;
  wire::AttachReqAns req = OwnAttachBody(wire::kIceRolePassive);
  req.send_update = true;
  std::vector<Destination> dests;
  if (via != nullptr) dests.push_back(Destination::Node(*via));
  dests.push_back(exact_node ? Destination::Node(target.ToNodeId())
                             : Destination::Resource(target.ToResourceId()));
  Send(std::move(dests), MessageCode::kAttachReq, req, kind, target, now_ms, out);
}

void ChordTopology::MaybeJoin(uint64_t now_ms, Outbox* out) {
  if (state_ != State::kAttachingNeighbors || !ap_update_received_ ||
      neighbor_attaches_pending_ > 0) {
    return;
  }
  state_ = State::kJoining;
  wire::JoinReq join;
  join.joining_peer_id = config_.id;
  Send({Destination::Node(admitting_peer_)}, MessageCode::kJoinReq, join, OpKind::kJoin,
       RingId::Of(admitting_peer_), now_ms, out);
}

void ChordTopology::AttachFingers(uint64_t now_ms, Outbox* out) {
  const auto succ = table_.successor();
  for (int i = 1; i <= table_.finger_count(); ++i) {
    const RingId target = table_.FingerTarget(i);
    // Targets before the successor are served by the successor itself.
    if (succ && InHalfOpen(target, self_, *succ)) continue;
    if (table_.finger(i)) continue;
    AttachTo(target, nullptr, OpKind::kAttachFinger, false, now_ms, out);
  }
}

void ChordTopology::ScheduleMaintenance(uint64_t now_ms) {
  next_update_ms_ = now_ms + Jitter(config_.update_interval_ms);
  next_finger_ms_ = now_ms + Jitter(config_.finger_refresh_ms);
  if (config_.partition_check_ms > 0 && (!config_.bootstrap.empty() || !bootstrap_peer_.empty())) {
    next_partition_ms_ = now_ms + Jitter(config_.partition_check_ms);
  }
}

void ChordTopology::CheckPartition(uint64_t now_ms, Outbox* out) {
  if (!bootstrap_peer_.empty() && host_->links().LinkTo(bootstrap_peer_) != kNoLink) {
    SendPartitionProbe(now_ms, out);
    return;
  }
  // Connect to a bootstrap node (the one we joined through, else the configured ones in turn).
  wire::IpAddressPort target = bootstrap_address_;
  if (bootstrap_peer_.empty() || target == wire::IpAddressPort{}) {
    std::vector<wire::IpAddressPort> others;
    for (const auto& b : config_.bootstrap) {
      if (!(b == config_.address)) others.push_back(b);
    }
    if (others.empty()) return;
    target = others[bootstrap_attempt_++ % others.size()];
    bootstrap_peer_ = NodeId();
  }
  probe_connecting_ = true;
  host_->Connect(bootstrap_peer_, target, out);
}

void ChordTopology::SendPartitionProbe(uint64_t now_ms, Outbox* out) {
  // Our own Node-ID as a Resource-ID, routed by the bootstrap node's ring: we answer it
  // ourselves unless that ring is another one (§10.7.4.4).
  Send({Destination::Node(bootstrap_peer_), Destination::Resource(self_.ToResourceId())},
       MessageCode::kPingReq, wire::PingReq{}, OpKind::kPartitionPing, RingId::Of(bootstrap_peer_),
       now_ms, out);
}

void ChordTopology::BecomeClient(LinkId link, Outbox* out) {
  client_link_ = link;
  state_ = State::kClient;
  retry_ms_ = kNoDeadline;
  // Everything goes through the responsible peer now; the bootstrap link is not needed.
  if (!bootstrap_peer_.empty() && bootstrap_peer_ != admitting_peer_) {
    if (LinkId l = host_->links().LinkTo(bootstrap_peer_); l != kNoLink) host_->CloseLink(l, out);
  }
}

// --- Links ---

void ChordTopology::OnLinkUp(LinkId link, const NodeId& peer, uint64_t now_ms, Outbox* out) {
  const RingId r = RingId::Of(peer);
  awaiting_link_.erase(r);
  if (state_ == State::kBootstrapping) {
    bootstrap_peer_ = peer;
    Bootstrap(now_ms, out);
    return;
  }
  if (state_ == State::kClientAttaching && peer == admitting_peer_) {
    BecomeClient(link, out);
    return;
  }
  if (update_on_link_.erase(r) > 0) SendUpdate(peer, 3, now_ms, out);
  if (probe_connecting_ && state_ == State::kJoined &&
      (peer == bootstrap_peer_ || (bootstrap_peer_.empty() && !ring_links_.contains(r)))) {
    probe_connecting_ = false;
    bootstrap_peer_ = peer;
    SendPartitionProbe(now_ms, out);
  }
}

void ChordTopology::OnLinkDown(LinkId link, const NodeId& peer, uint64_t now_ms, Outbox* out) {
  const RingId r = RingId::Of(peer);
  awaiting_link_.erase(r);
  update_on_link_.erase(r);
  ring_links_.erase(r);
  if (state_ == State::kLeft) return;
  // A peer without a link leaves the routing table whatever happens next: an entry we cannot
  // forward to would swallow every request for its range ("no route").
  bool changed = table_.Remove(r);
  if ((state_ == State::kClient && link == client_link_) ||
      ((state_ == State::kAttachingNeighbors || state_ == State::kJoining ||
        state_ == State::kClientAttaching) &&
       peer == admitting_peer_)) {
    client_link_ = kNoLink;
    Restart(now_ms, "lost the admitting peer");
    return;
  }
  changed |= RefillNeighbors();
  if (state_ != State::kJoined) return;
  if (table_.AllPeers().empty() && !config_.first_node) {
    Restart(now_ms, "lost every ring peer");
    return;
  }
  if (changed && config_.reactive) UpdateNeighbors(now_ms, out);
}

bool ChordTopology::RefillNeighbors() {
  if (table_.predecessors().size() >= table_.options().neighbors &&
      table_.successors().size() >= table_.options().neighbors) {
    return false;
  }
  bool changed = false;
  for (RingId p : ring_links_) {
    if (host_->links().Connected(p)) changed |= table_.AddNeighbor(p);
  }
  return changed;
}

// --- Updates ---

void ChordTopology::SendUpdate(const NodeId& to, uint8_t type, uint64_t now_ms, Outbox* out) {
  if (host_->links().LinkTo(to) == kNoLink) return;
  const uint32_t uptime = static_cast<uint32_t>((now_ms - start_ms_) / 1000);
  wire::ChordUpdate u;
  if (type == wire::kChordUpdateFull) {
    std::vector<RingId> fingers;
    for (int i = 1; i <= table_.finger_count(); ++i) {
      if (auto f = table_.finger(i)) fingers.push_back(*f);
    }
    std::sort(fingers.begin(), fingers.end());
    fingers.erase(std::unique(fingers.begin(), fingers.end()), fingers.end());
    std::vector<NodeId> ids;
    for (RingId f : fingers) ids.push_back(f.ToNodeId());
    u = wire::ChordUpdate::Full(uptime, ToNodeIds(table_.predecessors()),
                                ToNodeIds(table_.successors()), std::move(ids));
  } else {
    u = wire::ChordUpdate::Neighbors(uptime, ToNodeIds(table_.predecessors()),
                                     ToNodeIds(table_.successors()));
  }
  Send({Destination::Node(to)}, MessageCode::kUpdateReq, u, OpKind::kUpdate, RingId::Of(to), now_ms,
       out);
}

void ChordTopology::UpdateNeighbors(uint64_t now_ms, Outbox* out) {
  std::vector<RingId> to(table_.predecessors().begin(), table_.predecessors().end());
  to.insert(to.end(), table_.successors().begin(), table_.successors().end());
  std::sort(to.begin(), to.end());
  to.erase(std::unique(to.begin(), to.end()), to.end());
  for (RingId r : to) SendUpdate(r.ToNodeId(), wire::kChordUpdateNeighbors, now_ms, out);
}

bool ChordTopology::ConsiderAll(std::span<const NodeId> candidates, const NodeId* told_by,
                                uint64_t now_ms, Outbox* out) {
  bool changed = false;
  ChordTable prospective(self_, {table_.options().neighbors, 1});
  for (RingId p : table_.predecessors()) prospective.AddNeighbor(p);
  for (RingId p : table_.successors()) prospective.AddNeighbor(p);
  for (const auto& [target, neighbor] : attaching_) {
    if (neighbor) prospective.AddNeighbor(target);
  }
  for (const NodeId& id : candidates) {
    const RingId c = RingId::Of(id);
    if (c == self_) continue;
    if (host_->links().Connected(c) && ring_links_.contains(c)) {
      table_.OfferFinger(c);
      changed |= table_.AddNeighbor(c);
    }
    prospective.AddNeighbor(c);
  }
  auto attach = [&](RingId c) {
    if ((host_->links().Connected(c) && ring_links_.contains(c)) || attaching_.contains(c) ||
        awaiting_link_.contains(c)) {
      return;
    }
    AttachTo(c, told_by, OpKind::kAttachNeighbor, true, now_ms, out);
    if (state_ == State::kAttachingAdmitting || state_ == State::kAttachingNeighbors) {
      ++neighbor_attaches_pending_;
    }
  };
  for (RingId c : prospective.predecessors()) attach(c);
  for (RingId c : prospective.successors()) attach(c);
  return changed;
}

absl::Status ChordTopology::HandleUpdate(const InboundRequest& r, wire::Body* answer, Outbox* out) {
  *answer = wire::UpdateAns{};
  const auto* u = std::get_if<wire::ChordUpdate>(r.body);
  if (u == nullptr) return Error(wire::ErrorCode::kInvalidMessage, "not a ChordUpdate");
  const RingId from = RingId::Of(r.origin);
  if (config_.client || host_->links().LinkTo(r.origin) == kNoLink || from == self_) {
    return absl::OkStatus();  // Updates come from directly linked ring peers only
  }
  ring_links_.insert(from);
  table_.OfferFinger(from);
  bool changed = table_.AddNeighbor(from);
  bool lists_me = false;
  std::vector<NodeId> candidates;
  for (const auto* list : {&u->predecessors, &u->successors, &u->fingers}) {
    for (const NodeId& id : *list) {
      lists_me |= RingId::Of(id) == self_;
      candidates.push_back(id);
    }
  }
  changed |= ConsiderAll(candidates, &r.origin, r.now_ms, out);
  if (state_ == State::kAttachingNeighbors && r.origin == admitting_peer_ && !ap_update_received_) {
    ap_update_received_ = true;
    AttachFingers(r.now_ms, out);
  }
  MaybeJoin(r.now_ms, out);
  if (state_ == State::kJoined) {
    if (changed && config_.reactive) {
      UpdateNeighbors(r.now_ms, out);
    } else if (lists_me && !table_.IsNeighbor(from)) {
      // The sender counts us as a neighbour but we know closer peers: tell it.
      SendUpdate(r.origin, wire::kChordUpdateNeighbors, r.now_ms, out);
    }
  }
  return absl::OkStatus();
}

// --- Requests ---

absl::Status ChordTopology::HandleAttach(const InboundRequest& r, wire::Body* answer, Outbox* out) {
  const auto* req = std::get_if<wire::AttachReqAns>(r.body);
  if (req == nullptr) return Error(wire::ErrorCode::kInvalidMessage, "not an Attach");
  wire::AttachReqAns ans = OwnAttachBody(wire::kIceRoleActive);
  *answer = std::move(ans);
  if (r.origin == config_.id) return absl::OkStatus();
  if (host_->links().LinkTo(r.origin) != kNoLink) {
    if (req->send_update && state_ == State::kJoined) {
      SendUpdate(r.origin, wire::kChordUpdateFull, r.now_ms, out);
    }
    return absl::OkStatus();
  }
  if (req->candidates.empty()) {
    return Error(wire::ErrorCode::kInvalidMessage, "Attach without candidates");
  }
  if (req->send_update && state_ == State::kJoined) update_on_link_.insert(RingId::Of(r.origin));
  const wire::IceCandidate* cand = ChooseCandidate(req->candidates);
  if (cand == nullptr) {
    return Error(wire::ErrorCode::kInvalidMessage, "Attach without a candidate this node can use");
  }
  host_->Connect(r.origin, cand->addr_port, out, cand->overlay_link);
  if (req->send_update && cand->overlay_link != wire::kOverlayLinkTlsTcpFhNoIce) {
    CachePeer(cand->addr_port);  // a ring peer, not a client; the cache is for DTLS bootstraps
  }
  return absl::OkStatus();
}

absl::Status ChordTopology::HandleJoin(const InboundRequest& r, wire::Body* answer, Outbox* out) {
  const auto* req = std::get_if<wire::JoinReq>(r.body);
  if (req == nullptr) return Error(wire::ErrorCode::kInvalidMessage, "not a Join");
  const LinkTable::Link* link = host_->links().Find(r.link);
  if (req->joining_peer_id != r.origin || link == nullptr || link->peer != r.origin) {
    return Error(wire::ErrorCode::kForbidden, "Join must come from the joining peer's own link");
  }
  if (state_ != State::kJoined) return Error(wire::ErrorCode::kForbidden, "not in the ring");
  const RingId jn = RingId::Of(r.origin);
  ring_links_.insert(jn);
  table_.OfferFinger(jn);
  table_.AddNeighbor(jn);
  *answer = wire::JoinAns{};
  UpdateNeighbors(r.now_ms, out);  // §10.5 steps 7-8: the JN and every neighbour
  return absl::OkStatus();
}

absl::Status ChordTopology::HandleLeave(const InboundRequest& r, wire::Body* answer, Outbox* out) {
  const auto* req = std::get_if<wire::LeaveReq>(r.body);
  if (req == nullptr) return Error(wire::ErrorCode::kInvalidMessage, "not a Leave");
  if (req->leaving_peer_id != r.origin) {
    return Error(wire::ErrorCode::kForbidden, "Leave must come from the leaving peer");
  }
  *answer = wire::LeaveAns{};
  const RingId gone = RingId::Of(r.origin);
  ring_links_.erase(gone);
  bool changed = table_.Remove(gone);
  auto data = wire::DecodeAs<wire::ChordLeaveData>(req->overlay_specific_data);
  if (data.ok()) {
    std::vector<NodeId> candidates = data->successors;
    candidates.insert(candidates.end(), data->predecessors.begin(), data->predecessors.end());
    changed |= ConsiderAll(candidates, nullptr, r.now_ms, out);
  }
  changed |= RefillNeighbors();
  if (changed && state_ == State::kJoined && config_.reactive) UpdateNeighbors(r.now_ms, out);
  return absl::OkStatus();
}

absl::Status ChordTopology::HandleRequest(const InboundRequest& r, wire::Body* answer,
                                          Outbox* out) {
  switch (static_cast<MessageCode>(r.code)) {
    case MessageCode::kAttachReq:
      return HandleAttach(r, answer, out);
    case MessageCode::kJoinReq:
      return HandleJoin(r, answer, out);
    case MessageCode::kUpdateReq:
      return HandleUpdate(r, answer, out);
    case MessageCode::kLeaveReq:
      return HandleLeave(r, answer, out);
    case MessageCode::kRouteQueryReq: {
      const auto* q = std::get_if<wire::RouteQueryReq>(r.body);
      if (q == nullptr) return Error(wire::ErrorCode::kInvalidMessage, "not a RouteQuery");
      const RingId target = q->destination.type == wire::DestinationType::kNode
                                ? RingId::Of(q->destination.node_id())
                                : RingId::FromBytes(q->destination.data);
      RingId next = self_;
      if (!IsResponsible(target)) {
        if (auto hop = NextHop(target)) next = *hop;
      }
      *answer = wire::ChordRouteQueryAns{next.ToNodeId()};
      if (q->send_update) SendUpdate(r.origin, wire::kChordUpdateFull, r.now_ms, out);
      return absl::OkStatus();
    }
    case MessageCode::kProbeReq: {
      const auto* q = std::get_if<wire::ProbeReq>(r.body);
      if (q == nullptr) return Error(wire::ErrorCode::kInvalidMessage, "not a Probe");
      wire::ProbeAns ans;
      for (uint8_t type : q->requested_info) {
        wire::ProbeInformation info;
        info.type = type;
        if (type == wire::kProbeResponsibleSet) {
          const auto pred = table_.predecessor();
          const double fraction =
              pred ? static_cast<double>(Distance(*pred, self_)) / 3.402823669209385e38 : 1.0;
          info.value = static_cast<uint32_t>(fraction * 1e9);
        } else if (type == wire::kProbeNumResources) {
          info.value = 0;  // no storage on this node yet
        } else if (type == wire::kProbeUptime) {
          info.value = static_cast<uint32_t>((r.now_ms - start_ms_) / 1000);
        } else {
          continue;  // only requested and known types, in request order
        }
        ans.probe_info.push_back(info);
      }
      *answer = std::move(ans);
      return absl::OkStatus();
    }
    default:
      return Error(wire::ErrorCode::kForbidden, "not a topology request");
  }
}

void ChordTopology::OnAnswer(const InboundAnswer& a, Outbox* out) {
  auto it = ops_.find(a.cookie);
  if (it == ops_.end()) return;
  const Op op = it->second;
  ops_.erase(it);
  switch (op.kind) {
    case OpKind::kAttachAdmitting:
    case OpKind::kAttachNeighbor:
    case OpKind::kAttachFinger:
    case OpKind::kAttachClientPeer: {
      attaching_.erase(op.target);
      const bool ok = a.status.ok() && !a.responder.empty() && a.responder != config_.id;
      if (ok) {
        if (const auto* ans = std::get_if<wire::AttachReqAns>(a.body); ans != nullptr) {
          for (const wire::IceCandidate& c : ans->candidates) {
            if (c.overlay_link != wire::kOverlayLinkTlsTcpFhNoIce) {
              CachePeer(c.addr_port);
              break;
            }
          }
        }
      }
      if (ok && !host_->links().Connected(RingId::Of(a.responder))) {
        awaiting_link_[RingId::Of(a.responder)] = a.now_ms + config_.link_wait_ms;
      }
      if (op.kind == OpKind::kAttachAdmitting && state_ == State::kAttachingAdmitting) {
        if (!ok) {
          Restart(a.now_ms, "Attach to the admitting peer failed");
          return;
        }
        admitting_peer_ = a.responder;
        state_ = State::kAttachingNeighbors;
        retry_ms_ = a.now_ms + 4 * config_.link_wait_ms;
        // AP's Update may have overtaken its AttachAns (links reorder): then go on now.
        if (ring_links_.contains(RingId::Of(admitting_peer_))) {
          ap_update_received_ = true;
          AttachFingers(a.now_ms, out);
          MaybeJoin(a.now_ms, out);
        }
      } else if (op.kind == OpKind::kAttachClientPeer && state_ == State::kClientAttaching) {
        if (!ok) {
          Restart(a.now_ms, "Attach to the responsible peer failed");
          return;
        }
        admitting_peer_ = a.responder;
        if (LinkId l = host_->links().LinkTo(a.responder); l != kNoLink) BecomeClient(l, out);
      } else if (op.kind == OpKind::kAttachNeighbor &&
                 (state_ == State::kAttachingAdmitting || state_ == State::kAttachingNeighbors)) {
        --neighbor_attaches_pending_;
        MaybeJoin(a.now_ms, out);
      }
      return;
    }
    case OpKind::kJoin:
      if (state_ != State::kJoining) return;
      if (!a.status.ok()) {
        Restart(a.now_ms, "Join failed");
        return;
      }
      state_ = State::kJoined;
      retry_ms_ = kNoDeadline;
      UpdateNeighbors(a.now_ms, out);  // §10.5 step 9
      ScheduleMaintenance(a.now_ms);
      // The bootstrap link served its purpose; keeping it would leave every bootstrap node
      // with a link to every node that ever joined.
      if (!bootstrap_peer_.empty() && !table_.Contains(RingId::Of(bootstrap_peer_))) {
        if (LinkId l = host_->links().LinkTo(bootstrap_peer_); l != kNoLink) {
          host_->CloseLink(l, out);
        }
      }
      return;
    case OpKind::kPartitionPing: {
      const bool other_ring = a.status.ok() && !a.responder.empty() && a.responder != config_.id;
      if (other_ring && state_ == State::kJoined) {
        // Another ring answered for our own Node-ID: attach to that peer through the bootstrap
        // node; its Update and ours then zip the two rings together.
        ++counters_->partitions_detected;
        AttachTo(RingId::Of(a.responder), &bootstrap_peer_, OpKind::kAttachNeighbor, true, a.now_ms,
                 out);
      } else if (!table_.Contains(RingId::Of(bootstrap_peer_))) {
        if (LinkId l = host_->links().LinkTo(bootstrap_peer_); l != kNoLink) {
          host_->CloseLink(l, out);
        }
      }
      return;
    }
    case OpKind::kUpdate:
      // A neighbour that answers none of the transmissions of an Update (15 s) has failed,
      // whatever its link layer says: a link with no traffic the other way may not notice for
      // long. Closing the link takes it out of the table as a link failure does (§10.7.4.1).
      if (a.status.code() == absl::StatusCode::kDeadlineExceeded) {
        if (LinkId l = host_->links().LinkTo(op.target.ToNodeId()); l != kNoLink) {
          host_->CloseLink(l, out);
        }
      }
      return;
    case OpKind::kLeave:
      return;
  }
}

// --- Timers ---

uint64_t ChordTopology::NextDeadline() const {
  uint64_t d = std::min({next_update_ms_, next_finger_ms_, next_partition_ms_, retry_ms_});
  for (const auto& [peer, deadline] : awaiting_link_) d = std::min(d, deadline);
  return d;
}

void ChordTopology::OnTimer(uint64_t now_ms, Outbox* out) {
  for (auto it = awaiting_link_.begin(); it != awaiting_link_.end();) {
    if (it->second <= now_ms) {
      awaiting_link_.erase(it++);
    } else {
      ++it;
    }
  }
  if (retry_ms_ <= now_ms) {
    retry_ms_ = kNoDeadline;
    if (state_ != State::kJoined && state_ != State::kClient && state_ != State::kLeft) {
      Bootstrap(now_ms, out);
    }
  }
  if (state_ != State::kJoined) return;
  if (next_update_ms_ <= now_ms) {
    UpdateNeighbors(now_ms, out);
    next_update_ms_ = now_ms + Jitter(config_.update_interval_ms);
    // Hash tables keep the capacity of the join burst; give it back when idle.
    if (ops_.empty() && ops_.capacity() > 16) ops_ = {};
    if (attaching_.empty() && attaching_.capacity() > 16) attaching_ = {};
    if (awaiting_link_.empty() && awaiting_link_.capacity() > 16) awaiting_link_ = {};
  }
  if (next_finger_ms_ <= now_ms) {
    AttachFingers(now_ms, out);
    next_finger_ms_ = now_ms + Jitter(config_.finger_refresh_ms);
  }
  if (next_partition_ms_ <= now_ms) {
    CheckPartition(now_ms, out);
    next_partition_ms_ = now_ms + Jitter(config_.partition_check_ms);
  }
}

void ChordTopology::Leave(uint64_t now_ms, Outbox* out) {
  if (state_ != State::kJoined) {
    state_ = State::kLeft;
    return;
  }
  const std::vector<NodeId> succs = ToNodeIds(table_.successors());
  const std::vector<NodeId> preds = ToNodeIds(table_.predecessors());
  // Predecessors hear "from your successor" with our successors, and the other way round.
  for (RingId p : table_.predecessors()) {
    wire::LeaveReq req{config_.id, *wire::EncodeToBytes(wire::ChordLeaveData::FromSucc(succs))};
    Send({Destination::Node(p.ToNodeId())}, MessageCode::kLeaveReq, req, OpKind::kLeave, p, now_ms,
         out);
  }
  for (RingId s : table_.successors()) {
    if (std::find(table_.predecessors().begin(), table_.predecessors().end(), s) !=
        table_.predecessors().end()) {
      continue;
    }
    wire::LeaveReq req{config_.id, *wire::EncodeToBytes(wire::ChordLeaveData::FromPred(preds))};
    Send({Destination::Node(s.ToNodeId())}, MessageCode::kLeaveReq, req, OpKind::kLeave, s, now_ms,
         out);
  }
  state_ = State::kLeft;
  next_update_ms_ = next_finger_ms_ = next_partition_ms_ = retry_ms_ = kNoDeadline;
}

bool ChordTopology::FillSnapshot(RoutingSnapshot* s) const {
  s->table = table_;
  s->joined = joined();
  s->in_ring = state_ == State::kJoined;
  s->client = state_ == State::kClient || state_ == State::kClientAttaching;
  s->attached = state_ == State::kClient;
  s->client_peer = RingId::Of(admitting_peer_);
  s->neighbors_version = neighbors_version();
  return true;
}

std::span<const RingId> ChordTopology::predecessors() const {
  if (state_ == State::kClient || state_ == State::kClientAttaching) return {};
  return table_.predecessors();
}

std::span<const RingId> ChordTopology::successors() const {
  if (state_ == State::kClient || state_ == State::kClientAttaching) return {};
  return table_.successors();
}

}  // namespace p2psip::core

#include "p2psip/runtime/link_manager.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "p2psip/wire/fragmentation.h"

namespace p2psip::runtime {
namespace {

constexpr uint8_t kContentHandshake = 22;
constexpr uint8_t kClientHello = 1;
constexpr size_t kRecordHeader = 13;  // type, version(2), epoch(2), sequence(6), length(2)

}  // namespace

bool EndpointLess(const port::Endpoint& a, const port::Endpoint& b) {
  return std::tie(a.family, a.address, a.port) < std::tie(b.family, b.address, b.port);
}

bool LooksLikeClientHello(std::span<const uint8_t> d) {
  return d.size() > kRecordHeader && d[0] == kContentHandshake && d[1] == 0xFE &&
         (d[2] == 0xFD || d[2] == 0xFF) && d[3] == 0 && d[4] == 0 &&
         d[kRecordHeader] == kClientHello;
}

core::LinkId LinkManager::Create(const port::Endpoint& remote, link::SecureRole role,
                                 std::optional<NodeId> expected, uint64_t now_us) {
  if (links_.size() >= options_.max_links || handshaking_ >= options_.max_handshaking) {
    ++counters_.refused_full;
    return core::kNoLink;
  }
  absl::StatusOr<std::unique_ptr<link::OverlayLink>> link =
      link::OverlayLink::Create(options_.context, role, expected, options_.framing, now_us);
  if (!link.ok()) {
    ++counters_.handshake_failures;
    return core::kNoLink;
  }
  const uint32_t stride = std::max<uint32_t>(options_.id_stride, 1);
  core::LinkId id = core::kNoLink;
  do {  // skips 0 (kNoLink) and ids still in use after the sequence wrapped
    const uint32_t offset =
        options_.id_offset_of ? options_.id_offset_of(remote) : options_.id_offset;
    id = next_seq_++ * stride + offset;
    if (next_seq_ > UINT32_MAX / stride) next_seq_ = 1;
  } while (id == core::kNoLink || links_.contains(id));
  links_[id] =
      Entry{remote, *std::move(link), role == link::SecureRole::kClient, false, now_us, expected};
  by_remote_[remote] = id;
  ++handshaking_;
  return id;
}

core::LinkId LinkManager::Open(const port::Endpoint& to, std::optional<NodeId> expected,
                               uint64_t now_us, LinkEvents* events) {
  if (auto it = by_remote_.find(to); it != by_remote_.end()) {
    Entry& e = links_.at(it->second);
    if (e.reported_up) events->ups.push_back({it->second, e.link->PeerNodeIds().front()});
    return it->second;
  }
  const core::LinkId id = Create(to, link::SecureRole::kClient, std::move(expected), now_us);
  if (id != core::kNoLink) ++counters_.opened;
  return id;
}

void LinkManager::OnDatagram(const port::Endpoint& from, std::span<const uint8_t> bytes,
                             uint64_t now_us, LinkEvents* events) {
  ++counters_.datagrams_in;
  core::LinkId id = core::kNoLink;
  if (auto it = by_remote_.find(from); it != by_remote_.end()) {
    id = it->second;
    Entry& mine = links_.at(id);
    if (options_.accept_inbound && mine.opened_here && !mine.reported_up &&
        LooksLikeClientHello(bytes)) {
      // Both ends opened a link to each other at once, and DTLS has no simultaneous open: the
      // end with the lower endpoint keeps its ClientHello, the other answers as the server.
      // Both decide the same way, so exactly one handshake goes on.
      if (EndpointLess(options_.local, from)) {
        ++counters_.glare_kept;
        return;
      }
      ++counters_.glare_yielded;
      std::optional<NodeId> expected = mine.expected;
      if (!mine.reported_up) --handshaking_;
      by_remote_.erase(it);
      links_.erase(id);
      id = Create(from, link::SecureRole::kServer, std::move(expected), now_us);
      if (id == core::kNoLink) return;
      ++counters_.accepted;
    }
  } else {
    if (!options_.accept_inbound || !LooksLikeClientHello(bytes)) {
      ++counters_.not_dtls;
      return;
    }
    id = Create(from, link::SecureRole::kServer, std::nullopt, now_us);
    if (id == core::kNoLink) return;
    ++counters_.accepted;
  }
  Entry& e = links_.at(id);
  std::vector<std::vector<uint8_t>>& messages = received_;
  messages.clear();
  // DTLS drops bad records without failing (RFC 6347 §4.1.2.7) and its session counts them;
  // a datagram the session refuses outright (it has failed, a TLS error) counts once.
  const uint64_t dropped_before = e.link->session().counters().bad_records_dropped;
  const bool received = e.link->OnReceive(bytes, now_us, &messages).ok();
  const uint64_t dropped = e.link->session().counters().bad_records_dropped - dropped_before;
  counters_.bad_records += dropped > 0 ? dropped : (received ? 0 : 1);
  // Up before the messages it carried: the core must know the link before its first message.
  Check(id, e, now_us, events);
  counters_.messages_in += messages.size();
  for (std::vector<uint8_t>& m : messages) events->messages.push_back({id, std::move(m)});
}

core::LinkId LinkManager::Accept(const port::Endpoint& from, uint64_t now_us) {
  if (!options_.accept_inbound || by_remote_.contains(from)) return core::kNoLink;
  const core::LinkId id = Create(from, link::SecureRole::kServer, std::nullopt, now_us);
  if (id != core::kNoLink) ++counters_.accepted;
  return id;
}

void LinkManager::Fail(core::LinkId id, absl::Status why, LinkEvents* events) {
  auto it = links_.find(id);
  if (it == links_.end()) return;
  if (it->second.reported_up) {
    ++counters_.failed;
  } else {
    ++counters_.handshake_failures;
  }
  Remove(id, it->second.reported_up, std::move(why), events);
}

void LinkManager::Send(core::LinkId id, std::span<const uint8_t> message, uint64_t now_us) {
  auto it = links_.find(id);
  if (it == links_.end()) {
    ++counters_.send_no_link;
    return;
  }
  if (options_.fragment_mtu != 0 && options_.framing.mode == link::LinkMode::kDatagram &&
      message.size() + wire::kFragmentViaAllowance > options_.fragment_mtu) {
    // §6.7: fragments of at most fragment_mtu - 32 bytes. One that cannot carry 256 bytes of
    // body (a huge forwarding header) is not possible: the message goes whole (IP fragments).
    absl::StatusOr<std::vector<std::vector<uint8_t>>> fragments =
        wire::FragmentMessage(message, options_.fragment_mtu);
    if (fragments.ok() && fragments->size() > 1) {
      for (const std::vector<uint8_t>& f : *fragments) {
        if (it->second.link->Send(f, now_us) != link::SendResult::kQueued) {
          ++counters_.send_refused;  // the rest would not reassemble: stop here
          return;
        }
        ++counters_.fragments_out;
      }
      ++counters_.fragmented;
      ++counters_.messages_out;
      return;
    }
  }
  if (it->second.link->Send(message, now_us) != link::SendResult::kQueued) {
    ++counters_.send_refused;
    return;
  }
  ++counters_.messages_out;
}

void LinkManager::Close(core::LinkId id, LinkEvents* events) {
  auto it = links_.find(id);
  if (it == links_.end()) return;
  it->second.link->Close();
  // The close_notify goes out with the next TakeOutput; the entry goes now.
  std::vector<std::vector<uint8_t>> last = it->second.link->TakeOutput();
  for (std::vector<uint8_t>& d : last) closing_.push_back({it->second.remote, std::move(d)});
  ++counters_.closed;
  Remove(id, it->second.reported_up, absl::CancelledError("closed by this node"), events);
}

void LinkManager::Check(core::LinkId id, Entry& e, uint64_t now_us, LinkEvents* events) {
  link::LinkEvent event;
  bool framing_failed = false;
  while (e.link->PollEvent(&event)) {
    framing_failed |= event.type == link::LinkEvent::Type::kFailed;
  }
  const link::OverlayLink::State state = e.link->state();
  if (state == link::OverlayLink::State::kFailed || state == link::OverlayLink::State::kClosed ||
      framing_failed) {
    absl::Status why = e.link->status();
    const bool peer_closed = why.ok() && state == link::OverlayLink::State::kClosed;
    if (peer_closed) {
      ++counters_.closed_by_peer;
      why = absl::UnavailableError("closed by the peer");
    } else if (e.reported_up) {
      ++counters_.failed;
    } else {
      ++counters_.handshake_failures;
    }
    if (why.ok()) why = absl::UnavailableError("the peer stopped acknowledging");
    // A failed session's fatal alert (an untrusted certificate, say) still goes out, so that the
    // peer learns at once why instead of retransmitting its flight until its own timeout.
    if (state == link::OverlayLink::State::kFailed) {
      for (std::vector<uint8_t>& d : e.link->TakeOutput()) {
        closing_.push_back({e.remote, std::move(d)});
      }
    }
    Remove(id, e.reported_up, std::move(why), events);
    return;
  }
  if (!e.reported_up && state == link::OverlayLink::State::kUp) {
    e.reported_up = true;
    --handshaking_;
    ++counters_.up;
    events->ups.push_back({id, e.link->PeerNodeIds().front()});
    return;
  }
  if (!e.reported_up && now_us >= e.created_us + options_.handshake_timeout_us) {
    ++counters_.handshake_timeouts;
    Remove(id, false, absl::DeadlineExceededError("handshake did not complete"), events);
  }
}

void LinkManager::Remove(core::LinkId id, bool was_up, absl::Status why, LinkEvents* events) {
  auto it = links_.find(id);
  if (it == links_.end()) return;
  if (!it->second.reported_up) --handshaking_;
  if (auto r = by_remote_.find(it->second.remote); r != by_remote_.end() && r->second == id) {
    by_remote_.erase(r);
  }
  const port::Endpoint remote = it->second.remote;
  links_.erase(it);
  events->downs.push_back({id, was_up, std::move(why), remote});
}

port::Endpoint LinkManager::RemoteOf(core::LinkId link) const {
  auto it = links_.find(link);
  return it == links_.end() ? port::Endpoint{} : it->second.remote;
}

bool LinkManager::MayOpen(std::span<const uint8_t> datagram) {
  ++counters_.datagrams_in;
  if (options_.accept_inbound && LooksLikeClientHello(datagram)) return true;
  ++counters_.not_dtls;
  return false;
}

std::unique_ptr<AdoptedLink> LinkManager::Release(core::LinkId id) {
  auto it = links_.find(id);
  if (it == links_.end() || !it->second.reported_up) return nullptr;
  auto out = std::make_unique<AdoptedLink>();
  out->id = id;
  out->remote = it->second.remote;
  out->opened_here = it->second.opened_here;
  out->created_us = it->second.created_us;
  out->peer = it->second.link->PeerNodeIds().front();
  out->link = std::move(it->second.link);
  if (auto r = by_remote_.find(out->remote); r != by_remote_.end() && r->second == id) {
    by_remote_.erase(r);
  }
  links_.erase(it);
  ++counters_.released;
  return out;
}

void LinkManager::Adopt(AdoptedLink a, LinkEvents* events) {
  if (a.link == nullptr || a.id == core::kNoLink || links_.contains(a.id)) return;
  if (auto old = by_remote_.find(a.remote); old != by_remote_.end()) {
    Close(old->second, events);
  }
  const core::LinkId id = a.id;
  links_[id] =
      Entry{a.remote, std::move(a.link), a.opened_here, /*reported_up=*/true, a.created_us};
  by_remote_[a.remote] = id;
  ++counters_.adopted;
  events->ups.push_back({id, a.peer});
  counters_.messages_in += a.messages.size();
  for (std::vector<uint8_t>& m : a.messages) events->messages.push_back({id, std::move(m)});
}

void LinkManager::OnTimer(uint64_t now_us, LinkEvents* events) {
  std::vector<core::LinkId> due;
  for (const auto& [id, e] : links_) {
    if (e.link->NextDeadline(now_us) <= now_us ||
        (!e.reported_up && now_us >= e.created_us + options_.handshake_timeout_us)) {
      due.push_back(id);
    }
  }
  for (core::LinkId id : due) {
    auto it = links_.find(id);
    if (it == links_.end()) continue;
    it->second.link->OnTimer(now_us);
    Check(id, it->second, now_us, events);
  }
}

uint64_t LinkManager::NextDeadline(uint64_t now_us) const {
  uint64_t next = UINT64_MAX;
  for (const auto& [id, e] : links_) {
    next = std::min(next, e.link->NextDeadline(now_us));
    if (!e.reported_up) next = std::min(next, e.created_us + options_.handshake_timeout_us);
  }
  return next;
}

void LinkManager::TakeOutput(std::vector<OutDatagram>* out) {
  for (OutDatagram& d : closing_) out->push_back(std::move(d));
  closing_.clear();
  for (auto& [id, e] : links_) {
    datagrams_.clear();
    e.link->TakeOutput(&datagrams_);
    for (std::vector<uint8_t>& d : datagrams_) out->push_back({e.remote, std::move(d)});
  }
}

std::vector<LinkInfo> LinkManager::Links() const {
  std::vector<LinkInfo> out;
  out.reserve(links_.size());
  for (const auto& [id, e] : links_) {
    const link::FramedLink& framing = e.link->framing();
    const link::RtoEstimator& rto = framing.sender().rto();
    out.push_back({id, e.remote, e.reported_up, e.opened_here,
                   e.reported_up ? e.link->PeerNodeIds().front() : NodeId(),
                   e.reported_up ? std::string(e.link->session().CipherSuite()) : std::string(),
                   e.created_us, framing.counters(), framing.sender().counters(), rto.rto_us(),
                   rto.has_sample() ? rto.srtt_us() : 0.0});
  }
  std::sort(out.begin(), out.end(),
            [](const LinkInfo& a, const LinkInfo& b) { return a.id < b.id; });
  return out;
}

}  // namespace p2psip::runtime

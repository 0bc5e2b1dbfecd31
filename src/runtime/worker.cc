#include "p2psip/runtime/worker.h"

#include <poll.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "p2psip/buffer_pool.h"
#include "p2psip/port/flow_steering.h"
#include "spdlog/spdlog.h"

namespace p2psip::runtime {

using Type = CrossCoreMessage::Type;

namespace {

core::TopologyFactory SnapshotTopologyFactory() {
  return [](const core::NodeConfig&, core::TopologyHost*, core::NodeCounters*) {
    return std::make_unique<core::SnapshotTopology>();
  };
}

LinkManagerOptions Numbered(LinkManagerOptions links, uint32_t index) {
  links.id_stride = kLinkIdStride;
  links.id_offset = index;
  return links;
}

}  // namespace

Worker::Worker(Fabric* fabric, uint32_t index, std::unique_ptr<port::Port> port,
               LinkManagerOptions links, core::NodeConfig config,
               std::unique_ptr<core::Signer> signer, std::unique_ptr<core::Random> random,
               const Clock* clock, QsbrDomain* qsbr,
               const RcuPublisher<core::RoutingSnapshot>* routing, WorkerOptions options)
    : NodePart(fabric, index, std::move(config), std::move(signer), std::move(random),
               SnapshotTopologyFactory(), clock),
      port_(std::move(port)),
      accept_inbound_(links.accept_inbound),
      links_(Numbered(std::move(links), index)),
      qsbr_(qsbr),
      routing_(routing),
      options_(options),
      rx_(std::max<size_t>(options.burst, 1)) {
  topology_ = dynamic_cast<core::SnapshotTopology*>(topology_made_);
}

Worker::~Worker() = default;

void Worker::Run(const std::atomic<bool>& stop) {
  qsbr_->Online(index_);
  while (!stop.load(std::memory_order_acquire)) Turn(200);
  qsbr_->Offline(index_);
}

void Worker::Turn(int max_wait_ms) {
  ++counters_.turns;
  uint64_t now_us = clock_->NowUs();
  const uint64_t turn_start_us = now_us;
  const uint64_t bursts_before = counters_.rx_bursts;
  TakeSnapshot(now_us);
  const size_t drained = DrainRings(options_.max_ring_messages_per_turn, now_us);
  now_us = Receive(now_us);
  links_.OnTimer(now_us, &events_);
  if (const uint64_t now_ms = now_us / 1000; now_ms != node_timers_checked_ms_) {
    node_timers_checked_ms_ = now_ms;
    if (node_->NextDeadline() <= now_ms) node_->OnTimer(now_ms, &outbox_);
  }
  Settle(now_us);
  if (handing_off_ && (node_->pending_requests() == 0 || now_us >= handoff_until_us_)) {
    handing_off_ = false;
    CrossCoreMessage done;
    done.type = Type::kHandOffDone;
    outgoing_.Post(fabric_->control(), std::move(done));
  }
  NoteDrops();
  MaybeReport(now_us);
  outgoing_.Flush();
  // Nothing of the snapshot is held past here: the control part may free older ones.
  qsbr_->Quiescent(index_);
  if (drained > 0 || counters_.rx_bursts != bursts_before) {
    counters_.busy_us += clock_->NowUs() - turn_start_us;
  }
  Sleep(max_wait_ms, now_us);
}

void Worker::TakeSnapshot(uint64_t now_us) {
  Snapshot<core::RoutingSnapshot> snap = routing_->Load();
  topology_->set_snapshot(snap.get());
  if (snap && snap->version != snapshot_version_) {
    snapshot_version_ = snap->version;
    ++counters_.snapshots;
    node_->OnTopologyChange(now_us / 1000);
  }
}

uint64_t Worker::Receive(uint64_t now_us) {
  // Until the port is empty, bounded so that a flood cannot starve the rings and timers.
  for (int round = 0; round < 16; ++round) {
    const size_t n = port_->RxBurst(rx_);
    if (n == 0) break;
    ++counters_.rx_bursts;
    now_us = clock_->NowUs();
    for (size_t i = 0; i < n; ++i) {
      const uint32_t owner = port::FlowOwner(rx_[i].from, fabric_->workers());
      if (owner != index_) {
        ++counters_.steered_away;
        CrossCoreMessage m;
        m.type = Type::kDatagram;
        m.endpoint = rx_[i].from;
        m.bytes.assign(rx_[i].data.begin(), rx_[i].data.end());
        outgoing_.Post(owner, std::move(m));
        continue;
      }
      OnOwnedDatagram(rx_[i].from, rx_[i].data, now_us);
    }
    Settle(now_us);
    if (n < rx_.size()) break;
  }
  return now_us;
}

void Worker::OnOwnedDatagram(const port::Endpoint& from, std::span<const uint8_t> data,
                             uint64_t now_us) {
  constexpr uint8_t kApplicationData = 23;  // DTLS content type
  const bool handshaking = at_control_.contains(from);
  if (handshaking && links_.Knows(from) && !data.empty() && data[0] == kApplicationData) {
    // A new handshake with the peer of an up link is running (see below): its records go to
    // the slow path, the old session's data still to the old link, so that a spoofed
    // ClientHello does not starve a live link while its handshake times out.
    links_.OnDatagram(from, data, now_us, &events_);
    return;
  }
  if (!handshaking && links_.Knows(from)) {
    if (!(accept_inbound_ && LooksLikeClientHello(data))) {
      links_.OnDatagram(from, data, now_us, &events_);
      return;
    }
    // A new ClientHello from the peer of an up link: it restarted (same address and port).
    // The old link stays until the new handshake has authenticated the peer (a spoofed
    // ClientHello cannot take it down); adopting the new link then replaces it.
    ++counters_.rehandshakes;
    at_control_.insert(from);
  } else if (!handshaking) {
    if (!links_.MayOpen(data)) return;  // not a ClientHello: counted as not_dtls
    if (at_control_.size() >= kMaxHandshakesAtControl) {
      ++counters_.handshakes_refused;
      return;
    }
    at_control_.insert(from);
  }
  ++counters_.handshake_datagrams;
  CrossCoreMessage m;
  m.type = Type::kDatagram;
  m.endpoint = from;
  m.bytes.assign(data.begin(), data.end());
  outgoing_.Post(fabric_->control(), std::move(m));
}

void Worker::Handle(CrossCoreMessage& m, uint64_t now_us) {
  switch (m.type) {
    case Type::kDatagram:
      ++counters_.steered_in;
      OnOwnedDatagram(m.endpoint, m.bytes, now_us);
      ApplyLinkEvents(now_us);
      break;
    case Type::kTransmit:
      if (!links_.Knows(m.endpoint)) at_control_.insert(m.endpoint);
      pending_tx_.push_back({m.endpoint, std::move(m.bytes)});
      break;
    case Type::kAdopt:
      at_control_.erase(m.endpoint);
      if (m.adopted != nullptr) {
        links_.Adopt(std::move(*m.adopted), &events_);
        m.adopted.reset();
      }
      ApplyLinkEvents(now_us);
      break;
    case Type::kForget:
      at_control_.erase(m.endpoint);
      break;
    case Type::kSend:
      ++counters_.sends_in;
      links_.Send(m.link, m.bytes, now_us);
      RecycleBuffer(m.bytes);
      break;
    case Type::kClose:
      CloseLink(m.link, now_us);
      break;
    case Type::kHandOff:
      node_->HandOff(now_us / 1000, &outbox_);
      handing_off_ = true;
      handoff_until_us_ = now_us + options_.handoff_wait_us;
      break;
    case Type::kCloseAll:
      for (const LinkInfo& l : links_.Links()) links_.Close(l.id, &events_);
      ApplyLinkEvents(now_us);
      break;
    default:
      NodePart::Handle(m, now_us);
      break;
  }
}

void Worker::SendOnLink(core::LinkId link, std::vector<uint8_t> bytes, uint64_t now_us) {
  if (LinkOwner(link) != index_) {
    NodePart::SendOnLink(link, std::move(bytes), now_us);
    return;
  }
  links_.Send(link, bytes, now_us);
  RecycleBuffer(bytes);
}

void Worker::CloseLink(core::LinkId link, uint64_t now_us) {
  if (LinkOwner(link) != index_) {
    NodePart::CloseLink(link, now_us);
    return;
  }
  links_.Close(link, &events_);
  ApplyLinkEvents(now_us);
}

void Worker::ApplyLinkEvents(uint64_t now_us) {
  if (events_.empty()) return;
  // The events of last time, emptied, take new ones (their vectors keep their capacity); a
  // call from within AnnounceLinkEvents finds no spare and starts from empty vectors.
  LinkEvents events = std::move(spare_events_);
  events.clear();
  std::swap(events, events_);
  AnnounceLinkEvents(events, links_, "DTLS", now_us);  // recycles the messages, clears
  spare_events_ = std::move(events);
}

void Worker::Settle(uint64_t now_us) {
  // Link events feed the Node, whose sends on this worker's links make more link output (and,
  // rarely, events): until both are quiet.
  for (int pass = 0; pass < 100 && !(outbox_.empty() && events_.empty()); ++pass) {
    ApplyLinkEvents(now_us);
    ApplyOutbox(now_us);
  }
  Flush();
}

void Worker::Flush() {
  links_.TakeOutput(&pending_tx_);
  size_t sent = 0;
  while (sent < pending_tx_.size()) {
    const size_t n = std::min(rx_.size(), pending_tx_.size() - sent);
    tx_.clear();
    for (size_t i = 0; i < n; ++i)
      tx_.push_back({pending_tx_[sent + i].to, pending_tx_[sent + i].bytes});
    (void)port_->TxBurst(tx_);  // what the network refused is counted there; framing resends
    ++counters_.tx_bursts;
    sent += n;
  }
  for (OutDatagram& d : pending_tx_) RecycleBuffer(d.bytes);
  pending_tx_.clear();
}

void Worker::Sleep(int max_wait_ms, uint64_t now_us) {
  if (max_wait_ms <= 0) return;
  // A poll-mode port (DPDK) cannot wake the worker: it naps briefly, or spins (no nap) and then
  // has no deadline to compute.
  const bool poll_mode = port_->wait_fd() < 0;
  if (poll_mode && options_.poll_nap_us == 0) return;
  const uint64_t node_ms = node_->NextDeadline();
  uint64_t node_us = node_ms >= UINT64_MAX / 1000 ? UINT64_MAX : node_ms * 1000;
  // Turn looks at the Node's timers once per millisecond: one due within the millisecond
  // already looked at waits for the next, asleep rather than spinning.
  if (node_timers_checked_ms_ == now_us / 1000) {
    node_us = std::max(node_us, (now_us / 1000 + 1) * 1000);
  }
  uint64_t deadline = std::min({node_us, links_.NextDeadline(now_us), next_report_us_});
  if (handing_off_) deadline = std::min(deadline, now_us + 10'000);
  if (deadline <= now_us) return;
  uint64_t wait_us = std::min<uint64_t>(deadline - now_us, uint64_t(max_wait_ms) * 1000);
  if (poll_mode) wait_us = std::min(wait_us, options_.poll_nap_us);
  Waker& waker = fabric_->waker(index_);
  waker.PrepareToSleep();
  if (fabric_->HasWork(index_) || !outgoing_.empty()) {
    waker.Awake();
    return;
  }
  qsbr_->Offline(index_);
  pollfd fds[2] = {{waker.fd(), POLLIN, 0}, {port_->wait_fd(), POLLIN, 0}};
  const timespec timeout{static_cast<time_t>(wait_us / 1'000'000),
                         static_cast<long>(wait_us % 1'000'000) * 1000};
  (void)ppoll(fds, poll_mode ? 1 : 2, &timeout, nullptr);  // EINTR: just another turn
  qsbr_->Online(index_);
  waker.Awake();
}

void Worker::NoteDrops() {
  const uint64_t dropped = node_->counters().resources_dropped;
  if (dropped == last_dropped_) return;
  std::string preds;
  for (core::RingId p : topology_->predecessors()) {
    absl::StrAppend(&preds, preds.empty() ? "" : " ", p.ToNodeId().ToHex().substr(0, 8));
  }
  spdlog::info("core {}: {} Resource-IDs no longer held here dropped (predecessors {})", index_,
               dropped - last_dropped_, preds.empty() ? "none" : preds);
  last_dropped_ = dropped;
}

void Worker::MaybeReport(uint64_t now_us) {
  if (now_us < next_report_us_) return;
  next_report_us_ = now_us + options_.report_interval_us;
  auto report = std::make_shared<WorkerReport>();
  report->core = index_;
  report->at_us = now_us;
  report->port = port_->counters();
  report->port_detail = port_->DetailCounters();
  report->links = links_.counters();
  report->node = node_->counters();
  report->worker = counters_;
  report->rings = outgoing_.counters();
  report->link_table = links_.Links();
  report->resources = node_->stored_resources();
  report->values = node_->stored_values();
  report->certificates = node_->stored_certificates();
  node_->StorageCensus(now_us / 1000, &report->instances, &report->data_bytes);
  report->snapshot_version = snapshot_version_;
  CrossCoreMessage m;
  m.type = Type::kReport;
  m.report = std::move(report);
  outgoing_.Post(fabric_->control(), std::move(m));
}

}  // namespace p2psip::runtime

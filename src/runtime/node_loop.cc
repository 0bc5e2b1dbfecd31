#include "p2psip/runtime/node_loop.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>

#include "spdlog/spdlog.h"

namespace p2psip::runtime {

NodeLoop::NodeLoop(core::NodeConfig config, std::unique_ptr<core::Signer> signer,
                   std::unique_ptr<core::Random> random, port::Port* port,
                   LinkManagerOptions links, const Clock* clock, size_t burst)
    : clock_(clock),
      signer_(std::move(signer)),
      random_(std::move(random)),
      node_(std::make_unique<core::Node>(std::move(config), signer_.get(), random_.get())),
      port_(port),
      links_(std::move(links)),
      burst_(std::max<size_t>(burst, 1)),
      rx_(burst_) {}

NodeLoop::~NodeLoop() = default;

void NodeLoop::Start() {
  node_->Start(clock_->NowMs(), &out_);
  Settle(clock_->NowUs());
}

void NodeLoop::Leave() {
  leaving_ = true;
  node_->Leave(clock_->NowMs(), &out_);
  Settle(clock_->NowUs());
}

void NodeLoop::CloseLinks() {
  leaving_ = true;  // the links going down now are no reason to warn
  for (const LinkInfo& l : links_.Links()) links_.Close(l.id, &events_);
  Settle(clock_->NowUs());
}

uint64_t NodeLoop::NextDeadlineUs() const {
  const uint64_t now_us = clock_->NowUs();
  const uint64_t node_ms = node_->NextDeadline();
  const uint64_t node_us = node_ms >= UINT64_MAX / 1000 ? UINT64_MAX : node_ms * 1000;
  return std::min(node_us, links_.NextDeadline(now_us));
}

void NodeLoop::RunOnce(int max_wait_ms) {
  ++counters_.turns;
  uint64_t now_us = clock_->NowUs();
  const uint64_t deadline = NextDeadlineUs();
  int wait_ms = max_wait_ms;
  if (deadline <= now_us) {
    wait_ms = 0;
  } else if (deadline - now_us < static_cast<uint64_t>(max_wait_ms) * 1000) {
    wait_ms = static_cast<int>((deadline - now_us + 999) / 1000);
  }
  if (wait_ms > 0 && port_->wait_fd() >= 0) {
    pollfd p{port_->wait_fd(), POLLIN, 0};
    (void)poll(&p, 1, wait_ms);  // EINTR: a signal; the caller checks its flag
  }
  // Receive until the port is empty (bounded: a flood cannot starve the timers for long).
  for (int round = 0; round < 64; ++round) {
    const size_t n = port_->RxBurst(rx_);
    if (n == 0) break;
    ++counters_.rx_bursts;
    now_us = clock_->NowUs();
    for (size_t i = 0; i < n; ++i) links_.OnDatagram(rx_[i].from, rx_[i].data, now_us, &events_);
    Settle(now_us);
    if (n < rx_.size()) break;
  }
  now_us = clock_->NowUs();
  links_.OnTimer(now_us, &events_);
  if (node_->NextDeadline() <= now_us / 1000) node_->OnTimer(now_us / 1000, &out_);
  Settle(now_us);
}

void NodeLoop::Settle(uint64_t now_us) {
  // Each pass hands one side's output to the other; a pass that moves nothing ends it. The
  // bound only guards against a bug ping-ponging forever.
  for (int pass = 0; pass < 1000 && !(out_.empty() && events_.empty()); ++pass) {
    ApplyOutbox(now_us);
    ApplyEvents(now_us);
  }
  NoteJoinState();
  Flush();
}

void NodeLoop::ApplyOutbox(uint64_t now_us) {
  if (out_.empty()) return;
  core::Outbox out;
  std::swap(out, out_);
  for (core::Outbox::Send& s : out.sends) links_.Send(s.link, s.message, now_us);
  for (const core::Outbox::Connect& c : out.connects) {
    std::optional<port::Endpoint> to = port::Endpoint::FromWire(c.address);
    if (!to.has_value() || *to == port_->local_endpoint()) {
      ++counters_.connect_bad_address;
      continue;
    }
    const core::LinkId id =
        links_.Open(*to, c.peer.empty() ? std::nullopt : std::optional<NodeId>(c.peer), now_us,
                    &events_);
    if (id == core::kNoLink) {
      spdlog::warn("link to {} refused (too many links or handshakes)", to->ToString());
    }
  }
  for (core::LinkId l : out.closes) links_.Close(l, &events_);
  for (core::Outbox::Result& r : out.results) {
    if (on_result_) on_result_(std::move(r));
  }
}

void NodeLoop::ApplyEvents(uint64_t now_us) {
  if (events_.empty()) return;
  LinkEvents events;
  std::swap(events, events_);
  const uint64_t now_ms = now_us / 1000;
  for (const LinkEvents::Up& u : events.ups) {
    spdlog::debug("link {} up: peer {}", u.link, u.peer.ToHex());
    node_->OnLinkUp(u.link, u.peer, now_ms, &out_);
  }
  for (const LinkEvents::Message& m : events.messages) {
    node_->OnMessage(m.link, m.bytes, now_ms, &out_);
  }
  for (const LinkEvents::Down& d : events.downs) {
    if (d.why.code() != absl::StatusCode::kCancelled) last_link_failure_ = d.why;
    if (d.was_up && d.why.code() != absl::StatusCode::kCancelled) {
      spdlog::info("link {} down: {}", d.link, std::string(d.why.message()));
    } else {
      spdlog::debug("link {} not established: {}", d.link, std::string(d.why.message()));
    }
    node_->OnLinkDown(d.link, now_ms, &out_);
  }
}

void NodeLoop::Flush() {
  links_.TakeOutput(&pending_tx_);
  size_t sent = 0;
  while (sent < pending_tx_.size()) {
    const size_t n = std::min(burst_, pending_tx_.size() - sent);
    tx_.clear();
    for (size_t i = 0; i < n; ++i) {
      tx_.push_back({pending_tx_[sent + i].to, pending_tx_[sent + i].bytes});
    }
    (void)port_->TxBurst(tx_);  // what the network refused is counted there; framing resends
    ++counters_.tx_bursts;
    sent += n;
  }
  pending_tx_.clear();
}

void NodeLoop::NoteJoinState() {
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

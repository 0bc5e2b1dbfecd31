#include "p2psip/runtime/control_plane.h"

#include <poll.h>

#include <utility>

#include "spdlog/spdlog.h"

namespace p2psip::runtime {

using Type = CrossCoreMessage::Type;

ControlPlane::ControlPlane(Fabric* fabric, core::NodeConfig config,
                           std::unique_ptr<core::Signer> signer,
                           std::unique_ptr<core::Random> random, const Clock* clock,
                           RcuPublisher<core::RoutingSnapshot>* routing)
    : NodePart(fabric, fabric->control(), std::move(config), std::move(signer), std::move(random),
               /*topology=*/{}, clock),
      routing_(routing),
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
  const uint64_t deadline_ms = node_->NextDeadline();
  int wait_ms = max_wait_ms;
  if (deadline_ms <= now_us / 1000) {
    wait_ms = 0;
  } else if (deadline_ms - now_us / 1000 < static_cast<uint64_t>(max_wait_ms)) {
    wait_ms = static_cast<int>(deadline_ms - now_us / 1000);
  }
  Waker& waker = fabric_->waker(index_);
  if (wait_ms > 0) {
    waker.PrepareToSleep();
    if (!fabric_->HasWork(index_) && outgoing_.empty()) {
      pollfd p{waker.fd(), POLLIN, 0};
      (void)poll(&p, 1, wait_ms);  // EINTR (a signal): the caller checks its flag
    }
  }
  waker.Awake();
  now_us = clock_->NowUs();
  DrainRings(1024, now_us);
  if (node_->NextDeadline() <= now_us / 1000) node_->OnTimer(now_us / 1000, &outbox_);
  AfterWork(now_us);
  routing_->Reclaim();
}

void ControlPlane::AfterWork(uint64_t now_us) {
  ApplyOutbox(now_us);
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
    default:
      NodePart::Handle(m, now_us);
      break;
  }
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

#include "p2psip/link/stream_sender.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"

namespace p2psip::link {

absl::StatusOr<std::unique_ptr<StreamSender>> StreamSender::Create(const StreamOptions& options) {
  if (options.max_tracked == 0 || options.failure_after_us == 0) {
    return absl::InvalidArgumentError("max_tracked and failure_after_us must be positive");
  }
  absl::StatusOr<RtoEstimator> rto = RtoEstimator::Create(options.rto);
  if (!rto.ok()) return rto.status();
  return std::unique_ptr<StreamSender>(new StreamSender(*std::move(rto), options));
}

StreamSender::StreamSender(RtoEstimator rto, const StreamOptions& options)
    : options_(options),
      rto_(std::move(rto)),
      next_sequence_(options.initial_sequence),
      oldest_sequence_(options.initial_sequence) {}

void StreamSender::SetHealth(LinkHealth h, SenderOutput& out) {
  if (h == health_) return;
  health_ = h;
  if (h == LinkHealth::kFailed) ++counters_.link_failures;
  if (h == LinkHealth::kSuspect) ++counters_.link_suspects;
  out.health_changes.push_back(h);
}

void StreamSender::OnAck(uint32_t n, uint32_t /*received*/, uint64_t now_us, SenderOutput& out) {
  ++counters_.acks;
  if (!WasSent(n, options_.initial_sequence, transmissions_total_)) {
    ++counters_.unknown_acks;
    return;
  }
  last_ack_us_ = now_us;
  SetHealth(LinkHealth::kUp, out);
  if (sent_us_.empty() || SeqBefore(n, oldest_sequence_)) {
    ++counters_.stale_acks;  // acknowledged already, or no longer tracked
    return;
  }
  const uint32_t index = n - oldest_sequence_;
  rto_.AddSample(now_us - sent_us_[index]);
  ++counters_.rtt_samples;
  // In-order transport: N's arrival means every earlier transmission arrived too.
  counters_.messages_acked += index + 1;
  sent_us_.erase(sent_us_.begin(), sent_us_.begin() + index + 1);
  oldest_sequence_ = n + 1;
}

void StreamSender::Poll(uint64_t now_us, SenderOutput& out) {
  while (!pending_.empty()) {
    const uint32_t sequence = next_sequence_++;
    ++transmissions_total_;
    out.transmit.push_back({pending_.front(), sequence, /*release=*/true});
    pending_.pop_front();
    ++counters_.messages_sent;
    if (sent_us_.size() == options_.max_tracked) {
      sent_us_.pop_front();  // forget the oldest: no sample for it
      ++oldest_sequence_;
    }
    if (sent_us_.empty()) oldest_sequence_ = sequence;
    sent_us_.push_back(now_us);
  }
  if (!sent_us_.empty()) {
    const uint64_t oldest = sent_us_.front();
    const uint64_t silent_since = std::max(oldest, last_ack_us_);
    if (now_us >= silent_since + options_.failure_after_us) {
      SetHealth(LinkHealth::kFailed, out);
    } else if (now_us >= oldest + rto_.rto_us() && health_ == LinkHealth::kUp) {
      ++counters_.timeouts;
      SetHealth(LinkHealth::kSuspect, out);
    }
  }
  counters_.window = options_.max_tracked;
  counters_.max_in_flight = std::max<uint64_t>(counters_.max_in_flight, sent_us_.size());
}

uint64_t StreamSender::NextDeadline() const {
  if (!pending_.empty()) return 0;
  if (sent_us_.empty() || health_ == LinkHealth::kFailed) return kNever;
  const uint64_t oldest = sent_us_.front();
  const uint64_t fail_at = std::max(oldest, last_ack_us_) + options_.failure_after_us;
  if (health_ == LinkHealth::kUp) return std::min(oldest + rto_.rto_us(), fail_at);
  return fail_at;
}

}  // namespace p2psip::link

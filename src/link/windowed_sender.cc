#include "p2psip/link/windowed_sender.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"

namespace p2psip::link {

absl::StatusOr<std::unique_ptr<WindowedSender>> WindowedSender::Create(
    const WindowedOptions& options) {
  if (options.max_transmissions < 1 || options.max_transmissions > kMaxTransmissionsLimit) {
    return absl::InvalidArgumentError("max_transmissions must be in 1..8");
  }
  if (options.initial_window < 1 || options.initial_window > options.max_window ||
      options.max_window > 65536) {
    return absl::InvalidArgumentError("need 1 <= initial_window <= max_window <= 65536");
  }
  absl::StatusOr<RtoEstimator> rto = RtoEstimator::Create(options.rto);
  if (!rto.ok()) return rto.status();
  return std::unique_ptr<WindowedSender>(new WindowedSender(*std::move(rto), options));
}

WindowedSender::WindowedSender(RtoEstimator rto, const WindowedOptions& options)
    : RetransmittingSender(std::move(rto), options.max_transmissions, /*detect_gaps=*/true,
                           options.max_window, options.initial_sequence),
      max_window_(options.max_window),
      cwnd_(options.initial_window),
      ssthresh_(options.max_window) {
  mutable_counters().window = WindowLimit();
}

size_t WindowedSender::WindowLimit() const {
  return std::min<size_t>(max_window_, static_cast<size_t>(cwnd_));
}

void WindowedSender::OnMessageAcked(uint64_t /*now_us*/) {
  if (cwnd_ < ssthresh_) {
    cwnd_ += 1;  // slow start
  } else {
    cwnd_ += 1 / cwnd_;  // congestion avoidance: about +1 per window acknowledged
  }
  // Growing past the cap would only have to be undone by several losses later.
  cwnd_ = std::min(cwnd_, static_cast<double>(max_window_));
}

void WindowedSender::OnLoss(uint32_t sequence, bool timeout) {
  if (recovering_ && SeqBefore(sequence, recovery_point_)) return;  // same loss event
  recovering_ = true;
  recovery_point_ = next_sequence();
  ++mutable_counters().loss_events;
  // in_flight() still counts the lost message: FlightSize as RFC 5681 §3.1 means it.
  ssthresh_ = std::max(static_cast<double>(in_flight()) / 2, 2.0);
  cwnd_ = timeout ? 1.0 : ssthresh_;
}

}  // namespace p2psip::link

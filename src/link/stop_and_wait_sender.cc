#include "p2psip/link/stop_and_wait_sender.h"

#include <utility>

#include "absl/status/status.h"

namespace p2psip::link {

absl::StatusOr<std::unique_ptr<StopAndWaitSender>> StopAndWaitSender::Create(
    const StopAndWaitOptions& options) {
  if (options.max_transmissions < 1 || options.max_transmissions > kMaxTransmissionsLimit) {
    return absl::InvalidArgumentError("max_transmissions must be in 1..8");
  }
  absl::StatusOr<RtoEstimator> rto = RtoEstimator::Create(options.rto);
  if (!rto.ok()) return rto.status();
  return std::unique_ptr<StopAndWaitSender>(new StopAndWaitSender(*std::move(rto), options));
}

StopAndWaitSender::StopAndWaitSender(RtoEstimator rto, const StopAndWaitOptions& options)
    : RetransmittingSender(std::move(rto), options.max_transmissions, /*detect_gaps=*/false,
                           /*max_in_flight=*/1, options.initial_sequence),
      pause_us_(options.pause_after_ack_us) {}

}  // namespace p2psip::link

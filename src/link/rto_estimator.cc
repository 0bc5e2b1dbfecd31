#include "p2psip/link/rto_estimator.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"

namespace p2psip::link {

absl::StatusOr<RtoEstimator> RtoEstimator::Create(const RtoOptions& options) {
  if (options.min_ms == 0 || options.min_ms > options.initial_ms ||
      options.initial_ms > options.max_ms) {
    return absl::InvalidArgumentError("RTO options need 0 < min_ms <= initial_ms <= max_ms");
  }
  return RtoEstimator(options);
}

RtoEstimator::RtoEstimator(const RtoOptions& options)
    : options_(options), rto_us_(uint64_t{options.initial_ms} * 1000) {}

void RtoEstimator::AddSample(uint64_t rtt_us) {
  const double r = static_cast<double>(rtt_us);
  if (!has_sample_) {
    srtt_us_ = r;  // RFC 6298 §2.2
    rttvar_us_ = r / 2;
    has_sample_ = true;
  } else {
    // RFC 6298 §2.3: RTTVAR first, with the old SRTT.
    rttvar_us_ = 0.75 * rttvar_us_ + 0.25 * std::fabs(srtt_us_ - r);
    srtt_us_ = 0.875 * srtt_us_ + 0.125 * r;
  }
  Recompute();
}

void RtoEstimator::Recompute() {
  if (!options_.dynamic) {
    rto_us_ = uint64_t{options_.initial_ms} * 1000;
    return;
  }
  const double rto =
      srtt_us_ + std::max(static_cast<double>(options_.granularity_us), 4 * rttvar_us_);
  // Whole milliseconds, rounded up; the clamp bounds are whole milliseconds too.
  const double ms = std::ceil(rto / 1000.0);
  const double clamped =
      std::clamp(ms, static_cast<double>(options_.min_ms), static_cast<double>(options_.max_ms));
  rto_us_ = static_cast<uint64_t>(clamped) * 1000;
}

void RtoEstimator::Backoff() { rto_us_ = std::min(rto_us_ * 2, max_rto_us()); }

}  // namespace p2psip::link

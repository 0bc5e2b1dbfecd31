// RtoEstimator: the retransmission timeout of one overlay link, computed as RFC 6298 §2 says
// from round-trip samples measured with the framing's ACKs (RFC 6940 §6.6.3.2, digest §2.1).
//
//   first sample R:  SRTT = R, RTTVAR = R/2
//   later sample R': RTTVAR = (1 - 1/4) RTTVAR + 1/4 |SRTT - R'|;  SRTT = (1 - 1/8) SRTT + 1/8 R'
//   RTO = SRTT + max(G, 4 RTTVAR), rounded up to a whole millisecond (RFC 6940 §6.6.3.2 says
//   the RTO is "rounded to the nearest millisecond"; rounding up never fires early), then
//   clamped to [min_ms, max_ms].
//
// Choices:
//  - initial RTO 500 ms, not RFC 6298's 1 s: RELOAD's Simple Reliability example (RFC 6940
//    §6.6.3.2) uses 500 ms, and the runtime can feed the ICE connectivity-check RTT as the
//    first sample (AddSample) before the first DATA goes out.
//  - lower bound 200 ms by default, not RFC 6298 §2.4's 1 s (a SHOULD): RELOAD receivers ACK
//    every DATA frame immediately (no delayed ACKs, which the 1 s floor mostly protects
//    against), and 200 ms is the floor Linux TCP has used for years. Set min_ms = 1000 for the
//    strict RFC 6298 behaviour. Upper bound 60 s (RFC 6298 §2.5 allows a maximum >= 60 s).
//  - Karn's algorithm (RFC 6298 §3) is not needed: RELOAD gives every retransmission a new
//    sequence number (RFC 6940 §6.6.2), so each ACK names exactly one transmission and every
//    ACK of a DATA frame gives an unambiguous sample — also for retransmitted messages.
//  - Backoff() doubles the RTO (RFC 6298 §5.5) up to the maximum; the next sample recomputes
//    it from SRTT/RTTVAR, which clears the backoff. With `dynamic = false` the RTO stays at
//    `initial_ms` (the RFC's static example) apart from backoff, which a sample still clears.
//
// Time is in microseconds. One owner (the link's sender); not thread-safe.
#ifndef P2PSIP_LINK_RTO_ESTIMATOR_H_
#define P2PSIP_LINK_RTO_ESTIMATOR_H_

#include <cstdint>

#include "absl/status/statusor.h"

namespace p2psip::link {

struct RtoOptions {
  uint32_t initial_ms = 500;
  uint32_t min_ms = 200;
  uint32_t max_ms = 60000;
  uint32_t granularity_us = 1000;  // G: the runtime's timer granularity
  bool dynamic = true;             // false: static RTO (initial_ms), samples only clear backoff
};

class RtoEstimator {
 public:
  // Fails unless 0 < min_ms <= initial_ms <= max_ms.
  static absl::StatusOr<RtoEstimator> Create(const RtoOptions& options = {});

  // One round-trip time measurement, in microseconds.
  void AddSample(uint64_t rtt_us);
  // The timer expired without an ACK: RTO doubles, up to the maximum.
  void Backoff();

  uint64_t rto_us() const { return rto_us_; }  // always a whole number of milliseconds
  uint64_t max_rto_us() const { return uint64_t{options_.max_ms} * 1000; }
  bool has_sample() const { return has_sample_; }
  double srtt_us() const { return srtt_us_; }
  double rttvar_us() const { return rttvar_us_; }
  const RtoOptions& options() const { return options_; }

 private:
  explicit RtoEstimator(const RtoOptions& options);
  void Recompute();

  RtoOptions options_;
  bool has_sample_ = false;
  double srtt_us_ = 0;
  double rttvar_us_ = 0;
  uint64_t rto_us_ = 0;
};

}  // namespace p2psip::link

#endif  // P2PSIP_LINK_RTO_ESTIMATOR_H_

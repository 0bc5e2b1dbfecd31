// StopAndWaitSender: the Simple Reliability sender that RFC 6940 §6.6.3.2 gives as its example
// (digest §2.1): at most one unacknowledged message per link, retransmitted under a new
// sequence number at the RTO, doubling, five transmissions in all (t = 0, 500, 1500, 3500,
// 7500 ms with the 500 ms RTO), and a 10 ms pause after an ACK before the next message goes
// out. Throughput is one message per (RTT + 10 ms): a baseline; WindowedSender is the one a
// carrier node runs (digest §15.16). Retransmission, give-up and link-failure rules are
// RetransmittingSender's. Time in microseconds; one owner (its FramedLink).
#ifndef P2PSIP_LINK_STOP_AND_WAIT_SENDER_H_
#define P2PSIP_LINK_STOP_AND_WAIT_SENDER_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "p2psip/link/retransmitting_sender.h"

namespace p2psip::link {

struct StopAndWaitOptions {
  RtoOptions rto;
  int max_transmissions = kDefaultMaxTransmissions;  // 1..kMaxTransmissionsLimit
  uint64_t pause_after_ack_us = 10000;               // RFC 6940 §6.6.3.2: 10 ms
  uint32_t initial_sequence = 0;                     // §6.6.2: sequence numbers start at 0
};

class StopAndWaitSender final : public RetransmittingSender {
 public:
  static absl::StatusOr<std::unique_ptr<StopAndWaitSender>> Create(
      const StopAndWaitOptions& options = {});

  size_t window() const override { return 1; }
  size_t max_window() const override { return 1; }

 private:
  StopAndWaitSender(RtoEstimator rto, const StopAndWaitOptions& options);
  size_t WindowLimit() const override { return 1; }
  uint64_t EarliestNewSend() const override { return resume_us_; }
  void OnMessageAcked(uint64_t now_us) override { resume_us_ = now_us + pause_us_; }

  const uint64_t pause_us_;
  uint64_t resume_us_ = 0;
};

}  // namespace p2psip::link

#endif  // P2PSIP_LINK_STOP_AND_WAIT_SENDER_H_

// WindowedSender: a Simple Reliability sender with many messages in flight (digest §15.16),
// wire-compatible with RFC 6940 §6.6.3 (receivers are unchanged: they only ACK) and congestion
// controlled in the spirit of RFC 8085 §3.1 and RFC 5681.
//
// The congestion window counts messages (DATA frames), not bytes: RELOAD fragments messages to
// the path MTU (§6.7), so a frame is at most about one MTU, the same unit TCP's segments are.
//  - slow start from `initial_window` (default 3: RFC 5681's initial window for 1460-byte
//    segments), +1 per message acknowledged while cwnd < ssthresh;
//  - congestion avoidance above ssthresh, +1/cwnd per message acknowledged;
//  - on loss, once per window of data (a loss of a message sent before the last reduction does
//    not reduce again, like NewReno's recovery point): ssthresh = max(FlightSize / 2, 2);
//    after a gap in the ACK bitmask (SACK-like inference, see RetransmittingSender) cwnd =
//    ssthresh; after an RTO expiry cwnd = 1 (RFC 5681 §3.1's loss window);
//  - never more than `max_window` messages in flight (the cap; ssthresh starts there).
// Retransmissions (new sequence numbers, <= 5 transmissions, RTO from RtoEstimator, link
// failure) are RetransmittingSender's. Time in microseconds; one owner (its FramedLink).
#ifndef P2PSIP_LINK_WINDOWED_SENDER_H_
#define P2PSIP_LINK_WINDOWED_SENDER_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "p2psip/link/retransmitting_sender.h"

namespace p2psip::link {

struct WindowedOptions {
  RtoOptions rto;
  int max_transmissions = kDefaultMaxTransmissions;  // 1..kMaxTransmissionsLimit
  uint32_t initial_window = 3;                       // messages
  uint32_t max_window = 64;                          // messages; the cap
  uint32_t initial_sequence = 0;
};

class WindowedSender final : public RetransmittingSender {
 public:
  // Fails unless 1 <= initial_window <= max_window <= 65536 and the RTO options are valid.
  static absl::StatusOr<std::unique_ptr<WindowedSender>> Create(
      const WindowedOptions& options = {});

  size_t window() const override { return WindowLimit(); }
  size_t max_window() const override { return max_window_; }
  double cwnd() const { return cwnd_; }
  double ssthresh() const { return ssthresh_; }

 private:
  WindowedSender(RtoEstimator rto, const WindowedOptions& options);
  size_t WindowLimit() const override;
  void OnMessageAcked(uint64_t now_us) override;
  void OnLoss(uint32_t sequence, bool timeout) override;

  const uint32_t max_window_;
  double cwnd_;
  double ssthresh_;
  bool recovering_ = false;
  uint32_t recovery_point_ = 0;  // losses of transmissions before it belong to the last event
};

}  // namespace p2psip::link

#endif  // P2PSIP_LINK_WINDOWED_SENDER_H_

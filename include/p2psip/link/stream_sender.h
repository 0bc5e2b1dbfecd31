// StreamSender: the framing sender of a TLS/TCP link with FH framing (RFC 6940 §6.6.5, digest
// §2.1). TCP already delivers reliably and in order, so nothing is ever retransmitted: each
// message goes out once, at once, and its slot is released as soon as it is framed. ACKs only
// measure the RTT (RFC 6298 §2, RtoEstimator) and prove the peer alive:
//  - an ACK of N acknowledges every transmission up to N (TCP keeps the order);
//  - when the oldest unacknowledged transmission has waited a whole RTO, the link is kSuspect
//    (§6.6.5: SHOULD leave the routing table); no backoff, the estimate stays as measured;
//  - after `failure_after_us` (default 30 s, §6.6.5's RECOMMENDED wait) without any ACK while
//    something is unacknowledged, kFailed; any ACK brings the link back to kUp.
// Send times of the last `max_tracked` transmissions are kept for RTT samples (a ring; older
// ones are forgotten, not an error). Time in microseconds; one owner (its FramedLink).
#ifndef P2PSIP_LINK_STREAM_SENDER_H_
#define P2PSIP_LINK_STREAM_SENDER_H_

#include <cstdint>
#include <deque>
#include <memory>

#include "absl/status/statusor.h"
#include "p2psip/link/sender.h"

namespace p2psip::link {

struct StreamOptions {
  RtoOptions rto;
  uint64_t failure_after_us = 30'000'000;  // §6.6.5: keep the connection 30 s
  size_t max_tracked = 4096;
  uint32_t initial_sequence = 0;
};

class StreamSender final : public Sender {
 public:
  static absl::StatusOr<std::unique_ptr<StreamSender>> Create(const StreamOptions& options = {});

  void Push(SlotId slot) override { pending_.push_back(slot); }
  void OnAck(uint32_t ack_sequence, uint32_t received, uint64_t now_us, SenderOutput& out) override;
  void Poll(uint64_t now_us, SenderOutput& out) override;
  uint64_t NextDeadline() const override;

  size_t queued() const override { return pending_.size(); }
  size_t in_flight() const override { return sent_us_.size(); }  // unacknowledged, tracked
  size_t window() const override { return options_.max_tracked; }
  size_t max_window() const override { return options_.max_tracked; }
  LinkHealth health() const override { return health_; }
  const SenderCounters& counters() const override { return counters_; }
  const RtoEstimator& rto() const override { return rto_; }

 private:
  StreamSender(RtoEstimator rto, const StreamOptions& options);
  void SetHealth(LinkHealth h, SenderOutput& out);

  const StreamOptions options_;
  RtoEstimator rto_;
  uint32_t next_sequence_;
  uint64_t transmissions_total_ = 0;
  std::deque<SlotId> pending_;
  std::deque<uint64_t> sent_us_;  // sent_us_[i] is transmission oldest_sequence_ + i
  uint32_t oldest_sequence_;
  uint64_t last_ack_us_ = 0;
  LinkHealth health_ = LinkHealth::kUp;
  SenderCounters counters_;
};

}  // namespace p2psip::link

#endif  // P2PSIP_LINK_STREAM_SENDER_H_

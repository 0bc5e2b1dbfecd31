// RetransmittingSender: what RELOAD's Simple Reliability senders (RFC 6940 §6.6.3, digest §2.1)
// share, for DTLS/UDP links. Subclasses only say how many messages may be in flight and react
// to deliveries and losses (StopAndWaitSender, WindowedSender).
//
//  - Each transmission, first or repeated, takes the next sequence number (§6.6.2), so an ACK
//    names exactly one transmission: its RTT is a clean sample (no Karn ambiguity) and an ACK
//    of an older transmission of a message still delivers it.
//  - An ACK delivers the message it names and every in-flight message named by its `received`
//    bitmask (bit N-M-1 for M = N-1 ... N-32, digest §15.4), which covers lost ACKs.
//  - Retransmission: a message's k-th transmission waits max(RTO, 2 x the previous wait) for
//    its ACK, the RTO backing off once per Poll in which timers expired (RFC 6298 §5.5); with
//    RELOAD's 500 ms this is t = 0, 500, 1500, 3500, 7500 ms. After `max_transmissions`
//    (default 5, §6.6.3.2) the last one's wait ends the message: given up.
//  - Link failure (§6.6.3.2 "no ACK for a whole RTO and then 3 more retransmissions"): when the
//    wait of a message's 4th transmission (its 3rd retransmission) expires with no ACK at all on
//    the link since the message was first sent — t = 7500 ms in the static example: each of the
//    three retransmissions had its full RTO to be answered. Any later ACK restores the link.
//  - Optional gap detection (WindowedSender): a message whose latest transmission is at least
//    kGapThreshold sequence numbers below an acknowledged one, without being acknowledged
//    itself, is taken as lost and retransmitted at once (RFC 6675's DupThresh of 3, applied to
//    the SACK-like bitmask); reordering shorter than that is tolerated.
//
// Time in microseconds. One owner; not thread-safe. In-flight state is a flat array of at most
// max_window() entries, preallocated: no allocation per message. Poll and NextDeadline keep a
// lower bound of the entries' deadlines instead of scanning them each time (a Poll per message
// sent); NextDeadline may thus name a time at which Poll finds nothing due, once, after which
// it is exact again.
#ifndef P2PSIP_LINK_RETRANSMITTING_SENDER_H_
#define P2PSIP_LINK_RETRANSMITTING_SENDER_H_

#include <array>
#include <cstdint>
#include <deque>
#include <vector>

#include "p2psip/link/rto_estimator.h"
#include "p2psip/link/sender.h"

namespace p2psip::link {

inline constexpr int kMaxTransmissionsLimit = 8;
inline constexpr int kDefaultMaxTransmissions = 5;  // RFC 6940 §6.6.3.2
inline constexpr int kFailureTransmissions = 4;     // first + 3 retransmissions
inline constexpr uint32_t kGapThreshold = 3;

class RetransmittingSender : public Sender {
 public:
  void Push(SlotId slot) override { pending_.push_back(slot); }
  void OnAck(uint32_t ack_sequence, uint32_t received, uint64_t now_us, SenderOutput& out) override;
  void Poll(uint64_t now_us, SenderOutput& out) override;
  uint64_t NextDeadline() const override;

  size_t queued() const override { return pending_.size(); }
  size_t in_flight() const override { return flight_.size(); }
  LinkHealth health() const override { return health_; }
  const SenderCounters& counters() const override { return counters_; }
  const RtoEstimator& rto() const override { return rto_; }
  // The sequence number the next transmission takes.
  uint32_t next_sequence() const { return next_sequence_; }

 protected:
  RetransmittingSender(RtoEstimator rto, int max_transmissions, bool detect_gaps,
                       size_t max_in_flight, uint32_t initial_sequence);

  // Messages allowed in flight now (<= max_window()).
  virtual size_t WindowLimit() const = 0;
  // No new message (retransmissions are not held back) goes out before this time.
  virtual uint64_t EarliestNewSend() const { return 0; }
  virtual void OnMessageAcked(uint64_t /*now_us*/) {}
  // Transmission `sequence` is taken as lost (by timeout or by a gap in the ACKs).
  virtual void OnLoss(uint32_t /*sequence*/, bool /*timeout*/) {}

  SenderCounters& mutable_counters() { return counters_; }

 private:
  struct Entry {
    SlotId slot;
    uint8_t transmissions;
    bool acked;  // only between the passes of OnAck
    uint64_t first_sent_us;
    uint64_t wait_us;      // how long the latest transmission waits for its ACK
    uint64_t deadline_us;  // latest transmission's send time + wait_us
    std::array<uint32_t, kMaxTransmissionsLimit> sequence;
    std::array<uint64_t, kMaxTransmissionsLimit> sent_us;
    uint32_t latest() const { return sequence[transmissions - 1]; }
  };

  void Transmit(Entry& e, uint64_t now_us, SenderOutput& out);
  // Retransmits or gives up what timed out, then makes earliest_deadline_ exact.
  void PollTimers(uint64_t now_us, SenderOutput& out);
  // Whether the ACK (N, received) covers one of e's transmissions; sets *exact_index when N
  // itself is one of them.
  static bool Covers(const Entry& e, uint32_t n, uint32_t received, int* exact_index);
  void RemoveAt(size_t i);
  void SetHealth(LinkHealth h, SenderOutput& out);

  RtoEstimator rto_;
  const int max_transmissions_;
  const bool detect_gaps_;
  const uint32_t first_sequence_;
  uint32_t next_sequence_;
  uint64_t transmissions_total_ = 0;  // to tell "never sent" from "sent long ago"
  std::deque<SlotId> pending_;
  std::vector<Entry> flight_;
  // No entry of flight_ has an earlier deadline (it may be early: an ACK removes entries
  // without lifting it; the next PollTimers does).
  uint64_t earliest_deadline_ = kNever;
  bool any_ack_ = false;
  uint64_t last_ack_us_ = 0;
  bool any_acked_sequence_ = false;
  uint32_t highest_acked_ = 0;
  LinkHealth health_ = LinkHealth::kUp;
  SenderCounters counters_;
};

}  // namespace p2psip::link

#endif  // P2PSIP_LINK_RETRANSMITTING_SENDER_H_

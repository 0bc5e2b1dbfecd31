#include "p2psip/link/retransmitting_sender.h"

#include <algorithm>
#include <utility>

namespace p2psip::link {

RetransmittingSender::RetransmittingSender(RtoEstimator rto, int max_transmissions,
                                           bool detect_gaps, size_t max_in_flight,
                                           uint32_t initial_sequence)
    : rto_(std::move(rto)),
      max_transmissions_(max_transmissions),
      detect_gaps_(detect_gaps),
      first_sequence_(initial_sequence),
      next_sequence_(initial_sequence) {
  flight_.reserve(max_in_flight);
}

void RetransmittingSender::Transmit(Entry& e, uint64_t now_us, SenderOutput& out) {
  const uint32_t sequence = next_sequence_++;
  ++transmissions_total_;
  if (e.transmissions == 0) {
    e.first_sent_us = now_us;
    e.wait_us = rto_.rto_us();
    ++counters_.messages_sent;
  } else {
    // RFC 6940 §6.6.3.2 doubles the wait per retry even if a sample shrank the RTO meanwhile.
    e.wait_us = std::min(std::max(rto_.rto_us(), 2 * e.wait_us), rto_.max_rto_us());
    ++counters_.retransmissions;
  }
  e.sequence[e.transmissions] = sequence;
  e.sent_us[e.transmissions] = now_us;
  ++e.transmissions;
  e.deadline_us = now_us + e.wait_us;
  earliest_deadline_ = std::min(earliest_deadline_, e.deadline_us);
  out.transmit.push_back({e.slot, sequence, false});
}

bool RetransmittingSender::Covers(const Entry& e, uint32_t n, uint32_t received, int* exact_index) {
  bool covered = false;
  for (int k = 0; k < e.transmissions; ++k) {
    const uint32_t behind = n - e.sequence[k];
    if (behind == 0) {
      *exact_index = k;
      covered = true;
    } else if (behind <= 32 && ((received >> (behind - 1)) & 1) != 0) {
      covered = true;
    }
  }
  return covered;
}

void RetransmittingSender::RemoveAt(size_t i) {
  flight_[i] = flight_.back();
  flight_.pop_back();
}

void RetransmittingSender::SetHealth(LinkHealth h, SenderOutput& out) {
  if (h == health_) return;
  health_ = h;
  if (h == LinkHealth::kFailed) ++counters_.link_failures;
  if (h == LinkHealth::kSuspect) ++counters_.link_suspects;
  out.health_changes.push_back(h);
}

void RetransmittingSender::OnAck(uint32_t n, uint32_t received, uint64_t now_us,
                                 SenderOutput& out) {
  ++counters_.acks;
  if (!WasSent(n, first_sequence_, transmissions_total_)) {
    // Names a sequence this link never sent: ignore it entirely, bitmask and liveness included.
    ++counters_.unknown_acks;
    return;
  }
  any_ack_ = true;
  last_ack_us_ = now_us;
  SetHealth(LinkHealth::kUp, out);  // ACKs resumed: the link may return to the routing table

  // Pass 1: what the ACK covers. Entries stay in place so that a loss found in pass 2 sees
  // the FlightSize from before this ACK, as RFC 5681 §3.1 counts it.
  bool exact = false;
  for (Entry& e : flight_) {
    int index = -1;
    if (!Covers(e, n, received, &index)) continue;
    if (index >= 0) {
      rto_.AddSample(now_us - e.sent_us[index]);
      ++counters_.rtt_samples;
      exact = true;
    }
    e.acked = true;
    out.delivered.push_back(e.slot);
    ++counters_.messages_acked;
    OnMessageAcked(now_us);
  }
  if (!exact) ++counters_.stale_acks;

  // Pass 2: messages the ACK shows to be lost (only an ACK of N itself proves N arrived).
  if (detect_gaps_ && exact) {
    if (!any_acked_sequence_ || SeqBefore(highest_acked_, n)) highest_acked_ = n;
    any_acked_sequence_ = true;
    for (Entry& e : flight_) {
      if (e.acked) continue;
      const uint32_t latest = e.latest();
      if (!SeqBefore(latest, highest_acked_) || highest_acked_ - latest < kGapThreshold) continue;
      if (e.transmissions >= max_transmissions_) continue;  // its timer gives it up
      OnLoss(latest, false);
      ++counters_.fast_retransmits;
      Transmit(e, now_us, out);
    }
  }
  for (size_t i = 0; i < flight_.size();) {
    if (flight_[i].acked) {
      RemoveAt(i);
    } else {
      ++i;
    }
  }
  Poll(now_us, out);
}

void RetransmittingSender::Poll(uint64_t now_us, SenderOutput& out) {
  // The bound spares a scan of the whole flight on every Poll (one per message sent).
  if (earliest_deadline_ <= now_us) PollTimers(now_us, out);
  while (!pending_.empty() && flight_.size() < WindowLimit() && now_us >= EarliestNewSend()) {
    flight_.push_back(Entry{.slot = pending_.front(),
                            .transmissions = 0,
                            .acked = false,
                            .first_sent_us = 0,
                            .wait_us = 0,
                            .deadline_us = 0,
                            .sequence = {},
                            .sent_us = {}});
    pending_.pop_front();
    Transmit(flight_.back(), now_us, out);
  }
  counters_.window = WindowLimit();
  counters_.max_in_flight = std::max<uint64_t>(counters_.max_in_flight, flight_.size());
}

void RetransmittingSender::PollTimers(uint64_t now_us, SenderOutput& out) {
  const bool expired = std::any_of(flight_.begin(), flight_.end(),
                                   [now_us](const Entry& e) { return e.deadline_us <= now_us; });
  if (expired) {
    rto_.Backoff();  // once per expiry event, not once per message of the window
    for (size_t i = 0; i < flight_.size();) {
      Entry& e = flight_[i];
      if (e.deadline_us > now_us) {
        ++i;
        continue;
      }
      ++counters_.timeouts;
      const bool ack_since_first = any_ack_ && last_ack_us_ > e.first_sent_us;
      if (e.transmissions >= kFailureTransmissions && !ack_since_first) {
        SetHealth(LinkHealth::kFailed, out);
      }
      OnLoss(e.latest(), true);
      if (e.transmissions >= max_transmissions_) {
        out.given_up.push_back(e.slot);
        ++counters_.messages_given_up;
        RemoveAt(i);
        continue;
      }
      Transmit(e, now_us, out);
      ++i;
    }
  }
  // Exact again: entries acknowledged or given up since the last scan may have held it low.
  earliest_deadline_ = kNever;
  for (const Entry& e : flight_) earliest_deadline_ = std::min(earliest_deadline_, e.deadline_us);
}

uint64_t RetransmittingSender::NextDeadline() const {
  uint64_t next = flight_.empty() ? kNever : earliest_deadline_;
  if (!pending_.empty() && flight_.size() < WindowLimit()) {
    next = std::min(next, EarliestNewSend());
  }
  return next;
}

}  // namespace p2psip::link

// Sender: the sending half of RELOAD's overlay link framing (RFC 6940 §6.6.2-§6.6.5, digest
// §2.1): decides when each queued message goes out as a DATA frame, under which sequence
// number, what an ACK acknowledges, when to retransmit, when to give a message up and when the
// link has failed. Sans-I/O: it never sees bytes. The FramedLink that owns it keeps the message
// bytes in numbered slots and encodes the frames; the sender only moves slot numbers.
//
// Implementations (switchable by the runtime and the benchmark):
//   StopAndWaitSender  RFC 6940 §6.6.3.2's example: one message in flight, static/RFC 6298 RTO
//   WindowedSender     many in flight, congestion window (RFC 8085 §3.1, RFC 5681)
//   StreamSender       TLS/TCP + FH (§6.6.5): no retransmission, ACKs measure RTT/liveness
//
// Time is in microseconds of the runtime's monotonic clock, passed in on every call.
// One owner (the link's FramedLink, on the worker that owns the link); not thread-safe.
#ifndef P2PSIP_LINK_SENDER_H_
#define P2PSIP_LINK_SENDER_H_

#include <cstdint>
#include <vector>

#include "p2psip/link/rto_estimator.h"

namespace p2psip::link {

inline constexpr uint64_t kNever = UINT64_MAX;

// Index of a message in its FramedLink's slot table.
using SlotId = uint32_t;

// What the routing table should think of the link.
enum class LinkHealth : uint8_t {
  kUp,
  kSuspect,  // stream mode: an RTO passed without an ACK (§6.6.5: SHOULD leave the routing table)
  kFailed,   // §6.6.3.2: no ACK for an RTO and 3 more retransmissions; §6.6.5: 30 s without ACK
};

// One DATA frame to put on the wire now: message `slot` under `sequence`. With `release` the
// sender keeps no claim on the slot (stream mode): the link frees it once the frame is encoded.
struct Transmission {
  SlotId slot;
  uint32_t sequence;
  bool release;
};

// Filled by the sender, drained and cleared by its owner; reused across calls so that steady
// state costs no allocation.
struct SenderOutput {
  std::vector<Transmission> transmit;
  std::vector<SlotId> delivered;  // acknowledged: the slot is free again
  std::vector<SlotId> given_up;   // last transmission's RTO expired: the slot is free again
  std::vector<LinkHealth> health_changes;  // in the order they happened

  void Clear() {
    transmit.clear();
    delivered.clear();
    given_up.clear();
    health_changes.clear();
  }
};

struct SenderCounters {
  uint64_t messages_sent = 0;     // first transmissions
  uint64_t retransmissions = 0;   // further transmissions (each under a new sequence number)
  uint64_t fast_retransmits = 0;  // of `retransmissions`: a gap in the ACKs, not a timeout
  uint64_t timeouts = 0;          // RTO expiries
  uint64_t acks = 0;              // ACK frames received
  uint64_t messages_acked = 0;    // messages delivered
  uint64_t rtt_samples = 0;
  uint64_t stale_acks = 0;    // ACK of a sequence already acknowledged, given up, or forgotten
  uint64_t unknown_acks = 0;  // ACK of a sequence never sent
  uint64_t messages_given_up = 0;
  uint64_t loss_events = 0;    // window reductions (windowed sender)
  uint64_t link_failures = 0;  // transitions to kFailed
  uint64_t link_suspects = 0;  // transitions to kSuspect
  uint64_t window = 0;         // messages allowed in flight now
  uint64_t max_in_flight = 0;  // high-water mark
};

class Sender {
 public:
  virtual ~Sender() = default;

  // Queues message `slot` (FIFO) behind those not yet sent; it goes out at the next Poll that
  // the window allows.
  virtual void Push(SlotId slot) = 0;
  // An ACK frame arrived. Also sends what the ACK made room for (it ends with a Poll).
  virtual void OnAck(uint32_t ack_sequence, uint32_t received, uint64_t now_us,
                     SenderOutput& out) = 0;
  // Fires the timers due at `now_us` and sends what the window allows.
  virtual void Poll(uint64_t now_us, SenderOutput& out) = 0;
  // When Poll next has work to do, never later (kNever: nothing until a Push or an ACK). It may
  // be earlier, by a deadline that an ACK has since removed; a Poll at that time makes it exact.
  virtual uint64_t NextDeadline() const = 0;

  virtual size_t queued() const = 0;      // pushed, not sent yet
  virtual size_t in_flight() const = 0;   // sent, neither acknowledged nor given up
  virtual size_t window() const = 0;      // messages allowed in flight now
  virtual size_t max_window() const = 0;  // the cap `window()` never exceeds
  virtual LinkHealth health() const = 0;
  virtual const SenderCounters& counters() const = 0;
  virtual const RtoEstimator& rto() const = 0;
};

// Serial-number order of 32-bit sequence numbers (they wrap): a before b.
constexpr bool SeqBefore(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }

// Whether `n` is one of the `total` sequence numbers sent from `first` on (all of them once
// the space has wrapped).
constexpr bool WasSent(uint32_t n, uint32_t first, uint64_t total) {
  return total > UINT32_MAX || uint32_t{n - first} < total;
}

}  // namespace p2psip::link

#endif  // P2PSIP_LINK_SENDER_H_

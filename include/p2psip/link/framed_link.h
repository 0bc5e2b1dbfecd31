// FramedLink: one overlay link's framing layer (RFC 6940 §6.6.2-§6.6.5, digest §2.1), sans-I/O.
// The runtime hands it RELOAD messages to send, frames that arrived, and the time; it hands
// back frames to transmit (each one DTLS record payload in datagram mode, or the next piece of
// the TLS stream in stream mode), messages that arrived, and link events.
//
//   Send(message)            queue a message (refused, and counted, beyond queue_capacity)
//   OnReceive(frame, now)    DATA: delivered up (a view of `frame`) and its ACK made pending;
//                            ACK: fed to the sender; anything else: counted and dropped
//   FlushAck()               queues the pending ACK (the owner calls it when its receive burst
//                            is done, before it takes the output)
//   OnTimer(now)             fire due retransmission / liveness timers
//   NextDeadline()           when OnTimer has work next (kNever: none)
//   FrontFrame()/PopFrame()  the output queue of frames to transmit, in order
//   PollEvent()              delivered / given up messages (by id) and health changes
//
// Receiver side: every DATA frame is ACKed with wire::ReceiveWindow's bitmask. ACKs are
// coalesced: the DATA frames of one receive burst are answered by one ACK of the highest
// sequence number, whose bitmask names the others (each bit is an acknowledgement, §6.6.3.1),
// as long as they lie within its 32 bits; a frame outside them sends the pending ACK first.
// The RFC's "SHOULD ACK immediately" is kept at the granularity of the owner's burst, which
// ends within one turn of its loop. With `coalesce_acks` off, each DATA is ACKed on its own,
// queued at once, and FlushAck() has nothing to do. A DATA frame
// whose sequence number was already seen (the network duplicated the datagram) is ACKed again
// but not delivered twice. A retransmitted message carries a new sequence number, so when only
// its ACK was lost the receiver delivers the message a second time: the RFC allows this
// (§6.6.3.2: the sender cannot tell), and the transaction layer's duplicate detection by
// transaction id (§6.3.2) absorbs it. Counters tell how often (`data_delivered` vs. acked).
//
// Stream mode hands each message to TCP at once and frees its slot: it reports no kDelivered /
// kGivenUp events (TCP delivers), only health changes; the sender's counters count ACKs.
//
// Memory: messages are copied once into slots whose buffers are reused; output frames reuse
// their buffers too, so a steady flow allocates nothing per message. The event queue is
// bounded (`max_events`; excess is counted in `events_dropped`).
//
// Time in microseconds of the runtime's monotonic clock. One owner: the worker the link is
// steered to (DESIGN.md §1); not thread-safe.
#ifndef P2PSIP_LINK_FRAMED_LINK_H_
#define P2PSIP_LINK_FRAMED_LINK_H_

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "p2psip/link/drained_fifo.h"
#include "p2psip/link/sender.h"
#include "p2psip/link/stop_and_wait_sender.h"
#include "p2psip/link/stream_sender.h"
#include "p2psip/link/windowed_sender.h"
#include "p2psip/wire/framing.h"

namespace p2psip::link {

enum class LinkMode : uint8_t {
  kDatagram,  // DTLS/UDP + Simple Reliability (§6.6.3)
  kStream,    // TLS/TCP + FH (§6.6.5): no retransmission
};
enum class SenderKind : uint8_t { kStopAndWait, kWindowed };

struct FramedLinkOptions {
  LinkMode mode = LinkMode::kDatagram;
  SenderKind sender = SenderKind::kWindowed;  // datagram mode only
  size_t queue_capacity = 1024;               // messages queued or in flight (their bytes are held)
  size_t max_message_size = wire::kMaxFramedMessage;  // DATA's opaque<0..2^24-1>
  size_t max_events = 4096;
  bool report_deliveries = true;  // kDelivered events (the other kinds are always reported)
  bool coalesce_acks = true;      // one ACK per receive burst (see above)
  StopAndWaitOptions stop_and_wait;
  WindowedOptions windowed;
  StreamOptions stream;
};

enum class SendResult : uint8_t { kQueued, kQueueFull, kTooLarge };

enum class ReceiveKind : uint8_t { kData, kDuplicateData, kAck, kMalformed };
struct Received {
  ReceiveKind kind = ReceiveKind::kMalformed;
  std::span<const uint8_t> message;  // kData: a view of the frame passed to OnReceive
};

struct LinkEvent {
  enum class Type : uint8_t { kDelivered, kGivenUp, kSuspect, kFailed, kRestored };
  Type type;
  uint64_t message_id;  // kDelivered / kGivenUp: the id Send returned
};

struct LinkCounters {
  uint64_t messages_refused_full = 0;
  uint64_t messages_refused_too_large = 0;
  uint64_t frames_in = 0;
  uint64_t data_delivered = 0;
  uint64_t data_duplicates = 0;  // same sequence number seen again: ACKed, not delivered
  uint64_t acks_in = 0;
  uint64_t malformed = 0;
  uint64_t frames_out = 0;
  uint64_t acks_out = 0;
  uint64_t acks_coalesced = 0;  // DATA frames acknowledged by the bitmask of a later ACK
  uint64_t events_dropped = 0;
};

class FramedLink {
 public:
  static absl::StatusOr<std::unique_ptr<FramedLink>> Create(const FramedLinkOptions& options = {});

  // On kQueued, *message_id (if given) names the message in later events.
  SendResult Send(std::span<const uint8_t> message, uint64_t now_us,
                  uint64_t* message_id = nullptr);
  Received OnReceive(std::span<const uint8_t> frame, uint64_t now_us);
  void FlushAck();
  bool ack_pending() const { return ack_pending_; }
  void OnTimer(uint64_t now_us);
  uint64_t NextDeadline() const { return sender_->NextDeadline(); }

  bool HasOutput() const { return !out_.empty(); }
  size_t output_size() const { return out_.size(); }
  std::span<const uint8_t> FrontFrame() const { return out_.front(); }
  void PopFrame();

  bool PollEvent(LinkEvent* event);

  LinkHealth health() const { return sender_->health(); }
  const Sender& sender() const { return *sender_; }
  const LinkCounters& counters() const { return counters_; }
  const FramedLinkOptions& options() const { return options_; }
  size_t messages_held() const { return options_.queue_capacity - free_slots_.size(); }

 private:
  struct Slot {
    std::vector<uint8_t> bytes;
    uint64_t id = 0;
  };

  FramedLink(const FramedLinkOptions& options, std::unique_ptr<Sender> sender);
  void Drain();  // applies sender_out_: frames out, slots freed, events
  std::vector<uint8_t>& NewFrame();
  void AddEvent(LinkEvent::Type type, uint64_t id);
  void QueueAck(uint32_t sequence, uint32_t received);
  void FreeSlot(SlotId slot) { free_slots_.push_back(slot); }

  const FramedLinkOptions options_;
  std::unique_ptr<Sender> sender_;
  std::vector<Slot> slots_;
  std::vector<SlotId> free_slots_;
  uint64_t next_message_id_ = 1;
  wire::ReceiveWindow receive_window_;
  bool ack_pending_ = false;
  uint32_t pending_ack_ = 0;   // the sequence the pending ACK names (the highest of its burst)
  uint32_t pending_low_ = 0;   // the lowest sequence it answers (within 32 of pending_ack_)
  uint32_t pending_bits_ = 0;  // the burst's other frames, as bits of the pending ACK's mask
  SenderOutput sender_out_;
  DrainedFifo<std::vector<uint8_t>> out_;
  std::vector<std::vector<uint8_t>> spare_buffers_;
  DrainedFifo<LinkEvent> events_;
  LinkCounters counters_;
};

}  // namespace p2psip::link

#endif  // P2PSIP_LINK_FRAMED_LINK_H_

#include "p2psip/link/framed_link.h"

#include <utility>

#include "absl/status/status.h"
#include "p2psip/wire/byte_writer.h"
#include "p2psip/wire/decode_error.h"

namespace p2psip::link {
namespace {

absl::StatusOr<std::unique_ptr<Sender>> MakeSender(const FramedLinkOptions& o) {
  if (o.mode == LinkMode::kStream) {
    auto s = StreamSender::Create(o.stream);
    if (!s.ok()) return s.status();
    return std::unique_ptr<Sender>(*std::move(s));
  }
  if (o.sender == SenderKind::kStopAndWait) {
    auto s = StopAndWaitSender::Create(o.stop_and_wait);
    if (!s.ok()) return s.status();
    return std::unique_ptr<Sender>(*std::move(s));
  }
  auto s = WindowedSender::Create(o.windowed);
  if (!s.ok()) return s.status();
  return std::unique_ptr<Sender>(*std::move(s));
}

}  // namespace

absl::StatusOr<std::unique_ptr<FramedLink>> FramedLink::Create(const FramedLinkOptions& options) {
  if (options.queue_capacity == 0 || options.queue_capacity > (size_t{1} << 24)) {
    return absl::InvalidArgumentError("queue_capacity must be in 1..2^24");
  }
  if (options.max_message_size > wire::kMaxFramedMessage) {
    return absl::InvalidArgumentError("max_message_size exceeds the DATA frame's 2^24-1");
  }
  auto sender = MakeSender(options);
  if (!sender.ok()) return sender.status();
  return std::unique_ptr<FramedLink>(new FramedLink(options, *std::move(sender)));
}

FramedLink::FramedLink(const FramedLinkOptions& options, std::unique_ptr<Sender> sender)
    : options_(options), sender_(std::move(sender)), slots_(options.queue_capacity) {
  free_slots_.reserve(options.queue_capacity);
  // Hand out low slot numbers first (their buffers are the warm ones).
  for (size_t i = options.queue_capacity; i > 0; --i) {
    free_slots_.push_back(static_cast<SlotId>(i - 1));
  }
}

SendResult FramedLink::Send(std::span<const uint8_t> message, uint64_t now_us,
                            uint64_t* message_id) {
  if (message.size() > options_.max_message_size) {
    ++counters_.messages_refused_too_large;
    return SendResult::kTooLarge;
  }
  if (free_slots_.empty()) {
    ++counters_.messages_refused_full;
    return SendResult::kQueueFull;
  }
  const SlotId slot = free_slots_.back();
  free_slots_.pop_back();
  Slot& s = slots_[slot];
  s.bytes.assign(message.begin(), message.end());
  s.id = next_message_id_++;
  if (message_id != nullptr) *message_id = s.id;
  sender_->Push(slot);
  sender_out_.Clear();
  sender_->Poll(now_us, sender_out_);
  Drain();
  return SendResult::kQueued;
}

Received FramedLink::OnReceive(std::span<const uint8_t> frame, uint64_t now_us) {
  ++counters_.frames_in;
  wire::FrameView f;
  wire::DecodeError error;
  if (!wire::DecodeFrame(frame, &f, &error)) {
    ++counters_.malformed;
    return {ReceiveKind::kMalformed, {}};
  }
  if (f.type == wire::kFrameAck) {
    ++counters_.acks_in;
    sender_out_.Clear();
    sender_->OnAck(f.sequence, f.received, now_us, sender_out_);
    Drain();
    return {ReceiveKind::kAck, {}};
  }
  // DATA: ACKed (§6.6.3: SHOULD at once), a duplicate too: its first ACK may have been lost.
  const bool duplicate = receive_window_.Seen(f.sequence);
  if (!options_.coalesce_acks) {
    QueueAck(f.sequence, receive_window_.OnData(f.sequence));
  } else {
    // One ACK names its sequence N and, in its bitmask, N-32 .. N-1: the frames it answers
    // must lie within 32 of each other, or the pending ACK goes first. Distances are taken
    // modulo 2^32 from the pending span's ends, so far-apart sequences never merge.
    enum class Fit { kNone, kInside, kAbove, kBelow } fit = Fit::kNone;
    if (ack_pending_) {
      const uint32_t above_low = f.sequence - pending_low_;
      if (above_low <= pending_ack_ - pending_low_) {
        fit = Fit::kInside;
      } else if (above_low <= 32) {
        fit = Fit::kAbove;
      } else if (pending_ack_ - f.sequence <= 32) {
        fit = Fit::kBelow;
      } else {
        FlushAck();
      }
    }
    (void)receive_window_.OnData(f.sequence);
    if (!ack_pending_) {
      ack_pending_ = true;
      pending_ack_ = pending_low_ = f.sequence;
      pending_bits_ = 0;
    } else {
      ++counters_.acks_coalesced;
      // The burst's own frames go in the mask explicitly: the window's memory (64 behind its
      // highest) may not reach an old sequence that a retransmission or reordering brought.
      if (fit == Fit::kAbove) {
        const uint32_t shift = f.sequence - pending_ack_;  // 1..32
        pending_bits_ = static_cast<uint32_t>((uint64_t{pending_bits_} << shift) |
                                              (uint64_t{1} << (shift - 1)));
        pending_ack_ = f.sequence;
      } else if (f.sequence != pending_ack_) {  // kInside or kBelow: 1..32 below the ACK's N
        pending_bits_ |= uint32_t{1} << (pending_ack_ - f.sequence - 1);
        if (fit == Fit::kBelow) pending_low_ = f.sequence;
      }
    }
  }
  if (duplicate) {
    ++counters_.data_duplicates;
    return {ReceiveKind::kDuplicateData, {}};
  }
  ++counters_.data_delivered;
  return {ReceiveKind::kData, f.message};
}

void FramedLink::FlushAck() {
  if (!ack_pending_) return;
  ack_pending_ = false;
  // The mask as of now (frames that arrived after the named one, out of order, count too) and
  // every frame of the burst.
  QueueAck(pending_ack_, receive_window_.ReceivedMask(pending_ack_) | pending_bits_);
}

void FramedLink::QueueAck(uint32_t sequence, uint32_t received) {
  std::vector<uint8_t>& ack = NewFrame();
  wire::ByteWriter w(&ack);
  wire::EncodeAckFrame(w, sequence, received);
  ++counters_.acks_out;
}

void FramedLink::OnTimer(uint64_t now_us) {
  sender_out_.Clear();
  sender_->Poll(now_us, sender_out_);
  Drain();
}

std::vector<uint8_t>& FramedLink::NewFrame() {
  if (spare_buffers_.empty()) {
    out_.emplace_back();
  } else {
    out_.push_back(std::move(spare_buffers_.back()));
    spare_buffers_.pop_back();
  }
  ++counters_.frames_out;
  return out_.back();
}

void FramedLink::PopFrame() {
  if (out_.empty()) return;
  std::vector<uint8_t> buffer = std::move(out_.front());
  out_.pop_front();
  buffer.clear();  // keeps its capacity for the next frame
  spare_buffers_.push_back(std::move(buffer));
}

void FramedLink::AddEvent(LinkEvent::Type type, uint64_t id) {
  if (events_.size() >= options_.max_events) {
    ++counters_.events_dropped;
    return;
  }
  events_.push_back({type, id});
}

bool FramedLink::PollEvent(LinkEvent* event) {
  if (events_.empty()) return false;
  *event = events_.front();
  events_.pop_front();
  return true;
}

void FramedLink::Drain() {
  for (const Transmission& t : sender_out_.transmit) {
    std::vector<uint8_t>& frame = NewFrame();
    wire::ByteWriter w(&frame);
    wire::EncodeDataFrame(w, t.sequence, slots_[t.slot].bytes);
    if (t.release) FreeSlot(t.slot);
  }
  for (SlotId slot : sender_out_.delivered) {
    if (options_.report_deliveries) AddEvent(LinkEvent::Type::kDelivered, slots_[slot].id);
    FreeSlot(slot);
  }
  for (SlotId slot : sender_out_.given_up) {
    AddEvent(LinkEvent::Type::kGivenUp, slots_[slot].id);
    FreeSlot(slot);
  }
  for (LinkHealth h : sender_out_.health_changes) {
    AddEvent(h == LinkHealth::kUp       ? LinkEvent::Type::kRestored
             : h == LinkHealth::kFailed ? LinkEvent::Type::kFailed
                                        : LinkEvent::Type::kSuspect,
             0);
  }
  sender_out_.Clear();
}

}  // namespace p2psip::link

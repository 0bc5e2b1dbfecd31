#include "p2psip/link/overlay_link.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "p2psip/buffer_pool.h"
#include "p2psip/wire/constants.h"
#include "p2psip/wire/framing.h"

namespace p2psip::link {
namespace {

constexpr size_t kMaxRecord = 16384;  // a (D)TLS record's plaintext limit

}  // namespace

absl::StatusOr<std::unique_ptr<OverlayLink>> OverlayLink::Create(
    std::shared_ptr<const SecureContext> context, SecureRole role,
    std::optional<NodeId> expected_peer, const FramedLinkOptions& framing, uint64_t now_us) {
  if (context == nullptr) return absl::InvalidArgumentError("OverlayLink needs a context");
  const bool stream = context->transport() == SecureTransport::kStream;
  if (stream != (framing.mode == LinkMode::kStream)) {
    return absl::InvalidArgumentError("the framing mode does not match the (D)TLS transport");
  }
  absl::StatusOr<SecureSession> session =
      SecureSession::Create(std::move(context), role, std::move(expected_peer), now_us / 1000);
  if (!session.ok()) return session.status();
  absl::StatusOr<std::unique_ptr<FramedLink>> framed = FramedLink::Create(framing);
  if (!framed.ok()) return framed.status();
  return std::unique_ptr<OverlayLink>(
      new OverlayLink(*std::move(session), *std::move(framed), stream));
}

OverlayLink::OverlayLink(SecureSession session, std::unique_ptr<FramedLink> framing, bool stream)
    : session_(std::move(session)), framing_(std::move(framing)), stream_(stream) {
  for (std::vector<uint8_t>& datagram : session_.TakeOutput()) {
    output_.push_back(std::move(datagram));  // a client's first flight
  }
}

OverlayLink::State OverlayLink::state() const {
  if (!stream_error_.ok()) return State::kFailed;
  switch (session_.state()) {
    case SecureSession::State::kHandshaking:
      return State::kHandshaking;
    case SecureSession::State::kEstablished:
      return closed_ ? State::kClosed : State::kUp;
    case SecureSession::State::kClosed:
      return State::kClosed;
    case SecureSession::State::kFailed:
      return State::kFailed;
  }
  return State::kFailed;
}

absl::Status OverlayLink::status() const {
  if (!stream_error_.ok()) return stream_error_;
  return session_.status();
}

absl::Status OverlayLink::OnReceive(std::span<const uint8_t> bytes, uint64_t now_us,
                                    std::vector<std::vector<uint8_t>>* messages) {
  if (state() == State::kFailed) return status();
  absl::Status received = session_.OnReceive(bytes, now_us / 1000);
  records_.clear();
  session_.TakeReceived(&records_);
  for (std::vector<uint8_t>& record : records_) {
    if (stream_) {
      stream_in_.insert(stream_in_.end(), record.begin(), record.end());
    } else {
      Deliver(record, now_us, messages);  // one record, one frame
    }
    RecycleBuffer(record);
  }
  if (stream_) ConsumeStream(now_us, messages);
  Pump(now_us);
  return received.ok() ? status() : received;
}

void OverlayLink::Deliver(std::span<const uint8_t> frame, uint64_t now_us,
                          std::vector<std::vector<uint8_t>>* messages) {
  const Received r = framing_->OnReceive(frame, now_us);
  if (r.kind == ReceiveKind::kData) {
    messages->push_back(TakeBuffer());
    messages->back().assign(r.message.begin(), r.message.end());
  }
}

void OverlayLink::ConsumeStream(uint64_t now_us, std::vector<std::vector<uint8_t>>* messages) {
  size_t at = 0;
  while (stream_error_.ok() && at < stream_in_.size()) {
    const std::span<const uint8_t> rest(stream_in_.data() + at, stream_in_.size() - at);
    size_t frame_size = 0;
    if (rest[0] == wire::kFrameAck) {
      frame_size = wire::kAckFrameSize;
    } else if (rest[0] == wire::kFrameData) {
      if (rest.size() < wire::kDataFrameOverhead) break;
      const size_t length = (size_t{rest[5]} << 16) | (size_t{rest[6]} << 8) | rest[7];
      if (length > framing_->options().max_message_size) {
        ++counters_.stream_bad_frames;
        stream_error_ = absl::DataLossError(absl::StrCat("a DATA frame of ", length, " bytes"));
        break;
      }
      frame_size = wire::kDataFrameOverhead + length;
    } else {
      ++counters_.stream_bad_frames;
      stream_error_ =
          absl::DataLossError(absl::StrCat("unknown frame type ", rest[0], " in the TLS stream"));
      break;
    }
    if (rest.size() < frame_size) break;  // the rest of it is still on the way
    Deliver(rest.first(frame_size), now_us, messages);
    at += frame_size;
  }
  stream_in_.erase(stream_in_.begin(), stream_in_.begin() + static_cast<ptrdiff_t>(at));
}

SendResult OverlayLink::Send(std::span<const uint8_t> message, uint64_t now_us) {
  if (state() == State::kHandshaking) {
    if (message.size() > framing_->options().max_message_size) return SendResult::kTooLarge;
    if (waiting_.size() >= framing_->options().queue_capacity) {
      ++counters_.waiting_refused;
      return SendResult::kQueueFull;
    }
    waiting_.emplace_back(message.begin(), message.end());
    return SendResult::kQueued;
  }
  const SendResult result = framing_->Send(message, now_us);
  Pump(now_us);
  return result;
}

void OverlayLink::Pump(uint64_t now_us) {
  if (state() != State::kUp) {
    for (std::vector<uint8_t>& datagram : session_.TakeOutput()) {
      output_.push_back(std::move(datagram));  // handshake flights, alerts
    }
    return;
  }
  while (!waiting_.empty()) {
    framing_->Send(waiting_.front(), now_us);  // refusals are counted by the framing
    waiting_.pop_front();
  }
  SealFrames();
}

void OverlayLink::SealFrames() {
  while (framing_->HasOutput()) {
    const std::span<const uint8_t> frame = framing_->FrontFrame();
    if (stream_) {
      for (size_t at = 0; at < frame.size(); at += kMaxRecord) {
        (void)session_.Send(frame.subspan(at, std::min(kMaxRecord, frame.size() - at)));
      }
    } else if (frame.size() > kMaxRecord) {
      ++counters_.frames_too_large;  // its retransmissions fail too: the sender gives up
    } else {
      (void)session_.Send(frame);
    }
    framing_->PopFrame();
  }
  session_.TakeOutput(&output_);
}

void OverlayLink::OnTimer(uint64_t now_us) {
  if (session_.state() == SecureSession::State::kHandshaking) {
    (void)session_.OnTimeout(now_us / 1000);
  } else if (state() == State::kUp) {
    framing_->OnTimer(now_us);
  }
  Pump(now_us);
}

uint64_t OverlayLink::NextDeadline(uint64_t now_us) const {
  if (session_.state() == SecureSession::State::kHandshaking) {
    const std::optional<uint64_t> ms = session_.NextTimeout(now_us / 1000);
    return ms ? *ms * 1000 : kNever;
  }
  return state() == State::kUp ? framing_->NextDeadline() : kNever;
}

void OverlayLink::FlushAck() {
  if (!framing_->ack_pending()) return;
  framing_->FlushAck();
  if (state() == State::kUp) SealFrames();
}

std::vector<std::vector<uint8_t>> OverlayLink::TakeOutput() {
  FlushAck();
  std::vector<std::vector<uint8_t>> out;
  out.swap(output_);
  return out;
}

void OverlayLink::TakeOutput(std::vector<std::vector<uint8_t>>* out) {
  FlushAck();
  for (std::vector<uint8_t>& datagram : output_) out->push_back(std::move(datagram));
  output_.clear();
}

void OverlayLink::Close() {
  if (state() != State::kUp && state() != State::kHandshaking) return;
  FlushAck();  // the peer's last messages arrived: say so before close_notify
  session_.Close();
  closed_ = true;
  for (std::vector<uint8_t>& datagram : session_.TakeOutput()) {
    output_.push_back(std::move(datagram));
  }
}

}  // namespace p2psip::link

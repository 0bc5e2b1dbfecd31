#include "p2psip/wire/framing.h"

namespace p2psip::wire {

bool DecodeFrame(std::span<const uint8_t> input, FrameView* out, DecodeError* error) {
  *error = {};
  ByteReader r(input, error);
  *out = FrameView{};
  if (!r.ReadU8(&out->type, "frame.type")) return false;
  switch (out->type) {
    case kFrameData:
      return r.ReadU32(&out->sequence, "frame.data.sequence") &&
             r.ReadOpaqueView(3, &out->message, "frame.data.message") &&
             r.ExpectEnd("frame.data (bytes after message)");
    case kFrameAck:
      return r.ReadU32(&out->sequence, "frame.ack.ack_sequence") &&
             r.ReadU32(&out->received, "frame.ack.received") &&
             r.ExpectEnd("frame.ack (bytes after received)");
    default:
      return r.FailAt(DecodeErrorCode::kUnknownType, 0, "frame.type");
  }
}

void EncodeDataFrame(ByteWriter& w, uint32_t sequence, std::span<const uint8_t> message) {
  w.WriteU8(kFrameData);
  w.WriteU32(sequence);
  w.WriteOpaque(3, message, "frame.data.message");
}

void EncodeAckFrame(ByteWriter& w, uint32_t ack_sequence, uint32_t received) {
  w.WriteU8(kFrameAck);
  w.WriteU32(ack_sequence);
  w.WriteU32(received);
}

uint32_t ReceiveWindow::OnData(uint32_t sequence) {
  if (!any_) {
    any_ = true;
    highest_ = sequence;
    seen_ = 1;
    return 0;
  }
  const int32_t ahead = static_cast<int32_t>(sequence - highest_);
  if (ahead >= 0) {
    seen_ = ahead >= 64 ? 0 : seen_ << ahead;
    seen_ |= 1;
    highest_ = sequence;
    return static_cast<uint32_t>(seen_ >> 1);
  }
  const uint32_t behind = static_cast<uint32_t>(-static_cast<int64_t>(ahead));
  if (behind < 64) seen_ |= uint64_t{1} << behind;
  // Bits for M = sequence-1, sequence-2, ...: those are highest_-behind-1, ...
  return behind + 1 < 64 ? static_cast<uint32_t>(seen_ >> (behind + 1)) : 0;
}

uint32_t ReceiveWindow::ReceivedMask(uint32_t sequence) const {
  if (!any_) return 0;
  const int32_t ahead = static_cast<int32_t>(sequence - highest_);
  if (ahead > 0) return 0;
  const uint32_t behind = static_cast<uint32_t>(-static_cast<int64_t>(ahead));
  return behind + 1 < 64 ? static_cast<uint32_t>(seen_ >> (behind + 1)) : 0;
}

bool ReceiveWindow::Seen(uint32_t sequence) const {
  if (!any_) return false;
  const int32_t ahead = static_cast<int32_t>(sequence - highest_);
  if (ahead > 0) return false;
  const uint32_t behind = static_cast<uint32_t>(-static_cast<int64_t>(ahead));
  return behind < 64 && ((seen_ >> behind) & 1) != 0;
}

}  // namespace p2psip::wire

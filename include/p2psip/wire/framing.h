// Overlay link framing (RFC 6940 §6.6.2): every RELOAD message travels inside a DATA frame, and
// the receiver answers each DATA with an ACK carrying a bitmask of recently received frames.
//
//   DATA: uint8 type=128 · uint32 sequence · opaque message<0..2^24-1>
//   ACK:  uint8 type=129 · uint32 ack_sequence · uint32 received
//
// `received` has bit (N-M-1) set, LSB first, for each earlier frame M with N-32 <= M < N that
// arrived (digest §15.4: the RFC does not number the bits; this is Wireshark's reading).
#ifndef P2PSIP_WIRE_FRAMING_H_
#define P2PSIP_WIRE_FRAMING_H_

#include <cstdint>
#include <span>
#include <vector>

#include "p2psip/wire/byte_reader.h"
#include "p2psip/wire/byte_writer.h"
#include "p2psip/wire/constants.h"

namespace p2psip::wire {

inline constexpr size_t kDataFrameOverhead = 8;
inline constexpr size_t kAckFrameSize = 9;

// A decoded frame; for DATA `message` views the input (no copy).
struct FrameView {
  uint8_t type = 0;                  // kFrameData or kFrameAck
  uint32_t sequence = 0;             // DATA: sequence; ACK: ack_sequence
  uint32_t received = 0;             // ACK only
  std::span<const uint8_t> message;  // DATA only
};

// Decodes one frame that spans all of `input`.
bool DecodeFrame(std::span<const uint8_t> input, FrameView* out, DecodeError* error);
void EncodeDataFrame(ByteWriter& w, uint32_t sequence, std::span<const uint8_t> message);
void EncodeAckFrame(ByteWriter& w, uint32_t ack_sequence, uint32_t received);

// Receiver side of the framing: remembers which of the last sequence numbers arrived and builds
// the ACK for each DATA frame. Sequence numbers wrap modulo 2^32.
class ReceiveWindow {
 public:
  // Records DATA frame `sequence` and returns the `received` mask of its ACK.
  uint32_t OnData(uint32_t sequence);
  // Whether `sequence` was seen among the last 64 sequence numbers (duplicate detection).
  bool Seen(uint32_t sequence) const;
  // The `received` mask an ACK of `sequence` carries now, counting every frame recorded so far
  // (a later ACK of the same sequence may cover frames that arrived after its DATA). 0 for a
  // sequence ahead of every recorded one.
  uint32_t ReceivedMask(uint32_t sequence) const;

 private:
  bool any_ = false;
  uint32_t highest_ = 0;
  uint64_t seen_ = 0;  // bit i: highest_ - i arrived
};

}  // namespace p2psip::wire

#endif  // P2PSIP_WIRE_FRAMING_H_

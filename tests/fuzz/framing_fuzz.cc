// Fuzz target: link framing (DATA/ACK) and the receiver's ACK bitmask.
// Property: a frame that decodes re-encodes to the same bytes; the receive window never
// misbehaves whatever sequence numbers arrive.
#include <cstdint>
#include <cstring>
#include <vector>

#include "p2psip/wire/forwarding_view.h"
#include "p2psip/wire/framing.h"

using namespace p2psip::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FrameView f;
  DecodeError err;
  if (DecodeFrame({data, size}, &f, &err)) {
    std::vector<uint8_t> out;
    ByteWriter w(&out);
    if (f.type == kFrameData) {
      EncodeDataFrame(w, f.sequence, f.message);
      // A transit node views the framed message's forwarding header next.
      std::vector<uint8_t> msg(f.message.begin(), f.message.end());
      ForwardingView v;
      if (ForwardingView::Parse(msg.data(), msg.size(), &v) == ViewError::kOk) {
        (void)v.transaction_id();
      }
    } else {
      EncodeAckFrame(w, f.sequence, f.received);
    }
    if (!w.ok() || out.size() != size || std::memcmp(out.data(), data, size) != 0) {
      __builtin_trap();
    }
  } else if (err.ok()) {
    __builtin_trap();  // failure must say why
  }
  // Sequence numbers as a DATA stream: every 4 bytes is one arrival.
  // The window remembers the last 64 sequence numbers before the newest one it has seen.
  ReceiveWindow window;
  uint32_t newest = 0;
  for (size_t i = 0; i + 4 <= size; i += 4) {
    uint32_t seq;
    std::memcpy(&seq, data + i, 4);
    if (i == 0 || static_cast<int32_t>(seq - newest) > 0) newest = seq;
    (void)window.OnData(seq);
    if (static_cast<int32_t>(seq - newest) > -64 && !window.Seen(seq)) __builtin_trap();
  }
  return 0;
}

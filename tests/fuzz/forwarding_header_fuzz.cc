// Fuzz target: the forwarding header, in both its forms.
// Properties: a header that decodes re-encodes to the same bytes; the in-place view accepts
// what the full decoder accepts (first destination permitting) and its edits (TTL, Via append,
// Destination pop) produce a header the full decoder reads back with exactly that change.
// The first input byte picks the overlay's NodeIdLength (16..20).
#include <cstdint>
#include <cstring>
#include <vector>

#include "p2psip/wire/codec.h"
#include "p2psip/wire/forwarding_header.h"
#include "p2psip/wire/forwarding_view.h"

using namespace p2psip::wire;
using p2psip::NodeId;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const WireContext ctx{.node_id_length = static_cast<uint8_t>(16 + data[0] % 5)};
  const std::span<const uint8_t> input(data + 1, size - 1);

  ForwardingHeader h;
  DecodeError err;
  const bool decoded = DecodeExact(input, &h, &err, ctx);
  if (decoded) {
    auto again = EncodeToBytes(h);
    if (!again.ok() || *again != std::vector<uint8_t>(input.begin(), input.end())) {
      __builtin_trap();
    }
  } else if (err.ok()) {
    __builtin_trap();
  }

  // The view needs `length` to equal the buffer size; patch it so the view is exercised on
  // every input, with headroom in front as on an mbuf.
  constexpr size_t kHeadroom = 64;
  std::vector<uint8_t> buf(kHeadroom + input.size());
  std::memcpy(buf.data() + kHeadroom, input.data(), input.size());
  uint8_t* msg = buf.data() + kHeadroom;
  if (input.size() >= 20) {
    const uint32_t n = static_cast<uint32_t>(input.size());
    msg[16] = n >> 24, msg[17] = n >> 16, msg[18] = n >> 8, msg[19] = n;
  }
  ForwardingView v;
  if (ForwardingView::Parse(msg, input.size(), &v, ctx.node_id_length) != ViewError::kOk) {
    return 0;
  }
  const uint8_t ttl = v.ttl();
  const uint16_t via_len = v.via_list_length();
  std::vector<uint8_t> id_bytes(ctx.node_id_length, 0x42);
  const NodeId me(id_bytes);
  const bool dec = v.DecrementTtl();
  const bool app = v.AppendVia(me, kHeadroom);
  if (dec != (ttl > 0) || v.ttl() != (dec ? ttl - 1 : ttl)) __builtin_trap();
  if (app && (v.via_list_length() != via_len + 2 + ctx.node_id_length || v.length() != v.size())) {
    __builtin_trap();
  }
  if (decoded && app) {
    // The edited bytes decode to the original header plus exactly those edits.
    ForwardingHeader edited;
    DecodeError e2;
    if (!DecodeExact({v.data(), v.size()}, &edited, &e2, ctx)) __builtin_trap();
    h.ttl = v.ttl();
    h.length = static_cast<uint32_t>(v.size());
    h.via_list.push_back(Destination::Node(me));
    if (!(edited == h)) __builtin_trap();
  }
  (void)v.PopFirstDestination(ctx.node_id_length);
  return 0;
}

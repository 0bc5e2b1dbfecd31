// Fuzz target: whole messages, every method body, message extensions, and reassembly.
// Properties: a message that decodes re-encodes to the same bytes; so does every body that
// decodes for its message code; fragments of it reassemble to the same bytes.
// The first input byte picks the overlay's NodeIdLength (16..20).
#include <cstdint>
#include <vector>

#include "p2psip/wire/body.h"
#include "p2psip/wire/codec.h"
#include "p2psip/wire/diagnostics.h"
#include "p2psip/wire/fragmentation.h"
#include "p2psip/wire/message.h"

using namespace p2psip::wire;

namespace {

template <class T>
void CheckRoundTrip(std::span<const uint8_t> bytes, WireContext ctx) {
  T value{};
  DecodeError err;
  if (!DecodeExact(bytes, &value, &err, ctx)) return;
  auto again = EncodeToBytes(value);
  if (!again.ok() || *again != std::vector<uint8_t>(bytes.begin(), bytes.end())) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const WireContext ctx{.node_id_length = static_cast<uint8_t>(16 + data[0] % 5)};
  const std::span<const uint8_t> input(data + 1, size - 1);

  Message m;
  DecodeError err;
  if (!DecodeMessage(input, &m, &err, ctx, MessageLimits{.max_message_size = 1 << 20})) {
    if (err.ok()) __builtin_trap();
    // Bodies are fuzzed on their own too, keyed by the first two bytes as a message code.
    if (input.size() >= 2) {
      const uint16_t code = static_cast<uint16_t>((input[0] << 8) | input[1]);
      Body body;
      if (DecodeBody(code, input.subspan(2), &body, &err, ctx)) {
        std::vector<uint8_t> out;
        ByteWriter w(&out);
        Encode(w, body);
        if (!w.ok() || out != std::vector<uint8_t>(input.begin() + 2, input.end())) {
          __builtin_trap();
        }
      }
    }
    return 0;
  }
  auto again = EncodeMessage(m);
  if (!again.ok() || *again != std::vector<uint8_t>(input.begin(), input.end())) __builtin_trap();

  Body body;
  if (DecodeBody(m.contents.message_code, m.contents.body, &body, &err, ctx)) {
    std::vector<uint8_t> out;
    ByteWriter w(&out);
    Encode(w, body);
    if (!w.ok() || out != m.contents.body) __builtin_trap();
  }
  for (const MessageExtension& ext : m.contents.extensions) {
    if (ext.type == kExtensionDiagnosticPing) {
      CheckRoundTrip<DiagnosticsRequest>(ext.content, ctx);
      CheckRoundTrip<DiagnosticsResponse>(ext.content, ctx);
    } else if (ext.type == kExtensionSelfTuningData) {
      CheckRoundTrip<SelfTuningData>(ext.content, ctx);
    }
  }

  // Fragment at a small MTU and reassemble out of order.
  if (m.header.fragment == kUnfragmented && ctx.node_id_length == 16) {
    auto frags = FragmentMessage(input, 600);
    if (frags.ok() && frags->size() > 1) {
      Reassembler r(ReassemblyLimits{.max_message_size = 1 << 20});
      std::vector<uint8_t> whole;
      Reassembler::Result res = Reassembler::Result::kPending;
      for (size_t i = frags->size(); i-- > 0;) res = r.Add((*frags)[i], 0, &whole);
      if (res != Reassembler::Result::kComplete ||
          whole != std::vector<uint8_t>(input.begin(), input.end())) {
        __builtin_trap();
      }
    }
  }
  return 0;
}

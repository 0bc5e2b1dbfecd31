#include "p2psip/wire/message.h"

namespace p2psip::wire {

bool Decode(ByteReader& r, MessageExtension* out) {
  return r.ReadU16(&out->type, "extension.type") &&
         r.ReadBool(&out->critical, "extension.critical") &&
         r.ReadOpaque(4, &out->content, "extension.extension_contents");
}

void Encode(ByteWriter& w, const MessageExtension& v) {
  w.WriteU16(v.type);
  w.WriteBool(v.critical);
  w.WriteOpaque(4, v.content, "extension.extension_contents");
}

bool Decode(ByteReader& r, MessageContents* out) {
  return r.ReadU16(&out->message_code, "contents.message_code") &&
         r.ReadOpaque(4, &out->body, "contents.message_body") &&
         ReadList(r, 4, &out->extensions, "contents.extensions");
}

void Encode(ByteWriter& w, const MessageContents& v) {
  w.WriteU16(v.message_code);
  w.WriteOpaque(4, v.body, "contents.message_body");
  WriteList(w, 4, v.extensions, "contents.extensions");
}

ErrorResponse ErrorResponse::WithText(ErrorCode code, std::string_view text) {
  ErrorResponse e;
  e.error_code = static_cast<uint16_t>(code);
  e.error_info.assign(text.begin(), text.end());
  return e;
}

bool Decode(ByteReader& r, ErrorResponse* out) {
  return r.ReadU16(&out->error_code, "error_response.error_code") &&
         r.ReadOpaque(2, &out->error_info, "error_response.error_info");
}

void Encode(ByteWriter& w, const ErrorResponse& v) {
  w.WriteU16(v.error_code);
  w.WriteOpaque(2, v.error_info, "error_response.error_info");
}

bool DecodeMessage(std::span<const uint8_t> input, Message* out, DecodeError* error,
                   WireContext ctx, MessageLimits limits, MessageLayout* layout) {
  *error = {};
  ByteReader r(input, error, ctx);
  if (input.size() > limits.max_message_size) {
    return r.Fail(DecodeErrorCode::kTooLarge, "message (exceeds max-message-size)");
  }
  if (!Decode(r, &out->header)) return false;
  if (out->header.length != input.size()) {
    return r.FailAt(DecodeErrorCode::kLengthMismatch, 16, "forwarding.length");
  }
  const size_t contents_offset = r.offset();
  if (!Decode(r, &out->contents)) return false;
  const size_t security_offset = r.offset();
  if (!Decode(r, &out->security) || !r.ExpectEnd("message (bytes after security block)")) {
    return false;
  }
  if (layout != nullptr) {
    layout->header_size = contents_offset;
    layout->contents_offset = contents_offset;
    layout->contents_size = security_offset - contents_offset;
    layout->security_offset = security_offset;
  }
  return true;
}

absl::StatusOr<Message> DecodeMessage(std::span<const uint8_t> input, WireContext ctx,
                                      MessageLimits limits) {
  Message m;
  DecodeError error;
  if (!DecodeMessage(input, &m, &error, ctx, limits)) return error.ToStatus();
  return m;
}

void EncodeMessage(ByteWriter& w, const Message& m) {
  const size_t start = w.size();
  Encode(w, m.header);
  Encode(w, m.contents);
  Encode(w, m.security);
  const size_t total = w.size() - start;
  if (total > 0xFFFFFFFFu) w.Fail("forwarding.length", total, 0xFFFFFFFFu);
  w.PatchU32(start + 16, static_cast<uint32_t>(total));
}

absl::StatusOr<std::vector<uint8_t>> EncodeMessage(const Message& m) {
  std::vector<uint8_t> out;
  out.reserve(m.header.WireSize() + m.contents.body.size() + 64);
  ByteWriter w(&out);
  EncodeMessage(w, m);
  if (!w.ok()) return absl::InvalidArgumentError(w.error().ToString());
  return out;
}

MessageContents MakeErrorContents(const ErrorResponse& error) {
  MessageContents c;
  c.message_code = static_cast<uint16_t>(MessageCode::kError);
  ByteWriter w(&c.body);
  Encode(w, error);
  return c;
}

std::vector<uint8_t> MessageSignatureInput(uint32_t overlay, uint64_t transaction_id,
                                           std::span<const uint8_t> contents) {
  std::vector<uint8_t> in;
  in.reserve(12 + contents.size());
  for (int i = 3; i >= 0; --i) in.push_back(static_cast<uint8_t>(overlay >> (8 * i)));
  for (int i = 7; i >= 0; --i) in.push_back(static_cast<uint8_t>(transaction_id >> (8 * i)));
  in.insert(in.end(), contents.begin(), contents.end());
  return in;
}

}  // namespace p2psip::wire

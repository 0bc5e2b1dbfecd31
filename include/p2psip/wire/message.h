// A whole RELOAD message (RFC 6940 §6.3): ForwardingHeader ‖ MessageContents ‖ SecurityBlock.
//
//   MessageContents   = uint16 message_code · opaque message_body<0..2^32-1> ·
//                       MessageExtension extensions<0..2^32-1>
//   MessageExtension  = uint16 type · Boolean critical · opaque extension_contents<0..2^32-1>
//   ErrorResponse     = uint16 error_code · opaque error_info<0..2^16-1>   (code 0xFFFF)
//
// The body stays as bytes here: its structure depends on the message code (see body.h), and a
// node only parses the body of messages addressed to it.
#ifndef P2PSIP_WIRE_MESSAGE_H_
#define P2PSIP_WIRE_MESSAGE_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "p2psip/wire/byte_reader.h"
#include "p2psip/wire/byte_writer.h"
#include "p2psip/wire/forwarding_header.h"
#include "p2psip/wire/security_block.h"

namespace p2psip::wire {

struct MessageExtension {
  uint16_t type = 0;
  bool critical = false;
  std::vector<uint8_t> content;
  friend bool operator==(const MessageExtension&, const MessageExtension&) = default;
};
bool Decode(ByteReader& r, MessageExtension* out);
void Encode(ByteWriter& w, const MessageExtension& v);

struct MessageContents {
  uint16_t message_code = 0;
  std::vector<uint8_t> body;
  std::vector<MessageExtension> extensions;
  friend bool operator==(const MessageContents&, const MessageContents&) = default;
};
bool Decode(ByteReader& r, MessageContents* out);
void Encode(ByteWriter& w, const MessageContents& v);

struct ErrorResponse {
  uint16_t error_code = 0;
  std::vector<uint8_t> error_info;  // UTF-8 text unless the error defines a structure

  static ErrorResponse WithText(ErrorCode code, std::string_view text);
  friend bool operator==(const ErrorResponse&, const ErrorResponse&) = default;
};
bool Decode(ByteReader& r, ErrorResponse* out);
void Encode(ByteWriter& w, const ErrorResponse& v);

struct Message {
  ForwardingHeader header;
  MessageContents contents;
  SecurityBlock security;
  friend bool operator==(const Message&, const Message&) = default;
};

// Where the parts of a decoded message lie in its bytes (the signature input needs the exact
// MessageContents bytes, §6.3.4).
struct MessageLayout {
  size_t header_size = 0;
  size_t contents_offset = 0;
  size_t contents_size = 0;
  size_t security_offset = 0;
};

struct MessageLimits {
  // Overlay max-message-size (§6.6, default 5000); larger messages are kTooLarge.
  size_t max_message_size = kDefaultMaxMessageSize;
};

// Decodes a whole message (unfragmented, or reassembled by Reassembler). Checks header.length ==
// input size and the size limit, then decodes all three parts and requires them to fill the input
// exactly.
bool DecodeMessage(std::span<const uint8_t> input, Message* out, DecodeError* error,
                   WireContext ctx = {}, MessageLimits limits = {},
                   MessageLayout* layout = nullptr);
absl::StatusOr<Message> DecodeMessage(std::span<const uint8_t> input, WireContext ctx = {},
                                      MessageLimits limits = {});

// Encodes with header.length and the list lengths computed; header.length in `m` is ignored.
void EncodeMessage(ByteWriter& w, const Message& m);
absl::StatusOr<std::vector<uint8_t>> EncodeMessage(const Message& m);

// The signature input of a message (RFC 6940 §6.3.4) before the signer's identity, which the
// signer appends: overlay ‖ transaction_id ‖ the MessageContents bytes.
std::vector<uint8_t> MessageSignatureInput(uint32_t overlay, uint64_t transaction_id,
                                           std::span<const uint8_t> contents);

// Builds the contents of an error answer (code 0xFFFF).
MessageContents MakeErrorContents(const ErrorResponse& error);

}  // namespace p2psip::wire

#endif  // P2PSIP_WIRE_MESSAGE_H_

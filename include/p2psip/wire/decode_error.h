// Typed decode errors: what was wrong with an input and where.
//
// Every decoder in p2psip::wire reports failure through a DecodeError instead of throwing or
// allocating. The error carries a code, the absolute byte offset in the input where the bad
// field starts, and the name of the field (a string literal, so recording an error never
// allocates). The first error recorded wins: outer decoders do not overwrite the precise error
// an inner decoder found.
#ifndef P2PSIP_WIRE_DECODE_ERROR_H_
#define P2PSIP_WIRE_DECODE_ERROR_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace p2psip::wire {

enum class DecodeErrorCode : uint8_t {
  kOk = 0,
  kTruncated,       // a fixed field or declared length runs past the end of its container
  kTooLarge,        // a declared length exceeds the protocol (or configured) maximum
  kBadValue,        // a field holds a value the RFC forbids (bad token, bool not 0/1, ...)
  kUnknownType,     // a select() discriminant that has no arm here and no length to skip it
  kTrailingBytes,   // bytes remain after a structure that must fill its container exactly
  kLengthMismatch,  // a length field disagrees with the structure it describes
};

const char* DecodeErrorCodeName(DecodeErrorCode code);

struct DecodeError {
  DecodeErrorCode code = DecodeErrorCode::kOk;
  uint32_t offset = 0;          // absolute offset of the offending field in the outer input
  const char* field = nullptr;  // static string naming the field, e.g. "forwarding.via_list"

  bool ok() const { return code == DecodeErrorCode::kOk; }
  // "truncated at byte 42 (store_req.kind_data)"
  std::string ToString() const;
  // kInvalidArgument carrying ToString(); OkStatus() when ok().
  absl::Status ToStatus() const;
};

// An encode error: a value too long for its length prefix or the protocol maximum, too short
// for its minimum, or a value the RFC does not allow (an unknown select type, ...).
struct EncodeError {
  enum class Kind : uint8_t { kNone, kTooLong, kTooShort, kInvalid };
  Kind kind = Kind::kNone;
  bool failed = false;
  const char* field = nullptr;
  size_t length = 0;  // kTooLong / kTooShort: the length that did not fit
  size_t limit = 0;   // the maximum or minimum allowed
  std::string ToString() const;
};

}  // namespace p2psip::wire

#endif  // P2PSIP_WIRE_DECODE_ERROR_H_

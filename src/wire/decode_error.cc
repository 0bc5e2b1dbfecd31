#include "p2psip/wire/decode_error.h"

#include "absl/strings/str_format.h"

namespace p2psip::wire {

const char* DecodeErrorCodeName(DecodeErrorCode code) {
  switch (code) {
    case DecodeErrorCode::kOk:
      return "ok";
    case DecodeErrorCode::kTruncated:
      return "truncated";
    case DecodeErrorCode::kTooLarge:
      return "length exceeds protocol maximum";
    case DecodeErrorCode::kBadValue:
      return "invalid value";
    case DecodeErrorCode::kUnknownType:
      return "unknown type";
    case DecodeErrorCode::kTrailingBytes:
      return "trailing bytes";
    case DecodeErrorCode::kLengthMismatch:
      return "length mismatch";
  }
  return "unknown error";
}

std::string DecodeError::ToString() const {
  if (ok()) return "ok";
  return absl::StrFormat("%s at byte %u (%s)", DecodeErrorCodeName(code), offset,
                         field != nullptr ? field : "?");
}

absl::Status DecodeError::ToStatus() const {
  if (ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(ToString());
}

std::string EncodeError::ToString() const {
  const char* f = field != nullptr ? field : "?";
  switch (kind) {
    case Kind::kNone:
      return "ok";
    case Kind::kTooLong:
      return absl::StrFormat("%s: length %u exceeds maximum %u", f, length, limit);
    case Kind::kTooShort:
      return absl::StrFormat("%s: length %u is below minimum %u", f, length, limit);
    case Kind::kInvalid:
      return absl::StrFormat("%s: value not allowed on the wire", f);
  }
  return "encode error";
}

}  // namespace p2psip::wire

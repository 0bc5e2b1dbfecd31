#include "p2psip/wire/byte_reader.h"

#include <cstring>

namespace p2psip::wire {

bool ByteReader::FailAt(DecodeErrorCode code, uint32_t offset, const char* field) const {
  if (error_ != nullptr && error_->ok()) {
    error_->code = code;
    error_->offset = offset;
    error_->field = field;
  }
  return false;
}

bool ByteReader::ExpectEnd(const char* field) const {
  return empty() || Fail(DecodeErrorCode::kTrailingBytes, field);
}

bool ByteReader::ReadU8(uint8_t* v, const char* field) {
  if (remaining() < 1) return Fail(DecodeErrorCode::kTruncated, field);
  *v = data_[pos_++];
  return true;
}

bool ByteReader::ReadU16(uint16_t* v, const char* field) {
  if (remaining() < 2) return Fail(DecodeErrorCode::kTruncated, field);
  const uint8_t* p = data_ + pos_;
  *v = static_cast<uint16_t>((p[0] << 8) | p[1]);
  pos_ += 2;
  return true;
}

bool ByteReader::ReadU24(uint32_t* v, const char* field) {
  if (remaining() < 3) return Fail(DecodeErrorCode::kTruncated, field);
  const uint8_t* p = data_ + pos_;
  *v = (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2];
  pos_ += 3;
  return true;
}

bool ByteReader::ReadU32(uint32_t* v, const char* field) {
  if (remaining() < 4) return Fail(DecodeErrorCode::kTruncated, field);
  const uint8_t* p = data_ + pos_;
  *v = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
  pos_ += 4;
  return true;
}

bool ByteReader::ReadU64(uint64_t* v, const char* field) {
  if (remaining() < 8) return Fail(DecodeErrorCode::kTruncated, field);
  uint64_t x = 0;
  for (int i = 0; i < 8; ++i) x = (x << 8) | data_[pos_ + i];
  *v = x;
  pos_ += 8;
  return true;
}

bool ByteReader::ReadBool(bool* v, const char* field) {
  const uint32_t at = offset();
  uint8_t b = 0;
  if (!ReadU8(&b, field)) return false;
  if (b > 1) return FailAt(DecodeErrorCode::kBadValue, at, field);
  *v = b == 1;
  return true;
}

bool ByteReader::ReadFixed(size_t n, std::span<const uint8_t>* out, const char* field) {
  if (remaining() < n) return Fail(DecodeErrorCode::kTruncated, field);
  *out = {data_ + pos_, n};
  pos_ += n;
  return true;
}

bool ByteReader::ReadFixed(size_t n, uint8_t* dst, const char* field) {
  if (remaining() < n) return Fail(DecodeErrorCode::kTruncated, field);
  if (n > 0) std::memcpy(dst, data_ + pos_, n);
  pos_ += n;
  return true;
}

bool ByteReader::ReadLength(int prefix_bytes, size_t max, size_t* length, const char* field) {
  const uint32_t at = offset();
  uint32_t len = 0;
  switch (prefix_bytes) {
    case 1: {
      uint8_t b = 0;
      if (!ReadU8(&b, field)) return false;
      len = b;
      break;
    }
    case 2: {
      uint16_t s = 0;
      if (!ReadU16(&s, field)) return false;
      len = s;
      break;
    }
    case 3:
      if (!ReadU24(&len, field)) return false;
      break;
    case 4:
      if (!ReadU32(&len, field)) return false;
      break;
    default:
      return FailAt(DecodeErrorCode::kBadValue, at, field);
  }
  if (len > max) return FailAt(DecodeErrorCode::kTooLarge, at, field);
  if (len > remaining()) return FailAt(DecodeErrorCode::kTruncated, at, field);
  *length = len;
  return true;
}

bool ByteReader::ReadOpaqueView(int prefix_bytes, std::span<const uint8_t>* out, const char* field,
                                size_t max) {
  size_t len = 0;
  if (!ReadLength(prefix_bytes, max, &len, field)) return false;
  return ReadFixed(len, out, field);
}

bool ByteReader::ReadOpaque(int prefix_bytes, std::vector<uint8_t>* out, const char* field,
                            size_t max) {
  std::span<const uint8_t> view;
  if (!ReadOpaqueView(prefix_bytes, &view, field, max)) return false;
  out->assign(view.begin(), view.end());
  return true;
}

bool ByteReader::ReadOpaque(int prefix_bytes, std::string* out, const char* field, size_t max) {
  std::span<const uint8_t> view;
  if (!ReadOpaqueView(prefix_bytes, &view, field, max)) return false;
  out->assign(reinterpret_cast<const char*>(view.data()), view.size());
  return true;
}

bool ByteReader::ReadSub(size_t n, ByteReader* sub, const char* field) {
  if (remaining() < n) return Fail(DecodeErrorCode::kTruncated, field);
  *sub = ByteReader({data_ + pos_, n}, error_, ctx_, offset());
  pos_ += n;
  return true;
}

bool ByteReader::ReadVector(int prefix_bytes, ByteReader* sub, const char* field, size_t max) {
  size_t len = 0;
  if (!ReadLength(prefix_bytes, max, &len, field)) return false;
  return ReadSub(len, sub, field);
}

}  // namespace p2psip::wire

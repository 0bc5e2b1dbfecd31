#include "p2psip/wire/byte_writer.h"

#include <algorithm>

namespace p2psip::wire {

void ByteWriter::WriteU16(uint16_t v) {
  out_->push_back(static_cast<uint8_t>(v >> 8));
  out_->push_back(static_cast<uint8_t>(v));
}

void ByteWriter::WriteU24(uint32_t v) {
  out_->push_back(static_cast<uint8_t>(v >> 16));
  out_->push_back(static_cast<uint8_t>(v >> 8));
  out_->push_back(static_cast<uint8_t>(v));
}

void ByteWriter::WriteU32(uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out_->push_back(static_cast<uint8_t>(v >> shift));
}

void ByteWriter::WriteU64(uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out_->push_back(static_cast<uint8_t>(v >> shift));
}

void ByteWriter::WriteBytes(std::span<const uint8_t> bytes) {
  out_->insert(out_->end(), bytes.begin(), bytes.end());
}

void ByteWriter::WriteBytes(std::string_view bytes) {
  out_->insert(out_->end(), bytes.begin(), bytes.end());
}

void ByteWriter::Fail(const char* field, size_t length, size_t max) {
  if (error_.failed) return;
  error_ = {EncodeError::Kind::kTooLong, true, field, length, max};
}

void ByteWriter::FailTooShort(const char* field, size_t length, size_t min) {
  if (error_.failed) return;
  error_ = {EncodeError::Kind::kTooShort, true, field, length, min};
}

void ByteWriter::FailInvalid(const char* field) {
  if (error_.failed) return;
  error_ = {EncodeError::Kind::kInvalid, true, field, 0, 0};
}

static void WritePrefix(ByteWriter& w, int prefix_bytes, size_t len) {
  switch (prefix_bytes) {
    case 1:
      w.WriteU8(static_cast<uint8_t>(len));
      break;
    case 2:
      w.WriteU16(static_cast<uint16_t>(len));
      break;
    case 3:
      w.WriteU24(static_cast<uint32_t>(len));
      break;
    default:
      w.WriteU32(static_cast<uint32_t>(len));
      break;
  }
}

void ByteWriter::WriteOpaque(int prefix_bytes, std::span<const uint8_t> bytes, const char* field,
                             size_t max) {
  const size_t limit = std::min(max, PrefixMax(prefix_bytes));
  if (bytes.size() > limit) Fail(field, bytes.size(), limit);
  WritePrefix(*this, prefix_bytes, bytes.size());
  WriteBytes(bytes);
}

void ByteWriter::WriteOpaque(int prefix_bytes, std::string_view bytes, const char* field,
                             size_t max) {
  WriteOpaque(
      prefix_bytes,
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), field,
      max);
}

size_t ByteWriter::BeginVector(int prefix_bytes) {
  const size_t mark = out_->size();
  out_->resize(out_->size() + prefix_bytes);
  return mark;
}

void ByteWriter::EndVector(size_t mark, int prefix_bytes, const char* field, size_t max) {
  const size_t len = out_->size() - mark - prefix_bytes;
  const size_t limit = std::min(max, PrefixMax(prefix_bytes));
  if (len > limit) Fail(field, len, limit);
  uint8_t* p = out_->data() + mark;
  for (int i = prefix_bytes - 1; i >= 0; --i) {
    p[i] = static_cast<uint8_t>(len >> (8 * (prefix_bytes - 1 - i)));
  }
}

void ByteWriter::PatchU16(size_t pos, uint16_t v) {
  (*out_)[pos] = static_cast<uint8_t>(v >> 8);
  (*out_)[pos + 1] = static_cast<uint8_t>(v);
}

void ByteWriter::PatchU32(size_t pos, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*out_)[pos + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

}  // namespace p2psip::wire

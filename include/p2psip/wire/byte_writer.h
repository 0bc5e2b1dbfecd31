// ByteWriter: big-endian appends to a caller-owned byte vector.
//
// Length-prefixed vectors are written with BeginVector/EndVector, which reserve the prefix and
// patch it once the contents are known. A value that does not fit its prefix (or the protocol
// maximum given to EndVector / WriteOpaque) records an EncodeError; the writer keeps going so
// callers check ok() once at the end.
#ifndef P2PSIP_WIRE_BYTE_WRITER_H_
#define P2PSIP_WIRE_BYTE_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "p2psip/wire/decode_error.h"

namespace p2psip::wire {

class ByteWriter {
 public:
  explicit ByteWriter(std::vector<uint8_t>* out) : out_(out) {}

  void WriteU8(uint8_t v) { out_->push_back(v); }
  void WriteU16(uint16_t v);
  void WriteU24(uint32_t v);  // low 24 bits
  void WriteU32(uint32_t v);
  void WriteU64(uint64_t v);
  void WriteBool(bool v) { out_->push_back(v ? 1 : 0); }
  void WriteBytes(std::span<const uint8_t> bytes);
  void WriteBytes(std::string_view bytes);

  // opaque x<0..2^(8*prefix)-1>; `max` is an optional tighter protocol maximum.
  void WriteOpaque(int prefix_bytes, std::span<const uint8_t> bytes, const char* field,
                   size_t max = SIZE_MAX);
  void WriteOpaque(int prefix_bytes, std::string_view bytes, const char* field,
                   size_t max = SIZE_MAX);

  // Reserves a prefix of `prefix_bytes`; returns the position to hand to EndVector.
  size_t BeginVector(int prefix_bytes);
  // Patches the prefix with the number of bytes written since BeginVector.
  void EndVector(size_t mark, int prefix_bytes, const char* field, size_t max = SIZE_MAX);

  // Overwrites an already written big-endian integer (for lengths known only at the end).
  void PatchU16(size_t pos, uint16_t v);
  void PatchU32(size_t pos, uint32_t v);

  size_t size() const { return out_->size(); }
  bool ok() const { return !error_.failed; }
  const EncodeError& error() const { return error_; }
  // Records the first encode error; later ones are ignored.
  void Fail(const char* field, size_t length, size_t max);  // too long
  void FailTooShort(const char* field, size_t length, size_t min);
  void FailInvalid(const char* field);

 private:
  std::vector<uint8_t>* out_;
  EncodeError error_;
};

// Largest length a prefix of n bytes can express.
constexpr size_t PrefixMax(int prefix_bytes) {
  return prefix_bytes >= 4 ? 0xFFFFFFFFu : ((size_t{1} << (8 * prefix_bytes)) - 1);
}

// Writes a length-prefixed list of T, each encoded by `void Encode(ByteWriter&, const T&)`.
template <class T>
void WriteList(ByteWriter& w, int prefix_bytes, const std::vector<T>& items, const char* field,
               size_t max = SIZE_MAX) {
  const size_t mark = w.BeginVector(prefix_bytes);
  for (const T& item : items) Encode(w, item);
  w.EndVector(mark, prefix_bytes, field, max);
}

}  // namespace p2psip::wire

#endif  // P2PSIP_WIRE_BYTE_WRITER_H_

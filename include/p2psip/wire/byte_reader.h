// ByteReader: bounds-checked big-endian reads over an immutable byte span.
//
// A reader never reads past its input: every Read* checks the bytes that remain and, for
// length-prefixed fields, the declared length against both what remains and a caller-given
// protocol maximum. On failure it records a DecodeError in the sink shared by the reader and
// every sub-reader carved out of it, and returns false; decoders simply propagate `false`.
//
// The reader does not own its input. Sub-readers (ReadSub / ReadVector) view a slice of the
// parent's input and share its error sink and WireContext.
#ifndef P2PSIP_WIRE_BYTE_READER_H_
#define P2PSIP_WIRE_BYTE_READER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "p2psip/wire/constants.h"
#include "p2psip/wire/decode_error.h"

namespace p2psip::wire {

// Looks up the data model of a Kind-ID in the overlay configuration's kind table (`table` is
// the caller's). Returns nullopt for a kind the overlay does not define.
using KindModelFn = std::optional<DataModel> (*)(const void* table, uint32_t kind);

// The data models of the IANA-registered kinds (SIP-REGISTRATION, TURN-SERVICE, the two
// certificate kinds, ACCESS-CONTROL-LIST, REDIR); nullopt for any other kind.
std::optional<DataModel> BuiltinKindModel(uint32_t kind);

// Parameters of the overlay that change how bytes parse.
struct WireContext {
  // NodeIdLength of the overlay configuration: 16..20 bytes (16 for CHORD-RELOAD).
  uint8_t node_id_length = 16;
  // Data models are not on the wire: StoredData values parse according to their kind's model.
  // Without a table only the built-in kinds are known.
  KindModelFn kind_model = nullptr;
  const void* kind_table = nullptr;

  std::optional<DataModel> ModelOf(uint32_t kind) const {
    return kind_model != nullptr ? kind_model(kind_table, kind) : BuiltinKindModel(kind);
  }
};

class ByteReader {
 public:
  ByteReader() = default;
  // `error` must outlive the reader and all of its sub-readers.
  ByteReader(std::span<const uint8_t> data, DecodeError* error, WireContext ctx = {},
             uint32_t base_offset = 0)
      : data_(data.data()), size_(data.size()), base_(base_offset), error_(error), ctx_(ctx) {}

  size_t remaining() const { return size_ - pos_; }
  bool empty() const { return pos_ == size_; }
  // Absolute offset of the next byte in the outermost input.
  uint32_t offset() const { return base_ + static_cast<uint32_t>(pos_); }
  const WireContext& ctx() const { return ctx_; }
  DecodeError* error_sink() const { return error_; }
  // The bytes not yet read (no copy).
  std::span<const uint8_t> rest() const { return {data_ + pos_, size_ - pos_}; }

  bool ReadU8(uint8_t* v, const char* field);
  bool ReadU16(uint16_t* v, const char* field);
  bool ReadU24(uint32_t* v, const char* field);
  bool ReadU32(uint32_t* v, const char* field);
  bool ReadU64(uint64_t* v, const char* field);
  // RFC 6940 Boolean: one byte, 0 or 1; anything else is kBadValue.
  bool ReadBool(bool* v, const char* field);

  // Fixed-size fields (no length prefix).
  bool ReadFixed(size_t n, std::span<const uint8_t>* out, const char* field);
  bool ReadFixed(size_t n, uint8_t* dst, const char* field);

  // Reads a length prefix of `prefix_bytes` (1..4) and checks it against what remains and
  // against `max` (the protocol maximum; values above it are kTooLarge).
  bool ReadLength(int prefix_bytes, size_t max, size_t* length, const char* field);

  // opaque x<0..2^(8*prefix)-1>, copied or viewed.
  bool ReadOpaque(int prefix_bytes, std::vector<uint8_t>* out, const char* field,
                  size_t max = SIZE_MAX);
  bool ReadOpaque(int prefix_bytes, std::string* out, const char* field, size_t max = SIZE_MAX);
  bool ReadOpaqueView(int prefix_bytes, std::span<const uint8_t>* out, const char* field,
                      size_t max = SIZE_MAX);

  // Consumes the next n bytes and returns a sub-reader over exactly them.
  bool ReadSub(size_t n, ByteReader* sub, const char* field);
  // Consumes a length-prefixed vector and returns a sub-reader over its contents.
  bool ReadVector(int prefix_bytes, ByteReader* sub, const char* field, size_t max = SIZE_MAX);

  // Records `code` at the current offset (unless an earlier error exists) and returns false.
  bool Fail(DecodeErrorCode code, const char* field) const { return FailAt(code, offset(), field); }
  bool FailAt(DecodeErrorCode code, uint32_t offset, const char* field) const;
  // kTrailingBytes unless every byte was consumed.
  bool ExpectEnd(const char* field) const;

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t pos_ = 0;
  uint32_t base_ = 0;
  DecodeError* error_ = nullptr;
  WireContext ctx_;
};

// Decodes a length-prefixed list of T: `T` must have `bool Decode(ByteReader&, T*)` findable by
// ADL. A list element that consumes no bytes is rejected (it would loop forever).
template <class T>
bool ReadList(ByteReader& r, int prefix_bytes, std::vector<T>* out, const char* field,
              size_t max = SIZE_MAX) {
  ByteReader sub;
  if (!r.ReadVector(prefix_bytes, &sub, field, max)) return false;
  out->clear();
  while (!sub.empty()) {
    const size_t before = sub.remaining();
    T item{};
    if (!Decode(sub, &item)) return false;
    if (sub.remaining() == before) return sub.Fail(DecodeErrorCode::kBadValue, field);
    out->push_back(std::move(item));
  }
  return true;
}

}  // namespace p2psip::wire

#endif  // P2PSIP_WIRE_BYTE_READER_H_

// Whole-buffer entry points over the per-structure Decode/Encode functions.
//
// Every wire structure T in p2psip::wire provides, found by argument-dependent lookup:
//   bool Decode(ByteReader& r, T* out);       // consumes exactly one T or records an error
//   void Encode(ByteWriter& w, const T& v);   // appends the canonical encoding
// These helpers decode a T that must fill the whole input, and encode a T to fresh bytes.
#ifndef P2PSIP_WIRE_CODEC_H_
#define P2PSIP_WIRE_CODEC_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "p2psip/wire/byte_reader.h"
#include "p2psip/wire/byte_writer.h"

namespace p2psip::wire {

// Decodes a T that spans all of `input`. No allocation beyond T's own members; on failure
// `*error` says what and where.
template <class T>
bool DecodeExact(std::span<const uint8_t> input, T* out, DecodeError* error, WireContext ctx = {}) {
  *error = {};
  ByteReader r(input, error, ctx);
  return Decode(r, out) && r.ExpectEnd("trailing bytes after structure");
}

template <class T>
absl::StatusOr<T> DecodeAs(std::span<const uint8_t> input, WireContext ctx = {}) {
  T out{};
  DecodeError error;
  if (!DecodeExact(input, &out, &error, ctx)) return error.ToStatus();
  return out;
}

template <class T>
absl::StatusOr<std::vector<uint8_t>> EncodeToBytes(const T& value) {
  std::vector<uint8_t> out;
  ByteWriter w(&out);
  Encode(w, value);
  if (!w.ok()) return absl::InvalidArgumentError(w.error().ToString());
  return out;
}

}  // namespace p2psip::wire

#endif  // P2PSIP_WIRE_CODEC_H_

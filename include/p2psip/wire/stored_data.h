// StoredData (RFC 6940 §7): the unit of data a peer stores, fetches and replicates.
//
//   DataValue       = Boolean exists · opaque value<0..2^32-1>
//   ArrayEntry      = uint32 index · DataValue             (index 0xFFFFFFFF = append)
//   DictionaryEntry = opaque key<0..2^16-1> · DataValue
//   StoredDataValue = one of the three, chosen by the Kind's data model (never on the wire)
//   StoredData      = uint32 length · uint64 storage_time · uint32 lifetime ·
//                     StoredDataValue value · Signature signature
// `length` counts the bytes after itself and must match them exactly. Because the model is not
// on the wire, StoredData and StoredDataValue decode with the model as an extra argument.
#ifndef P2PSIP_WIRE_STORED_DATA_H_
#define P2PSIP_WIRE_STORED_DATA_H_

#include <cstdint>
#include <span>
#include <utility>
#include <variant>
#include <vector>

#include "p2psip/wire/byte_reader.h"
#include "p2psip/wire/byte_writer.h"
#include "p2psip/wire/constants.h"
#include "p2psip/wire/security_block.h"

namespace p2psip::wire {

// ArrayEntry.index that asks the storing peer to append after the last element.
inline constexpr uint32_t kArrayAppend = 0xFFFFFFFF;

// A dictionary key: opaque<0..2^16-1> (for SIP-REGISTRATION, the storing peer's Node-ID bytes).
using DictionaryKey = std::vector<uint8_t>;

// The value of a single-value Kind, and the payload of array and dictionary entries.
// exists = false with an empty value is how a value is deleted (§7.2).
struct DataValue {
  bool exists = false;
  std::vector<uint8_t> value;
  friend bool operator==(const DataValue&, const DataValue&) = default;
};

// One element of an array Kind.
struct ArrayEntry {
  uint32_t index = 0;
  DataValue value;
  friend bool operator==(const ArrayEntry&, const ArrayEntry&) = default;
};

// One element of a dictionary Kind.
struct DictionaryEntry {
  DictionaryKey key;
  DataValue value;
  friend bool operator==(const DictionaryEntry&, const DictionaryEntry&) = default;
};

// The alternative held says the data model: DataValue = single, ArrayEntry = array,
// DictionaryEntry = dictionary. Its encoding is also part of the data signature input (§7.1).
using StoredDataValue = std::variant<DataValue, ArrayEntry, DictionaryEntry>;

// The data model of the alternative `v` holds.
DataModel ModelOf(const StoredDataValue& v);

// One stored value with its timestamps and the signature of the peer that wrote it.
struct StoredData {
  uint64_t storage_time = 0;  // ms since the Unix epoch, set by the writer
  uint32_t lifetime = 0;      // seconds, counted from reception by the storing peer
  StoredDataValue value;
  Signature signature;
  friend bool operator==(const StoredData&, const StoredData&) = default;
};

bool Decode(ByteReader& r, DataValue* out);
void Encode(ByteWriter& w, const DataValue& v);
bool Decode(ByteReader& r, ArrayEntry* out);
void Encode(ByteWriter& w, const ArrayEntry& v);
bool Decode(ByteReader& r, DictionaryEntry* out);
void Encode(ByteWriter& w, const DictionaryEntry& v);

// StoredDataValue of the given model (a model outside the enum is kBadValue).
bool Decode(ByteReader& r, DataModel model, StoredDataValue* out);
void Encode(ByteWriter& w, const StoredDataValue& v);

// StoredData whose value has the given model. A `length` that disagrees with the contents is
// kLengthMismatch (reported at the field that ran over, or at `length` if bytes are left over).
bool Decode(ByteReader& r, DataModel model, StoredData* out);
void Encode(ByteWriter& w, const StoredData& v);

// The data signature input of RFC 6940 §7.1 without its last part, the SignerIdentity (which
// the signer appends, as it does for message signatures):
//   resource (raw Resource-ID bytes, no length prefix) ‖ uint32 kind ‖ uint64 storage_time ‖
//   StoredDataValue
// An array entry stored with the append index (0xFFFFFFFF) is signed, and later verified, with
// index 0 (§7.4.1.1); digest §15.1 records the choice of raw Resource-ID bytes. Appends to `out`
// (cleared first) so that a caller can reuse one buffer.
void StoredDataSignatureInput(std::span<const uint8_t> resource, uint32_t kind,
                              uint64_t storage_time, const StoredDataValue& value,
                              std::vector<uint8_t>* out);

// Reads a length prefix of `prefix_bytes` and hands `body` a reader over exactly that many
// bytes; `body` must consume all of them. Any disagreement between the prefix and the contents
// (contents running past it, or bytes left over) is kLengthMismatch: inside a container whose
// bytes are all present, running out of bytes means the length is wrong, not the input short.
// Other errors inside `body` are passed through unchanged.
template <class Body>
bool DecodeLengthDelimited(ByteReader& r, int prefix_bytes, const char* field, Body&& body) {
  const uint32_t at = r.offset();
  size_t length = 0;
  std::span<const uint8_t> bytes;
  if (!r.ReadLength(prefix_bytes, SIZE_MAX, &length, field)) return false;
  const uint32_t body_offset = r.offset();
  if (!r.ReadFixed(length, &bytes, field)) return false;
  DecodeError inner;
  ByteReader sub(bytes, &inner, r.ctx(), body_offset);
  if (std::forward<Body>(body)(sub)) {
    return sub.empty() || r.FailAt(DecodeErrorCode::kLengthMismatch, at, field);
  }
  if (inner.ok()) return r.FailAt(DecodeErrorCode::kBadValue, at, field);
  const DecodeErrorCode code =
      inner.code == DecodeErrorCode::kTruncated ? DecodeErrorCode::kLengthMismatch : inner.code;
  return r.FailAt(code, inner.offset, inner.field);
}

}  // namespace p2psip::wire

#endif  // P2PSIP_WIRE_STORED_DATA_H_

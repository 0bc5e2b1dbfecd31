#include "p2psip/wire/stored_data.h"

namespace p2psip::wire {

DataModel ModelOf(const StoredDataValue& v) {
  switch (v.index()) {
    case 1:
      return DataModel::kArray;
    case 2:
      return DataModel::kDictionary;
    default:
      return DataModel::kSingle;
  }
}

bool Decode(ByteReader& r, DataValue* out) {
  return r.ReadBool(&out->exists, "data_value.exists") &&
         r.ReadOpaque(4, &out->value, "data_value.value");
}

void Encode(ByteWriter& w, const DataValue& v) {
  w.WriteBool(v.exists);
  w.WriteOpaque(4, v.value, "data_value.value");
}

bool Decode(ByteReader& r, ArrayEntry* out) {
  return r.ReadU32(&out->index, "array_entry.index") && Decode(r, &out->value);
}

void Encode(ByteWriter& w, const ArrayEntry& v) {
  w.WriteU32(v.index);
  Encode(w, v.value);
}

bool Decode(ByteReader& r, DictionaryEntry* out) {
  return r.ReadOpaque(2, &out->key, "dictionary_entry.key") && Decode(r, &out->value);
}

void Encode(ByteWriter& w, const DictionaryEntry& v) {
  w.WriteOpaque(2, v.key, "dictionary_entry.key");
  Encode(w, v.value);
}

bool Decode(ByteReader& r, DataModel model, StoredDataValue* out) {
  switch (model) {
    case DataModel::kSingle:
      return Decode(r, &out->emplace<DataValue>());
    case DataModel::kArray:
      return Decode(r, &out->emplace<ArrayEntry>());
    case DataModel::kDictionary:
      return Decode(r, &out->emplace<DictionaryEntry>());
  }
  // The model comes from configuration, not from the input; still never trust a cast value.
  return r.Fail(DecodeErrorCode::kBadValue, "stored_data.value (unknown data model)");
}

void Encode(ByteWriter& w, const StoredDataValue& v) {
  std::visit([&w](const auto& alt) { Encode(w, alt); }, v);
}

bool Decode(ByteReader& r, DataModel model, StoredData* out) {
  return DecodeLengthDelimited(r, 4, "stored_data.length", [&](ByteReader& body) {
    return body.ReadU64(&out->storage_time, "stored_data.storage_time") &&
           body.ReadU32(&out->lifetime, "stored_data.lifetime") &&
           Decode(body, model, &out->value) && Decode(body, &out->signature);
  });
}

void Encode(ByteWriter& w, const StoredData& v) {
  const size_t mark = w.BeginVector(4);
  w.WriteU64(v.storage_time);
  w.WriteU32(v.lifetime);
  Encode(w, v.value);
  Encode(w, v.signature);
  w.EndVector(mark, 4, "stored_data.length");
}

void StoredDataSignatureInput(std::span<const uint8_t> resource, uint32_t kind,
                              uint64_t storage_time, const StoredDataValue& value,
                              std::vector<uint8_t>* out) {
  out->clear();
  ByteWriter w(out);
  w.WriteBytes(resource);
  w.WriteU32(kind);
  w.WriteU64(storage_time);
  const auto* entry = std::get_if<ArrayEntry>(&value);
  if (entry != nullptr && entry->index == kArrayAppend) {
    w.WriteU32(0);
    Encode(w, entry->value);
  } else {
    Encode(w, value);
  }
}

}  // namespace p2psip::wire

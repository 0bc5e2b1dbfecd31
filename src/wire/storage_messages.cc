#include "p2psip/wire/storage_messages.h"

#include <utility>

namespace p2psip::wire {
namespace {

// The values<0..2^32-1> of one kind (StoredData or StoredMetaData), parsed with the kind's model
// when the context knows it and kept as raw length-delimited bytes otherwise.
template <class T>
bool DecodeKindValues(ByteReader& r, uint32_t kind, const char* list_field, const char* raw_field,
                      bool* model_known, std::vector<T>* values,
                      std::vector<std::vector<uint8_t>>* raw_values) {
  ByteReader list;
  if (!r.ReadVector(4, &list, list_field)) return false;
  const std::optional<DataModel> model = KnownModel(r.ctx(), kind);
  *model_known = model.has_value();
  values->clear();
  raw_values->clear();
  // Every element starts with a 4-byte length, so each iteration consumes input.
  while (!list.empty()) {
    if (model.has_value()) {
      T value;
      if (!Decode(list, *model, &value)) return false;
      values->push_back(std::move(value));
    } else {
      std::vector<uint8_t> raw;
      if (!list.ReadOpaque(4, &raw, raw_field)) return false;
      raw_values->push_back(std::move(raw));
    }
  }
  return true;
}

template <class T>
void EncodeKindValues(ByteWriter& w, bool model_known, const std::vector<T>& values,
                      const std::vector<std::vector<uint8_t>>& raw_values, const char* list_field,
                      const char* raw_field) {
  const size_t mark = w.BeginVector(4);
  if (model_known) {
    for (const T& value : values) Encode(w, value);
  } else {
    for (const auto& raw : raw_values) w.WriteOpaque(4, raw, raw_field);
  }
  w.EndVector(mark, 4, list_field);
}

// FetchReq and StatReq share their layout.
template <class Req>
bool DecodeSpecifierRequest(ByteReader& r, Req* out, const char* field) {
  return Decode(r, &out->resource) && ReadList(r, 2, &out->specifiers, field);
}

template <class Req>
void EncodeSpecifierRequest(ByteWriter& w, const Req& v, const char* field) {
  Encode(w, v.resource);
  WriteList(w, 2, v.specifiers, field);
}

}  // namespace

std::optional<DataModel> KnownModel(const WireContext& ctx, uint32_t kind) {
  const std::optional<DataModel> model = ctx.ModelOf(kind);
  if (!model.has_value()) return std::nullopt;
  switch (*model) {
    case DataModel::kSingle:
    case DataModel::kArray:
    case DataModel::kDictionary:
      return model;
  }
  return std::nullopt;
}

// --- Store ---

bool Decode(ByteReader& r, StoreKindData* out) {
  return r.ReadU32(&out->kind, "store_kind_data.kind") &&
         r.ReadU64(&out->generation_counter, "store_kind_data.generation_counter") &&
         DecodeKindValues(r, out->kind, "store_kind_data.values", "store_kind_data.values.raw",
                          &out->model_known, &out->values, &out->raw_values);
}

void Encode(ByteWriter& w, const StoreKindData& v) {
  w.WriteU32(v.kind);
  w.WriteU64(v.generation_counter);
  EncodeKindValues(w, v.model_known, v.values, v.raw_values, "store_kind_data.values",
                   "store_kind_data.values.raw");
}

bool Decode(ByteReader& r, StoreReq* out) {
  return Decode(r, &out->resource) && r.ReadU8(&out->replica_number, "store_req.replica_number") &&
         ReadList(r, 4, &out->kind_data, "store_req.kind_data");
}

void Encode(ByteWriter& w, const StoreReq& v) {
  Encode(w, v.resource);
  w.WriteU8(v.replica_number);
  WriteList(w, 4, v.kind_data, "store_req.kind_data");
}

bool Decode(ByteReader& r, StoreKindResponse* out) {
  return r.ReadU32(&out->kind, "store_kind_response.kind") &&
         r.ReadU64(&out->generation_counter, "store_kind_response.generation_counter") &&
         ReadList(r, 2, &out->replicas, "store_kind_response.replicas");
}

void Encode(ByteWriter& w, const StoreKindResponse& v) {
  w.WriteU32(v.kind);
  w.WriteU64(v.generation_counter);
  WriteList(w, 2, v.replicas, "store_kind_response.replicas");
}

bool Decode(ByteReader& r, StoreAns* out) {
  return ReadList(r, 2, &out->kind_responses, "store_ans.kind_responses");
}

void Encode(ByteWriter& w, const StoreAns& v) {
  WriteList(w, 2, v.kind_responses, "store_ans.kind_responses");
}

// --- Fetch ---

bool Decode(ByteReader& r, ArrayRange* out) {
  return r.ReadU32(&out->first, "array_range.first") && r.ReadU32(&out->last, "array_range.last");
}

void Encode(ByteWriter& w, const ArrayRange& v) {
  w.WriteU32(v.first);
  w.WriteU32(v.last);
}

bool Decode(ByteReader& r, StoredDataSpecifier* out) {
  *out = StoredDataSpecifier{};
  if (!r.ReadU32(&out->kind, "stored_data_specifier.kind") ||
      !r.ReadU64(&out->generation, "stored_data_specifier.generation")) {
    return false;
  }
  const std::optional<DataModel> model = KnownModel(r.ctx(), out->kind);
  out->model_known = model.has_value();
  if (model.has_value()) out->model = *model;
  return DecodeLengthDelimited(r, 2, "stored_data_specifier.length", [&](ByteReader& body) {
    if (!out->model_known) {
      std::span<const uint8_t> raw;
      if (!body.ReadFixed(body.remaining(), &raw, "stored_data_specifier.raw")) return false;
      out->raw.assign(raw.begin(), raw.end());
      return true;
    }
    switch (out->model) {
      case DataModel::kSingle:
        return true;  // no model part; DecodeLengthDelimited rejects leftover bytes
      case DataModel::kArray:
        return ReadList(body, 2, &out->indices, "stored_data_specifier.indices");
      case DataModel::kDictionary: {
        ByteReader keys;
        if (!body.ReadVector(2, &keys, "stored_data_specifier.keys")) return false;
        while (!keys.empty()) {  // each key consumes at least its 2-byte length
          DictionaryKey key;
          if (!keys.ReadOpaque(2, &key, "stored_data_specifier.keys.key")) return false;
          out->keys.push_back(std::move(key));
        }
        return true;
      }
    }
    return false;
  });
}

void Encode(ByteWriter& w, const StoredDataSpecifier& v) {
  w.WriteU32(v.kind);
  w.WriteU64(v.generation);
  const size_t mark = w.BeginVector(2);
  if (!v.model_known) {
    w.WriteBytes(v.raw);
  } else if (v.model == DataModel::kArray) {
    WriteList(w, 2, v.indices, "stored_data_specifier.indices");
  } else if (v.model == DataModel::kDictionary) {
    const size_t keys_mark = w.BeginVector(2);
    for (const DictionaryKey& key : v.keys) w.WriteOpaque(2, key, "stored_data_specifier.keys.key");
    w.EndVector(keys_mark, 2, "stored_data_specifier.keys");
  }
  w.EndVector(mark, 2, "stored_data_specifier.length");
}

bool Decode(ByteReader& r, FetchReq* out) {
  return DecodeSpecifierRequest(r, out, "fetch_req.specifiers");
}

void Encode(ByteWriter& w, const FetchReq& v) {
  EncodeSpecifierRequest(w, v, "fetch_req.specifiers");
}

bool Decode(ByteReader& r, FetchKindResponse* out) {
  return r.ReadU32(&out->kind, "fetch_kind_response.kind") &&
         r.ReadU64(&out->generation, "fetch_kind_response.generation") &&
         DecodeKindValues(r, out->kind, "fetch_kind_response.values",
                          "fetch_kind_response.values.raw", &out->model_known, &out->values,
                          &out->raw_values);
}

void Encode(ByteWriter& w, const FetchKindResponse& v) {
  w.WriteU32(v.kind);
  w.WriteU64(v.generation);
  EncodeKindValues(w, v.model_known, v.values, v.raw_values, "fetch_kind_response.values",
                   "fetch_kind_response.values.raw");
}

bool Decode(ByteReader& r, FetchAns* out) {
  return ReadList(r, 4, &out->kind_responses, "fetch_ans.kind_responses");
}

void Encode(ByteWriter& w, const FetchAns& v) {
  WriteList(w, 4, v.kind_responses, "fetch_ans.kind_responses");
}

// --- Stat ---

bool Decode(ByteReader& r, StatReq* out) {
  return DecodeSpecifierRequest(r, out, "stat_req.specifiers");
}

void Encode(ByteWriter& w, const StatReq& v) {
  EncodeSpecifierRequest(w, v, "stat_req.specifiers");
}

DataModel ModelOf(const MetaDataValue& v) {
  switch (v.index()) {
    case 1:
      return DataModel::kArray;
    case 2:
      return DataModel::kDictionary;
    default:
      return DataModel::kSingle;
  }
}

bool Decode(ByteReader& r, MetaData* out) {
  return r.ReadBool(&out->exists, "meta_data.exists") &&
         r.ReadU32(&out->value_length, "meta_data.value_length") &&
         r.ReadU8(&out->hash_algorithm, "meta_data.hash_algorithm") &&
         r.ReadOpaque(1, &out->hash_value, "meta_data.hash_value");
}

void Encode(ByteWriter& w, const MetaData& v) {
  w.WriteBool(v.exists);
  w.WriteU32(v.value_length);
  w.WriteU8(v.hash_algorithm);
  w.WriteOpaque(1, v.hash_value, "meta_data.hash_value");
}

bool Decode(ByteReader& r, ArrayEntryMeta* out) {
  return r.ReadU32(&out->index, "array_entry_meta.index") && Decode(r, &out->value);
}

void Encode(ByteWriter& w, const ArrayEntryMeta& v) {
  w.WriteU32(v.index);
  Encode(w, v.value);
}

bool Decode(ByteReader& r, DictionaryEntryMeta* out) {
  return r.ReadOpaque(2, &out->key, "dictionary_entry_meta.key") && Decode(r, &out->value);
}

void Encode(ByteWriter& w, const DictionaryEntryMeta& v) {
  w.WriteOpaque(2, v.key, "dictionary_entry_meta.key");
  Encode(w, v.value);
}

bool Decode(ByteReader& r, DataModel model, MetaDataValue* out) {
  switch (model) {
    case DataModel::kSingle:
      return Decode(r, &out->emplace<MetaData>());
    case DataModel::kArray:
      return Decode(r, &out->emplace<ArrayEntryMeta>());
    case DataModel::kDictionary:
      return Decode(r, &out->emplace<DictionaryEntryMeta>());
  }
  return r.Fail(DecodeErrorCode::kBadValue, "stored_meta_data.metadata (unknown data model)");
}

void Encode(ByteWriter& w, const MetaDataValue& v) {
  std::visit([&w](const auto& alt) { Encode(w, alt); }, v);
}

bool Decode(ByteReader& r, DataModel model, StoredMetaData* out) {
  return DecodeLengthDelimited(r, 4, "stored_meta_data.length", [&](ByteReader& body) {
    return body.ReadU64(&out->storage_time, "stored_meta_data.storage_time") &&
           body.ReadU32(&out->lifetime, "stored_meta_data.lifetime") &&
           Decode(body, model, &out->metadata);
  });
}

void Encode(ByteWriter& w, const StoredMetaData& v) {
  const size_t mark = w.BeginVector(4);
  w.WriteU64(v.storage_time);
  w.WriteU32(v.lifetime);
  Encode(w, v.metadata);
  w.EndVector(mark, 4, "stored_meta_data.length");
}

bool Decode(ByteReader& r, StatKindResponse* out) {
  return r.ReadU32(&out->kind, "stat_kind_response.kind") &&
         r.ReadU64(&out->generation, "stat_kind_response.generation") &&
         DecodeKindValues(r, out->kind, "stat_kind_response.values",
                          "stat_kind_response.values.raw", &out->model_known, &out->values,
                          &out->raw_values);
}

void Encode(ByteWriter& w, const StatKindResponse& v) {
  w.WriteU32(v.kind);
  w.WriteU64(v.generation);
  EncodeKindValues(w, v.model_known, v.values, v.raw_values, "stat_kind_response.values",
                   "stat_kind_response.values.raw");
}

bool Decode(ByteReader& r, StatAns* out) {
  return ReadList(r, 4, &out->kind_responses, "stat_ans.kind_responses");
}

void Encode(ByteWriter& w, const StatAns& v) {
  WriteList(w, 4, v.kind_responses, "stat_ans.kind_responses");
}

// --- Find ---

bool Decode(ByteReader& r, FindReq* out) {
  ByteReader kinds;
  if (!Decode(r, &out->resource) || !r.ReadVector(1, &kinds, "find_req.kinds")) return false;
  out->kinds.clear();
  while (!kinds.empty()) {
    uint32_t kind = 0;
    if (!kinds.ReadU32(&kind, "find_req.kinds.kind")) return false;
    out->kinds.push_back(kind);
  }
  return true;
}

void Encode(ByteWriter& w, const FindReq& v) {
  Encode(w, v.resource);
  const size_t mark = w.BeginVector(1);
  for (uint32_t kind : v.kinds) w.WriteU32(kind);
  w.EndVector(mark, 1, "find_req.kinds");
}

bool Decode(ByteReader& r, FindKindData* out) {
  return r.ReadU32(&out->kind, "find_kind_data.kind") && Decode(r, &out->closest);
}

void Encode(ByteWriter& w, const FindKindData& v) {
  w.WriteU32(v.kind);
  Encode(w, v.closest);
}

bool Decode(ByteReader& r, FindAns* out) {
  return ReadList(r, 2, &out->results, "find_ans.results");
}

void Encode(ByteWriter& w, const FindAns& v) { WriteList(w, 2, v.results, "find_ans.results"); }

}  // namespace p2psip::wire

// Bodies of the storage methods (RFC 6940 §7.4): Store, Fetch, Stat and Find.
//
//   StoreKindData      = KindId kind · uint64 generation_counter · StoredData values<0..2^32-1>
//   StoreReq           = ResourceId resource · uint8 replica_number ·
//                        StoreKindData kind_data<0..2^32-1>
//   StoreKindResponse  = KindId kind · uint64 generation_counter · NodeId replicas<0..2^16-1>
//   StoreAns           = StoreKindResponse kind_responses<0..2^16-1>
//   ArrayRange         = uint32 first · uint32 last
//   StoredDataSpecifier= KindId kind · uint64 generation · uint16 length ·
//                        { single: empty | array: ArrayRange indices<0..2^16-1> |
//                          dictionary: DictionaryKey keys<0..2^16-1> }
//   FetchReq, StatReq  = ResourceId resource · StoredDataSpecifier specifiers<0..2^16-1>
//   FetchKindResponse  = KindId kind · uint64 generation · StoredData values<0..2^32-1>
//   FetchAns           = FetchKindResponse kind_responses<0..2^32-1>
//   MetaData           = Boolean exists · uint32 value_length · HashAlgorithm hash_algorithm ·
//                        opaque hash_value<0..255>
//   MetaDataValue      = MetaData | uint32 index · MetaData | DictionaryKey key · MetaData
//   StoredMetaData     = uint32 length · uint64 storage_time · uint32 lifetime · MetaDataValue
//   StatKindResponse   = KindId kind · uint64 generation · StoredMetaData values<0..2^32-1>
//   StatAns            = StatKindResponse kind_responses<0..2^32-1>
//   FindReq            = ResourceId resource · KindId kinds<0..2^8-1>
//   FindKindData       = KindId kind · ResourceId closest
//   FindAns            = FindKindData results<0..2^16-1>
//
// Data models are not on the wire: values and specifiers parse by the model that
// ByteReader::ctx().ModelOf(kind) gives. For a kind the context does not know, the model-shaped
// bytes are kept raw (model_known = false) so that the core can answer Error_Unknown_Kind and
// the message still re-encodes byte for byte. The codec checks only the wire format; semantic
// rules (one entry per kind, non-overlapping ranges, generation counters, ...) are the core's.
#ifndef P2PSIP_WIRE_STORAGE_MESSAGES_H_
#define P2PSIP_WIRE_STORAGE_MESSAGES_H_

#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "p2psip/ids.h"
#include "p2psip/wire/byte_reader.h"
#include "p2psip/wire/byte_writer.h"
#include "p2psip/wire/constants.h"
#include "p2psip/wire/destination.h"
#include "p2psip/wire/stored_data.h"

namespace p2psip::wire {

// The data model of `kind` in the reader's context, or nullopt when the overlay does not define
// it (or defines it with a model this codec does not implement).
std::optional<DataModel> KnownModel(const WireContext& ctx, uint32_t kind);

// The values stored for one Kind in a StoreReq.
struct StoreKindData {
  uint32_t kind = 0;
  uint64_t generation_counter = 0;
  // model_known: the parsed values. Otherwise raw_values holds, for each StoredData, the bytes
  // after its uint32 length (which Encode recomputes), and values is empty.
  bool model_known = true;
  std::vector<StoredData> values;
  std::vector<std::vector<uint8_t>> raw_values;
  friend bool operator==(const StoreKindData&, const StoreKindData&) = default;
};

struct StoreReq {
  ResourceId resource;
  uint8_t replica_number = 0;  // 0 = original store, 1.. = replica
  std::vector<StoreKindData> kind_data;
  friend bool operator==(const StoreReq&, const StoreReq&) = default;
};

struct StoreKindResponse {
  uint32_t kind = 0;
  uint64_t generation_counter = 0;
  std::vector<NodeId> replicas;  // NodeIdLength bytes each (from the context)
  friend bool operator==(const StoreKindResponse&, const StoreKindResponse&) = default;
};

struct StoreAns {
  std::vector<StoreKindResponse> kind_responses;
  friend bool operator==(const StoreAns&, const StoreAns&) = default;
};

// ArrayRange.last (and .first) value meaning "the last element". The RFC types the fields
// int32 but uses 0xFFFFFFFF, so they are uint32 here.
inline constexpr uint32_t kArrayLastIndex = 0xFFFFFFFF;

struct ArrayRange {
  uint32_t first = 0;
  uint32_t last = 0;
  friend bool operator==(const ArrayRange&, const ArrayRange&) = default;
};

// What to fetch (or stat) of one Kind.
struct StoredDataSpecifier {
  uint32_t kind = 0;
  uint64_t generation = 0;  // 0 = any; equal to the stored counter = "send nothing new"
  // Which arm of the model part is on the wire. Decode sets it from the context; callers that
  // build a specifier set it to the kind's model.
  DataModel model = DataModel::kSingle;
  std::vector<ArrayRange> indices;  // kArray
  std::vector<DictionaryKey> keys;  // kDictionary; empty = every entry
  // For a kind the context does not know: model_known = false and raw holds the bytes inside
  // the uint16 length.
  bool model_known = true;
  std::vector<uint8_t> raw;
  friend bool operator==(const StoredDataSpecifier&, const StoredDataSpecifier&) = default;
};

struct FetchReq {
  ResourceId resource;
  std::vector<StoredDataSpecifier> specifiers;
  friend bool operator==(const FetchReq&, const FetchReq&) = default;
};

struct FetchKindResponse {
  uint32_t kind = 0;
  uint64_t generation = 0;
  // As in StoreKindData.
  bool model_known = true;
  std::vector<StoredData> values;
  std::vector<std::vector<uint8_t>> raw_values;
  friend bool operator==(const FetchKindResponse&, const FetchKindResponse&) = default;
};

struct FetchAns {
  std::vector<FetchKindResponse> kind_responses;
  friend bool operator==(const FetchAns&, const FetchAns&) = default;
};

// Same layout as FetchReq; a distinct type so that the method is part of the type.
struct StatReq {
  ResourceId resource;
  std::vector<StoredDataSpecifier> specifiers;
  friend bool operator==(const StatReq&, const StatReq&) = default;
};

// What Stat says about one value instead of returning it.
struct MetaData {
  bool exists = false;
  uint32_t value_length = 0;           // length of DataValue.value
  uint8_t hash_algorithm = kHashNone;  // TLS 1.2 HashAlgorithm
  std::vector<uint8_t> hash_value;     // over DataValue.value including its 4 length bytes
  friend bool operator==(const MetaData&, const MetaData&) = default;
};

struct ArrayEntryMeta {
  uint32_t index = 0;
  MetaData value;
  friend bool operator==(const ArrayEntryMeta&, const ArrayEntryMeta&) = default;
};

struct DictionaryEntryMeta {
  DictionaryKey key;
  MetaData value;
  friend bool operator==(const DictionaryEntryMeta&, const DictionaryEntryMeta&) = default;
};

// As StoredDataValue: the alternative held says the model.
using MetaDataValue = std::variant<MetaData, ArrayEntryMeta, DictionaryEntryMeta>;

DataModel ModelOf(const MetaDataValue& v);

// The metadata form of StoredData (no signature). The leading uint32 is the length of the rest,
// as in StoredData.
struct StoredMetaData {
  uint64_t storage_time = 0;
  uint32_t lifetime = 0;
  MetaDataValue metadata;
  friend bool operator==(const StoredMetaData&, const StoredMetaData&) = default;
};

struct StatKindResponse {
  uint32_t kind = 0;
  uint64_t generation = 0;
  // As in StoreKindData (raw_values: the bytes after each StoredMetaData's uint32 length).
  bool model_known = true;
  std::vector<StoredMetaData> values;
  std::vector<std::vector<uint8_t>> raw_values;
  friend bool operator==(const StatKindResponse&, const StatKindResponse&) = default;
};

struct StatAns {
  std::vector<StatKindResponse> kind_responses;
  friend bool operator==(const StatAns&, const StatAns&) = default;
};

struct FindReq {
  ResourceId resource;
  std::vector<uint32_t> kinds;  // at most 63 (255 bytes)
  friend bool operator==(const FindReq&, const FindReq&) = default;
};

struct FindKindData {
  uint32_t kind = 0;
  // The closest Resource-ID the peer stores of the kind; an all-zero id when it stores none or
  // does not know the kind (§7.4.4).
  ResourceId closest;
  friend bool operator==(const FindKindData&, const FindKindData&) = default;
};

struct FindAns {
  std::vector<FindKindData> results;
  friend bool operator==(const FindAns&, const FindAns&) = default;
};

bool Decode(ByteReader& r, StoreKindData* out);
void Encode(ByteWriter& w, const StoreKindData& v);
bool Decode(ByteReader& r, StoreReq* out);
void Encode(ByteWriter& w, const StoreReq& v);
bool Decode(ByteReader& r, StoreKindResponse* out);
void Encode(ByteWriter& w, const StoreKindResponse& v);
bool Decode(ByteReader& r, StoreAns* out);
void Encode(ByteWriter& w, const StoreAns& v);
bool Decode(ByteReader& r, ArrayRange* out);
void Encode(ByteWriter& w, const ArrayRange& v);
bool Decode(ByteReader& r, StoredDataSpecifier* out);
void Encode(ByteWriter& w, const StoredDataSpecifier& v);
bool Decode(ByteReader& r, FetchReq* out);
void Encode(ByteWriter& w, const FetchReq& v);
bool Decode(ByteReader& r, FetchKindResponse* out);
void Encode(ByteWriter& w, const FetchKindResponse& v);
bool Decode(ByteReader& r, FetchAns* out);
void Encode(ByteWriter& w, const FetchAns& v);
bool Decode(ByteReader& r, StatReq* out);
void Encode(ByteWriter& w, const StatReq& v);
bool Decode(ByteReader& r, MetaData* out);
void Encode(ByteWriter& w, const MetaData& v);
bool Decode(ByteReader& r, ArrayEntryMeta* out);
void Encode(ByteWriter& w, const ArrayEntryMeta& v);
bool Decode(ByteReader& r, DictionaryEntryMeta* out);
void Encode(ByteWriter& w, const DictionaryEntryMeta& v);
bool Decode(ByteReader& r, DataModel model, MetaDataValue* out);
void Encode(ByteWriter& w, const MetaDataValue& v);
bool Decode(ByteReader& r, DataModel model, StoredMetaData* out);
void Encode(ByteWriter& w, const StoredMetaData& v);
bool Decode(ByteReader& r, StatKindResponse* out);
void Encode(ByteWriter& w, const StatKindResponse& v);
bool Decode(ByteReader& r, StatAns* out);
void Encode(ByteWriter& w, const StatAns& v);
bool Decode(ByteReader& r, FindReq* out);
void Encode(ByteWriter& w, const FindReq& v);
bool Decode(ByteReader& r, FindKindData* out);
void Encode(ByteWriter& w, const FindKindData& v);
bool Decode(ByteReader& r, FindAns* out);
void Encode(ByteWriter& w, const FindAns& v);

}  // namespace p2psip::wire

#endif  // P2PSIP_WIRE_STORAGE_MESSAGES_H_

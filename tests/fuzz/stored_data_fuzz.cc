// Fuzz target for the storage codecs: StoredData under each data model, the Store / Fetch /
// Stat / Find bodies and the usage values. The first input byte picks the structure, the rest
// is decoded with DecodeExact; whatever decodes must re-encode to exactly the same bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "p2psip/wire/codec.h"
#include "p2psip/wire/storage_messages.h"
#include "p2psip/wire/stored_data.h"
#include "p2psip/wire/usage_values.h"

namespace {

using namespace p2psip::wire;  // NOLINT(build/namespaces): a fuzz target, not a library

// StoredData and StoredMetaData need the model the kind's configuration gives; these wrappers
// fix it so that DecodeExact can drive them like any other structure.
template <DataModel M>
struct StoredDataAs {
  StoredData v;
};
template <DataModel M>
bool Decode(ByteReader& r, StoredDataAs<M>* out) {
  return Decode(r, M, &out->v);
}
template <DataModel M>
void Encode(ByteWriter& w, const StoredDataAs<M>& v) {
  Encode(w, v.v);
}

template <DataModel M>
struct StoredMetaDataAs {
  StoredMetaData v;
};
template <DataModel M>
bool Decode(ByteReader& r, StoredMetaDataAs<M>* out) {
  return Decode(r, M, &out->v);
}
template <DataModel M>
void Encode(ByteWriter& w, const StoredMetaDataAs<M>& v) {
  Encode(w, v.v);
}

template <class T>
void RoundTrip(std::span<const uint8_t> input) {
  T value{};
  DecodeError error;
  if (!DecodeExact(input, &value, &error)) return;
  std::vector<uint8_t> again;
  ByteWriter w(&again);
  Encode(w, value);
  if (!w.ok() || !std::ranges::equal(again, input)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::span<const uint8_t> input(data + 1, size - 1);
  switch (data[0] % 21) {
    case 0:
      RoundTrip<StoredDataAs<DataModel::kSingle>>(input);
      break;
    case 1:
      RoundTrip<StoredDataAs<DataModel::kArray>>(input);
      break;
    case 2:
      RoundTrip<StoredDataAs<DataModel::kDictionary>>(input);
      break;
    case 3:
      RoundTrip<StoreReq>(input);
      break;
    case 4:
      RoundTrip<StoreAns>(input);
      break;
    case 5:
      RoundTrip<FetchReq>(input);
      break;
    case 6:
      RoundTrip<FetchAns>(input);
      break;
    case 7:
      RoundTrip<StatReq>(input);
      break;
    case 8:
      RoundTrip<StatAns>(input);
      break;
    case 9:
      RoundTrip<FindReq>(input);
      break;
    case 10:
      RoundTrip<FindAns>(input);
      break;
    case 11:
      RoundTrip<SipRegistration>(input);
      break;
    case 12:
      RoundTrip<TurnServer>(input);
      break;
    case 13:
      RoundTrip<CertificateValue>(input);
      break;
    case 14:
      RoundTrip<StoredMetaDataAs<DataModel::kSingle>>(input);
      break;
    case 15:
      RoundTrip<StoredMetaDataAs<DataModel::kArray>>(input);
      break;
    case 16:
      RoundTrip<StoredMetaDataAs<DataModel::kDictionary>>(input);
      break;
    case 17:
      RoundTrip<StoredDataSpecifier>(input);
      break;
    case 18:
      RoundTrip<StoreKindData>(input);
      break;
    case 19:
      RoundTrip<FetchKindResponse>(input);
      break;
    default:
      RoundTrip<StatKindResponse>(input);
      break;
  }
  return 0;
}

#include "p2psip/wire/storage_messages.h"

#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "p2psip/wire/codec.h"
#include "test_util.h"

namespace p2psip::wire {
namespace {

using testing::ExpectEveryPrefixFails;
using testing::ExpectRoundTrip;
using testing::Hex;
using testing::TestNodeId;

// A single-value StoredData (30 bytes) used inside the messages below, by hand:
const char* const kStoredDataHex =
    "0000001a"            // length = 26
    "000000000000002a"    // storage_time = 42
    "0000003c"            // lifetime = 60
    "01 00000002 0102"    // DataValue
    "0000 03 0000 0000";  // anonymous signature, identity none

StoredData SimpleStoredData() {
  StoredData sd;
  sd.storage_time = 42;
  sd.lifetime = 60;
  sd.value = DataValue{true, {0x01, 0x02}};
  return sd;
}

ResourceId Rid(std::vector<uint8_t> bytes) { return ResourceId(bytes); }

// StoreReq for TURN-SERVICE (kind 2, single value) at Resource-ID "FOO".
const std::string kStoreReqHex = std::string(
                                     "03 464f4f"         // resource
                                     "00"                // replica_number
                                     "0000002e"          // kind_data<46>
                                     "00000002"          // kind
                                     "0000000000000007"  // generation_counter
                                     "0000001e") +       // values<30>
                                 kStoredDataHex;

TEST(StorageMessagesTest, StoreReqMatchesHandEncoding) {
  StoreReq req;
  req.resource = Rid({'F', 'O', 'O'});
  req.replica_number = 0;
  StoreKindData kd;
  kd.kind = kKindTurnService;
  kd.generation_counter = 7;
  kd.values.push_back(SimpleStoredData());
  req.kind_data.push_back(kd);
  EXPECT_EQ(*EncodeToBytes(req), Hex(kStoreReqHex));
  StoreReq back = ExpectRoundTrip<StoreReq>(Hex(kStoreReqHex));
  EXPECT_EQ(back, req);
  ASSERT_EQ(back.kind_data.size(), 1u);
  EXPECT_TRUE(back.kind_data[0].model_known);
  ExpectEveryPrefixFails<StoreReq>(Hex(kStoreReqHex));
}

TEST(StorageMessagesTest, StoreReqBadBoolOffsetPointsIntoTheValue) {
  auto bytes = Hex(kStoreReqHex);
  // resource 4 + replica 1 + kind_data length 4 + kind 4 + generation 8 + values length 4
  // + StoredData length 4 + storage_time 8 + lifetime 4 = 41.
  bytes[41] = 0x07;
  StoreReq out;
  DecodeError error;
  EXPECT_FALSE(DecodeExact(bytes, &out, &error));
  EXPECT_EQ(error.code, DecodeErrorCode::kBadValue);
  EXPECT_EQ(error.offset, 41u);
  EXPECT_STREQ(error.field, "data_value.exists");
}

TEST(StorageMessagesTest, StoreReqStoredDataLengthMismatch) {
  auto bytes = Hex(kStoreReqHex);
  bytes[9 + 16 + 3] = 0x19;  // StoredData.length 26 -> 25: the signature value runs over
  StoreReq out;
  DecodeError error;
  EXPECT_FALSE(DecodeExact(bytes, &out, &error));
  EXPECT_EQ(error.code, DecodeErrorCode::kLengthMismatch);
  EXPECT_EQ(error.offset, 25u + 4 + 8 + 4 + 7 + 2 + 3);
  EXPECT_STREQ(error.field, "signature.signature_value");
}

TEST(StorageMessagesTest, UnknownKindIsKeptRawAndRoundTrips) {
  // Kind 0x12345 is not built in: the StoredData stays opaque.
  const std::string hex =
      std::string("01 aa 01 0000002e 00012345 0000000000000001 0000001e") + kStoredDataHex;
  StoreReq req = ExpectRoundTrip<StoreReq>(Hex(hex));
  ASSERT_EQ(req.kind_data.size(), 1u);
  const StoreKindData& kd = req.kind_data[0];
  EXPECT_EQ(kd.kind, 0x12345u);
  EXPECT_FALSE(kd.model_known);
  EXPECT_TRUE(kd.values.empty());
  ASSERT_EQ(kd.raw_values.size(), 1u);
  const auto stored = Hex(kStoredDataHex);
  EXPECT_EQ(kd.raw_values[0], std::vector<uint8_t>(stored.begin() + 4, stored.end()));
  ExpectEveryPrefixFails<StoreReq>(Hex(hex));
}

std::optional<DataModel> PrivateKinds(const void* table, uint32_t kind) {
  EXPECT_EQ(table, nullptr);
  if (kind == 0xF0000001) return DataModel::kDictionary;
  return BuiltinKindModel(kind);
}

TEST(StorageMessagesTest, ContextKindTableDecidesTheModel) {
  StoreKindData kd;
  kd.kind = 0xF0000001;
  StoredData sd = SimpleStoredData();
  sd.value = DictionaryEntry{{0x01}, DataValue{true, {0x02}}};
  kd.values.push_back(sd);
  auto bytes = *EncodeToBytes(kd);

  WireContext ctx;
  ctx.kind_model = &PrivateKinds;
  StoreKindData known = ExpectRoundTrip<StoreKindData>(bytes, ctx);
  EXPECT_TRUE(known.model_known);
  EXPECT_EQ(known, kd);

  StoreKindData unknown = ExpectRoundTrip<StoreKindData>(bytes);  // builtin table only
  EXPECT_FALSE(unknown.model_known);
  EXPECT_EQ(unknown.raw_values.size(), 1u);
}

TEST(StorageMessagesTest, StoreAnsMatchesHandEncoding) {
  StoreAns ans;
  StoreKindResponse kr;
  kr.kind = kKindTurnService;
  kr.generation_counter = 8;
  kr.replicas = {TestNodeId(0x10), TestNodeId(0x20)};
  ans.kind_responses.push_back(kr);
  const std::string hex =
      "002e"              // kind_responses<46>
      "00000002"          // kind
      "0000000000000008"  // generation_counter
      "0020"              // replicas<32>
      "101112131415161718191a1b1c1d1e1f"
      "202122232425262728292a2b2c2d2e2f";
  EXPECT_EQ(*EncodeToBytes(ans), Hex(hex));
  EXPECT_EQ(ExpectRoundTrip<StoreAns>(Hex(hex)), ans);
  ExpectEveryPrefixFails<StoreAns>(Hex(hex));

  // A replica list that is not a whole number of Node-IDs.
  StoreAns out;
  DecodeError error;
  EXPECT_FALSE(DecodeExact(Hex("0010 00000002 0000000000000008 0002 aabb"), &out, &error));
  EXPECT_EQ(error.code, DecodeErrorCode::kTruncated);
  EXPECT_EQ(error.offset, 16u);
  EXPECT_STREQ(error.field, "node_id");
}

// FetchReq with one specifier of each model: TURN-SERVICE (single), CERTIFICATE_BY_NODE
// (array, one range 0..last) and SIP-REGISTRATION (dictionary, one key).
const char* const kFetchReqHex =
    "01 ab"                           // resource
    "003a"                            // specifiers<58>
    "00000002 0000000000000000 0000"  // single: empty
    "00000003 0000000000000005 000a"  // array: length 10
    "0008 00000000 ffffffff"          //   indices<8>
    "00000001 0000000000000000 0006"  // dictionary: length 6
    "0004 0002 0102";                 //   keys<4>, one key<2>

FetchReq ExampleFetchReq() {
  FetchReq req;
  req.resource = Rid({0xab});
  StoredDataSpecifier single;
  single.kind = kKindTurnService;
  StoredDataSpecifier array;
  array.kind = kKindCertificateByNode;
  array.generation = 5;
  array.model = DataModel::kArray;
  array.indices = {{0, kArrayLastIndex}};
  StoredDataSpecifier dict;
  dict.kind = kKindSipRegistration;
  dict.model = DataModel::kDictionary;
  dict.keys = {{0x01, 0x02}};
  req.specifiers = {single, array, dict};
  return req;
}

TEST(StorageMessagesTest, FetchReqMatchesHandEncoding) {
  FetchReq req = ExampleFetchReq();
  EXPECT_EQ(*EncodeToBytes(req), Hex(kFetchReqHex));
  EXPECT_EQ(ExpectRoundTrip<FetchReq>(Hex(kFetchReqHex)), req);
  ExpectEveryPrefixFails<FetchReq>(Hex(kFetchReqHex));
}

TEST(StorageMessagesTest, StatReqHasFetchReqLayout) {
  FetchReq f = ExampleFetchReq();
  StatReq req{f.resource, f.specifiers};
  EXPECT_EQ(*EncodeToBytes(req), Hex(kFetchReqHex));
  EXPECT_EQ(ExpectRoundTrip<StatReq>(Hex(kFetchReqHex)), req);
  ExpectEveryPrefixFails<StatReq>(Hex(kFetchReqHex));
}

TEST(StorageMessagesTest, DictionaryWildcardSpecifier) {
  // No keys = every entry (RFC 7904 lookup of all registrations).
  StoredDataSpecifier s =
      ExpectRoundTrip<StoredDataSpecifier>(Hex("00000001 0000000000000000 0002 0000"));
  EXPECT_EQ(s.model, DataModel::kDictionary);
  EXPECT_TRUE(s.keys.empty());
}

TEST(StorageMessagesTest, SpecifierErrors) {
  StoredDataSpecifier out;
  DecodeError error;
  // Single-value kinds have no model part: a byte inside the length is a mismatch.
  EXPECT_FALSE(DecodeExact(Hex("00000002 0000000000000000 0001 00"), &out, &error));
  EXPECT_EQ(error.code, DecodeErrorCode::kLengthMismatch);
  EXPECT_EQ(error.offset, 12u);
  EXPECT_STREQ(error.field, "stored_data_specifier.length");
  // An ArrayRange list of 6 bytes.
  EXPECT_FALSE(DecodeExact(Hex("00000003 0000000000000000 0008 0006 000000000000"), &out, &error));
  EXPECT_EQ(error.code, DecodeErrorCode::kLengthMismatch);
  EXPECT_EQ(error.offset, 20u);
  EXPECT_STREQ(error.field, "array_range.last");
  // Keys list longer than the specifier length.
  EXPECT_FALSE(DecodeExact(Hex("00000001 0000000000000000 0004 0009 0002 0102"), &out, &error));
  EXPECT_EQ(error.code, DecodeErrorCode::kLengthMismatch);
  EXPECT_EQ(error.offset, 14u);
  EXPECT_STREQ(error.field, "stored_data_specifier.keys");
}

TEST(StorageMessagesTest, UnknownKindSpecifierKeptRaw) {
  auto bytes = Hex("00abcdef 0000000000000003 0003 010203");
  StoredDataSpecifier s = ExpectRoundTrip<StoredDataSpecifier>(bytes);
  EXPECT_FALSE(s.model_known);
  EXPECT_EQ(s.raw, Hex("010203"));
  ExpectEveryPrefixFails<StoredDataSpecifier>(bytes);
}

const std::string kFetchAnsHex = std::string(
                                     "0000002e"          // kind_responses<46>
                                     "00000002"          // kind
                                     "0000000000000007"  // generation
                                     "0000001e") +       // values<30>
                                 kStoredDataHex;

TEST(StorageMessagesTest, FetchAnsMatchesHandEncoding) {
  FetchAns ans;
  FetchKindResponse kr;
  kr.kind = kKindTurnService;
  kr.generation = 7;
  kr.values.push_back(SimpleStoredData());
  ans.kind_responses.push_back(kr);
  EXPECT_EQ(*EncodeToBytes(ans), Hex(kFetchAnsHex));
  EXPECT_EQ(ExpectRoundTrip<FetchAns>(Hex(kFetchAnsHex)), ans);
  ExpectEveryPrefixFails<FetchAns>(Hex(kFetchAnsHex));
}

TEST(StorageMessagesTest, FetchAnsEveryModelAndUnknownKind) {
  FetchAns ans;
  FetchKindResponse single{kKindTurnService, 1, true, {SimpleStoredData()}, {}};
  StoredData cert = SimpleStoredData();
  cert.value = ArrayEntry{0, DataValue{true, {0x30, 0x00}}};
  FetchKindResponse array{kKindCertificateByUser, 2, true, {cert, cert}, {}};
  StoredData reg = SimpleStoredData();
  reg.value = DictionaryEntry{{0x01, 0x02, 0x03}, DataValue{false, {}}};
  FetchKindResponse dict{kKindSipRegistration, 3, true, {reg}, {}};
  FetchKindResponse unknown{0x7777, 4, false, {}, {{0x01, 0x02}, {}}};
  FetchKindResponse empty{kKindTurnService, 0, true, {}, {}};
  ans.kind_responses = {single, array, dict, unknown, empty};
  auto bytes = *EncodeToBytes(ans);
  EXPECT_EQ(ExpectRoundTrip<FetchAns>(bytes), ans);
  ExpectEveryPrefixFails<FetchAns>(bytes);
}

TEST(StorageMessagesTest, StatAnsMatchesHandEncoding) {
  StatAns ans;
  StatKindResponse kr;
  kr.kind = kKindTurnService;
  kr.generation = 7;
  StoredMetaData md;
  md.storage_time = 42;
  md.lifetime = 60;
  md.metadata = MetaData{true, 2, kHashSha1, {0xde, 0xad}};
  kr.values.push_back(md);
  ans.kind_responses.push_back(kr);
  const std::string hex =
      "00000029"                // kind_responses<41>
      "00000002"                // kind
      "0000000000000007"        // generation
      "00000019"                // values<25>
      "00000015"                // StoredMetaData length = 21
      "000000000000002a"        // storage_time
      "0000003c"                // lifetime
      "01 00000002 02 02dead";  // MetaData: exists, value_length, sha1, hash<2>
  EXPECT_EQ(*EncodeToBytes(ans), Hex(hex));
  EXPECT_EQ(ExpectRoundTrip<StatAns>(Hex(hex)), ans);
  ExpectEveryPrefixFails<StatAns>(Hex(hex));

  // StoredMetaData.length one too long (the next byte belongs to the values list).
  auto bad = Hex(hex);
  bad[3] = 0x2a;
  bad[19] = 0x1a;
  bad[23] = 0x16;
  bad.push_back(0x00);
  StatAns out;
  DecodeError error;
  EXPECT_FALSE(DecodeExact(bad, &out, &error));
  EXPECT_EQ(error.code, DecodeErrorCode::kLengthMismatch);
  EXPECT_EQ(error.offset, 20u);
  EXPECT_STREQ(error.field, "stored_meta_data.length");
}

TEST(StorageMessagesTest, StatAnsArrayDictionaryAndUnknown) {
  StoredMetaData a{1, 2, ArrayEntryMeta{kArrayAppend, MetaData{true, 5, kHashSha256, {1, 2}}}};
  StoredMetaData d{3, 4, DictionaryEntryMeta{{0x0a, 0x0b}, MetaData{}}};
  EXPECT_EQ(ModelOf(a.metadata), DataModel::kArray);
  EXPECT_EQ(ModelOf(d.metadata), DataModel::kDictionary);
  EXPECT_EQ(ModelOf(MetaDataValue{}), DataModel::kSingle);
  StatAns ans;
  ans.kind_responses.push_back({kKindCertificateByNode, 9, true, {a}, {}});
  ans.kind_responses.push_back({kKindSipRegistration, 10, true, {d, d}, {}});
  ans.kind_responses.push_back({0xF0000002, 11, false, {}, {{0xff}}});
  auto bytes = *EncodeToBytes(ans);
  EXPECT_EQ(ExpectRoundTrip<StatAns>(bytes), ans);
  ExpectEveryPrefixFails<StatAns>(bytes);

  // MetaData.exists must be a Boolean.
  MetaData m;
  DecodeError error;
  EXPECT_FALSE(DecodeExact(Hex("02 00000000 00 00"), &m, &error));
  EXPECT_EQ(error.code, DecodeErrorCode::kBadValue);
  EXPECT_STREQ(error.field, "meta_data.exists");
}

TEST(StorageMessagesTest, FindReqAndFindAnsMatchHandEncoding) {
  FindReq req{Rid({0x01, 0x02}), {kKindTurnService, kKindCertificateByUser}};
  const char* const req_hex = "02 0102 08 00000002 00000010";
  EXPECT_EQ(*EncodeToBytes(req), Hex(req_hex));
  EXPECT_EQ(ExpectRoundTrip<FindReq>(Hex(req_hex)), req);
  ExpectEveryPrefixFails<FindReq>(Hex(req_hex));

  FindAns ans;
  ans.results = {{kKindTurnService, Rid({0xaa, 0xbb})}, {kKindCertificateByUser, Rid({})}};
  const char* const ans_hex = "000c 00000002 02aabb 00000010 00";
  EXPECT_EQ(*EncodeToBytes(ans), Hex(ans_hex));
  EXPECT_EQ(ExpectRoundTrip<FindAns>(Hex(ans_hex)), ans);
  ExpectEveryPrefixFails<FindAns>(Hex(ans_hex));
}

TEST(StorageMessagesTest, FindReqErrors) {
  FindReq out;
  DecodeError error;
  // kinds<5>: one whole KindId and one stray byte.
  EXPECT_FALSE(DecodeExact(Hex("00 05 00000002 01"), &out, &error));
  EXPECT_EQ(error.code, DecodeErrorCode::kTruncated);
  EXPECT_EQ(error.offset, 6u);
  EXPECT_STREQ(error.field, "find_req.kinds.kind");

  // 64 kinds do not fit kinds<0..2^8-1>.
  FindReq big;
  big.kinds.assign(64, 1);
  auto bytes = EncodeToBytes(big);
  ASSERT_FALSE(bytes.ok());
  EXPECT_NE(std::string(bytes.status().message()).find("find_req.kinds"), std::string::npos);
}

TEST(StorageMessagesTest, KnownModelFiltersBogusModels) {
  WireContext ctx;
  EXPECT_EQ(KnownModel(ctx, kKindSipRegistration), DataModel::kDictionary);
  EXPECT_EQ(KnownModel(ctx, kKindTurnService), DataModel::kSingle);
  EXPECT_EQ(KnownModel(ctx, kKindCertificateByNode), DataModel::kArray);
  EXPECT_EQ(KnownModel(ctx, 0x999), std::nullopt);
  ctx.kind_model = [](const void*, uint32_t) -> std::optional<DataModel> {
    return static_cast<DataModel>(0);
  };
  EXPECT_EQ(KnownModel(ctx, kKindTurnService), std::nullopt);
}

}  // namespace
}  // namespace p2psip::wire

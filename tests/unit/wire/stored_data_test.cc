#include "p2psip/wire/stored_data.h"

#include <string>

#include "gtest/gtest.h"
#include "p2psip/wire/codec.h"
#include "test_util.h"

namespace p2psip::wire {
namespace {

using testing::Hex;

// StoredData needs its kind's model, so it does not fit DecodeExact; this is DecodeExact with it.
bool DecodeStoredData(const std::vector<uint8_t>& bytes, DataModel model, StoredData* out,
                      DecodeError* error) {
  *error = {};
  ByteReader r(bytes, error);
  return Decode(r, model, out) && r.ExpectEnd("trailing bytes after structure");
}

StoredData ExpectStoredDataRoundTrip(const std::vector<uint8_t>& bytes, DataModel model) {
  StoredData out;
  DecodeError error;
  EXPECT_TRUE(DecodeStoredData(bytes, model, &out, &error)) << error.ToString();
  auto again = EncodeToBytes(out);
  EXPECT_TRUE(again.ok()) << again.status();
  if (again.ok()) {
    EXPECT_EQ(*again, bytes);
  }
  return out;
}

void ExpectEveryStoredDataPrefixFails(const std::vector<uint8_t>& valid, DataModel model) {
  for (size_t n = 0; n < valid.size(); ++n) {
    std::vector<uint8_t> prefix(valid.begin(), valid.begin() + n);
    StoredData out;
    DecodeError error;
    EXPECT_FALSE(DecodeStoredData(prefix, model, &out, &error)) << "prefix of " << n;
    EXPECT_FALSE(error.ok());
  }
}

Signature AnonymousSignature() { return Signature{}; }

// Hand-assembled from RFC 6940 §7: length · storage_time · lifetime · DataValue · Signature.
const char* const kSingleHex =
    "0000001f"            // length = 31
    "0102030405060708"    // storage_time
    "00000e10"            // lifetime = 3600 s
    "01 00000002 6869"    // DataValue: exists, value "hi"
    "04 01"               // SignatureAndHashAlgorithm: sha256, rsa
    "01 0004 04 02 c1c2"  // SignerIdentity cert_hash: length 4, sha256, hash<2>
    "0001 5a";            // signature_value<1>
const char* const kArrayHex =
    "0000001e"                   // length = 30
    "000000000000002a"           // storage_time = 42
    "0000003c"                   // lifetime = 60
    "ffffffff 01 00000002 3000"  // ArrayEntry: append, DataValue
    "0000 03 0000 0000";         // anonymous signature, identity none
const char* const kDictionaryHex =
    "0000001c"               // length = 28
    "000000000000002a"       // storage_time = 42
    "0000003c"               // lifetime = 60
    "0002 abcd 00 00000000"  // DictionaryEntry: key<2>, deleted empty value
    "0000 03 0000 0000";

TEST(StoredDataTest, DataValueBytes) {
  DataValue v{true, {0xaa, 0xbb}};
  EXPECT_EQ(*EncodeToBytes(v), Hex("01 00000002 aabb"));
  EXPECT_EQ(testing::ExpectRoundTrip<DataValue>(Hex("01 00000002 aabb")), v);
  EXPECT_EQ(testing::ExpectRoundTrip<DataValue>(Hex("00 00000000")), DataValue{});
  testing::ExpectEveryPrefixFails<DataValue>(Hex("01 00000002 aabb"));
}

TEST(StoredDataTest, EntryRoundTrips) {
  ArrayEntry a = testing::ExpectRoundTrip<ArrayEntry>(Hex("00000007 01 00000001 ff"));
  EXPECT_EQ(a.index, 7u);
  EXPECT_EQ(a.value.value, std::vector<uint8_t>{0xff});
  DictionaryEntry d = testing::ExpectRoundTrip<DictionaryEntry>(Hex("0001 61 01 00000000"));
  EXPECT_EQ(d.key, std::vector<uint8_t>{'a'});
  EXPECT_TRUE(d.value.exists);
  testing::ExpectEveryPrefixFails<ArrayEntry>(Hex("00000007 01 00000001 ff"));
  testing::ExpectEveryPrefixFails<DictionaryEntry>(Hex("0001 61 01 00000000"));
}

TEST(StoredDataTest, SingleValueMatchesHandEncoding) {
  StoredData sd;
  sd.storage_time = 0x0102030405060708;
  sd.lifetime = 3600;
  sd.value = DataValue{true, {'h', 'i'}};
  sd.signature.hash_algorithm = kHashSha256;
  sd.signature.signature_algorithm = kSigRsa;
  sd.signature.identity = SignerIdentity::CertHash(kHashSha256, {0xc1, 0xc2});
  sd.signature.value = {0x5a};
  EXPECT_EQ(*EncodeToBytes(sd), Hex(kSingleHex));
  EXPECT_EQ(ExpectStoredDataRoundTrip(Hex(kSingleHex), DataModel::kSingle), sd);
  EXPECT_EQ(ModelOf(sd.value), DataModel::kSingle);
  ExpectEveryStoredDataPrefixFails(Hex(kSingleHex), DataModel::kSingle);
}

TEST(StoredDataTest, ArrayValueMatchesHandEncoding) {
  StoredData sd;
  sd.storage_time = 42;
  sd.lifetime = 60;
  sd.value = ArrayEntry{kArrayAppend, DataValue{true, {0x30, 0x00}}};
  sd.signature = AnonymousSignature();
  EXPECT_EQ(*EncodeToBytes(sd), Hex(kArrayHex));
  StoredData back = ExpectStoredDataRoundTrip(Hex(kArrayHex), DataModel::kArray);
  EXPECT_EQ(back, sd);
  EXPECT_EQ(ModelOf(back.value), DataModel::kArray);
  EXPECT_TRUE(back.signature.IsAnonymous());
  ExpectEveryStoredDataPrefixFails(Hex(kArrayHex), DataModel::kArray);
}

TEST(StoredDataTest, DictionaryValueMatchesHandEncoding) {
  StoredData sd;
  sd.storage_time = 42;
  sd.lifetime = 60;
  sd.value = DictionaryEntry{{0xab, 0xcd}, DataValue{}};
  EXPECT_EQ(*EncodeToBytes(sd), Hex(kDictionaryHex));
  StoredData back = ExpectStoredDataRoundTrip(Hex(kDictionaryHex), DataModel::kDictionary);
  EXPECT_EQ(back, sd);
  EXPECT_EQ(ModelOf(back.value), DataModel::kDictionary);
  ExpectEveryStoredDataPrefixFails(Hex(kDictionaryHex), DataModel::kDictionary);
}

TEST(StoredDataTest, SameBytesUnderAnotherModelFail) {
  // The array encoding read as a dictionary: key length 0xffff runs past the value.
  StoredData out;
  DecodeError error;
  EXPECT_FALSE(DecodeStoredData(Hex(kArrayHex), DataModel::kDictionary, &out, &error));
  EXPECT_FALSE(error.ok());
  // A model value outside the enum is rejected, not guessed.
  EXPECT_FALSE(DecodeStoredData(Hex(kSingleHex), static_cast<DataModel>(9), &out, &error));
  EXPECT_EQ(error.code, DecodeErrorCode::kBadValue);
}

TEST(StoredDataTest, LengthLongerThanContentsIsMismatch) {
  // length = 32 but the contents take 31 bytes; the extra byte is inside the declared length.
  auto bytes = Hex(kSingleHex);
  bytes[3] = 0x20;
  bytes.push_back(0x00);
  StoredData out;
  DecodeError error;
  EXPECT_FALSE(DecodeStoredData(bytes, DataModel::kSingle, &out, &error));
  EXPECT_EQ(error.code, DecodeErrorCode::kLengthMismatch);
  EXPECT_EQ(error.offset, 0u);
  EXPECT_STREQ(error.field, "stored_data.length");
}

TEST(StoredDataTest, LengthShorterThanContentsIsMismatchAtTheFieldThatRanOver) {
  // length = 30: the 1-byte signature_value (length at offset 4+8+4+7+2+7 = 32) does not fit.
  auto bytes = Hex(kSingleHex);
  bytes[3] = 0x1e;
  StoredData out;
  DecodeError error;
  EXPECT_FALSE(DecodeStoredData(bytes, DataModel::kSingle, &out, &error));
  EXPECT_EQ(error.code, DecodeErrorCode::kLengthMismatch);
  EXPECT_EQ(error.offset, 32u);
  EXPECT_STREQ(error.field, "signature.signature_value");
}

TEST(StoredDataTest, LengthPastTheInputIsTruncated) {
  auto bytes = Hex(kSingleHex);
  bytes[3] = 0x40;
  StoredData out;
  DecodeError error;
  EXPECT_FALSE(DecodeStoredData(bytes, DataModel::kSingle, &out, &error));
  EXPECT_EQ(error.code, DecodeErrorCode::kTruncated);
  EXPECT_EQ(error.offset, 0u);
  EXPECT_STREQ(error.field, "stored_data.length");
}

TEST(StoredDataTest, ExistsMustBeZeroOrOne) {
  auto bytes = Hex(kSingleHex);
  bytes[16] = 0x02;  // DataValue.exists at 4 + 8 + 4
  StoredData out;
  DecodeError error;
  EXPECT_FALSE(DecodeStoredData(bytes, DataModel::kSingle, &out, &error));
  EXPECT_EQ(error.code, DecodeErrorCode::kBadValue);
  EXPECT_EQ(error.offset, 16u);
  EXPECT_STREQ(error.field, "data_value.exists");

  DataValue v;
  EXPECT_FALSE(DecodeExact(Hex("ff 00000000"), &v, &error));
  EXPECT_EQ(error.code, DecodeErrorCode::kBadValue);
  EXPECT_EQ(error.offset, 0u);
}

TEST(StoredDataTest, InvalidSignerIdentityInsideIsReported) {
  auto bytes = Hex(kArrayHex);
  bytes[4 + 8 + 4 + 11 + 2] = 0x00;  // SignerIdentityType invalid(0)
  StoredData out;
  DecodeError error;
  EXPECT_FALSE(DecodeStoredData(bytes, DataModel::kArray, &out, &error));
  EXPECT_EQ(error.code, DecodeErrorCode::kBadValue);
  EXPECT_EQ(error.offset, 29u);
}

TEST(StoredDataTest, OversizedDictionaryKeyIsAnEncodeError) {
  DictionaryEntry e;
  e.key.assign(70000, 0x01);
  auto bytes = EncodeToBytes(e);
  ASSERT_FALSE(bytes.ok());
  EXPECT_NE(std::string(bytes.status().message()).find("dictionary_entry.key"), std::string::npos);
}

TEST(StoredDataTest, DecodeLengthDelimitedReportsBodyErrors) {
  // A body that records a precise error keeps it (other than truncation, which becomes a
  // length mismatch at the same place).
  auto bytes = Hex("0003 010203");
  DecodeError error;
  ByteReader r(bytes, &error);
  EXPECT_FALSE(DecodeLengthDelimited(r, 2, "outer", [](ByteReader& body) {
    uint32_t x = 0;
    return body.ReadU32(&x, "inner.u32");
  }));
  EXPECT_EQ(error.code, DecodeErrorCode::kLengthMismatch);
  EXPECT_EQ(error.offset, 2u);
  EXPECT_STREQ(error.field, "inner.u32");

  error = {};
  ByteReader r2(bytes, &error);
  EXPECT_FALSE(DecodeLengthDelimited(r2, 2, "outer", [](ByteReader&) { return false; }));
  EXPECT_EQ(error.code, DecodeErrorCode::kBadValue);
  EXPECT_STREQ(error.field, "outer");
}

// §7.1 / digest §15.1: raw Resource-ID ‖ uint32 kind ‖ uint64 storage_time ‖ StoredDataValue.
TEST(StoredDataSignatureInputTest, MatchesHandEncoding) {
  const std::vector<uint8_t> resource = {0xAA, 0xBB, 0xCC};
  DictionaryEntry entry{{0x01, 0x02}, {true, {0x7F}}};
  std::vector<uint8_t> out = {0xFF};  // cleared first
  StoredDataSignatureInput(resource, 0x00000001, 0x0102030405060708ull, entry, &out);
  const std::vector<uint8_t> expected = {
      0xAA, 0xBB, 0xCC,                                // resource, no length prefix
      0x00, 0x00, 0x00, 0x01,                          // kind
      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  // storage_time
      0x00, 0x02, 0x01, 0x02,                          // key<0..2^16-1>
      0x01, 0x00, 0x00, 0x00, 0x01, 0x7F};             // exists, value<0..2^32-1>
  EXPECT_EQ(out, expected);
}

// An appended array entry is signed as if its index were 0 (§7.4.1.1); an entry at an explicit
// index is signed with that index.
TEST(StoredDataSignatureInputTest, AppendIndexSignsAsZero) {
  const std::vector<uint8_t> resource = {0x01};
  std::vector<uint8_t> appended, zero, seven;
  StoredDataSignatureInput(resource, 3, 9, ArrayEntry{kArrayAppend, {true, {1}}}, &appended);
  StoredDataSignatureInput(resource, 3, 9, ArrayEntry{0, {true, {1}}}, &zero);
  StoredDataSignatureInput(resource, 3, 9, ArrayEntry{7, {true, {1}}}, &seven);
  EXPECT_EQ(appended, zero);
  EXPECT_NE(appended, seven);
  EXPECT_EQ(appended.size(), 1u + 4 + 8 + 4 + 1 + 4 + 1);
}

}  // namespace
}  // namespace p2psip::wire

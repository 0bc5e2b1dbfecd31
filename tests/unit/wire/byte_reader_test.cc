#include "p2psip/wire/byte_reader.h"

#include "gtest/gtest.h"
#include "p2psip/wire/byte_writer.h"
#include "test_util.h"

namespace p2psip::wire {
namespace {

using testing::Hex;

TEST(ByteReaderTest, ReadsBigEndianIntegers) {
  auto bytes = Hex("01 0203 040506 0708090a 0b0c0d0e0f101112");
  DecodeError err;
  ByteReader r(bytes, &err);
  uint8_t a;
  uint16_t b;
  uint32_t c, d;
  uint64_t e;
  ASSERT_TRUE(r.ReadU8(&a, "a") && r.ReadU16(&b, "b") && r.ReadU24(&c, "c") && r.ReadU32(&d, "d") &&
              r.ReadU64(&e, "e"));
  EXPECT_EQ(a, 0x01);
  EXPECT_EQ(b, 0x0203);
  EXPECT_EQ(c, 0x040506u);
  EXPECT_EQ(d, 0x0708090au);
  EXPECT_EQ(e, 0x0b0c0d0e0f101112ull);
  EXPECT_TRUE(r.empty());
}

TEST(ByteReaderTest, TruncationRecordsOffsetAndField) {
  auto bytes = Hex("0001 02");
  DecodeError err;
  ByteReader r(bytes, &err);
  uint16_t x;
  uint32_t y;
  ASSERT_TRUE(r.ReadU16(&x, "x"));
  EXPECT_FALSE(r.ReadU32(&y, "y.field"));
  EXPECT_EQ(err.code, DecodeErrorCode::kTruncated);
  EXPECT_EQ(err.offset, 2u);
  EXPECT_STREQ(err.field, "y.field");
  EXPECT_EQ(err.ToString(), "truncated at byte 2 (y.field)");
}

TEST(ByteReaderTest, FirstErrorWins) {
  auto bytes = Hex("05");
  DecodeError err;
  ByteReader r(bytes, &err);
  bool b;
  EXPECT_FALSE(r.ReadBool(&b, "first"));
  EXPECT_FALSE(r.Fail(DecodeErrorCode::kTruncated, "second"));
  EXPECT_EQ(err.code, DecodeErrorCode::kBadValue);
  EXPECT_STREQ(err.field, "first");
}

TEST(ByteReaderTest, OpaqueLengthCheckedAgainstRemainingAndMaximum) {
  auto bytes = Hex("0005 aabbcc");
  DecodeError err;
  ByteReader r(bytes, &err);
  std::vector<uint8_t> v;
  EXPECT_FALSE(r.ReadOpaque(2, &v, "v"));
  EXPECT_EQ(err.code, DecodeErrorCode::kTruncated);
  EXPECT_EQ(err.offset, 0u);

  auto ok = Hex("0003 aabbcc");
  DecodeError err2;
  ByteReader r2(ok, &err2);
  EXPECT_FALSE(r2.ReadOpaque(2, &v, "v", /*max=*/2));
  EXPECT_EQ(err2.code, DecodeErrorCode::kTooLarge);
}

TEST(ByteReaderTest, SubReaderReportsAbsoluteOffsets) {
  auto bytes = Hex("aa 03 010203");
  DecodeError err;
  ByteReader r(bytes, &err);
  uint8_t skip;
  ByteReader sub;
  ASSERT_TRUE(r.ReadU8(&skip, "skip") && r.ReadVector(1, &sub, "vec"));
  uint32_t too_big;
  EXPECT_FALSE(sub.ReadU32(&too_big, "inner"));
  EXPECT_EQ(err.offset, 2u);
  EXPECT_STREQ(err.field, "inner");
}

struct ConsumesNothing {};
bool Decode(ByteReader&, ConsumesNothing*) { return true; }

TEST(ByteReaderTest, ReadListRejectsElementsThatConsumeNothing) {
  // A list of a type whose decoder consumes nothing would otherwise never end.
  auto bytes = Hex("02 0000");
  DecodeError err;
  ByteReader r(bytes, &err);
  std::vector<ConsumesNothing> out;
  EXPECT_FALSE(ReadList(r, 1, &out, "list"));
  EXPECT_EQ(err.code, DecodeErrorCode::kBadValue);
  EXPECT_STREQ(err.field, "list");
}

TEST(ByteWriterTest, VectorsPatchTheirLengthAndRejectOverflow) {
  std::vector<uint8_t> out;
  ByteWriter w(&out);
  const size_t mark = w.BeginVector(2);
  w.WriteU32(0xdeadbeef);
  w.EndVector(mark, 2, "v");
  EXPECT_TRUE(w.ok());
  EXPECT_EQ(out, Hex("0004 deadbeef"));

  std::vector<uint8_t> out2;
  ByteWriter w2(&out2);
  std::vector<uint8_t> big(300, 1);
  w2.WriteOpaque(1, big, "too.long");
  EXPECT_FALSE(w2.ok());
  EXPECT_EQ(w2.error().ToString(), "too.long: length 300 exceeds maximum 255");
}

TEST(ByteWriterTest, ThreeByteLengths) {
  std::vector<uint8_t> out;
  ByteWriter w(&out);
  std::vector<uint8_t> v(0x010203, 7);
  w.WriteOpaque(3, v, "v");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(out[0], 0x01);
  EXPECT_EQ(out[1], 0x02);
  EXPECT_EQ(out[2], 0x03);
  EXPECT_EQ(out.size(), 3u + 0x010203);
}

TEST(IdsTest, NodeIdHexAndOrdering) {
  auto a = NodeId::FromHex("00112233445566778899aabbccddeeff");
  auto b = NodeId::FromHex("f0e0d0c0b0a090807060504030201000");
  ASSERT_TRUE(a && b);
  EXPECT_LT(*a, *b);
  EXPECT_EQ(a->ToHex(), "00112233445566778899aabbccddeeff");
  EXPECT_FALSE(NodeId::FromHex("0011").has_value());                // too short
  EXPECT_FALSE(NodeId::FromHex(std::string(42, 'a')).has_value());  // 21 bytes
  EXPECT_TRUE(NodeId::FromHex(std::string(40, 'a')).has_value());   // 20 bytes
  EXPECT_TRUE(NodeId::Wildcard().IsWildcard());
  EXPECT_TRUE(NodeId::Zero().IsZero());
  EXPECT_FALSE(a->IsWildcard());
}

TEST(IdsTest, ResourceIdLimits) {
  std::vector<uint8_t> ok(255, 1), too_long(256, 1);
  EXPECT_TRUE(ResourceId::FromBytes(ok).has_value());
  EXPECT_FALSE(ResourceId::FromBytes(too_long).has_value());
  EXPECT_FALSE(ResourceId::FromHex("abc").has_value());
}

}  // namespace
}  // namespace p2psip::wire

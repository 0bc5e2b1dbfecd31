#include "p2psip/core/ring.h"

#include <array>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "p2psip/ids.h"

namespace p2psip::core {
namespace {

using U128 = RingId::U128;

constexpr U128 kMax = ~U128{0};

TEST(RingTest, FromPartsSplitsHighAndLow) {
  const RingId id = RingId::FromParts(0x0123456789abcdefULL, 0xfedcba9876543210ULL);
  EXPECT_EQ(id.hi(), 0x0123456789abcdefULL);
  EXPECT_EQ(id.lo(), 0xfedcba9876543210ULL);
  EXPECT_EQ(id.value(), (U128{0x0123456789abcdefULL} << 64) | 0xfedcba9876543210ULL);
}

TEST(RingTest, AdditionWrapsModulo2To128) {
  const RingId top(kMax);
  EXPECT_EQ(top + RingId(1), RingId(0));
  EXPECT_EQ(top + uint64_t{2}, RingId(1));
  EXPECT_EQ(RingId(kMax - 4) + RingId(10), RingId(5));
  // A carry crosses the 64-bit halves.
  EXPECT_EQ(RingId::FromParts(0, ~uint64_t{0}) + uint64_t{1}, RingId::FromParts(1, 0));
  EXPECT_EQ(RingId::PowerOfTwo(127) + RingId::PowerOfTwo(127), RingId(0));
}

TEST(RingTest, SubtractionWrapsModulo2To128) {
  EXPECT_EQ(RingId(0) - RingId(1), RingId(kMax));
  EXPECT_EQ(RingId(5) - RingId(10), RingId(kMax - 4));
  EXPECT_EQ(RingId::FromParts(1, 0) - RingId(1), RingId::FromParts(0, ~uint64_t{0}));
  EXPECT_EQ(RingId(42) - RingId(42), RingId(0));
}

TEST(RingTest, DistanceIsClockwise) {
  EXPECT_EQ(Distance(RingId(10), RingId(10)), U128{0});
  EXPECT_EQ(Distance(RingId(10), RingId(15)), U128{5});
  // Going backwards means going almost all the way round.
  EXPECT_EQ(Distance(RingId(15), RingId(10)), kMax - 4);
  // Across zero.
  EXPECT_EQ(Distance(RingId(kMax - 1), RingId(3)), U128{5});
  EXPECT_EQ(Distance(RingId(3), RingId(kMax - 1)), kMax - 4);
  // d(a, b) + d(b, a) == 2^128 for a != b.
  const RingId a = RingId::FromParts(0x8000000000000000ULL, 7);
  const RingId b = RingId::FromParts(0x1234, 99);
  EXPECT_EQ(Distance(a, b) + Distance(b, a), U128{0});
}

TEST(RingTest, InOpenEdges) {
  const RingId a(100), b(200);
  EXPECT_FALSE(InOpen(a, a, b));
  EXPECT_FALSE(InOpen(b, a, b));
  EXPECT_TRUE(InOpen(RingId(101), a, b));
  EXPECT_TRUE(InOpen(RingId(199), a, b));
  EXPECT_FALSE(InOpen(RingId(99), a, b));
  EXPECT_FALSE(InOpen(RingId(201), a, b));
  EXPECT_FALSE(InOpen(RingId(0), a, b));
  // The reversed interval is the rest of the ring.
  EXPECT_TRUE(InOpen(RingId(201), b, a));
  EXPECT_TRUE(InOpen(RingId(0), b, a));
  EXPECT_TRUE(InOpen(RingId(kMax), b, a));
  EXPECT_TRUE(InOpen(RingId(99), b, a));
  EXPECT_FALSE(InOpen(RingId(150), b, a));
  EXPECT_FALSE(InOpen(a, b, a));
  EXPECT_FALSE(InOpen(b, b, a));
}

TEST(RingTest, InOpenDegenerateIsWholeRingButEndpoint) {
  const RingId a(100);
  EXPECT_FALSE(InOpen(a, a, a));
  EXPECT_TRUE(InOpen(RingId(99), a, a));
  EXPECT_TRUE(InOpen(RingId(101), a, a));
  EXPECT_TRUE(InOpen(RingId(0), a, a));
  EXPECT_TRUE(InOpen(RingId(kMax), a, a));
  // Adjacent endpoints leave nothing strictly between them.
  EXPECT_FALSE(InOpen(RingId(100), RingId(100), RingId(101)));
  EXPECT_FALSE(InOpen(RingId(101), RingId(100), RingId(101)));
}

TEST(RingTest, InOpenWrapsAcrossZero) {
  const RingId a(kMax - 10), b(10);
  EXPECT_TRUE(InOpen(RingId(kMax), a, b));
  EXPECT_TRUE(InOpen(RingId(0), a, b));
  EXPECT_TRUE(InOpen(RingId(9), a, b));
  EXPECT_TRUE(InOpen(RingId(kMax - 9), a, b));
  EXPECT_FALSE(InOpen(a, a, b));
  EXPECT_FALSE(InOpen(b, a, b));
  EXPECT_FALSE(InOpen(RingId(11), a, b));
  EXPECT_FALSE(InOpen(RingId(kMax - 11), a, b));
  EXPECT_FALSE(InOpen(RingId::PowerOfTwo(127), a, b));
}

TEST(RingTest, InHalfOpenEdges) {
  const RingId a(100), b(200);
  EXPECT_FALSE(InHalfOpen(a, a, b));
  EXPECT_TRUE(InHalfOpen(b, a, b));
  EXPECT_TRUE(InHalfOpen(RingId(101), a, b));
  EXPECT_FALSE(InHalfOpen(RingId(201), a, b));
  EXPECT_FALSE(InHalfOpen(RingId(99), a, b));
  // Reversed: (200, 100] contains 100 but not 200.
  EXPECT_TRUE(InHalfOpen(a, b, a));
  EXPECT_FALSE(InHalfOpen(b, b, a));
  EXPECT_TRUE(InHalfOpen(RingId(0), b, a));
  EXPECT_FALSE(InHalfOpen(RingId(150), b, a));
  // Adjacent endpoints: (100, 101] is exactly {101}.
  EXPECT_TRUE(InHalfOpen(RingId(101), RingId(100), RingId(101)));
  EXPECT_FALSE(InHalfOpen(RingId(100), RingId(100), RingId(101)));
  EXPECT_FALSE(InHalfOpen(RingId(102), RingId(100), RingId(101)));
}

TEST(RingTest, InHalfOpenDegenerateIsWholeRing) {
  // A lone node is responsible for everything, itself included.
  const RingId a(100);
  EXPECT_TRUE(InHalfOpen(a, a, a));
  EXPECT_TRUE(InHalfOpen(RingId(0), a, a));
  EXPECT_TRUE(InHalfOpen(RingId(99), a, a));
  EXPECT_TRUE(InHalfOpen(RingId(kMax), a, a));
}

TEST(RingTest, InHalfOpenWrapsAcrossZero) {
  const RingId a(kMax - 10), b(10);
  EXPECT_TRUE(InHalfOpen(RingId(kMax), a, b));
  EXPECT_TRUE(InHalfOpen(RingId(0), a, b));
  EXPECT_TRUE(InHalfOpen(b, a, b));
  EXPECT_FALSE(InHalfOpen(a, a, b));
  EXPECT_FALSE(InHalfOpen(RingId(11), a, b));
  EXPECT_FALSE(InHalfOpen(RingId(kMax - 10), a, b));
  EXPECT_TRUE(InHalfOpen(RingId(kMax - 9), a, b));
  // Ending exactly at zero.
  EXPECT_TRUE(InHalfOpen(RingId(0), RingId(kMax), RingId(0)));
  EXPECT_FALSE(InHalfOpen(RingId(1), RingId(kMax), RingId(0)));
}

TEST(RingTest, PowerOfTwo) {
  EXPECT_EQ(RingId::PowerOfTwo(0), RingId(1));
  EXPECT_EQ(RingId::PowerOfTwo(63), RingId::FromParts(0, uint64_t{1} << 63));
  EXPECT_EQ(RingId::PowerOfTwo(64), RingId::FromParts(1, 0));
  // 2^127 is half the ring: from any point it is equally far both ways.
  const RingId half = RingId::PowerOfTwo(127);
  EXPECT_EQ(half, RingId::FromParts(0x8000000000000000ULL, 0));
  const RingId x = RingId::FromParts(0xdeadbeef, 0xfeedface);
  EXPECT_EQ(Distance(x, x + half), Distance(x + half, x));
}

TEST(RingTest, FromBytesIsBigEndian) {
  std::array<uint8_t, 16> b{};
  b[15] = 1;
  EXPECT_EQ(RingId::FromBytes(b), RingId(1));
  b = {};
  b[0] = 0x80;
  EXPECT_EQ(RingId::FromBytes(b), RingId::PowerOfTwo(127));
  b = {};
  b[7] = 1;
  EXPECT_EQ(RingId::FromBytes(b), RingId::FromParts(1, 0));
}

TEST(RingTest, FromBytesOfTwentyByteIdTakesFirstSixteen) {
  std::array<uint8_t, 20> b{};
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(i + 1);
  const RingId id = RingId::FromBytes(b);
  EXPECT_EQ(id.hi(), 0x0102030405060708ULL);
  EXPECT_EQ(id.lo(), 0x090a0b0c0d0e0f10ULL);
  const NodeId node(b);
  ASSERT_EQ(node.size(), 20u);
  EXPECT_EQ(RingId::Of(node), id);
}

TEST(RingTest, FromBytesZeroPadsShortIds) {
  const std::vector<uint8_t> b = {0xab, 0xcd};
  EXPECT_EQ(RingId::FromBytes(b), RingId::FromParts(0xabcd000000000000ULL, 0));
  EXPECT_EQ(RingId::FromBytes({}), RingId(0));
  const ResourceId rid(b);
  EXPECT_EQ(RingId::Of(rid), RingId::FromParts(0xabcd000000000000ULL, 0));
}

TEST(RingTest, NodeIdRoundTrip) {
  const RingId id = RingId::FromParts(0x0011223344556677ULL, 0x8899aabbccddeeffULL);
  const NodeId node = id.ToNodeId();
  ASSERT_EQ(node.size(), 16u);
  EXPECT_EQ(node.ToHex(), "00112233445566778899aabbccddeeff");
  EXPECT_EQ(id.ToHex(), "00112233445566778899aabbccddeeff");
  EXPECT_EQ(RingId::Of(node), id);
  EXPECT_EQ(RingId::FromBytes(node.bytes()), id);
  const ResourceId rid = id.ToResourceId();
  EXPECT_EQ(rid.size(), 16u);
  EXPECT_EQ(RingId::Of(rid), id);
  for (const RingId edge : {RingId(0), RingId(kMax), RingId::PowerOfTwo(127)}) {
    EXPECT_EQ(RingId::Of(edge.ToNodeId()), edge);
  }
}

TEST(RingTest, OrderIsNumeric) {
  EXPECT_LT(RingId(1), RingId(2));
  EXPECT_LT(RingId::FromParts(0, ~uint64_t{0}), RingId::FromParts(1, 0));
  EXPECT_GT(RingId(kMax), RingId::PowerOfTwo(127));
  // Matches NodeId's big-endian order.
  const RingId a = RingId::FromParts(0x00ff, 0), b = RingId::FromParts(0x0100, 0);
  EXPECT_LT(a.ToNodeId(), b.ToNodeId());
}

}  // namespace
}  // namespace p2psip::core

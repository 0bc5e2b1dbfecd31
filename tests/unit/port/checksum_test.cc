// The Internet checksum (RFC 1071) against the textbook word-by-word sum: every length and
// alignment of the bulk and the tail, carries everywhere, both bulk implementations, and the
// copying variant.
#include "p2psip/port/checksum.h"

#include <algorithm>
#include <cstring>
#include <span>
#include <vector>

#include "gtest/gtest.h"

namespace p2psip::port {
namespace {

// RFC 1071 spelled out: big-endian 16-bit words, an odd last byte padded with zero.
uint32_t ReferenceSum(uint32_t sum, std::span<const uint8_t> b) {
  uint64_t s = sum;
  for (size_t i = 0; i < b.size(); i += 2) {
    s += (uint32_t{b[i]} << 8) | (i + 1 < b.size() ? b[i + 1] : 0);
  }
  while ((s >> 16) != 0) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint32_t>(s);
}

class Bytes {
 public:
  uint32_t Next() { return seed_ = seed_ * 1103515245u + 12345u; }
  std::vector<uint8_t> Random(size_t n) {
    std::vector<uint8_t> v(n);
    for (uint8_t& b : v) b = static_cast<uint8_t>(Next() >> 16);
    return v;
  }

 private:
  uint32_t seed_ = 12345;
};

TEST(ChecksumTest, Rfc1071Example) {
  // RFC 1071 §3: the one's complement sum of 0001 f203 f4f5 f6f7 is ddf2.
  const uint8_t bytes[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(ChecksumFold(ChecksumAdd(0, bytes)), 0xffff & ~0xddf2);
  uint8_t copy[sizeof(bytes)] = {};
  EXPECT_EQ(ChecksumFold(ChecksumCopy(copy, bytes, 0)), 0xffff & ~0xddf2);
  EXPECT_EQ(0, std::memcmp(copy, bytes, sizeof(bytes)));
}

TEST(ChecksumTest, EveryLengthAndAlignmentMatchesTheTextbookSum) {
  Bytes gen;
  std::vector<size_t> lengths;
  for (size_t n = 0; n <= 300; ++n) lengths.push_back(n);
  for (size_t n : {511, 512, 513, 800, 1472, 1500, 9000, 65535}) lengths.push_back(n);
  for (size_t n : lengths) {
    for (size_t offset : {0, 1, 3, 8, 31}) {  // the bulk's loads are unaligned
      for (bool all_ones : {false, true}) {   // all ones: a carry out of every addition
        std::vector<uint8_t> buffer = gen.Random(n + offset);
        if (all_ones) std::fill(buffer.begin(), buffer.end(), 0xff);
        const std::span<const uint8_t> bytes = std::span(buffer).subspan(offset);
        const uint32_t start = gen.Next() % 0x1ffff;
        const uint16_t expected = ChecksumFold(ReferenceSum(start, bytes));
        ASSERT_EQ(ChecksumFold(ChecksumAdd(start, bytes)), expected) << n << " at " << offset;
        std::vector<uint8_t> copy(n + 1, 0xa5);
        ASSERT_EQ(ChecksumFold(ChecksumCopy(copy.data(), bytes, start)), expected) << n;
        ASSERT_TRUE(std::equal(bytes.begin(), bytes.end(), copy.begin())) << n;
        ASSERT_EQ(copy[n], 0xa5) << "ChecksumCopy wrote past " << n << " bytes";
      }
    }
  }
}

TEST(ChecksumTest, SumsInPiecesAtEvenSplits) {
  // As a pseudo-header, a UDP header and a payload are summed one after the other.
  Bytes gen;
  for (int round = 0; round < 2000; ++round) {
    const std::vector<uint8_t> bytes = gen.Random(gen.Next() % 1600);
    const size_t split = (gen.Next() % (bytes.size() + 1)) & ~size_t{1};
    const uint32_t start = gen.Next() % 0x1ffff;
    const uint32_t pieces = ChecksumAdd(ChecksumAdd(start, std::span(bytes).first(split)),
                                        std::span(bytes).subspan(split));
    ASSERT_EQ(ChecksumFold(pieces), ChecksumFold(ReferenceSum(start, bytes)))
        << bytes.size() << " at " << split;
  }
}

TEST(ChecksumTest, BothBulkImplementationsAgree) {
  // Where the CPU has no AVX2, ChecksumBulkAvx2 is the scalar loop and this compares it with
  // itself; the machines CI runs on have AVX2 (HaveAvx2 is printed for the record).
  std::printf("AVX2: %s\n", internal::HaveAvx2() ? "yes" : "no");
  Bytes gen;
  for (size_t n = 64; n <= 4096; n += 64) {
    std::vector<uint8_t> bytes = gen.Random(n + 7);
    if (n % 448 == 0) std::fill(bytes.begin(), bytes.end(), 0xff);
    for (size_t offset : {0, 7}) {
      const uint8_t* p = bytes.data() + offset;
      const uint64_t scalar = internal::ChecksumBulkScalar(p, n, nullptr);
      ASSERT_EQ(internal::ChecksumBulkAvx2(p, n, nullptr), scalar) << n;
      std::vector<uint8_t> a(n), b(n);
      ASSERT_EQ(internal::ChecksumBulkScalar(p, n, a.data()), scalar) << n;
      ASSERT_EQ(internal::ChecksumBulkAvx2(p, n, b.data()), scalar) << n;
      ASSERT_TRUE(std::equal(a.begin(), a.end(), p));
      ASSERT_TRUE(std::equal(b.begin(), b.end(), p));
    }
  }
}

}  // namespace
}  // namespace p2psip::port

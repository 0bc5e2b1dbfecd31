#include "p2psip/port/checksum.h"

#include <bit>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace p2psip::port {
namespace {

// RFC 1071 §2: the one's complement sum does not depend on byte order, so the words are summed
// in the machine's order as 32-bit halves of 64-bit words into 64 bits (no overflow below 2^32
// words), folded to 16 bits and swapped into network order at the end.
constexpr size_t kBulkStep = 64;  // what the bulk functions take at a time

// Adds the last length % 64 bytes to `acc`, folds it and adds it to `sum`.
uint32_t Finish(uint64_t acc, const uint8_t* p, size_t n, uint32_t sum) {
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    acc += (w & 0xffffffffu) + (w >> 32);
  }
  if (n >= 4) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    acc += w;
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    uint16_t w;
    std::memcpy(&w, p, 2);
    acc += w;
    p += 2;
    n -= 2;
  }
  if (n == 1) {  // the odd byte is the high half of a word padded with zero
    acc += static_cast<uint16_t>(*p << (std::endian::native == std::endian::big ? 8 : 0));
  }
  while ((acc >> 16) != 0) acc = (acc & 0xffff) + (acc >> 16);
  if constexpr (std::endian::native == std::endian::little) {
    acc = ((acc & 0xff) << 8) | (acc >> 8);
  }
  sum += static_cast<uint32_t>(acc);
  return (sum & 0xffff) + (sum >> 16);
}

template <bool kCopy>
uint64_t BulkScalar(const uint8_t* p, size_t n, uint8_t* dst) {
  uint64_t acc = 0;
  uint64_t acc2 = 0;  // a second chain, so that two additions run at once
  for (size_t at = 0; at < n; at += 16) {
    uint64_t w[2];
    std::memcpy(w, p + at, 16);
    if constexpr (kCopy) std::memcpy(dst + at, w, 16);
    acc += (w[0] & 0xffffffffu) + (w[0] >> 32);
    acc2 += (w[1] & 0xffffffffu) + (w[1] >> 32);
  }
  return acc + acc2;
}

#if defined(__x86_64__)
// 64 bytes a turn in four chains: each 64-bit lane adds the low and the high 32-bit halves of
// its words separately, as the scalar loop does.
template <bool kCopy>
__attribute__((target("avx2"))) uint64_t BulkAvx2(const uint8_t* p, size_t n, uint8_t* dst) {
  const __m256i low = _mm256_set1_epi64x(0xffffffff);
  __m256i a0 = _mm256_setzero_si256();
  __m256i a1 = a0, a2 = a0, a3 = a0;
  for (size_t at = 0; at < n; at += kBulkStep) {
    const __m256i v0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + at));
    const __m256i v1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + at + 32));
    if constexpr (kCopy) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + at), v0);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + at + 32), v1);
    }
    a0 = _mm256_add_epi64(a0, _mm256_and_si256(v0, low));
    a1 = _mm256_add_epi64(a1, _mm256_srli_epi64(v0, 32));
    a2 = _mm256_add_epi64(a2, _mm256_and_si256(v1, low));
    a3 = _mm256_add_epi64(a3, _mm256_srli_epi64(v1, 32));
  }
  const __m256i all = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
  const __m128i two = _mm_add_epi64(_mm256_castsi256_si128(all), _mm256_extracti128_si256(all, 1));
  return static_cast<uint64_t>(_mm_cvtsi128_si64(two)) +
         static_cast<uint64_t>(_mm_extract_epi64(two, 1));
}

uint64_t Avx2(const uint8_t* p, size_t n, uint8_t* dst) {
  return dst == nullptr ? BulkAvx2<false>(p, n, nullptr) : BulkAvx2<true>(p, n, dst);
}
#endif

using Bulk = uint64_t (*)(const uint8_t*, size_t, uint8_t*);

// Chosen once: the CPU does not change under a running process.
Bulk ChosenBulk() {
#if defined(__x86_64__)
  static const Bulk bulk = internal::HaveAvx2() ? Avx2 : internal::ChecksumBulkScalar;
  return bulk;
#else
  return internal::ChecksumBulkScalar;
#endif
}

}  // namespace

namespace internal {

uint64_t ChecksumBulkScalar(const uint8_t* bytes, size_t length, uint8_t* dst) {
  return dst == nullptr ? BulkScalar<false>(bytes, length, nullptr)
                        : BulkScalar<true>(bytes, length, dst);
}

uint64_t ChecksumBulkAvx2(const uint8_t* bytes, size_t length, uint8_t* dst) {
#if defined(__x86_64__)
  if (HaveAvx2()) return Avx2(bytes, length, dst);
#endif
  return ChecksumBulkScalar(bytes, length, dst);
}

bool HaveAvx2() {
#if defined(__x86_64__)
  __builtin_cpu_init();  // may run before the constructors that would otherwise do it
  return __builtin_cpu_supports("avx2");
#else
  return false;
#endif
}

}  // namespace internal

uint32_t ChecksumAdd(uint32_t sum, std::span<const uint8_t> bytes) {
  const size_t bulk = bytes.size() & ~(kBulkStep - 1);
  const uint64_t acc = bulk == 0 ? 0 : ChosenBulk()(bytes.data(), bulk, nullptr);
  return Finish(acc, bytes.data() + bulk, bytes.size() - bulk, sum);
}

uint32_t ChecksumCopy(uint8_t* dst, std::span<const uint8_t> bytes, uint32_t sum) {
  const size_t bulk = bytes.size() & ~(kBulkStep - 1);
  const uint64_t acc = bulk == 0 ? 0 : ChosenBulk()(bytes.data(), bulk, dst);
  if (bulk < bytes.size()) std::memcpy(dst + bulk, bytes.data() + bulk, bytes.size() - bulk);
  return Finish(acc, bytes.data() + bulk, bytes.size() - bulk, sum);
}

uint16_t ChecksumFold(uint32_t sum) {
  while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace p2psip::port

// The Internet checksum (RFC 1071), as the kernel-bypass ports' stack computes it for IPv4,
// ICMP and UDP (pseudo-header included by the caller).
//
//   ChecksumAdd(sum, bytes)        adds `bytes` (an even-offset run of a message) to a running
//                                  sum kept in network order, at most 0x1ffff
//   ChecksumCopy(dst, bytes, sum)  the same, copying `bytes` to `dst` on the way (one pass over
//                                  the payload instead of a copy and a sum)
//   ChecksumFold(sum)              the final complement, ready for the header field
//
// The bulk of a long run is summed with AVX2 where the CPU has it (chosen once, at start-up),
// otherwise 16 bytes at a time in 64-bit registers; both give the same result, which tests
// compare with the textbook 16-bit loop. Pure functions: safe from any thread.
#ifndef P2PSIP_PORT_CHECKSUM_H_
#define P2PSIP_PORT_CHECKSUM_H_

#include <cstddef>
#include <cstdint>
#include <span>

namespace p2psip::port {

uint32_t ChecksumAdd(uint32_t sum, std::span<const uint8_t> bytes);
uint32_t ChecksumCopy(uint8_t* dst, std::span<const uint8_t> bytes, uint32_t sum);
uint16_t ChecksumFold(uint32_t sum);

namespace internal {

// The two implementations of the bulk, for tests and the benchmark: the 32-bit halves of each
// little-or-big-endian 64-bit word of `bytes` (its length a multiple of 64) added into 64 bits,
// copied to `dst` when it is not null. ChecksumBulkAvx2 only where HaveAvx2().
uint64_t ChecksumBulkScalar(const uint8_t* bytes, size_t length, uint8_t* dst);
uint64_t ChecksumBulkAvx2(const uint8_t* bytes, size_t length, uint8_t* dst);
bool HaveAvx2();

}  // namespace internal
}  // namespace p2psip::port

#endif  // P2PSIP_PORT_CHECKSUM_H_

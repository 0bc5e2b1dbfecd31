// CHORD-RELOAD ring arithmetic (RFC 6940 §10): ids are 128-bit unsigned integers and all
// arithmetic is modulo 2^128. A RingId is the first 16 bytes of a Node-ID or Resource-ID
// (CHORD-RELOAD assumes 16-byte ids; longer overlay ids are truncated, shorter resource ids are
// zero-padded on the right), held as one unsigned __int128 for cheap comparisons.
#ifndef P2PSIP_CORE_RING_H_
#define P2PSIP_CORE_RING_H_

#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include "p2psip/ids.h"

namespace p2psip::core {

class RingId {
 public:
  // __extension__: -Wpedantic (warning_level=3, --werror) rejects the GNU __int128 type otherwise.
  __extension__ using U128 = unsigned __int128;

  constexpr RingId() = default;
  constexpr explicit RingId(U128 v) : v_(v) {}
  static constexpr RingId FromParts(uint64_t hi, uint64_t lo) {
    return RingId((U128{hi} << 64) | lo);
  }
  static RingId FromBytes(std::span<const uint8_t> bytes) {
    U128 v = 0;
    for (size_t i = 0; i < 16; ++i) v = (v << 8) | (i < bytes.size() ? bytes[i] : 0);
    return RingId(v);
  }
  static RingId Of(const NodeId& id) { return FromBytes(id.bytes()); }
  static RingId Of(const ResourceId& id) { return FromBytes(id.bytes()); }
  // 2^k mod 2^128, for finger targets (k = 0..127).
  static constexpr RingId PowerOfTwo(int k) { return RingId(U128{1} << k); }

  constexpr U128 value() const { return v_; }
  constexpr uint64_t hi() const { return static_cast<uint64_t>(v_ >> 64); }
  constexpr uint64_t lo() const { return static_cast<uint64_t>(v_); }
  NodeId ToNodeId() const {
    uint8_t b[16];
    for (int i = 15; i >= 0; --i) b[i] = static_cast<uint8_t>(v_ >> (8 * (15 - i)));
    return NodeId(std::span<const uint8_t>(b, 16));
  }
  ResourceId ToResourceId() const {
    const NodeId n = ToNodeId();
    return ResourceId(n.bytes());
  }
  std::string ToHex() const { return ToNodeId().ToHex(); }

  constexpr RingId operator+(RingId o) const { return RingId(v_ + o.v_); }  // wraps mod 2^128
  constexpr RingId operator-(RingId o) const { return RingId(v_ - o.v_); }
  constexpr RingId operator+(uint64_t o) const { return RingId(v_ + o); }
  friend constexpr bool operator==(RingId a, RingId b) = default;
  friend constexpr auto operator<=>(RingId a, RingId b) { return a.v_ <=> b.v_; }
  template <typename H>
  friend H AbslHashValue(H h, RingId id) {
    return H::combine(std::move(h), id.hi(), id.lo());
  }

 private:
  U128 v_ = 0;
};

// Clockwise distance from a to b: (b - a) mod 2^128.
constexpr RingId::U128 Distance(RingId a, RingId b) { return (b - a).value(); }

// x in the open interval (a, b) going clockwise. When a == b the interval is the whole ring
// except a.
constexpr bool InOpen(RingId x, RingId a, RingId b) {
  if (a == b) return x != a;
  return Distance(a, x) > 0 && Distance(a, x) < Distance(a, b);
}
// x in (a, b] clockwise; (a, a] is the whole ring (a lone node is responsible for everything).
constexpr bool InHalfOpen(RingId x, RingId a, RingId b) {
  if (a == b) return true;
  return Distance(a, x) > 0 && Distance(a, x) <= Distance(a, b);
}

}  // namespace p2psip::core

#endif  // P2PSIP_CORE_RING_H_

// Identifiers of RELOAD (RFC 6940 §6.3.2.2, §5.2): NodeId and ResourceId.
//
// NodeId has the overlay's NodeIdLength (16..20 bytes, 16 for CHORD-RELOAD) and is stored
// inline so that ids are cheap to copy and compare. ResourceId is opaque<0..2^8-1> on the wire;
// it is stored inline up to 20 bytes (every hash the overlay uses) and on the heap beyond.
#ifndef P2PSIP_IDS_H_
#define P2PSIP_IDS_H_

#include <algorithm>
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/container/inlined_vector.h"

namespace p2psip {

inline constexpr size_t kMinNodeIdLength = 16;
inline constexpr size_t kMaxNodeIdLength = 20;
inline constexpr size_t kMaxResourceIdLength = 255;

class NodeId {
 public:
  // An empty (size 0) id; never valid on the wire.
  NodeId() = default;
  // Copies `bytes`; the caller guarantees 16 <= size <= 20 (see FromBytes for the checked form).
  explicit NodeId(std::span<const uint8_t> bytes);
  static std::optional<NodeId> FromBytes(std::span<const uint8_t> bytes);
  // Parses lower- or upper-case hex of 16..20 bytes.
  static std::optional<NodeId> FromHex(std::string_view hex);
  // All-zero (invalid) and all-one (wildcard) ids of the given length.
  static NodeId Zero(size_t length = kMinNodeIdLength);
  static NodeId Wildcard(size_t length = kMinNodeIdLength);

  std::span<const uint8_t> bytes() const { return {bytes_.data(), size_}; }
  uint8_t* mutable_data() { return bytes_.data(); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool IsZero() const;
  bool IsWildcard() const;
  std::string ToHex() const;

  friend bool operator==(const NodeId& a, const NodeId& b) {
    return std::ranges::equal(a.bytes(), b.bytes());
  }
  // Big-endian (numeric) order, as the RFC uses for Attach glare and ring positions.
  friend std::strong_ordering operator<=>(const NodeId& a, const NodeId& b) {
    return std::lexicographical_compare_three_way(a.bytes_.begin(), a.bytes_.begin() + a.size_,
                                                  b.bytes_.begin(), b.bytes_.begin() + b.size_);
  }
  template <typename H>
  friend H AbslHashValue(H h, const NodeId& id) {
    return H::combine_contiguous(std::move(h), id.bytes_.data(), id.size_);
  }

 private:
  std::array<uint8_t, kMaxNodeIdLength> bytes_{};
  uint8_t size_ = 0;
};

class ResourceId {
 public:
  ResourceId() = default;
  // The caller guarantees size <= 255 (see FromBytes for the checked form).
  explicit ResourceId(std::span<const uint8_t> bytes) : bytes_(bytes.begin(), bytes.end()) {}
  static std::optional<ResourceId> FromBytes(std::span<const uint8_t> bytes);
  static std::optional<ResourceId> FromHex(std::string_view hex);

  std::span<const uint8_t> bytes() const { return {bytes_.data(), bytes_.size()}; }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  std::string ToHex() const;

  friend bool operator==(const ResourceId& a, const ResourceId& b) { return a.bytes_ == b.bytes_; }
  friend std::strong_ordering operator<=>(const ResourceId& a, const ResourceId& b) {
    return std::lexicographical_compare_three_way(a.bytes_.begin(), a.bytes_.end(),
                                                  b.bytes_.begin(), b.bytes_.end());
  }
  template <typename H>
  friend H AbslHashValue(H h, const ResourceId& id) {
    return H::combine_contiguous(std::move(h), id.bytes_.data(), id.bytes_.size());
  }

 private:
  absl::InlinedVector<uint8_t, kMaxNodeIdLength> bytes_;
};

// Lower-case hex of arbitrary bytes, and its inverse (nullopt on odd length or a non-hex digit).
std::string BytesToHex(std::span<const uint8_t> bytes);
std::optional<std::string> HexToBytes(std::string_view hex);

}  // namespace p2psip

#endif  // P2PSIP_IDS_H_

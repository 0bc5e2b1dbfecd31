// ForwardingView: the forwarding header of an encoded message, read and edited in place.
//
// A forwarding peer touches only the forwarding header (RFC 6940 §6.1.2): it reads the first
// Destination, decrements the TTL and appends the previous hop to the Via List. This view does
// that on the message bytes without decoding the rest and without allocating.
//
// Appending a Via entry grows the header in the middle of the message. Instead of moving the
// (large) rest of the message toward the end, the view moves the (small) fixed header and Via
// List toward the front, into headroom the caller reserves before the message — the same trick
// as rte_pktmbuf_prepend on a DPDK mbuf. Removing the first Destination moves them the other way.
//
// The view does not own the bytes; it is valid while the buffer is.
#ifndef P2PSIP_WIRE_FORWARDING_VIEW_H_
#define P2PSIP_WIRE_FORWARDING_VIEW_H_

#include <cstdint>
#include <cstring>
#include <span>

#include "p2psip/ids.h"
#include "p2psip/wire/constants.h"

namespace p2psip::wire {

enum class ViewError : uint8_t {
  kOk = 0,
  kTruncated,         // shorter than the fixed header or the lists it declares
  kBadToken,          // relo_token is not 0xD2454C4F
  kBadVersion,        // version is not 0x0A
  kUnmarkedFragment,  // fragment bit 31 clear (§6.7: discard)
  kLengthMismatch,    // length field differs from the datagram size
  kEmptyDestination,  // no Destination List entry
  kBadDestination,    // the first Destination entry is malformed
};
const char* ViewErrorName(ViewError e);

// The first entry of the Destination List, viewed in place.
struct DestinationRef {
  DestinationType type = DestinationType::kInvalid;
  std::span<const uint8_t> id;  // node id bytes / resource or opaque id bytes / 2 compressed bytes
  size_t wire_size = 0;         // bytes the entry occupies in the list
};

class ForwardingView {
 public:
  // Checks the fixed header and that the declared lists fit; O(1), reads no list entry except
  // the first Destination (which it validates).
  static ViewError Parse(uint8_t* data, size_t size, ForwardingView* out,
                         size_t node_id_length = kMinNodeIdLength);

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

  uint32_t overlay() const { return Load32(4); }
  uint16_t configuration_sequence() const { return Load16(8); }
  uint8_t version() const { return data_[10]; }
  uint8_t ttl() const { return data_[11]; }
  uint32_t fragment() const { return Load32(12); }
  uint32_t length() const { return Load32(16); }
  uint64_t transaction_id() const;
  uint32_t max_response_length() const { return Load32(28); }
  uint16_t via_list_length() const { return Load16(32); }
  uint16_t destination_list_length() const { return Load16(34); }
  uint16_t options_length() const { return Load16(36); }
  std::span<const uint8_t> via_list() const { return {data_ + 38, via_list_length()}; }
  std::span<const uint8_t> destination_list() const {
    return {data_ + 38 + via_list_length(), destination_list_length()};
  }
  std::span<const uint8_t> options() const {
    return {data_ + 38 + via_list_length() + destination_list_length(), options_length()};
  }
  size_t header_size() const {
    return kForwardingHeaderFixedSize + via_list_length() + destination_list_length() +
           options_length();
  }
  const DestinationRef& first_destination() const { return first_; }

  // TTL - 1. Returns false (and changes nothing) when the TTL is already 0.
  bool DecrementTtl() {
    if (data_[11] == 0) return false;
    --data_[11];
    return true;
  }

  // Appends a node Destination to the Via List. `headroom` is how many bytes before data()
  // the caller owns. On success data() moves back by the entry size (2 + id length) and size()
  // grows by it. False if the headroom or the 16-bit list length cannot take the entry.
  bool AppendVia(const NodeId& id, size_t headroom);
  // Removes the first Destination (this node, §6.1.2 step: pop and re-evaluate). data() moves
  // forward by the entry size. False, with nothing changed, if it was the only entry; false
  // after the pop if the entry that is now first is malformed (the caller drops the message).
  bool PopFirstDestination(size_t node_id_length = kMinNodeIdLength);

 private:
  uint16_t Load16(size_t off) const {
    return static_cast<uint16_t>((data_[off] << 8) | data_[off + 1]);
  }
  uint32_t Load32(size_t off) const {
    uint32_t v;
    std::memcpy(&v, data_ + off, 4);
    return __builtin_bswap32(v);
  }
  void Store16(size_t off, uint16_t v) {
    data_[off] = static_cast<uint8_t>(v >> 8);
    data_[off + 1] = static_cast<uint8_t>(v);
  }
  void Store32(size_t off, uint32_t v) {
    v = __builtin_bswap32(v);
    std::memcpy(data_ + off, &v, 4);
  }
  ViewError ParseFirstDestination(size_t node_id_length);

  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  DestinationRef first_;
};

}  // namespace p2psip::wire

#endif  // P2PSIP_WIRE_FORWARDING_VIEW_H_

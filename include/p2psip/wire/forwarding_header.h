// ForwardingHeader (RFC 6940 §6.3.2): the part of a message every hop reads.
//
//  0 relo_token u32 | 4 overlay u32 | 8 configuration_sequence u16 | 10 version u8 | 11 ttl u8
// 12 fragment u32   | 16 length u32 | 20 transaction_id u64 | 28 max_response_length u32
// 32 via_list_length u16 | 34 destination_list_length u16 | 36 options_length u16
// 38 via_list · destination_list · options
//
// This is the owning, fully decoded form used by the control plane and tests. Forwarders use
// ForwardingView (forwarding_view.h), which reads and edits the same bytes in place.
#ifndef P2PSIP_WIRE_FORWARDING_HEADER_H_
#define P2PSIP_WIRE_FORWARDING_HEADER_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "p2psip/wire/byte_reader.h"
#include "p2psip/wire/byte_writer.h"
#include "p2psip/wire/constants.h"
#include "p2psip/wire/destination.h"
#include "p2psip/wire/ip_address_port.h"

namespace p2psip::wire {

// ForwardingOption: uint8 type · uint8 flags · opaque option<0..2^16-1>.
struct ForwardingOption {
  uint8_t type = 0;
  uint8_t flags = 0;  // kFlagForwardCritical | kFlagDestinationCritical | kFlagResponseCopy ...
  std::vector<uint8_t> value;
  friend bool operator==(const ForwardingOption&, const ForwardingOption&) = default;
};
bool Decode(ByteReader& r, ForwardingOption* out);
void Encode(ByteWriter& w, const ForwardingOption& v);

// The value of the extensive_routing_mode option (RFC 7263 §5):
// RouteMode routemode (DRR 1, RPR 2) · OverlayLinkType transport · IpAddressPort ·
// Destination destinations<1..2^8-1>.
struct ExtensiveRoutingMode {
  static constexpr uint8_t kDirectResponseRouting = 1;
  static constexpr uint8_t kRelayPeerRouting = 2;
  uint8_t route_mode = kDirectResponseRouting;
  uint8_t transport = 1;
  IpAddressPort ip_address_port;
  std::vector<Destination> destinations;
  friend bool operator==(const ExtensiveRoutingMode&, const ExtensiveRoutingMode&) = default;
};
bool Decode(ByteReader& r, ExtensiveRoutingMode* out);
void Encode(ByteWriter& w, const ExtensiveRoutingMode& v);

struct ForwardingHeader {
  uint32_t overlay = 0;
  uint16_t configuration_sequence = 0;
  uint8_t version = kVersion;
  uint8_t ttl = kDefaultInitialTtl;
  uint32_t fragment = kUnfragmented;
  uint32_t length = 0;  // the whole message (or fragment), header included
  uint64_t transaction_id = 0;
  uint32_t max_response_length = 0;
  std::vector<Destination> via_list;
  std::vector<Destination> destination_list;
  std::vector<ForwardingOption> options;

  bool is_fragment() const { return fragment != kUnfragmented; }
  bool last_fragment() const { return (fragment & kLastFragment) != 0; }
  uint32_t fragment_offset() const { return fragment & kFragmentOffsetMask; }
  // Encoded size: the fixed 38 bytes plus the three lists.
  size_t WireSize() const;

  friend bool operator==(const ForwardingHeader&, const ForwardingHeader&) = default;
};

// Decodes and validates: relo token, version 0x0A (RFC 6940 §6.3.2 MUST reject others), the
// fragment field's top bit (§6.7: unmarked messages are discarded), each list length against
// what remains, and every entry of each list. `length` is checked by the message decoder, which
// knows the size of the datagram.
bool Decode(ByteReader& r, ForwardingHeader* out);
// Encodes with the three list lengths computed from the lists; `length` is written as given.
void Encode(ByteWriter& w, const ForwardingHeader& v);

}  // namespace p2psip::wire

#endif  // P2PSIP_WIRE_FORWARDING_HEADER_H_

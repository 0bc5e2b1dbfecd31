// IpAddressPort (RFC 6940 §6.5.1.1): an IPv4 or IPv6 address and port.
//
//   uint8 type (ipv4_address 1, ipv6_address 2) · uint8 length ·
//   { uint32 addr; uint16 port } | { uint128 addr; uint16 port }
// Example from the RFC: 192.0.2.1:6084 is 01 06 c0 00 02 01 17 c4. A type this codec does not
// know is kept raw (the length lets it be skipped) so that it round-trips.
#ifndef P2PSIP_WIRE_IP_ADDRESS_PORT_H_
#define P2PSIP_WIRE_IP_ADDRESS_PORT_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "p2psip/wire/byte_reader.h"
#include "p2psip/wire/byte_writer.h"

namespace p2psip::wire {

struct IpAddressPort {
  static constexpr uint8_t kIpv4 = 1;
  static constexpr uint8_t kIpv6 = 2;

  uint8_t type = kIpv4;
  std::array<uint8_t, 16> address{};  // IPv4 uses the first 4 bytes
  uint16_t port = 0;
  std::vector<uint8_t> unknown_value;  // raw value of an unknown type

  // "192.0.2.1", "2001:db8::1"; nullopt if it does not parse.
  static std::optional<IpAddressPort> Parse(std::string_view address, uint16_t port);
  // "192.0.2.1:6084" or "[2001:db8::1]:6084".
  std::string ToString() const;

  friend bool operator==(const IpAddressPort&, const IpAddressPort&) = default;
};

bool Decode(ByteReader& r, IpAddressPort* out);
void Encode(ByteWriter& w, const IpAddressPort& v);

}  // namespace p2psip::wire

#endif  // P2PSIP_WIRE_IP_ADDRESS_PORT_H_

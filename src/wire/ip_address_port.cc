#include "p2psip/wire/ip_address_port.h"

#include <arpa/inet.h>

#include "absl/strings/str_cat.h"

namespace p2psip::wire {

std::optional<IpAddressPort> IpAddressPort::Parse(std::string_view address, uint16_t port) {
  IpAddressPort out;
  out.port = port;
  const std::string text(address);
  if (inet_pton(AF_INET, text.c_str(), out.address.data()) == 1) {
    out.type = kIpv4;
    return out;
  }
  if (inet_pton(AF_INET6, text.c_str(), out.address.data()) == 1) {
    out.type = kIpv6;
    return out;
  }
  return std::nullopt;
}

std::string IpAddressPort::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (type == kIpv4) {
    inet_ntop(AF_INET, address.data(), buf, sizeof(buf));
    return absl::StrCat(buf, ":", port);
  }
  if (type == kIpv6) {
    inet_ntop(AF_INET6, address.data(), buf, sizeof(buf));
    return absl::StrCat("[", buf, "]:", port);
  }
  return absl::StrCat("unknown-address-type-", type);
}

bool Decode(ByteReader& r, IpAddressPort* out) {
  const uint32_t start = r.offset();
  ByteReader value;
  *out = IpAddressPort{};
  if (!r.ReadU8(&out->type, "ip_address_port.type") ||
      !r.ReadVector(1, &value, "ip_address_port.length")) {
    return false;
  }
  size_t addr_len = 0;
  if (out->type == IpAddressPort::kIpv4) {
    addr_len = 4;
  } else if (out->type == IpAddressPort::kIpv6) {
    addr_len = 16;
  } else {
    auto raw = value.rest();
    out->unknown_value.assign(raw.begin(), raw.end());
    return true;
  }
  if (value.remaining() != addr_len + 2) {
    return r.FailAt(DecodeErrorCode::kLengthMismatch, start, "ip_address_port.length");
  }
  return value.ReadFixed(addr_len, out->address.data(), "ip_address_port.addr") &&
         value.ReadU16(&out->port, "ip_address_port.port");
}

void Encode(ByteWriter& w, const IpAddressPort& v) {
  w.WriteU8(v.type);
  if (v.type == IpAddressPort::kIpv4 || v.type == IpAddressPort::kIpv6) {
    const size_t addr_len = v.type == IpAddressPort::kIpv4 ? 4 : 16;
    w.WriteU8(static_cast<uint8_t>(addr_len + 2));
    w.WriteBytes(std::span<const uint8_t>(v.address.data(), addr_len));
    w.WriteU16(v.port);
  } else {
    w.WriteOpaque(1, v.unknown_value, "ip_address_port.value");
  }
}

}  // namespace p2psip::wire

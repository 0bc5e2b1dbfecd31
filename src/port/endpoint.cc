#include <charconv>

#include "p2psip/port/port.h"

namespace p2psip::port {
namespace {

std::optional<uint16_t> ParsePort(std::string_view text) {
  unsigned value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value > 65535) return std::nullopt;
  return static_cast<uint16_t>(value);
}

}  // namespace

std::optional<Endpoint> Endpoint::Parse(std::string_view text, uint16_t default_port) {
  std::string_view host = text;
  std::optional<uint16_t> port = default_port;
  if (!text.empty() && text.front() == '[') {  // [v6] or [v6]:port
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = ParsePort(rest.substr(1));
    }
  } else if (const size_t colon = text.rfind(':');
             colon != std::string_view::npos && text.find(':') == colon) {  // v4:port
    host = text.substr(0, colon);
    port = ParsePort(text.substr(colon + 1));
  }
  if (!port.has_value()) return std::nullopt;
  std::optional<wire::IpAddressPort> wire_address = wire::IpAddressPort::Parse(host, *port);
  if (!wire_address.has_value()) return std::nullopt;
  return FromWire(*wire_address);
}

std::optional<Endpoint> Endpoint::FromWire(const wire::IpAddressPort& address) {
  Endpoint e;
  if (address.type == wire::IpAddressPort::kIpv4) {
    e.family = Family::kIpv4;
    std::copy_n(address.address.begin(), 4, e.address.begin());
  } else if (address.type == wire::IpAddressPort::kIpv6) {
    e.family = Family::kIpv6;
    e.address = address.address;
  } else {
    return std::nullopt;
  }
  e.port = address.port;
  return e;
}

wire::IpAddressPort Endpoint::ToWire() const {
  wire::IpAddressPort w;
  w.type = family == Family::kIpv4 ? wire::IpAddressPort::kIpv4 : wire::IpAddressPort::kIpv6;
  w.address = address;
  w.port = port;
  return w;
}

std::string Endpoint::ToString() const { return ToWire().ToString(); }

}  // namespace p2psip::port

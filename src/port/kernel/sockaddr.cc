#include "port/kernel/sockaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace p2psip::port::kernel {

socklen_t ToSockaddr(const Endpoint& endpoint, sockaddr_storage* storage) {
  std::memset(storage, 0, sizeof(*storage));
  if (endpoint.family == Endpoint::Family::kIpv4) {
    auto* sin = reinterpret_cast<sockaddr_in*>(storage);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(endpoint.port);
    std::memcpy(&sin->sin_addr, endpoint.address.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(storage);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(endpoint.port);
  std::memcpy(&sin6->sin6_addr, endpoint.address.data(), 16);
  return sizeof(sockaddr_in6);
}

std::optional<Endpoint> FromSockaddr(const sockaddr_storage& storage, socklen_t length) {
  Endpoint e;
  if (storage.ss_family == AF_INET && length >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&storage);
    e.family = Endpoint::Family::kIpv4;
    std::memcpy(e.address.data(), &sin->sin_addr, 4);
    e.port = ntohs(sin->sin_port);
    return e;
  }
  if (storage.ss_family == AF_INET6 && length >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    e.family = Endpoint::Family::kIpv6;
    std::memcpy(e.address.data(), &sin6->sin6_addr, 16);
    e.port = ntohs(sin6->sin6_port);
    return e;
  }
  return std::nullopt;
}

}  // namespace p2psip::port::kernel

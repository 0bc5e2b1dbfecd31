// Conversion between port::Endpoint and the kernel's sockaddr_in / sockaddr_in6, the one place
// where the socket port touches address byte order. Internal to src/port/kernel.
#ifndef P2PSIP_SRC_PORT_KERNEL_SOCKADDR_H_
#define P2PSIP_SRC_PORT_KERNEL_SOCKADDR_H_

#include <sys/socket.h>

#include <optional>

#include "p2psip/port/port.h"

namespace p2psip::port::kernel {

// Writes `endpoint` into `storage` as sockaddr_in (IPv4) or sockaddr_in6 (IPv6) and returns the
// length to pass to bind/sendmsg. The socket port's IPv6 sockets are IPV6_V6ONLY, so an
// endpoint whose family differs from the socket's is the caller's to refuse.
socklen_t ToSockaddr(const Endpoint& endpoint, sockaddr_storage* storage);

// Reads an AF_INET or AF_INET6 address; nullopt for any other family or a short length. An
// IPv4-mapped IPv6 address (::ffff:a.b.c.d) stays IPv6: the socket is V6ONLY, so it only
// appears if a peer really sent from it.
std::optional<Endpoint> FromSockaddr(const sockaddr_storage& storage, socklen_t length);

}  // namespace p2psip::port::kernel

#endif  // P2PSIP_SRC_PORT_KERNEL_SOCKADDR_H_

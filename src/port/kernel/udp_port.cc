#include "p2psip/port/udp_port.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "port/kernel/reuseport_steering.h"
#include "port/kernel/sockaddr.h"

namespace p2psip::port {
namespace {

// The kernel refuses more than UIO_MAXIOV messages per recvmmsg/sendmmsg call.
constexpr size_t kMaxBurst = 1024;
constexpr size_t kMaxDatagram = 65536;

// Closes a descriptor on the error paths of Create.
class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  ~FdGuard() {
    if (fd_ >= 0) close(fd_);
  }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

absl::Status Errno(int error, const std::string& what, const Endpoint& endpoint) {
  return absl::ErrnoToStatus(error, absl::StrCat(what, " ", endpoint.ToString()));
}

bool SetIntOption(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof(value)) == 0;
}

}  // namespace

struct UdpPort::Slots {
  std::vector<uint8_t> rx_buffer;  // burst_size slots of rx_buffer_size bytes
  std::vector<mmsghdr> rx_msgs;
  std::vector<iovec> rx_iovs;
  std::vector<sockaddr_storage> rx_addrs;
  std::vector<mmsghdr> tx_msgs;
  std::vector<iovec> tx_iovs;
  std::vector<sockaddr_storage> tx_addrs;
};

absl::StatusOr<std::unique_ptr<UdpPort>> UdpPort::Create(const UdpPortOptions& options) {
  if (options.burst_size == 0 || options.burst_size > kMaxBurst) {
    return absl::InvalidArgumentError(
        absl::StrCat("udp port: burst_size ", options.burst_size, " not in [1, ", kMaxBurst, "]"));
  }
  if (options.rx_buffer_size == 0 || options.rx_buffer_size > kMaxDatagram) {
    return absl::InvalidArgumentError(absl::StrCat(
        "udp port: rx_buffer_size ", options.rx_buffer_size, " not in [1, ", kMaxDatagram, "]"));
  }
  const bool v6 = options.bind.family == Endpoint::Family::kIpv6;
  FdGuard fd(socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return Errno(errno, "socket for", options.bind);
  // V6ONLY so that an IPv6 port never sees IPv4-mapped peers: the same peer would otherwise
  // have two spellings, and two links.
  if (v6 && !SetIntOption(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 1)) {
    return Errno(errno, "IPV6_V6ONLY on", options.bind);
  }
  if (options.reuse_port && !SetIntOption(fd.get(), SOL_SOCKET, SO_REUSEPORT, 1)) {
    return Errno(errno, "SO_REUSEPORT on", options.bind);
  }
  if (options.socket_buffer_bytes > 0) {
    // Best effort: without CAP_NET_ADMIN the kernel silently caps these at rmem_max/wmem_max.
    SetIntOption(fd.get(), SOL_SOCKET, SO_RCVBUF, options.socket_buffer_bytes);
    SetIntOption(fd.get(), SOL_SOCKET, SO_SNDBUF, options.socket_buffer_bytes);
  }
  sockaddr_storage addr;
  socklen_t length = kernel::ToSockaddr(options.bind, &addr);
  if (bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), length) != 0) {
    return Errno(errno, "bind", options.bind);
  }
  length = sizeof(addr);
  if (getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
    return Errno(errno, "getsockname after binding", options.bind);
  }
  std::optional<Endpoint> local = kernel::FromSockaddr(addr, length);
  if (!local.has_value()) {
    return absl::InternalError(
        absl::StrCat("getsockname: unexpected family for ", options.bind.ToString()));
  }
  return std::unique_ptr<UdpPort>(new UdpPort(fd.release(), options, *local));
}

absl::StatusOr<std::vector<std::unique_ptr<UdpPort>>> UdpPort::CreateGroup(
    const UdpPortOptions& options, size_t n) {
  if (n == 0) return absl::InvalidArgumentError("udp port group: no sockets asked for");
  UdpPortOptions group_options = options;
  if (options.bind.port != 0) {
    // SO_REUSEPORT would let this group share the address with one another process made (the
    // kernel would split the traffic between two nodes). A socket without it binds only if
    // no one holds the address: bound and closed at once, it proves the address is free.
    UdpPortOptions exclusive = options;
    exclusive.reuse_port = false;
    absl::StatusOr<std::unique_ptr<UdpPort>> probe = Create(exclusive);
    if (!probe.ok()) {
      return absl::Status(
          probe.status().code(),
          absl::StrCat(probe.status().message(), " (is another node running on this address?)"));
    }
  }
  group_options.reuse_port = true;
  std::vector<std::unique_ptr<UdpPort>> ports;
  ports.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    absl::StatusOr<std::unique_ptr<UdpPort>> port = Create(group_options);
    if (!port.ok()) return port.status();
    // The first socket resolved the ephemeral port; the rest join it.
    group_options.bind.port = (*port)->local_endpoint().port;
    ports.push_back(*std::move(port));
  }
  // The sockets joined the group in the order of `ports`, which is the index the program
  // returns. Attached once, it steers the whole group.
  if (n > 1) {
    absl::Status steering = kernel::AttachReuseportSteering(ports[0]->fd_, ports[0]->local_.family,
                                                            static_cast<uint32_t>(n));
    if (!steering.ok()) {
      return absl::Status(steering.code(),
                          absl::StrCat("udp port group on ", ports[0]->local_.ToString(), ": ",
                                       steering.message(), " (one worker needs no steering)"));
    }
  }
  return ports;
}

UdpPort::UdpPort(int fd, const UdpPortOptions& options, Endpoint local)
    : fd_(fd), options_(options), local_(local), slots_(std::make_unique<Slots>()) {
  const size_t burst = options_.burst_size;
  slots_->rx_buffer.resize(burst * options_.rx_buffer_size);
  slots_->rx_msgs.resize(burst);
  slots_->rx_iovs.resize(burst);
  slots_->rx_addrs.resize(burst);
  slots_->tx_msgs.resize(burst);
  slots_->tx_iovs.resize(burst);
  slots_->tx_addrs.resize(burst);
  for (size_t i = 0; i < burst; ++i) {
    slots_->rx_iovs[i].iov_base = slots_->rx_buffer.data() + i * options_.rx_buffer_size;
    slots_->rx_iovs[i].iov_len = options_.rx_buffer_size;
  }
}

UdpPort::~UdpPort() { close(fd_); }

size_t UdpPort::RxBurst(std::span<RxDatagram> out) {
  const size_t n = std::min(out.size(), options_.burst_size);
  if (n == 0) return 0;
  Slots& s = *slots_;
  for (size_t i = 0; i < n; ++i) {
    msghdr& h = s.rx_msgs[i].msg_hdr;
    h = msghdr{};
    h.msg_name = &s.rx_addrs[i];
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_iov = &s.rx_iovs[i];
    h.msg_iovlen = 1;
  }
  ++stats_.rx_syscalls;
  const int got = recvmmsg(fd_, s.rx_msgs.data(), static_cast<unsigned>(n), MSG_DONTWAIT, nullptr);
  if (got < 0) {
    // A pending socket error (ICMP with IP_RECVERR, an error recvmmsg deferred) is reported
    // once and cleared: count it and carry on.
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) ++counters_.rx_errors;
    return 0;
  }
  size_t written = 0;
  for (int i = 0; i < got; ++i) {
    const mmsghdr& m = s.rx_msgs[i];
    if (m.msg_hdr.msg_flags & MSG_TRUNC) {  // the kernel kept only rx_buffer_size bytes
      ++counters_.rx_truncated;
      continue;
    }
    std::optional<Endpoint> from = kernel::FromSockaddr(s.rx_addrs[i], m.msg_hdr.msg_namelen);
    if (!from.has_value()) {
      ++counters_.rx_errors;
      continue;
    }
    out[written++] = RxDatagram{
        *from,
        std::span<const uint8_t>(static_cast<const uint8_t*>(s.rx_iovs[i].iov_base), m.msg_len)};
    ++counters_.rx_datagrams;
    counters_.rx_bytes += m.msg_len;
  }
  return written;
}

size_t UdpPort::TxBurst(std::span<const TxDatagram> datagrams) {
  size_t accepted = 0;
  while (!datagrams.empty()) {
    const size_t n = std::min(datagrams.size(), options_.burst_size);
    accepted += SendChunk(datagrams.first(n));
    datagrams = datagrams.subspan(n);
  }
  return accepted;
}

size_t UdpPort::SendChunk(std::span<const TxDatagram> datagrams) {
  Slots& s = *slots_;
  size_t m = 0;
  for (const TxDatagram& d : datagrams) {
    if (d.to.family != local_.family) {  // V6ONLY / AF_INET: the kernel would refuse it
      ++stats_.tx_errors;
      stats_.last_tx_errno = EAFNOSUPPORT;
      ++counters_.tx_dropped;
      continue;
    }
    msghdr& h = s.tx_msgs[m].msg_hdr;
    h = msghdr{};
    h.msg_namelen = kernel::ToSockaddr(d.to, &s.tx_addrs[m]);
    h.msg_name = &s.tx_addrs[m];
    s.tx_iovs[m].iov_base = const_cast<uint8_t*>(d.data.data());  // sendmmsg only reads it
    s.tx_iovs[m].iov_len = d.data.size();
    h.msg_iov = &s.tx_iovs[m];
    h.msg_iovlen = 1;
    ++m;
  }
  size_t next = 0;
  size_t accepted = 0;
  while (next < m) {
    ++stats_.tx_syscalls;
    const int sent = sendmmsg(fd_, &s.tx_msgs[next], static_cast<unsigned>(m - next), MSG_DONTWAIT);
    if (sent > 0) {
      for (size_t i = next; i < next + static_cast<size_t>(sent); ++i) {
        counters_.tx_bytes += s.tx_iovs[i].iov_len;
      }
      accepted += static_cast<size_t>(sent);
      next += static_cast<size_t>(sent);
      continue;  // a short count means the datagram at `next` failed: the next call says why
    }
    const int error = sent < 0 ? errno : EAGAIN;
    if (error == EINTR) continue;
    if (error == EAGAIN || error == EWOULDBLOCK || error == ENOBUFS) {
      // The socket buffer (or the device queue) is full: what is left would fail the same way.
      stats_.tx_would_block += m - next;
      counters_.tx_dropped += m - next;
      break;
    }
    // This one datagram is refused (unreachable, too large, not permitted): skip it.
    ++stats_.tx_errors;
    stats_.last_tx_errno = error;
    ++counters_.tx_dropped;
    ++next;
  }
  counters_.tx_datagrams += accepted;
  return accepted;
}

}  // namespace p2psip::port

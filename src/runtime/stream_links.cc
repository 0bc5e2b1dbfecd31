#include "p2psip/runtime/stream_links.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "port/kernel/sockaddr.h"

namespace p2psip::runtime {
namespace {

int Family(const port::Endpoint& e) {
  return e.family == port::Endpoint::Family::kIpv6 ? AF_INET6 : AF_INET;
}

void Tune(int fd) {
  const int one = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));  // RELOAD is request/answer
}

absl::Status Errno(const char* what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<StreamLinks>> StreamLinks::Create(const port::Endpoint& listen,
                                                                 LinkManagerOptions links,
                                                                 size_t max_backlog) {
  const int fd = socket(Family(listen), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("tcp socket");
  const int one = 1;
  (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (listen.family == port::Endpoint::Family::kIpv6) {
    (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  }
  sockaddr_storage ss{};
  socklen_t len = port::kernel::ToSockaddr(listen, &ss);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    absl::Status s = Errno(absl::StrCat("tcp bind ", listen.ToString()).c_str());
    close(fd);
    return s;
  }
  if (::listen(fd, 128) != 0) {
    absl::Status s = Errno("tcp listen");
    close(fd);
    return s;
  }
  len = sizeof(ss);
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  std::optional<port::Endpoint> local = port::kernel::FromSockaddr(ss, len);
  if (!local.has_value()) {
    close(fd);
    return absl::InternalError("tcp getsockname");
  }
  links.local = *local;
  return std::unique_ptr<StreamLinks>(new StreamLinks(fd, *local, std::move(links), max_backlog));
}

StreamLinks::~StreamLinks() {
  for (auto& [remote, c] : connections_) close(c.fd);
  close(listen_fd_);
}

void StreamLinks::PollFds(std::vector<pollfd>* fds) const {
  fds->push_back({listen_fd_, POLLIN, 0});
  for (const auto& [remote, c] : connections_) {
    const bool want_write = c.connecting || c.out_offset < c.out.size();
    fds->push_back({c.fd, static_cast<short>(POLLIN | (want_write ? POLLOUT : 0)), 0});
  }
}

void StreamLinks::Service(uint64_t now_us, LinkEvents* events) {
  const size_t first_down = events->downs.size();
  AcceptAll(now_us);
  std::vector<port::Endpoint> ended;
  for (auto& [remote, c] : connections_) {
    if (c.connecting) {
      int error = 0;
      socklen_t len = sizeof(error);
      if (getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) error = errno;
      if (error == EINPROGRESS || error == EALREADY) continue;
      if (error != 0) {
        ++counters_.connect_failures;
        ended.push_back(remote);
        continue;
      }
      // Connected once the socket is writable; poll says so, and a send of nothing tells too.
      pollfd p{c.fd, POLLOUT, 0};
      if (poll(&p, 1, 0) != 1 || !(p.revents & POLLOUT)) continue;
      c.connecting = false;
    }
    if (!ReadFrom(remote, c, now_us, events)) ended.push_back(remote);
  }
  for (const port::Endpoint& remote : ended) {
    Drop(remote, absl::UnavailableError("the TCP connection closed"), events);
  }
  Flush(events);
  Reap(*events, first_down);
}

void StreamLinks::AcceptAll(uint64_t now_us) {
  for (int i = 0; i < 64; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    const int fd =
        accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN: none left (or a transient error; the next poll retries)
    std::optional<port::Endpoint> remote = port::kernel::FromSockaddr(ss, len);
    if (!remote.has_value() || connections_.contains(*remote) ||
        links_.Accept(*remote, now_us) == core::kNoLink) {
      close(fd);
      continue;
    }
    Tune(fd);
    ++counters_.accepted_connections;
    connections_[*remote] = Connection{fd, false, {}, 0};
  }
}

bool StreamLinks::ReadFrom(const port::Endpoint& remote, Connection& c, uint64_t now_us,
                           LinkEvents* events) {
  for (int i = 0; i < 16; ++i) {
    const ssize_t n = recv(c.fd, read_buffer_.data(), read_buffer_.size(), 0);
    if (n > 0) {
      counters_.bytes_in += static_cast<uint64_t>(n);
      links_.OnDatagram(remote,
                        std::span<const uint8_t>(read_buffer_.data(), static_cast<size_t>(n)),
                        now_us, events);
      continue;
    }
    if (n == 0) return false;  // the peer closed
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  }
  return true;
}

core::LinkId StreamLinks::Open(const port::Endpoint& to, std::optional<NodeId> expected,
                               uint64_t now_us, LinkEvents* events) {
  if (connections_.contains(to)) return links_.Open(to, std::move(expected), now_us, events);
  const int fd = socket(Family(to), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ++counters_.connect_failures;
    return core::kNoLink;
  }
  Tune(fd);
  sockaddr_storage ss{};
  const socklen_t len = port::kernel::ToSockaddr(to, &ss);
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 && errno != EINPROGRESS) {
    ++counters_.connect_failures;
    close(fd);
    return core::kNoLink;
  }
  const size_t first_down = events->downs.size();
  const core::LinkId id = links_.Open(to, std::move(expected), now_us, events);
  if (id == core::kNoLink) {
    close(fd);
    return id;
  }
  connections_[to] = Connection{fd, true, {}, 0};
  Flush(events);
  Reap(*events, first_down);
  return id;
}

void StreamLinks::Send(core::LinkId link, std::span<const uint8_t> message, uint64_t now_us) {
  links_.Send(link, message, now_us);
}

void StreamLinks::Close(core::LinkId link, LinkEvents* events) {
  const size_t first_down = events->downs.size();
  links_.Close(link, events);
  Flush(events);  // the close_notify, best effort
  Reap(*events, first_down);
}

void StreamLinks::OnTimer(uint64_t now_us, LinkEvents* events) {
  const size_t first_down = events->downs.size();
  links_.OnTimer(now_us, events);
  Flush(events);
  Reap(*events, first_down);
}

void StreamLinks::FlushOutput(LinkEvents* events) {
  const size_t first_down = events->downs.size();
  Flush(events);
  Reap(*events, first_down);
}

void StreamLinks::Flush(LinkEvents* events) {
  links_.TakeOutput(&output_);
  std::vector<port::Endpoint> overflowed;
  for (OutDatagram& d : output_) {
    auto it = connections_.find(d.to);
    if (it == connections_.end()) continue;  // its connection is gone: nothing to carry it
    Connection& c = it->second;
    if (c.out.size() - c.out_offset + d.bytes.size() > max_backlog_) {
      ++counters_.backlog_overflows;
      overflowed.push_back(d.to);
      continue;
    }
    c.out.insert(c.out.end(), d.bytes.begin(), d.bytes.end());
  }
  output_.clear();
  for (auto& [remote, c] : connections_) {
    if (!c.connecting && c.out_offset < c.out.size() && !WriteTo(c)) overflowed.push_back(remote);
  }
  for (const port::Endpoint& remote : overflowed) {
    Drop(remote, absl::UnavailableError("the TCP connection failed or fell behind"), events);
  }
}

bool StreamLinks::WriteTo(Connection& c) {
  while (c.out_offset < c.out.size()) {
    const ssize_t n =
        send(c.fd, c.out.data() + c.out_offset, c.out.size() - c.out_offset, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_offset += static_cast<size_t>(n);
      counters_.bytes_out += static_cast<uint64_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) break;
    return false;
  }
  if (c.out_offset == c.out.size()) {
    c.out.clear();
    c.out_offset = 0;
  }
  return true;
}

void StreamLinks::Drop(const port::Endpoint& remote, absl::Status why, LinkEvents* events) {
  const core::LinkId id = links_.LinkTo(remote);
  if (id != core::kNoLink) {
    ++counters_.resets;
    links_.Fail(id, std::move(why), events);  // the down event's Reap closes the socket
    return;
  }
  auto it = connections_.find(remote);
  if (it == connections_.end()) return;
  close(it->second.fd);
  connections_.erase(it);
}

void StreamLinks::Reap(const LinkEvents& events, size_t first_down) {
  for (size_t i = first_down; i < events.downs.size(); ++i) {
    auto it = connections_.find(events.downs[i].remote);
    if (it == connections_.end()) continue;
    close(it->second.fd);
    connections_.erase(it);
  }
}

}  // namespace p2psip::runtime

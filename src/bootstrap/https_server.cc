#include "p2psip/bootstrap/https_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/bytestring.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <list>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bootstrap/tls_socket.h"

namespace p2psip::bootstrap {

using internal::UniqueFd;

struct HttpsServer::State {
  struct Connection {
    std::thread thread;
    int fd = -1;  // -1 once the connection thread closed it (guarded by mu)
    bool done = false;
  };

  HttpsServerOptions options;
  Handler handler;
  bssl::UniquePtr<SSL_CTX> ctx;
  UniqueFd listener;
  UniqueFd wake_read, wake_write;
  uint16_t port = 0;
  std::thread acceptor;
  std::atomic<bool> stopping{false};

  mutable absl::Mutex mu;
  std::list<Connection> connections ABSL_GUARDED_BY(mu);
  Stats stats ABSL_GUARDED_BY(mu);

  void AcceptLoop();
  void Serve(Connection* self, int fd);
  void ReapFinished();
  void Count(uint64_t Stats::*field) {
    absl::MutexLock lock(&mu);
    ++(stats.*field);
  }
};

namespace {

absl::StatusOr<bssl::UniquePtr<SSL_CTX>> MakeContext(const HttpsServerOptions& o) {
  bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_method()));
  const uint8_t* p = o.certificate_der.data();
  bssl::UniquePtr<X509> cert(d2i_X509(nullptr, &p, static_cast<long>(o.certificate_der.size())));
  CBS cbs;
  CBS_init(&cbs, o.private_key_der.data(), o.private_key_der.size());
  bssl::UniquePtr<EVP_PKEY> key(EVP_parse_private_key(&cbs));
  if (ctx == nullptr || cert == nullptr || key == nullptr ||
      !SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) ||
      !SSL_CTX_use_certificate(ctx.get(), cert.get()) ||
      !SSL_CTX_use_PrivateKey(ctx.get(), key.get()) || !SSL_CTX_check_private_key(ctx.get())) {
    return absl::InvalidArgumentError(
        absl::StrCat("HTTPS certificate and key: ", internal::SslErrors("do not load")));
  }
  return ctx;
}

absl::StatusOr<UniqueFd> Listen(const std::string& address, uint16_t port, uint16_t* bound) {
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE | AI_NUMERICSERV;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* info = nullptr;
  const std::string service = std::to_string(port);
  if (const int e = ::getaddrinfo(address.c_str(), service.c_str(), &hints, &info); e != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", address, "\": ", gai_strerror(e)));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owned(info, ::freeaddrinfo);
  UniqueFd fd(::socket(info->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const int one = 1;
  if (fd.get() < 0 || ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      ::bind(fd.get(), info->ai_addr, info->ai_addrlen) != 0 || ::listen(fd.get(), 64) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, " port ", port, ": ", std::strerror(errno)));
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len);
  *bound = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                          : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return fd;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpsServer>> HttpsServer::Start(HttpsServerOptions options,
                                                                Handler handler) {
  if (!handler) return absl::InvalidArgumentError("no request handler");
  if (options.max_connections == 0) return absl::InvalidArgumentError("max_connections is 0");
  // A client that closes early must not kill the process with SIGPIPE from inside SSL_write.
  ::signal(SIGPIPE, SIG_IGN);
  auto state = std::make_unique<State>();
  absl::StatusOr<bssl::UniquePtr<SSL_CTX>> ctx = MakeContext(options);
  if (!ctx.ok()) return ctx.status();
  state->ctx = *std::move(ctx);
  absl::StatusOr<UniqueFd> listener = Listen(options.listen_address, options.port, &state->port);
  if (!listener.ok()) return listener.status();
  state->listener = *std::move(listener);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", std::strerror(errno)));
  }
  state->wake_read.reset(pipe_fds[0]);
  state->wake_write.reset(pipe_fds[1]);
  state->options = std::move(options);
  state->handler = std::move(handler);
  State* raw = state.get();
  state->acceptor = std::thread([raw] { raw->AcceptLoop(); });
  return std::unique_ptr<HttpsServer>(new HttpsServer(std::move(state)));
}

HttpsServer::HttpsServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

HttpsServer::~HttpsServer() { Stop(); }

uint16_t HttpsServer::port() const { return state_->port; }

HttpsServer::Stats HttpsServer::stats() const {
  absl::MutexLock lock(&state_->mu);
  Stats out = state_->stats;
  out.active =
      static_cast<uint64_t>(std::count_if(state_->connections.begin(), state_->connections.end(),
                                          [](const State::Connection& c) { return !c.done; }));
  return out;
}

void HttpsServer::Stop() {
  if (state_->stopping.exchange(true)) return;
  const char byte = 1;
  (void)!::write(state_->wake_write.get(), &byte, 1);
  if (state_->acceptor.joinable()) state_->acceptor.join();
  std::list<State::Connection> connections;
  {
    absl::MutexLock lock(&state_->mu);
    // Blocked reads and writes return at once; the threads then close their descriptors.
    for (State::Connection& c : state_->connections) {
      if (c.fd >= 0) ::shutdown(c.fd, SHUT_RDWR);
    }
    connections.splice(connections.end(), state_->connections);
  }
  for (State::Connection& c : connections) c.thread.join();
  state_->listener.reset();
}

void HttpsServer::State::ReapFinished() {
  std::list<Connection> finished;
  {
    absl::MutexLock lock(&mu);
    for (auto it = connections.begin(); it != connections.end();) {
      auto next = std::next(it);
      if (it->done) finished.splice(finished.end(), connections, it);
      it = next;
    }
  }
  for (Connection& c : finished) c.thread.join();
}

void HttpsServer::State::AcceptLoop() {
  while (!stopping.load()) {
    pollfd fds[2] = {{listener.get(), POLLIN, 0}, {wake_read.get(), POLLIN, 0}};
    // The timeout only bounds how long finished connection threads wait to be joined.
    const int n = ::poll(fds, 2, 1000);
    ReapFinished();
    if (n <= 0 || (fds[1].revents & POLLIN) != 0) continue;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int fd = ::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      // Out of descriptors: the pending connection stays readable, so back off instead of
      // spinning on poll.
      if (errno == EMFILE || errno == ENFILE) ::poll(nullptr, 0, 100);
      continue;
    }
    absl::MutexLock lock(&mu);
    const size_t active = static_cast<size_t>(std::count_if(
        connections.begin(), connections.end(), [](const Connection& c) { return !c.done; }));
    if (active >= options.max_connections) {
      ++stats.refused_busy;
      ::close(fd);
      continue;
    }
    ++stats.accepted;
    Connection& c = connections.emplace_back();
    c.fd = fd;
    Connection* self = &c;  // std::list: stable until reaped, which waits for `done`
    c.thread = std::thread([this, self, fd] { Serve(self, fd); });
  }
}

void HttpsServer::State::Serve(Connection* self, int fd) {
  auto finish = [&] {
    absl::MutexLock lock(&mu);
    ::close(fd);
    self->fd = -1;
    self->done = true;
  };
  bssl::UniquePtr<SSL> ssl(SSL_new(ctx.get()));
  if (!internal::SetSocketTimeouts(fd, options.io_timeout).ok() || ssl == nullptr ||
      !SSL_set_fd(ssl.get(), fd)) {
    ERR_clear_error();
    Count(&Stats::io_failures);
    ssl.reset();
    return finish();
  }
  if (SSL_accept(ssl.get()) != 1) {
    ERR_clear_error();
    Count(&Stats::tls_failures);
    ssl.reset();
    return finish();
  }
  std::string buffer;
  HttpParse<HttpRequest> parsed;
  absl::Status read = absl::OkStatus();
  while (parsed.state == HttpParse<HttpRequest>::State::kIncomplete && read.ok()) {
    read = internal::SslReadSome(ssl.get(), &buffer);
    if (read.ok()) parsed = ParseHttpRequest(buffer, options.limits);
  }
  HttpResponse response;
  if (parsed.state == HttpParse<HttpRequest>::State::kComplete) {
    Count(&Stats::requests);
    response = handler(parsed.message);
  } else if (parsed.state == HttpParse<HttpRequest>::State::kError) {
    Count(&Stats::bad_requests);
    response = HttpResponse::Make(parsed.error_status, "text/plain", parsed.error + "\n");
  } else {
    Count(&Stats::io_failures);  // timeout, reset or the client gave up mid-request
    ssl.reset();
    return finish();
  }
  response.headers.Set("Connection", "close");
  if (!internal::SslWriteAll(ssl.get(), SerializeHttpResponse(response)).ok()) {
    Count(&Stats::io_failures);
  } else {
    SSL_shutdown(ssl.get());
    if (parsed.state == HttpParse<HttpRequest>::State::kError) {
      // Lingering close: closing with unread request bytes makes the kernel send a reset that
      // can destroy the error response before the client reads it. Drain a bounded amount.
      ::shutdown(fd, SHUT_WR);
      char sink[16384];
      size_t drained = 0;
      const size_t drain_limit = 4 * options.limits.max_body_bytes;
      pollfd p{fd, POLLIN, 0};
      while (drained < drain_limit) {
        if (::poll(&p, 1, 500) <= 0) break;
        const ssize_t n = ::recv(fd, sink, sizeof(sink), 0);
        if (n <= 0) break;
        drained += static_cast<size_t>(n);
      }
    }
  }
  ERR_clear_error();
  ssl.reset();
  finish();
}

}  // namespace p2psip::bootstrap

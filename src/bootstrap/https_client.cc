#include "p2psip/bootstrap/https_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bootstrap/text_util.h"
#include "bootstrap/tls_socket.h"

namespace p2psip::bootstrap {

using internal::UniqueFd;

namespace {

bool IsIpLiteral(const std::string& host) {
  in6_addr a6;
  in_addr a4;
  return ::inet_pton(AF_INET, host.c_str(), &a4) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

absl::StatusOr<UniqueFd> Connect(const HttpsUrl& url, absl::Duration timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* info = nullptr;
  const std::string port = std::to_string(url.port);
  if (const int e = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &info); e != 0) {
    return absl::UnavailableError(absl::StrCat("cannot resolve ", url.host, ": ", gai_strerror(e)));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owned(info, ::freeaddrinfo);
  std::string last_error = "no address";
  for (addrinfo* ai = info; ai != nullptr; ai = ai->ai_next) {
    UniqueFd fd(::socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (fd.get() < 0) continue;
    int rc = ::connect(fd.get(), ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd.get(), POLLOUT, 0};
      rc = ::poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
      int error = 0;
      socklen_t len = sizeof(error);
      if (rc == 0) {
        errno = ETIMEDOUT;
        rc = -1;
      } else if (rc > 0) {
        ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &len);
        errno = error;
        rc = error == 0 ? 0 : -1;
      }
    }
    if (rc != 0) {
      last_error = std::strerror(errno);
      continue;
    }
    const int flags = ::fcntl(fd.get(), F_GETFL);
    ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
    if (absl::Status s = internal::SetSocketTimeouts(fd.get(), timeout); !s.ok()) return s;
    return fd;
  }
  return absl::UnavailableError(
      absl::StrCat("cannot connect to ", url.Authority(), ": ", last_error));
}

bool NameMatches(X509* cert, const std::string& name) {
  if (IsIpLiteral(name)) return X509_check_ip_asc(cert, name.c_str(), 0) == 1;
  return X509_check_host(cert, name.data(), name.size(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
                         nullptr) == 1;
}

}  // namespace

std::string HttpsUrl::Authority() const {
  return absl::StrCat(host.find(':') != std::string::npos ? "[" + host + "]" : host, ":", port);
}

absl::StatusOr<HttpsUrl> ParseHttpsUrl(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  const auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad URL \"", internal::Av(url), "\": ", internal::Av(why)));
  };
  if (url.size() < kScheme.size() ||
      !internal::EqualsIgnoreCase(url.substr(0, kScheme.size()), kScheme)) {
    return bad("not https://");
  }
  std::string_view rest = url.substr(kScheme.size());
  if (rest.find('#') != std::string_view::npos) return bad("a fragment");
  const size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  HttpsUrl out;
  out.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (out.path.front() == '?') out.path.insert(0, "/");
  if (authority.find('@') != std::string_view::npos) return bad("user information");
  std::string_view port;
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed [");
    out.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return bad("junk after ]");
    if (!after.empty()) port = after.substr(1);
  } else {
    const size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return bad("no host");
  if (!std::all_of(out.path.begin(), out.path.end(), [](char c) { return c > 0x20 && c < 0x7F; }) ||
      !std::all_of(out.host.begin(), out.host.end(), [](char c) { return c > 0x20 && c < 0x7F; })) {
    return bad("a control character or a space");
  }
  if (!port.empty()) {
    const std::optional<uint16_t> p = internal::ParseUnsigned<uint16_t>(port);
    if (!p || *p == 0) return bad("bad port");
    out.port = *p;
  }
  return out;
}

absl::StatusOr<HttpResponse> HttpsRequest(const HttpsUrl& url, HttpRequest request,
                                          const HttpsClientOptions& options) {
  if (options.roots.empty()) return absl::InvalidArgumentError("no trusted root certificate");
  if (options.accepted_names.empty()) return absl::InvalidArgumentError("no server name to check");
  // A peer that closes early must not kill the process with SIGPIPE from inside SSL_write.
  ::signal(SIGPIPE, SIG_IGN);

  bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_method()));
  if (ctx == nullptr || !SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION)) {
    return absl::InternalError(internal::SslErrors("SSL_CTX_new failed"));
  }
  X509_STORE* store = SSL_CTX_get_cert_store(ctx.get());
  for (const crypto::Certificate& root : options.roots) {
    if (!X509_STORE_add_cert(store, root.x509())) ERR_clear_error();  // a duplicate
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);

  absl::StatusOr<UniqueFd> fd = Connect(url, options.timeout);
  if (!fd.ok()) return fd.status();
  bssl::UniquePtr<SSL> ssl(SSL_new(ctx.get()));
  if (ssl == nullptr || !SSL_set_fd(ssl.get(), fd->get()) ||
      (!IsIpLiteral(url.host) && !SSL_set_tlsext_host_name(ssl.get(), url.host.c_str()))) {
    return absl::InternalError(internal::SslErrors("SSL_new failed"));
  }
  if (SSL_connect(ssl.get()) != 1) {
    const long verify = SSL_get_verify_result(ssl.get());
    if (verify != X509_V_OK) {
      ERR_clear_error();
      return absl::PermissionDeniedError(absl::StrCat("untrusted server certificate at ",
                                                      url.Authority(), ": ",
                                                      X509_verify_cert_error_string(verify)));
    }
    const int saved_errno = errno;
    return absl::UnavailableError(absl::StrCat(
        "TLS handshake with ", url.Authority(), " failed: ",
        internal::SslErrors(saved_errno == EAGAIN ? "timed out" : std::strerror(saved_errno))));
  }
  bssl::UniquePtr<X509> peer(SSL_get_peer_certificate(ssl.get()));
  bool matched = false;
  for (const std::string& name : options.accepted_names) {
    matched = matched || (peer != nullptr && NameMatches(peer.get(), name));
  }
  if (!matched) {
    return absl::PermissionDeniedError(
        absl::StrCat("the server certificate at ", url.Authority(),
                     " matches none of: ", absl::StrJoin(options.accepted_names, ", ")));
  }

  request.target = url.path;
  request.headers.Set("Host", url.Authority());
  request.headers.Set("Connection", "close");
  // A server may answer early (413 before the whole body) and stop reading: if the write fails,
  // its answer may still be there to read.
  const absl::Status written = internal::SslWriteAll(ssl.get(), SerializeHttpRequest(request));
  std::string buffer;
  while (true) {
    absl::Status read = internal::SslReadSome(ssl.get(), &buffer);
    if (!read.ok() && !written.ok() && buffer.empty()) return written;
    if (!read.ok() && !absl::IsOutOfRange(read)) return read;
    HttpParse<HttpResponse> parsed = ParseHttpResponse(buffer, options.limits);
    if (parsed.state == HttpParse<HttpResponse>::State::kComplete) {
      SSL_shutdown(ssl.get());
      ERR_clear_error();
      return std::move(parsed.message);
    }
    if (parsed.state == HttpParse<HttpResponse>::State::kError) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad HTTP response from ", url.Authority(), ": ", parsed.error));
    }
    if (!read.ok()) {
      return absl::UnavailableError(
          absl::StrCat("connection to ", url.Authority(), " closed before the whole response"));
    }
  }
}

}  // namespace p2psip::bootstrap

#include "bootstrap/tls_socket.h"

#include <openssl/err.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "bootstrap/text_util.h"

namespace p2psip::bootstrap::internal {

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) reset(o.release());
  return *this;
}

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

absl::Status SetSocketTimeouts(int fd, absl::Duration timeout) {
  const timeval tv = absl::ToTimeval(timeout);
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
    return absl::InternalError(absl::StrCat("setsockopt timeouts: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

std::string SslErrors(std::string_view fallback) {
  std::string out;
  while (const uint32_t e = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(e, buffer, sizeof(buffer));
    absl::StrAppend(&out, out.empty() ? "" : "; ", buffer);
  }
  return out.empty() ? std::string(fallback) : out;
}

namespace {

absl::Status IoError(SSL* ssl, int ret, std::string_view what) {
  const int saved_errno = errno;
  const int error = SSL_get_error(ssl, ret);
  if (error == SSL_ERROR_ZERO_RETURN) return absl::OutOfRangeError("end of stream");
  if (error == SSL_ERROR_SYSCALL && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK)) {
    ERR_clear_error();
    return absl::DeadlineExceededError(absl::StrCat(Av(what), " timed out"));
  }
  if (error == SSL_ERROR_SYSCALL && ret == 0) {
    ERR_clear_error();
    return absl::OutOfRangeError("connection closed");
  }
  const std::string detail =
      SslErrors(error == SSL_ERROR_SYSCALL ? std::strerror(saved_errno) : "TLS error");
  return absl::UnavailableError(absl::StrCat(Av(what), ": ", detail));
}

}  // namespace

absl::Status SslReadSome(SSL* ssl, std::string* buffer) {
  char chunk[16384];
  errno = 0;
  const int n = SSL_read(ssl, chunk, sizeof(chunk));
  if (n <= 0) return IoError(ssl, n, "read");
  buffer->append(chunk, static_cast<size_t>(n));
  return absl::OkStatus();
}

absl::Status SslWriteAll(SSL* ssl, std::string_view data) {
  while (!data.empty()) {
    errno = 0;
    const int n =
        SSL_write(ssl, data.data(), static_cast<int>(std::min<size_t>(data.size(), 1 << 20)));
    if (n <= 0) return IoError(ssl, n, "write");
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

}  // namespace p2psip::bootstrap::internal

// Internal to src/bootstrap: blocking-socket and BoringSSL helpers that the HTTPS server and
// client share (slow path only, DESIGN.md §4). Timeouts are socket options (SO_RCVTIMEO,
// SO_SNDTIMEO), so a stalled peer makes SSL_read/SSL_write fail instead of blocking forever.
#ifndef P2PSIP_SRC_BOOTSTRAP_TLS_SOCKET_H_
#define P2PSIP_SRC_BOOTSTRAP_TLS_SOCKET_H_

#include <openssl/ssl.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace p2psip::bootstrap::internal {

// Owns a file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

absl::Status SetSocketTimeouts(int fd, absl::Duration timeout);

// BoringSSL's queued errors as one line (and clears the queue); `fallback` when there are none.
std::string SslErrors(std::string_view fallback);

// SSL_read once and append what came: OK with bytes appended, OutOfRange at a clean end of
// stream, DeadlineExceeded on timeout, Unavailable for any other failure.
absl::Status SslReadSome(SSL* ssl, std::string* buffer);
// Writes everything or fails (DeadlineExceeded on timeout).
absl::Status SslWriteAll(SSL* ssl, std::string_view data);

}  // namespace p2psip::bootstrap::internal

#endif  // P2PSIP_SRC_BOOTSTRAP_TLS_SOCKET_H_

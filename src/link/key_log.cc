#include "p2psip/link/key_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace p2psip::link {

absl::StatusOr<std::unique_ptr<KeyLog>> KeyLog::Open(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("key log: empty path");
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int error = errno;
    return absl::ErrnoToStatus(error, absl::StrCat("key log: cannot open ", path));
  }
  // open() applies the mode only when it creates the file; a file that was already there may
  // be readable by others, and these are session secrets.
  if (::fchmod(fd, 0600) != 0) {
    const int error = errno;
    ::close(fd);
    return absl::ErrnoToStatus(error, absl::StrCat("key log: cannot make ", path, " mode 0600"));
  }
  return std::unique_ptr<KeyLog>(new KeyLog(path, fd));
}

KeyLog::~KeyLog() { ::close(fd_); }

void KeyLog::Write(std::string_view line) {
  if (line.empty() || line.find('\n') != std::string_view::npos) {
    write_errors_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::string out(line);
  out.push_back('\n');
  absl::MutexLock lock(&mu_);
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::write(fd_, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      write_errors_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    done += static_cast<size_t>(n);
  }
  lines_written_.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace p2psip::link

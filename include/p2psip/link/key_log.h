// KeyLog: the (D)TLS session secrets of this node, in the NSS key log format that Wireshark and
// tshark read (digest §14: `tshark -o tls.keylog_file:FILE`), one line per session:
//   CLIENT_RANDOM <64 hex: client random> <96 hex: master secret>
//
// Debugging only: anyone with the file can decrypt the node's links. It is off unless the node
// is given a path (SecureContextOptions::key_log_path, which p2psipd fills from SSLKEYLOGFILE).
// The file is opened in append mode (several processes may share one file, as browsers do),
// created with mode 0600 (and narrowed to 0600 if it already existed), and every line goes out
// in one write(2) with its newline, so a reader never sees half a line and nothing sits in a
// user-space buffer when the process dies.
//
// Owned by the SecureContext that names it; Write may be called from several threads at once
// (handshakes of one context may run on several threads) and serialises them.
#ifndef P2PSIP_LINK_KEY_LOG_H_
#define P2PSIP_LINK_KEY_LOG_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace p2psip::link {

class KeyLog {
 public:
  // Opens (creating if needed) `path` for appending. Errors: InvalidArgument for an empty path,
  // the errno of open/fchmod otherwise (as Unavailable / PermissionDenied / NotFound).
  static absl::StatusOr<std::unique_ptr<KeyLog>> Open(const std::string& path);

  KeyLog(const KeyLog&) = delete;
  KeyLog& operator=(const KeyLog&) = delete;
  ~KeyLog();

  // Appends `line` and a newline. A line that holds a newline or is empty is refused (it would
  // corrupt the format); a failed write is counted, never fatal: the key log must not take a
  // link down.
  void Write(std::string_view line);

  uint64_t lines_written() const { return lines_written_.load(std::memory_order_relaxed); }
  uint64_t write_errors() const { return write_errors_.load(std::memory_order_relaxed); }
  const std::string& path() const { return path_; }

 private:
  KeyLog(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

  const std::string path_;
  absl::Mutex mu_;
  const int fd_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> lines_written_{0};
  std::atomic<uint64_t> write_errors_{0};
};

}  // namespace p2psip::link

#endif  // P2PSIP_LINK_KEY_LOG_H_

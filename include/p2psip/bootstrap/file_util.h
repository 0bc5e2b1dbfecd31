// Small file helpers for the bootstrap module (slow path only): whole-file reads with a size
// bound, atomic replacement with a chosen mode, and modification times for reload-on-change.
#ifndef P2PSIP_BOOTSTRAP_FILE_UTIL_H_
#define P2PSIP_BOOTSTRAP_FILE_UTIL_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace p2psip::bootstrap {

// The whole file; NotFound if it does not exist, ResourceExhausted if larger than max_bytes.
absl::StatusOr<std::string> ReadFileBounded(const std::string& path, size_t max_bytes);

// A line-oriented record file (users, issued Node-IDs): every line that is neither empty nor a
// '#' comment is split at spaces and handed to `parse`, which returns false for a malformed
// entry. A missing file has no records (OK); a malformed entry is InvalidArgument
// "PATH:LINE: malformed entry"; a file over max_bytes is ResourceExhausted.
absl::Status ForEachRecord(const std::string& path, size_t max_bytes,
                           absl::FunctionRef<bool(const std::vector<std::string_view>&)> parse);

// Writes `data` to path.tmp with `mode`, fsyncs and renames it over `path`.
absl::Status WriteFileAtomic(const std::string& path, std::string_view data, mode_t mode);

// mkdir -p with `mode` for the directories it creates.
absl::Status MakeDirectories(const std::string& path, mode_t mode);

// The file's modification time and size (a change signature); nullopt if it does not exist.
struct FileStamp {
  int64_t mtime_ns = 0;
  int64_t size = 0;
  int64_t inode = 0;
  friend bool operator==(const FileStamp&, const FileStamp&) = default;
};
std::optional<FileStamp> StatFile(const std::string& path);

}  // namespace p2psip::bootstrap

#endif  // P2PSIP_BOOTSTRAP_FILE_UTIL_H_

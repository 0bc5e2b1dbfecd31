#include "cli/password.h"

#include <iostream>

#include "p2psip/bootstrap/file_util.h"

namespace p2psip::cli {

absl::StatusOr<std::string> ReadPassword(const std::string& path) {
  std::string line;
  if (path.empty()) {
    if (!std::getline(std::cin, line)) return absl::InvalidArgumentError("no password on stdin");
  } else {
    absl::StatusOr<std::string> text = bootstrap::ReadFileBounded(path, 4096);
    if (!text.ok()) return text.status();
    line = text->substr(0, text->find('\n'));
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) return absl::InvalidArgumentError("empty password");
  return line;
}

}  // namespace p2psip::cli

// Reading a password for p2psip and p2psipd: the first line of a file, or of stdin.
#ifndef P2PSIP_CLI_PASSWORD_H_
#define P2PSIP_CLI_PASSWORD_H_

#include <string>

#include "absl/status/statusor.h"

namespace p2psip::cli {

// The first line of `path` (at most 4 KiB read), or of stdin when `path` is empty, without its
// line end. An empty line is an error: no account has an empty password.
absl::StatusOr<std::string> ReadPassword(const std::string& path);

}  // namespace p2psip::cli

#endif  // P2PSIP_CLI_PASSWORD_H_

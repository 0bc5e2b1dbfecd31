// The enrollment server's users (RFC 6940 §11.3: the server authenticates the username and
// password of the enrollment request). Stored in DIR/enrollment/users, one line per user:
//
//   <name> pbkdf2-sha256 <iterations> <salt hex> <hash hex>
//
// The password itself is never stored: PBKDF2-HMAC-SHA256 (BoringSSL) with a 16-byte random
// salt per user, and Check compares in constant time. Names are what the certificate will carry
// as rfc822Name: 1..255 visible ASCII characters without spaces (IsValidUserName).
//
// A plain value type, not thread-safe; the enrollment service owns one and reloads it when the
// file changes (`p2psip enroll-user` edits the file while the server runs).
#ifndef P2PSIP_BOOTSTRAP_USER_DATABASE_H_
#define P2PSIP_BOOTSTRAP_USER_DATABASE_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace p2psip::bootstrap {

inline constexpr uint32_t kDefaultPbkdf2Iterations = 100000;

bool IsValidUserName(std::string_view name);

class UserDatabase {
 public:
  // The users of `path`; a missing file is an empty database. A malformed line is
  // InvalidArgument naming the line.
  static absl::StatusOr<UserDatabase> Load(const std::string& path);

  // Adds `name` or replaces its password (a fresh salt each time).
  absl::Status SetPassword(std::string_view name, std::string_view password,
                           uint32_t iterations = kDefaultPbkdf2Iterations);
  // True only if `name` exists and `password` is its password. Costs one PBKDF2 either way,
  // so the time does not say whether the user exists.
  bool Check(std::string_view name, std::string_view password) const;
  bool Contains(std::string_view name) const { return users_.contains(std::string(name)); }
  size_t size() const { return users_.size(); }

  // Writes the database to `path` (mode 0600) through a temporary file and rename, so a reader
  // never sees half a file.
  absl::Status Save(const std::string& path) const;

 private:
  struct Entry {
    uint32_t iterations = 0;
    std::vector<uint8_t> salt;
    std::vector<uint8_t> hash;
  };
  std::map<std::string, Entry, std::less<>> users_;
};

}  // namespace p2psip::bootstrap

#endif  // P2PSIP_BOOTSTRAP_USER_DATABASE_H_

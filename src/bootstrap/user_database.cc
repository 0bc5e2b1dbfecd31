#include "p2psip/bootstrap/user_database.h"

#include <openssl/digest.h>
#include <openssl/evp.h>
#include <openssl/mem.h>
#include <openssl/rand.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "bootstrap/text_util.h"
#include "p2psip/bootstrap/file_util.h"
#include "p2psip/ids.h"

namespace p2psip::bootstrap {
namespace {

constexpr std::string_view kScheme = "pbkdf2-sha256";
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;
constexpr size_t kMaxUsersFileBytes = 16 << 20;
// Below this a stored hash is too cheap to brute-force-resist; refuse to load or write it.
constexpr uint32_t kMinIterations = 1000;
constexpr uint32_t kMaxIterations = 10000000;

std::vector<uint8_t> Derive(std::string_view password, std::span<const uint8_t> salt,
                            uint32_t iterations) {
  std::vector<uint8_t> out(kHashBytes);
  if (!PKCS5_PBKDF2_HMAC(password.data(), password.size(), salt.data(), salt.size(), iterations,
                         EVP_sha256(), out.size(), out.data())) {
    return {};
  }
  return out;
}

std::optional<std::vector<uint8_t>> FromHex(std::string_view hex) {
  std::optional<std::string> raw = HexToBytes(hex);
  if (!raw) return std::nullopt;
  return std::vector<uint8_t>(raw->begin(), raw->end());
}

}  // namespace

bool IsValidUserName(std::string_view name) {
  return !name.empty() && name.size() <= 255 &&
         std::all_of(name.begin(), name.end(), [](char c) { return c > 0x20 && c < 0x7F; });
}

absl::StatusOr<UserDatabase> UserDatabase::Load(const std::string& path) {
  UserDatabase db;
  absl::Status read =
      ForEachRecord(path, kMaxUsersFileBytes, [&db](const std::vector<std::string_view>& f) {
        Entry e;
        std::optional<std::vector<uint8_t>> salt, hash;
        std::optional<uint32_t> iterations;
        if (f.size() != 5 || !IsValidUserName(f[0]) || f[1] != kScheme ||
            !(iterations = internal::ParseUnsigned<uint32_t>(f[2])) ||
            (e.iterations = *iterations) < kMinIterations || e.iterations > kMaxIterations ||
            !(salt = FromHex(f[3])) || salt->empty() || !(hash = FromHex(f[4])) ||
            hash->size() != kHashBytes) {
          return false;
        }
        e.salt = *std::move(salt);
        e.hash = *std::move(hash);
        db.users_[std::string(f[0])] = std::move(e);
        return true;
      });
  if (!read.ok()) return read;
  return db;
}

absl::Status UserDatabase::SetPassword(std::string_view name, std::string_view password,
                                       uint32_t iterations) {
  if (!IsValidUserName(name)) {
    return absl::InvalidArgumentError(
        "a user name is 1..255 visible ASCII characters without spaces");
  }
  if (password.empty()) return absl::InvalidArgumentError("empty password");
  if (iterations < kMinIterations || iterations > kMaxIterations) {
    return absl::InvalidArgumentError(absl::StrCat("PBKDF2 iterations ", iterations));
  }
  Entry e;
  e.iterations = iterations;
  e.salt.resize(kSaltBytes);
  if (!RAND_bytes(e.salt.data(), e.salt.size())) return absl::InternalError("RAND_bytes failed");
  e.hash = Derive(password, e.salt, iterations);
  if (e.hash.empty()) return absl::InternalError("PBKDF2 failed");
  users_[std::string(name)] = std::move(e);
  return absl::OkStatus();
}

bool UserDatabase::Check(std::string_view name, std::string_view password) const {
  static const Entry kDummy{kDefaultPbkdf2Iterations, std::vector<uint8_t>(kSaltBytes, 0),
                            std::vector<uint8_t>(kHashBytes, 0xFF)};
  const auto it = users_.find(name);
  const bool known = it != users_.end();
  const Entry& e = known ? it->second : kDummy;
  const std::vector<uint8_t> hash = Derive(password, e.salt, e.iterations);
  return known && hash.size() == e.hash.size() &&
         CRYPTO_memcmp(hash.data(), e.hash.data(), hash.size()) == 0;
}

absl::Status UserDatabase::Save(const std::string& path) const {
  std::string text = "# p2psip enrollment users: name pbkdf2-sha256 iterations salt hash\n";
  for (const auto& [name, e] : users_) {
    absl::StrAppend(&text, name, " ", internal::Av(kScheme), " ", e.iterations, " ",
                    BytesToHex(e.salt), " ", BytesToHex(e.hash), "\n");
  }
  return WriteFileAtomic(path, text, 0600);
}

}  // namespace p2psip::bootstrap

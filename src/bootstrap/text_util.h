// Internal to src/bootstrap: string helpers. Debian's abseil 20220623 is built with its own
// absl::string_view (not an alias of std::string_view), so absl::StrCat and friends do not take
// std::string_view directly: Av() converts, and the rest are tiny std-only equivalents.
#ifndef P2PSIP_SRC_BOOTSTRAP_TEXT_UTIL_H_
#define P2PSIP_SRC_BOOTSTRAP_TEXT_UTIL_H_

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"

namespace p2psip::bootstrap::internal {

inline absl::string_view Av(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view Sv(absl::string_view s) { return {s.data(), s.size()}; }

inline char LowerChar(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return LowerChar(x) == LowerChar(y);
         });
}

inline std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), LowerChar);
  return out;
}

inline std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// Every piece between separators, empty ones included.
inline std::vector<std::string_view> Split(std::string_view s, char separator) {
  std::vector<std::string_view> out;
  while (true) {
    const size_t at = s.find(separator);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

// A whole decimal number that fits T; nullopt otherwise (no sign, no spaces).
template <typename T>
std::optional<T> ParseUnsigned(std::string_view s) {
  T value{};
  if (s.empty() || s.front() == '+' || s.front() == '-') return std::nullopt;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

}  // namespace p2psip::bootstrap::internal

#endif  // P2PSIP_SRC_BOOTSTRAP_TEXT_UTIL_H_

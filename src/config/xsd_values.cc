#include "config/xsd_values.h"

#include <limits>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace p2psip::config::internal {
namespace {

bool IsXmlSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Exactly `n` digits at s[*pos]; advances *pos.
bool Digits(std::string_view s, size_t* pos, int n, int* out) {
  int v = 0;
  for (int i = 0; i < n; ++i) {
    if (*pos >= s.size() || !IsDigit(s[*pos])) return false;
    v = v * 10 + (s[(*pos)++] - '0');
  }
  *out = v;
  return true;
}

bool Expect(std::string_view s, size_t* pos, char c) {
  if (*pos >= s.size() || s[*pos] != c) return false;
  ++*pos;
  return true;
}

}  // namespace

std::string_view TrimXmlSpace(std::string_view s) {
  while (!s.empty() && IsXmlSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsXmlSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::optional<int64_t> ParseXsdInteger(std::string_view s) {
  s = TrimXmlSpace(s);
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  // Accumulate as a negative number so that INT64_MIN fits.
  int64_t v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return std::nullopt;
    const int digit = c - '0';
    if (v < (std::numeric_limits<int64_t>::min() + digit) / 10) return std::nullopt;
    v = v * 10 - digit;
  }
  if (!negative) {
    if (v == std::numeric_limits<int64_t>::min()) return std::nullopt;
    v = -v;
  }
  return v;
}

std::optional<bool> ParseXsdBoolean(std::string_view s) {
  s = TrimXmlSpace(s);
  if (s == "true" || s == "1") return true;
  if (s == "false" || s == "0") return false;
  return std::nullopt;
}

std::optional<std::vector<uint8_t>> ParseXsdBase64(std::string_view s) {
  // xsd:base64Binary: whitespace allowed anywhere, padding required (abseil alone would also
  // take unpadded text).
  std::string compact;
  compact.reserve(s.size());
  for (char c : s) {
    if (!IsXmlSpace(c)) compact.push_back(c);
  }
  std::string bytes;
  if (compact.size() % 4 != 0 || !absl::Base64Unescape(compact, &bytes)) return std::nullopt;
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

std::optional<int64_t> ParseXsdDateTime(std::string_view s) {
  s = TrimXmlSpace(s);
  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!Digits(s, &pos, 4, &year) || !Expect(s, &pos, '-') || !Digits(s, &pos, 2, &month) ||
      !Expect(s, &pos, '-') || !Digits(s, &pos, 2, &day) || !Expect(s, &pos, 'T') ||
      !Digits(s, &pos, 2, &hour) || !Expect(s, &pos, ':') || !Digits(s, &pos, 2, &minute) ||
      !Expect(s, &pos, ':') || !Digits(s, &pos, 2, &second)) {
    return std::nullopt;
  }
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const size_t first = pos;
    while (pos < s.size() && IsDigit(s[pos])) ++pos;
    if (pos == first) return std::nullopt;
  }
  int offset_minutes = 0;
  if (pos < s.size()) {
    if (s[pos] == 'Z') {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      const int sign = s[pos++] == '-' ? -1 : 1;
      int oh = 0, om = 0;
      if (!Digits(s, &pos, 2, &oh) || !Expect(s, &pos, ':') || !Digits(s, &pos, 2, &om) ||
          oh > 14 || om > 59 || (oh == 14 && om != 0)) {
        return std::nullopt;
      }
      offset_minutes = sign * (oh * 60 + om);
    } else {
      return std::nullopt;
    }
  }
  if (pos != s.size()) return std::nullopt;
  // abseil's civil types normalise out-of-range fields, so a date is valid when it survives.
  const absl::CivilDay date(year, month, day);
  if (year < 1 || date.month() != month || date.day() != day || minute > 59 || second > 60) {
    return std::nullopt;
  }
  if (hour > 24 || (hour == 24 && (minute != 0 || second != 0))) return std::nullopt;
  // 24:00:00 is the next day's midnight and second 60 a leap second: both normalise forward.
  const absl::Time t = absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, second),
                                       absl::UTCTimeZone());
  return absl::ToUnixSeconds(t) - int64_t{offset_minutes} * 60;
}

}  // namespace p2psip::config::internal

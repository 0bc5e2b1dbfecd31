#include "p2psip/bootstrap/multipart.h"

#include <openssl/rand.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "bootstrap/text_util.h"

namespace p2psip::bootstrap {
namespace {

using internal::Av;
using internal::EqualsIgnoreCase;
using internal::Lower;

constexpr std::string_view kCrlf = "\r\n";
constexpr size_t kMaxBoundary = 70;  // RFC 2046 §5.1.1

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// A header value of the form `token *( ";" name "=" ( token / quoted-string ) )`.
struct ParamValue {
  std::string type;                                         // lower-cased
  std::vector<std::pair<std::string, std::string>> params;  // names lower-cased
  const std::string* Get(std::string_view name) const {
    for (const auto& p : params) {
      if (p.first == name) return &p.second;
    }
    return nullptr;
  }
};

std::optional<ParamValue> ParseParams(std::string_view s) {
  ParamValue out;
  size_t i = 0;
  auto skip_ows = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  };
  auto token = [&] {
    const size_t begin = i;
    while (i < s.size() && IsTokenChar(s[i])) ++i;
    return s.substr(begin, i - begin);
  };
  skip_ows();
  const size_t type_begin = i;
  while (i < s.size() && (IsTokenChar(s[i]) || s[i] == '/')) ++i;
  if (i == type_begin) return std::nullopt;
  out.type = Lower(s.substr(type_begin, i - type_begin));
  while (true) {
    skip_ows();
    if (i == s.size()) return out;
    if (s[i] != ';') return std::nullopt;
    ++i;
    skip_ows();
    const std::string_view name = token();
    if (name.empty() || i == s.size() || s[i] != '=') return std::nullopt;
    ++i;
    std::string value;
    if (i < s.size() && s[i] == '"') {
      ++i;
      bool closed = false;
      while (i < s.size() && !closed) {
        char c = s[i++];
        if (c == '"') {
          closed = true;
        } else if (c == '\\' && i < s.size()) {
          value.push_back(s[i++]);
        } else {
          value.push_back(c);
        }
      }
      if (!closed) return std::nullopt;
    } else {
      value = std::string(token());
      if (value.empty()) return std::nullopt;
    }
    out.params.emplace_back(Lower(name), std::move(value));
  }
}

bool IsBoundaryChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

absl::StatusOr<FormPart> ParsePartHead(std::string_view head) {
  FormPart part;
  bool disposition = false;
  while (!head.empty()) {
    const size_t eol = head.find(kCrlf);
    const std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol == std::string_view::npos ? head.size() : eol + kCrlf.size());
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return absl::InvalidArgumentError("bad part header");
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = TrimOws(line.substr(colon + 1));
    if (EqualsIgnoreCase(name, "Content-Disposition")) {
      const std::optional<ParamValue> v = ParseParams(value);
      if (!v || v->type != "form-data" || v->Get("name") == nullptr || disposition) {
        return absl::InvalidArgumentError("bad Content-Disposition (form-data; name=...)");
      }
      disposition = true;
      part.name = *v->Get("name");
      if (const std::string* f = v->Get("filename")) part.filename = *f;
    } else if (EqualsIgnoreCase(name, "Content-Type")) {
      part.content_type = std::string(value);
    }  // Other part headers (RFC 7578 §4.8: none are meaningful) are ignored.
  }
  if (!disposition) return absl::InvalidArgumentError("a part without Content-Disposition");
  return part;
}

}  // namespace

absl::StatusOr<std::string> FormDataBoundary(std::string_view content_type) {
  const std::optional<ParamValue> v = ParseParams(content_type);
  if (!v || v->type != "multipart/form-data") {
    return absl::InvalidArgumentError("Content-Type is not multipart/form-data");
  }
  const std::string* boundary = v->Get("boundary");
  if (boundary == nullptr || boundary->empty() || boundary->size() > kMaxBoundary ||
      !std::all_of(boundary->begin(), boundary->end(), IsBoundaryChar) || boundary->back() == ' ') {
    return absl::InvalidArgumentError("missing or bad multipart boundary");
  }
  return *boundary;
}

absl::StatusOr<std::vector<FormPart>> ParseFormData(std::string_view body,
                                                    std::string_view boundary,
                                                    const MultipartLimits& limits) {
  if (boundary.empty() || boundary.size() > kMaxBoundary) {
    return absl::InvalidArgumentError("bad multipart boundary");
  }
  const std::string dash = absl::StrCat("--", Av(boundary));
  const std::string delimiter = absl::StrCat(Av(kCrlf), dash);
  // The first delimiter may open the body without a CRLF before it; otherwise a preamble ends
  // with CRLF before it.
  size_t pos;
  if (body.starts_with(dash)) {
    pos = dash.size();
  } else {
    pos = body.find(delimiter);
    if (pos == std::string_view::npos) return absl::InvalidArgumentError("no multipart boundary");
    pos += delimiter.size();
  }
  std::vector<FormPart> parts;
  while (true) {
    // After a delimiter: "--" closes the body; otherwise optional padding then CRLF.
    if (body.substr(pos, 2) == "--") return parts;
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) != kCrlf) return absl::InvalidArgumentError("bad delimiter line");
    pos += kCrlf.size();
    if (parts.size() == limits.max_parts) {
      return absl::InvalidArgumentError(absl::StrCat("more than ", limits.max_parts, " parts"));
    }
    // Part headers end with an empty line; a part with no headers starts with CRLF at once.
    size_t head_end;
    if (body.substr(pos, 2) == kCrlf) {
      head_end = pos;
    } else {
      head_end = body.find("\r\n\r\n", pos);
      if (head_end == std::string_view::npos) head_end = body.size();
      if (head_end - pos > limits.max_part_header_bytes) {
        return absl::InvalidArgumentError("part header too large");
      }
      if (head_end == body.size()) return absl::InvalidArgumentError("truncated part header");
      head_end += kCrlf.size();
    }
    absl::StatusOr<FormPart> part = ParsePartHead(body.substr(pos, head_end - pos));
    if (!part.ok()) return part.status();
    const size_t data_begin = head_end + kCrlf.size();
    const size_t data_end = body.find(delimiter, data_begin);
    if (data_end == std::string_view::npos) {
      return absl::InvalidArgumentError("no closing multipart boundary");
    }
    part->data = std::string(body.substr(data_begin, data_end - data_begin));
    parts.push_back(*std::move(part));
    pos = data_end + delimiter.size();
  }
}

const FormPart* FindPart(std::span<const FormPart> parts, std::string_view name) {
  for (const FormPart& p : parts) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

FormData BuildFormData(std::span<const FormPart> parts) {
  std::string boundary;
  bool clash = true;
  while (clash) {
    uint8_t random[16];
    RAND_bytes(random, sizeof(random));
    boundary = "p2psip-";
    for (uint8_t b : random) absl::StrAppend(&boundary, absl::Hex(b, absl::kZeroPad2));
    clash = std::any_of(parts.begin(), parts.end(), [&](const FormPart& p) {
      return p.data.find(boundary) != std::string::npos;
    });
  }
  auto quote = [](std::string_view s) {
    std::string q = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') q.push_back('\\');
      q.push_back(c);
    }
    return q + "\"";
  };
  FormData out;
  out.content_type = absl::StrCat("multipart/form-data; boundary=", boundary);
  for (const FormPart& p : parts) {
    absl::StrAppend(&out.body, "--", boundary, Av(kCrlf),
                    "Content-Disposition: form-data; name=", quote(p.name));
    if (!p.filename.empty()) absl::StrAppend(&out.body, "; filename=", quote(p.filename));
    absl::StrAppend(&out.body, Av(kCrlf));
    if (!p.content_type.empty()) {
      absl::StrAppend(&out.body, "Content-Type: ", p.content_type, Av(kCrlf));
    }
    absl::StrAppend(&out.body, Av(kCrlf), p.data, Av(kCrlf));
  }
  absl::StrAppend(&out.body, "--", boundary, "--", Av(kCrlf));
  return out;
}

}  // namespace p2psip::bootstrap

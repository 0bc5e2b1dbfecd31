#include "p2psip/bootstrap/http_message.h"

#include <algorithm>
#include <charconv>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "bootstrap/text_util.h"

namespace p2psip::bootstrap {
namespace {

using internal::Av;
using internal::EqualsIgnoreCase;

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kHeadEnd = "\r\n\r\n";

// RFC 9110 §5.6.2 tchar.
bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}
bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsTokenChar);
}
// Field values: visible ASCII, obs-text, SP and HTAB; no CR, LF or NUL (response splitting).
bool IsFieldValue(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u == '\t' || u >= 0x20 ? u != 0x7F : false;
  });
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<size_t> ParseDecimal(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  size_t value = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

// What the start line and the headers have in common for requests and responses.
struct Head {
  std::string_view start_line;
  HttpHeaders headers;
  size_t head_bytes = 0;  // through the blank line
};

template <typename M>
HttpParse<M> Fail(int status, std::string error) {
  HttpParse<M> out;
  out.state = HttpParse<M>::State::kError;
  out.error_status = status;
  out.error = std::move(error);
  return out;
}

// kIncomplete: head_bytes == 0 and no error.
struct HeadParse {
  std::optional<Head> head;
  int error_status = 0;
  std::string error;
};

HeadParse ParseHead(std::string_view data, const HttpLimits& limits) {
  HeadParse out;
  const size_t end = data.find(kHeadEnd);
  if (end == std::string_view::npos || end + kHeadEnd.size() > limits.max_header_bytes) {
    if (data.size() >= limits.max_header_bytes) {
      out.error_status = 431;
      out.error = absl::StrCat("header section larger than ", limits.max_header_bytes, " bytes");
    }
    return out;
  }
  Head head;
  head.head_bytes = end + kHeadEnd.size();
  std::string_view rest = data.substr(0, end + kCrlf.size());
  size_t eol = rest.find(kCrlf);
  head.start_line = rest.substr(0, eol);
  rest.remove_prefix(eol + kCrlf.size());
  while (!rest.empty()) {
    eol = rest.find(kCrlf);
    const std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol + kCrlf.size());
    if (line.front() == ' ' || line.front() == '\t') {
      out.error_status = 400;
      out.error = "obsolete line folding in a header";
      return out;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) {
      out.error_status = 400;
      out.error = "malformed header line";
      return out;
    }
    const std::string_view value = TrimOws(line.substr(colon + 1));
    if (!IsFieldValue(value)) {
      out.error_status = 400;
      out.error = "control character in a header value";
      return out;
    }
    if (head.headers.fields().size() >= limits.max_headers) {
      out.error_status = 431;
      out.error = absl::StrCat("more than ", limits.max_headers, " header fields");
      return out;
    }
    head.headers.Add(line.substr(0, colon), value);
  }
  out.head = std::move(head);
  return out;
}

// The body length the headers announce: nullopt for none; error_status set on a bad one.
struct BodyLength {
  std::optional<size_t> length;
  int error_status = 0;
  std::string error;
};

BodyLength ContentLength(const HttpHeaders& headers, const HttpLimits& limits) {
  BodyLength out;
  if (headers.Find("Transfer-Encoding") != nullptr) {
    out.error_status = 501;
    out.error = "Transfer-Encoding is not supported (send Content-Length)";
    return out;
  }
  for (const HttpHeader& h : headers.fields()) {
    if (!EqualsIgnoreCase(h.name, "Content-Length")) continue;
    const std::optional<size_t> n = ParseDecimal(h.value);
    if (!n || (out.length && *out.length != *n)) {
      out.error_status = 400;
      out.error = "bad Content-Length";
      return out;
    }
    out.length = n;
  }
  if (out.length && *out.length > limits.max_body_bytes) {
    out.error_status = 413;
    out.error = absl::StrCat("body of ", *out.length, " bytes (max ", limits.max_body_bytes, ")");
  }
  return out;
}

std::optional<int> ParseVersion(std::string_view v) {
  if (v == "HTTP/1.1") return 1;
  if (v == "HTTP/1.0") return 0;
  return std::nullopt;
}

void WriteHeaders(const HttpHeaders& headers, size_t body_size, std::string* out) {
  for (const HttpHeader& h : headers.fields()) {
    if (EqualsIgnoreCase(h.name, "Content-Length") ||
        EqualsIgnoreCase(h.name, "Transfer-Encoding")) {
      continue;
    }
    absl::StrAppend(out, h.name, ": ", h.value, Av(kCrlf));
  }
  absl::StrAppend(out, "Content-Length: ", body_size, Av(kCrlf), Av(kCrlf));
}

}  // namespace

const std::string* HttpHeaders::Find(std::string_view name) const {
  for (const HttpHeader& h : fields_) {
    if (EqualsIgnoreCase(h.name, name)) return &h.value;
  }
  return nullptr;
}

void HttpHeaders::Set(std::string_view name, std::string_view value) {
  std::erase_if(fields_, [&](const HttpHeader& h) { return EqualsIgnoreCase(h.name, name); });
  Add(name, value);
}

void HttpHeaders::Add(std::string_view name, std::string_view value) {
  fields_.push_back({std::string(name), std::string(value)});
}

HttpResponse HttpResponse::Make(int status, std::string_view content_type, std::string body) {
  HttpResponse r;
  r.status = status;
  if (!content_type.empty()) r.headers.Set("Content-Type", content_type);
  r.body = std::move(body);
  return r;
}

HttpParse<HttpRequest> ParseHttpRequest(std::string_view data, const HttpLimits& limits) {
  using Result = HttpParse<HttpRequest>;
  HeadParse head = ParseHead(data, limits);
  if (head.error_status != 0) return Fail<HttpRequest>(head.error_status, std::move(head.error));
  if (!head.head) return Result{};
  // request-line = method SP request-target SP HTTP-version
  const std::string_view line = head.head->start_line;
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return Fail<HttpRequest>(400, "malformed request line");
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method)) return Fail<HttpRequest>(400, "bad method");
  if (target.empty() || target.front() != '/' ||
      !std::all_of(target.begin(), target.end(), [](char c) { return c > 0x20 && c < 0x7F; })) {
    return Fail<HttpRequest>(400, "bad request target (origin-form only)");
  }
  if (!ParseVersion(version)) return Fail<HttpRequest>(505, "HTTP version not supported");
  BodyLength length = ContentLength(head.head->headers, limits);
  if (length.error_status != 0) return Fail<HttpRequest>(length.error_status, length.error);
  const size_t body = length.length.value_or(0);
  if (data.size() - head.head->head_bytes < body) return Result{};
  Result out;
  out.state = Result::State::kComplete;
  out.message.method = std::string(method);
  out.message.target = std::string(target);
  out.message.headers = std::move(head.head->headers);
  out.message.body = std::string(data.substr(head.head->head_bytes, body));
  out.consumed = head.head->head_bytes + body;
  return out;
}

HttpParse<HttpResponse> ParseHttpResponse(std::string_view data, const HttpLimits& limits) {
  using Result = HttpParse<HttpResponse>;
  HeadParse head = ParseHead(data, limits);
  if (head.error_status != 0) return Fail<HttpResponse>(head.error_status, std::move(head.error));
  if (!head.head) return Result{};
  // status-line = HTTP-version SP status-code SP [ reason-phrase ]
  const std::string_view line = head.head->start_line;
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || !ParseVersion(line.substr(0, sp1)) ||
      line.size() < sp1 + 4 || (line.size() > sp1 + 4 && line[sp1 + 4] != ' ')) {
    return Fail<HttpResponse>(400, "malformed status line");
  }
  const std::optional<size_t> status = ParseDecimal(line.substr(sp1 + 1, 3));
  if (!status || *status < 100 || *status > 599) return Fail<HttpResponse>(400, "bad status code");
  const std::string_view reason = line.size() > sp1 + 5 ? line.substr(sp1 + 5) : "";
  if (!IsFieldValue(reason)) return Fail<HttpResponse>(400, "bad reason phrase");
  BodyLength length = ContentLength(head.head->headers, limits);
  if (length.error_status != 0) return Fail<HttpResponse>(length.error_status, length.error);
  const bool bodiless = *status < 200 || *status == 204 || *status == 304;
  if (!length.length && !bodiless) {
    return Fail<HttpResponse>(400, "response without Content-Length");
  }
  const size_t body = bodiless ? 0 : *length.length;
  if (data.size() - head.head->head_bytes < body) return Result{};
  Result out;
  out.state = Result::State::kComplete;
  out.message.status = static_cast<int>(*status);
  out.message.reason = std::string(reason);
  out.message.headers = std::move(head.head->headers);
  out.message.body = std::string(data.substr(head.head->head_bytes, body));
  out.consumed = head.head->head_bytes + body;
  return out;
}

std::string SerializeHttpRequest(const HttpRequest& request) {
  std::string out = absl::StrCat(request.method, " ", request.target, " HTTP/1.1", Av(kCrlf));
  WriteHeaders(request.headers, request.body.size(), &out);
  out += request.body;
  return out;
}

std::string SerializeHttpResponse(const HttpResponse& response) {
  std::string out = absl::StrCat(
      "HTTP/1.1 ", response.status, " ",
      Av(response.reason.empty() ? HttpReasonPhrase(response.status) : response.reason), Av(kCrlf));
  WriteHeaders(response.headers, response.body.size(), &out);
  out += response.body;
  return out;
}

std::string_view HttpReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

}  // namespace p2psip::bootstrap

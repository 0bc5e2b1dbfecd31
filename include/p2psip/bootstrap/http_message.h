// A bounded HTTP/1.1 codec (RFC 9112) for the overlay's configuration and enrollment server
// (RFC 6940 §11.2, §11.3), sans-I/O: the HTTPS server and client feed it the bytes they read and
// write the bytes it serialises.
//
// Only what RELOAD bootstrap needs: one request and one response per connection, bodies framed
// by Content-Length (Transfer-Encoding is refused with 501), CRLF line endings, no obs-fold.
// Every size is bounded by HttpLimits so that a peer cannot make us buffer without limit: the
// caller stops reading once Parse* says the message is complete or failed.
#ifndef P2PSIP_BOOTSTRAP_HTTP_MESSAGE_H_
#define P2PSIP_BOOTSTRAP_HTTP_MESSAGE_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace p2psip::bootstrap {

struct HttpLimits {
  size_t max_header_bytes = 8 * 1024;  // start line and headers, up to the blank line
  size_t max_headers = 64;
  size_t max_body_bytes = 64 * 1024;  // a CSR and a password, or a configuration document
};

struct HttpHeader {
  std::string name;
  std::string value;
};

// Header fields in order; names compare case-insensitively.
class HttpHeaders {
 public:
  // The value of the first field called `name`; null if there is none.
  const std::string* Find(std::string_view name) const;
  // Replaces every field called `name` by one with `value` (or appends it).
  void Set(std::string_view name, std::string_view value);
  void Add(std::string_view name, std::string_view value);
  const std::vector<HttpHeader>& fields() const { return fields_; }

 private:
  std::vector<HttpHeader> fields_;
};

struct HttpRequest {
  std::string method;  // case-sensitive token, e.g. "GET"
  std::string target;  // origin-form: "/path?query"
  HttpHeaders headers;
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string reason;  // empty: the standard phrase of `status`
  HttpHeaders headers;
  std::string body;

  // A response with a body and its Content-Type.
  static HttpResponse Make(int status, std::string_view content_type, std::string body);
};

// The outcome of parsing a buffer that holds the start of a message.
template <typename Message>
struct HttpParse {
  enum class State { kIncomplete, kComplete, kError };
  State state = State::kIncomplete;
  Message message;       // valid when kComplete
  size_t consumed = 0;   // kComplete: bytes of the message (anything after is not ours)
  int error_status = 0;  // kError: the response a server sends (400, 413, 431, 501, 505)
  std::string error;     // kError: why, for logs and the client's message
};

// kIncomplete until the whole head and Content-Length body are in `data`; kError as soon as the
// bytes cannot become a valid message within `limits`.
HttpParse<HttpRequest> ParseHttpRequest(std::string_view data, const HttpLimits& limits = {});
// A response must carry Content-Length (or be 1xx/204/304, which have no body).
HttpParse<HttpResponse> ParseHttpResponse(std::string_view data, const HttpLimits& limits = {});

// HTTP/1.1 wire form. Content-Length is always written from the body (any given one is
// replaced); a request or response of ours never uses Transfer-Encoding.
std::string SerializeHttpRequest(const HttpRequest& request);
std::string SerializeHttpResponse(const HttpResponse& response);

// "OK", "Not Found"...; "Unknown" for a code this codec does not name.
std::string_view HttpReasonPhrase(int status);

}  // namespace p2psip::bootstrap

#endif  // P2PSIP_BOOTSTRAP_HTTP_MESSAGE_H_

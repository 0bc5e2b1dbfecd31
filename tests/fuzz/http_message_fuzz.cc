// Fuzz target for the HTTP/1.1 codec of src/bootstrap (untrusted bytes from any HTTPS client or
// server): parsing never reads past the input or exceeds the limits, a complete message
// re-serialises into bytes that parse to the same message, and an error always names an HTTP
// status.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "p2psip/bootstrap/http_message.h"

namespace {

using p2psip::bootstrap::HttpLimits;
using p2psip::bootstrap::HttpParse;
using p2psip::bootstrap::HttpRequest;
using p2psip::bootstrap::HttpResponse;

template <typename M>
void CheckCommon(const HttpParse<M>& p, size_t size, const HttpLimits& limits) {
  if (p.state == HttpParse<M>::State::kError && (p.error_status < 400 || p.error.empty())) {
    __builtin_trap();
  }
  if (p.state == HttpParse<M>::State::kComplete &&
      (p.consumed > size || p.message.body.size() > limits.max_body_bytes ||
       p.message.headers.fields().size() > limits.max_headers)) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  HttpLimits limits;
  limits.max_header_bytes = 1024;
  limits.max_headers = 16;
  limits.max_body_bytes = 2048;

  const HttpParse<HttpRequest> request = p2psip::bootstrap::ParseHttpRequest(input, limits);
  CheckCommon(request, size, limits);
  if (request.state == HttpParse<HttpRequest>::State::kComplete) {
    const std::string wire = p2psip::bootstrap::SerializeHttpRequest(request.message);
    HttpLimits roomy = limits;
    roomy.max_header_bytes = wire.size() + 1;
    roomy.max_headers = limits.max_headers + 1;  // Content-Length may be added
    const HttpParse<HttpRequest> again = p2psip::bootstrap::ParseHttpRequest(wire, roomy);
    if (again.state != HttpParse<HttpRequest>::State::kComplete ||
        again.message.method != request.message.method ||
        again.message.target != request.message.target ||
        again.message.body != request.message.body) {
      __builtin_trap();
    }
  }

  const HttpParse<HttpResponse> response = p2psip::bootstrap::ParseHttpResponse(input, limits);
  CheckCommon(response, size, limits);
  if (response.state == HttpParse<HttpResponse>::State::kComplete) {
    const std::string wire = p2psip::bootstrap::SerializeHttpResponse(response.message);
    HttpLimits roomy = limits;
    roomy.max_header_bytes = wire.size() + 1;
    roomy.max_headers = limits.max_headers + 1;
    const HttpParse<HttpResponse> again = p2psip::bootstrap::ParseHttpResponse(wire, roomy);
    if (again.state != HttpParse<HttpResponse>::State::kComplete ||
        again.message.status != response.message.status ||
        again.message.body != response.message.body) {
      __builtin_trap();
    }
  }
  return 0;
}

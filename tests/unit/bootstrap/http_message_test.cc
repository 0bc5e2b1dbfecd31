// The bounded HTTP/1.1 codec: complete, incremental and malformed requests and responses, and
// every limit.
#include "p2psip/bootstrap/http_message.h"

#include <gtest/gtest.h>

#include <string>

namespace p2psip::bootstrap {
namespace {

using RequestState = HttpParse<HttpRequest>::State;
using ResponseState = HttpParse<HttpResponse>::State;

TEST(HttpRequestTest, ParsesAGetWithHeaders) {
  const std::string wire =
      "GET /.well-known/reload-config HTTP/1.1\r\nHost: 127.0.0.1:6084\r\n"
      "accept:  application/p2p-overlay+xml \r\n\r\n";
  const HttpParse<HttpRequest> p = ParseHttpRequest(wire);
  ASSERT_EQ(p.state, RequestState::kComplete) << p.error;
  EXPECT_EQ(p.consumed, wire.size());
  EXPECT_EQ(p.message.method, "GET");
  EXPECT_EQ(p.message.target, "/.well-known/reload-config");
  ASSERT_NE(p.message.headers.Find("ACCEPT"), nullptr);
  EXPECT_EQ(*p.message.headers.Find("Accept"), "application/p2p-overlay+xml");
  EXPECT_EQ(p.message.headers.Find("Content-Type"), nullptr);
  EXPECT_TRUE(p.message.body.empty());
}

TEST(HttpRequestTest, EveryPrefixIsIncompleteAndTrailingBytesAreNotConsumed) {
  const std::string wire =
      "POST /enroll HTTP/1.1\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello";
  for (size_t i = 0; i < wire.size(); ++i) {
    EXPECT_EQ(ParseHttpRequest(wire.substr(0, i)).state, RequestState::kIncomplete) << i;
  }
  const HttpParse<HttpRequest> p = ParseHttpRequest(wire + "GET / HTTP/1.1\r\n");
  ASSERT_EQ(p.state, RequestState::kComplete);
  EXPECT_EQ(p.consumed, wire.size());
  EXPECT_EQ(p.message.body, "hello");
}

struct BadRequest {
  const char* name;
  std::string wire;
  int status;
};

TEST(HttpRequestTest, RejectsMalformedRequestsWithTheRightStatus) {
  const BadRequest cases[] = {
      {"no target", "GET HTTP/1.1\r\n\r\n", 400},
      {"extra space", "GET / x HTTP/1.1\r\n\r\n", 400},
      {"absolute form", "GET http://x/ HTTP/1.1\r\n\r\n", 400},
      {"bad method", "G(T / HTTP/1.1\r\n\r\n", 400},
      {"version", "GET / HTTP/2.0\r\n\r\n", 505},
      {"obs-fold", "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", 400},
      {"no colon", "GET / HTTP/1.1\r\nAb\r\n\r\n", 400},
      {"space in name", "GET / HTTP/1.1\r\nA b: c\r\n\r\n", 400},
      {"bare CR in value", "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", 400},
      {"chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501},
      {"bad length", "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400},
      {"negative length", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
      {"two lengths", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400},
      {"empty", "\r\n\r\n", 400},
  };
  for (const BadRequest& c : cases) {
    const HttpParse<HttpRequest> p = ParseHttpRequest(c.wire);
    EXPECT_EQ(p.state, RequestState::kError) << c.name;
    EXPECT_EQ(p.error_status, c.status) << c.name << ": " << p.error;
    EXPECT_FALSE(p.error.empty()) << c.name;
  }
}

TEST(HttpRequestTest, EnforcesTheLimits) {
  HttpLimits limits;
  limits.max_header_bytes = 64;
  limits.max_headers = 2;
  limits.max_body_bytes = 10;
  // A head that never ends fails once it reaches the limit, not before.
  const std::string endless = "GET / HTTP/1.1\r\nX: " + std::string(40, 'a');
  EXPECT_EQ(ParseHttpRequest(endless, limits).state, RequestState::kIncomplete);
  const HttpParse<HttpRequest> big = ParseHttpRequest(endless + std::string(30, 'a'), limits);
  EXPECT_EQ(big.state, RequestState::kError);
  EXPECT_EQ(big.error_status, 431);
  const HttpParse<HttpRequest> many =
      ParseHttpRequest("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits);
  EXPECT_EQ(many.error_status, 431);
  const HttpParse<HttpRequest> body =
      ParseHttpRequest("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", limits);
  EXPECT_EQ(body.state, RequestState::kError);
  EXPECT_EQ(body.error_status, 413);
  EXPECT_EQ(
      ParseHttpRequest("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789", limits).state,
      RequestState::kComplete);
}

TEST(HttpRequestTest, SerialisesWhatItParses) {
  HttpRequest r;
  r.method = "POST";
  r.target = "/enroll?x=1";
  r.headers.Set("Content-Type", "application/pkcs10");
  r.headers.Set("Content-Length", "999");  // replaced by the real length
  r.body = std::string("\0\r\n\r\nbinary", 12);
  const std::string wire = SerializeHttpRequest(r);
  const HttpParse<HttpRequest> p = ParseHttpRequest(wire);
  ASSERT_EQ(p.state, RequestState::kComplete) << p.error;
  EXPECT_EQ(p.message.method, r.method);
  EXPECT_EQ(p.message.target, r.target);
  EXPECT_EQ(p.message.body, r.body);
  EXPECT_EQ(*p.message.headers.Find("content-length"), "12");
  EXPECT_EQ(*p.message.headers.Find("content-type"), "application/pkcs10");
}

TEST(HttpResponseTest, RoundTripsAndNeedsContentLength) {
  HttpResponse r = HttpResponse::Make(403, "text/plain", "bad_CSR");
  const std::string wire = SerializeHttpResponse(r);
  EXPECT_EQ(wire.rfind("HTTP/1.1 403 Forbidden\r\n", 0), 0u) << wire;
  const HttpParse<HttpResponse> p = ParseHttpResponse(wire);
  ASSERT_EQ(p.state, ResponseState::kComplete) << p.error;
  EXPECT_EQ(p.message.status, 403);
  EXPECT_EQ(p.message.reason, "Forbidden");
  EXPECT_EQ(p.message.body, "bad_CSR");

  EXPECT_EQ(ParseHttpResponse("HTTP/1.1 200 OK\r\n\r\n").state, ResponseState::kError);
  EXPECT_EQ(ParseHttpResponse("HTTP/1.1 204 No Content\r\n\r\n").state, ResponseState::kComplete);
  EXPECT_EQ(ParseHttpResponse("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n").state,
            ResponseState::kComplete);
  EXPECT_EQ(ParseHttpResponse("HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n").state,
            ResponseState::kError);
  EXPECT_EQ(ParseHttpResponse("HTTP/1.1 099 X\r\nContent-Length: 0\r\n\r\n").state,
            ResponseState::kError);
  EXPECT_EQ(ParseHttpResponse("SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n").state,
            ResponseState::kError);
  EXPECT_EQ(ParseHttpResponse("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab").state,
            ResponseState::kIncomplete);
}

}  // namespace
}  // namespace p2psip::bootstrap

// A minimal HTTPS client for bootstrap (RFC 6940 §11.2, §11.3; digest §9.1): fetch the overlay
// configuration document and POST an enrollment request. Blocking, one request per connection,
// slow path only.
//
// The server is trusted only if its certificate chains to one of the given roots (the root-cert
// the user supplied, or the configuration's root-certs) and matches one of the accepted names:
// the URL's host or the overlay name (a DNS name is checked against dNSName, an IP literal
// against iPAddress). Every failure is a status whose message names the reason.
#ifndef P2PSIP_BOOTSTRAP_HTTPS_CLIENT_H_
#define P2PSIP_BOOTSTRAP_HTTPS_CLIENT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "p2psip/bootstrap/http_message.h"
#include "p2psip/crypto/certificate.h"

namespace p2psip::bootstrap {

struct HttpsUrl {
  std::string host;  // a DNS name or an IP literal (without the brackets of IPv6)
  uint16_t port = 443;
  std::string path = "/";  // origin-form, with any query
  // "host:port" as a Host header writes it.
  std::string Authority() const;
};

// https://host[:port][/path]; anything else (another scheme, user info, a fragment, a bad port)
// is InvalidArgument.
absl::StatusOr<HttpsUrl> ParseHttpsUrl(std::string_view url);

struct HttpsClientOptions {
  std::vector<crypto::Certificate> roots;      // at least one
  std::vector<std::string> accepted_names;     // the certificate must match one; at least one
  absl::Duration timeout = absl::Seconds(10);  // connect, and each read and write
  HttpLimits limits;                           // for the response
};

// Sends `request` (Host and Connection headers are set here; target = url.path) and returns the
// response, whatever its status. Errors: Unavailable (cannot connect, connection lost),
// DeadlineExceeded, PermissionDenied (untrusted certificate or a name that does not match),
// InvalidArgument (a malformed response).
absl::StatusOr<HttpResponse> HttpsRequest(const HttpsUrl& url, HttpRequest request,
                                          const HttpsClientOptions& options);

}  // namespace p2psip::bootstrap

#endif  // P2PSIP_BOOTSTRAP_HTTPS_CLIENT_H_

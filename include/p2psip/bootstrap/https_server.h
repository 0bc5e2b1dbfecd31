// The overlay's HTTPS server (RFC 6940 §11.2, §11.3): configuration document and enrollment, on
// the slow path with blocking kernel sockets (DESIGN.md §4: nothing here runs per packet).
//
// One thread accepts; each connection gets its own thread, at most max_connections at once
// (more are closed at once and counted). A connection carries one request (the response says
// Connection: close), with read and write timeouts so a slow or silent client cannot hold a
// slot. TLS 1.2 or 1.3 through BoringSSL's libssl on the accepted descriptor. Stop() (also run
// by the destructor) closes the listener, interrupts the connections and joins every thread.
#ifndef P2PSIP_BOOTSTRAP_HTTPS_SERVER_H_
#define P2PSIP_BOOTSTRAP_HTTPS_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "p2psip/bootstrap/http_message.h"
#include "p2psip/crypto/certificate.h"

namespace p2psip::bootstrap {

struct HttpsServerOptions {
  std::string listen_address = "127.0.0.1";  // an IPv4 or IPv6 literal
  uint16_t port = 0;                         // 0: an ephemeral port (see HttpsServer::port)
  std::vector<uint8_t> certificate_der;      // the server certificate
  std::vector<uint8_t> private_key_der;      // its key, PKCS#8
  size_t max_connections = 16;
  absl::Duration io_timeout = absl::Seconds(10);
  HttpLimits limits;
};

class HttpsServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  struct Stats {
    uint64_t accepted = 0;
    uint64_t refused_busy = 0;  // over max_connections
    uint64_t tls_failures = 0;  // handshakes that failed
    uint64_t requests = 0;      // requests handed to the handler
    uint64_t bad_requests = 0;  // answered by the codec (400, 413, 431...)
    uint64_t io_failures = 0;   // timeouts and resets
    uint64_t active = 0;        // connections being served now
  };

  // Binds, listens and starts the accept thread. `handler` must be thread-safe.
  static absl::StatusOr<std::unique_ptr<HttpsServer>> Start(HttpsServerOptions options,
                                                            Handler handler);
  ~HttpsServer();
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  uint16_t port() const;
  Stats stats() const;
  void Stop();

 private:
  struct State;
  explicit HttpsServer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace p2psip::bootstrap

#endif  // P2PSIP_BOOTSTRAP_HTTPS_SERVER_H_

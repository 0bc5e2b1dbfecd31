// `p2psip enroll-server` as a library: the overlay directory that `p2psip overlay init` made,
// turned into a running configuration + enrollment HTTPS server (RFC 6940 §11.2, §11.3).
//
// Reads DIR/overlay.relo (the overlay name and Node-ID length of its first configuration) and
// the CA in DIR/ca/. Owns the rest of DIR: DIR/https/{key.der,cert.der} (a P-256 key and a
// certificate from the overlay CA for the overlay name and the listen address, made on the
// first start and renewed when it nears expiry, no longer chains, or does not cover the listen
// address) and DIR/enrollment/{users,issued}.
#ifndef P2PSIP_BOOTSTRAP_SERVER_DIRECTORY_H_
#define P2PSIP_BOOTSTRAP_SERVER_DIRECTORY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "p2psip/bootstrap/bootstrap_router.h"
#include "p2psip/bootstrap/enrollment_service.h"
#include "p2psip/bootstrap/https_server.h"

namespace p2psip::bootstrap {

// DIR's files, in one place for the server, the CLI and the tests.
struct OverlayDirectory {
  std::string dir;
  std::string Config() const { return dir + "/overlay.relo"; }
  std::string CaCert() const { return dir + "/ca/root.der"; }
  std::string CaKey() const { return dir + "/ca/root-key.der"; }
  std::string HttpsKey() const { return dir + "/https/key.der"; }
  std::string HttpsCert() const { return dir + "/https/cert.der"; }
  std::string Users() const { return dir + "/enrollment/users"; }
  std::string Issued() const { return dir + "/enrollment/issued"; }
};

struct EnrollmentServerOptions {
  std::string dir;
  std::string listen_address = "127.0.0.1";
  uint16_t port = 6084;  // 0: ephemeral
  int64_t validity_s = kDefaultValiditySeconds;
  uint32_t max_node_ids = 1;
  size_t max_connections = 16;
  absl::Duration io_timeout = absl::Seconds(10);
  std::function<int64_t()> now_s;                          // default: the system clock
  std::function<void(const EnrollmentResult&)> on_enroll;  // e.g. a log line per enrollment
};

class EnrollmentServer {
 public:
  static absl::StatusOr<std::unique_ptr<EnrollmentServer>> Start(EnrollmentServerOptions options);
  ~EnrollmentServer() { Stop(); }

  uint16_t port() const { return https_->port(); }
  const std::string& overlay_name() const { return overlay_name_; }
  const crypto::Certificate& https_certificate() const { return https_cert_; }
  EnrollmentService& service() { return *service_; }
  HttpsServer& https() { return *https_; }
  // Null https_ only while Start fails after making the server (the port is taken, say).
  void Stop() {
    if (https_ != nullptr) https_->Stop();
  }

 private:
  EnrollmentServer(std::string overlay_name, crypto::Certificate https_cert)
      : overlay_name_(std::move(overlay_name)), https_cert_(std::move(https_cert)) {}
  std::string overlay_name_;
  crypto::Certificate https_cert_;
  std::unique_ptr<EnrollmentService> service_;
  std::unique_ptr<BootstrapRouter> router_;
  std::unique_ptr<HttpsServer> https_;  // last: stopped and destroyed before what it calls
};

}  // namespace p2psip::bootstrap

#endif  // P2PSIP_BOOTSTRAP_SERVER_DIRECTORY_H_

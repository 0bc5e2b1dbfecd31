// What the overlay's HTTPS server answers (RFC 6940 §11.2, §11.3; digest §9.1):
//   GET  /.well-known/reload-config  DIR/overlay.relo as application/p2p-overlay+xml, re-read
//                                    whenever the file changes; 404 while it does not exist
//   POST /enroll                     the EnrollmentService
// Anything else: 404 for an unknown path, 405 (with Allow) for a wrong method. Thread-safe; the
// server calls Route from its connection threads. Owns neither the service nor the file.
#ifndef P2PSIP_BOOTSTRAP_BOOTSTRAP_ROUTER_H_
#define P2PSIP_BOOTSTRAP_BOOTSTRAP_ROUTER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "p2psip/bootstrap/enrollment_service.h"
#include "p2psip/bootstrap/file_util.h"
#include "p2psip/bootstrap/http_message.h"

namespace p2psip::bootstrap {

inline constexpr std::string_view kConfigPath = "/.well-known/reload-config";
inline constexpr std::string_view kEnrollPath = "/enroll";
inline constexpr std::string_view kConfigContentType = "application/p2p-overlay+xml";

class BootstrapRouter {
 public:
  // `service` may be null (a configuration-only server: POST /enroll is then 404). `on_enroll`
  // (optional) sees every enrollment result, e.g. to log it.
  BootstrapRouter(std::string config_path, EnrollmentService* service,
                  std::function<void(const EnrollmentResult&)> on_enroll = nullptr)
      : config_path_(std::move(config_path)), service_(service), on_enroll_(std::move(on_enroll)) {}

  HttpResponse Route(const HttpRequest& request);

 private:
  HttpResponse ServeConfig();

  const std::string config_path_;
  EnrollmentService* const service_;
  const std::function<void(const EnrollmentResult&)> on_enroll_;
  absl::Mutex mu_;
  std::optional<FileStamp> config_stamp_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const std::string> config_ ABSL_GUARDED_BY(mu_);
};

}  // namespace p2psip::bootstrap

#endif  // P2PSIP_BOOTSTRAP_BOOTSTRAP_ROUTER_H_

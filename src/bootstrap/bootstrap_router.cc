#include "p2psip/bootstrap/bootstrap_router.h"

#include "p2psip/config/overlay_document.h"

namespace p2psip::bootstrap {
namespace {

HttpResponse Text(int status, std::string_view body) {
  return HttpResponse::Make(status, "text/plain", std::string(body) + "\n");
}

HttpResponse MethodNotAllowed(std::string_view allow) {
  HttpResponse r = Text(405, "method not allowed");
  r.headers.Set("Allow", allow);
  return r;
}

}  // namespace

HttpResponse BootstrapRouter::Route(const HttpRequest& request) {
  // The query string does not select anything here.
  const std::string_view path =
      std::string_view(request.target).substr(0, std::string_view(request.target).find('?'));
  if (path == kConfigPath) {
    if (request.method != "GET") return MethodNotAllowed("GET");
    return ServeConfig();
  }
  if (path == kEnrollPath && service_ != nullptr) {
    if (request.method != "POST") return MethodNotAllowed("POST");
    EnrollmentResult result = service_->Enroll(request);
    if (on_enroll_) on_enroll_(result);
    return std::move(result.response);
  }
  return Text(404, "not found");
}

HttpResponse BootstrapRouter::ServeConfig() {
  std::shared_ptr<const std::string> document;
  {
    absl::MutexLock lock(&mu_);
    const std::optional<FileStamp> stamp = StatFile(config_path_);
    if (!stamp) {
      config_.reset();
      config_stamp_.reset();
    } else if (stamp != config_stamp_ || config_ == nullptr) {
      absl::StatusOr<std::string> text =
          ReadFileBounded(config_path_, config::ParseOptions{}.max_bytes);
      if (text.ok()) {
        config_ = std::make_shared<const std::string>(*std::move(text));
        config_stamp_ = stamp;
      } else if (absl::IsNotFound(text.status())) {
        config_.reset();
        config_stamp_.reset();
      } else if (config_ == nullptr) {
        return Text(500, "cannot read the configuration document");
      }  // else: keep serving the last good copy
    }
    document = config_;
  }
  if (document == nullptr) return Text(404, "no configuration document");
  return HttpResponse::Make(200, kConfigContentType, *document);
}

}  // namespace p2psip::bootstrap

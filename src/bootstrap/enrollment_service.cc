#include "p2psip/bootstrap/enrollment_service.h"

#include <openssl/rand.h>

#include <charconv>

#include "absl/strings/str_cat.h"
#include "p2psip/bootstrap/multipart.h"
#include "p2psip/crypto/csr.h"

namespace p2psip::bootstrap {
namespace {

// A little slack for clients whose clock is slightly behind ours.
constexpr int64_t kBackdateSeconds = 300;

EnrollmentResult Refuse(EnrollmentOutcome outcome, std::string detail) {
  EnrollmentResult r;
  r.outcome = outcome;
  r.detail = std::move(detail);
  switch (outcome) {
    case EnrollmentOutcome::kBadRequest:
      r.response = HttpResponse::Make(400, "text/plain", "bad enrollment request\n");
      break;
    case EnrollmentOutcome::kInternalError:
      r.response = HttpResponse::Make(500, "text/plain", "internal error\n");
      break;
    default:
      // RFC 6940 §11.3: the body is the token alone.
      r.response = HttpResponse::Make(403, "text/plain", std::string(EnrollmentToken(outcome)));
  }
  return r;
}

std::optional<uint32_t> ParseCount(std::string_view s) {
  uint32_t n = 0;
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ')) {
    s.remove_suffix(1);
  }
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return n;
}

}  // namespace

std::string_view EnrollmentToken(EnrollmentOutcome outcome) {
  switch (outcome) {
    case EnrollmentOutcome::kFailedAuthentication:
      return "failed_authentication";
    case EnrollmentOutcome::kUsernameNotAvailable:
      return "username_not_available";
    case EnrollmentOutcome::kNodeIdsNotAvailable:
      return "Node-IDs_not_available";
    case EnrollmentOutcome::kBadCsr:
      return "bad_CSR";
    default:
      return "";
  }
}

absl::StatusOr<std::unique_ptr<EnrollmentService>> EnrollmentService::Create(
    crypto::CertificateAuthority ca, EnrollmentOptions options) {
  if (options.overlay_name.empty()) return absl::InvalidArgumentError("no overlay name");
  if (options.node_id_length < kMinNodeIdLength || options.node_id_length > kMaxNodeIdLength) {
    return absl::InvalidArgumentError(absl::StrCat("Node-ID length ", options.node_id_length));
  }
  if (options.max_node_ids == 0 || options.max_node_ids > 64) {
    return absl::InvalidArgumentError("max Node-IDs per certificate must be 1..64");
  }
  if (options.validity_s <= 0) return absl::InvalidArgumentError("validity must be positive");
  if (options.users_path.empty() || options.issued_path.empty()) {
    return absl::InvalidArgumentError("users and issued paths are required");
  }
  if (!options.now_s) return absl::InvalidArgumentError("no clock");
  std::unique_ptr<EnrollmentService> service(
      new EnrollmentService(std::move(ca), std::move(options)));
  absl::MutexLock lock(&service->mu_);
  if (absl::Status s = service->RefreshIssued(); !s.ok()) return s;
  if (absl::Status s = service->RefreshUsers(); !s.ok()) return s;
  return service;
}

absl::Status EnrollmentService::RefreshIssued() {
  std::optional<FileStamp> stamp = StatFile(options_.issued_path);
  if (issued_stamp_.has_value() && stamp == issued_stamp_) return absl::OkStatus();
  absl::StatusOr<IssuedNodeIds> issued = IssuedNodeIds::Load(options_.issued_path);
  if (!issued.ok()) return issued.status();
  issued_ = *std::move(issued);
  issued_stamp_ = stamp;
  return absl::OkStatus();
}

absl::Status EnrollmentService::RefreshUsers() {
  std::optional<FileStamp> stamp = StatFile(options_.users_path);
  if (users_loaded_ && stamp == users_stamp_) return absl::OkStatus();
  absl::StatusOr<UserDatabase> db = UserDatabase::Load(options_.users_path);
  if (!db.ok()) return db.status();
  users_ = std::make_shared<const UserDatabase>(*std::move(db));
  users_stamp_ = stamp;
  users_loaded_ = true;
  return absl::OkStatus();
}

EnrollmentResult EnrollmentService::Enroll(const HttpRequest& request) {
  EnrollmentResult result = Handle(request);
  absl::MutexLock lock(&mu_);
  ++counters_[static_cast<size_t>(result.outcome)];
  return result;
}

std::array<uint64_t, kEnrollmentOutcomes> EnrollmentService::counters() const {
  absl::MutexLock lock(&mu_);
  return counters_;
}

EnrollmentResult EnrollmentService::Handle(const HttpRequest& request) {
  const std::string* content_type = request.headers.Find("Content-Type");
  absl::StatusOr<std::string> boundary =
      FormDataBoundary(content_type != nullptr ? *content_type : "");
  if (!boundary.ok()) return Refuse(EnrollmentOutcome::kBadRequest, boundary.status().ToString());
  absl::StatusOr<std::vector<FormPart>> parts = ParseFormData(request.body, *boundary);
  if (!parts.ok()) return Refuse(EnrollmentOutcome::kBadRequest, parts.status().ToString());

  const FormPart* username = FindPart(*parts, "username");
  const FormPart* password = FindPart(*parts, "password");
  const std::string user = username != nullptr ? username->data : "";
  if (!user.empty() && !IsValidUserName(user)) {
    EnrollmentResult r = Refuse(EnrollmentOutcome::kUsernameNotAvailable,
                                "the name cannot be a certificate's rfc822Name");
    r.user = user;
    return r;
  }
  std::shared_ptr<const UserDatabase> users;
  {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = RefreshUsers(); !s.ok()) {
      // Keep serving with the users we had: a half-edited file must not lock everyone out.
      if (users_ == nullptr) return Refuse(EnrollmentOutcome::kInternalError, s.ToString());
    }
    users = users_;
  }
  if (user.empty() || password == nullptr || !users->Check(user, password->data)) {
    EnrollmentResult r = Refuse(EnrollmentOutcome::kFailedAuthentication,
                                user.empty() ? "no username" : "wrong user name or password");
    r.user = user;
    return r;
  }

  uint32_t count = 1;
  if (const FormPart* nodeids = FindPart(*parts, "nodeids")) {
    const std::optional<uint32_t> n = ParseCount(nodeids->data);
    if (!n || *n == 0 || *n > options_.max_node_ids) {
      EnrollmentResult r = Refuse(EnrollmentOutcome::kNodeIdsNotAvailable,
                                  absl::StrCat("nodeids \"", nodeids->data.substr(0, 16),
                                               "\" (max ", options_.max_node_ids, ")"));
      r.user = user;
      return r;
    }
    count = *n;
  }

  const FormPart* csr = FindPart(*parts, "csr");
  absl::StatusOr<std::vector<uint8_t>> spki =
      csr != nullptr ? crypto::ParseCsr(std::span<const uint8_t>(
                           reinterpret_cast<const uint8_t*>(csr->data.data()), csr->data.size()))
                     : absl::InvalidArgumentError("no csr field");
  if (!spki.ok()) {
    EnrollmentResult r = Refuse(EnrollmentOutcome::kBadCsr, spki.status().ToString());
    r.user = user;
    return r;
  }

  std::vector<NodeId> ids;
  {
    absl::MutexLock lock(&mu_);
    bool added = false;
    if (absl::Status s = RefreshIssued(); !s.ok()) {
      return Refuse(EnrollmentOutcome::kInternalError, s.ToString());
    }
    absl::StatusOr<std::vector<NodeId>> assigned =
        issued_.Assign(user, count, options_.node_id_length, &added);
    absl::Status saved =
        assigned.ok() && added ? issued_.Save(options_.issued_path) : assigned.status();
    if (saved.ok() && added) issued_stamp_ = StatFile(options_.issued_path);
    if (!saved.ok()) return Refuse(EnrollmentOutcome::kInternalError, saved.ToString());
    ids = *std::move(assigned);
  }

  uint64_t serial = 0;
  while (serial == 0) {
    if (!RAND_bytes(reinterpret_cast<uint8_t*>(&serial), sizeof(serial))) {
      return Refuse(EnrollmentOutcome::kInternalError, "RAND_bytes failed");
    }
    serial >>= 1;  // a positive INTEGER of at most 63 bits
  }
  const int64_t now = options_.now_s();
  absl::StatusOr<crypto::Certificate> cert =
      ca_.Issue(*spki, ids, user, options_.overlay_name,
                std::max<int64_t>(0, now - kBackdateSeconds), now + options_.validity_s, serial);
  if (!cert.ok()) return Refuse(EnrollmentOutcome::kInternalError, cert.status().ToString());

  EnrollmentResult r;
  r.outcome = EnrollmentOutcome::kIssued;
  r.user = user;
  r.node_ids = std::move(ids);
  const std::span<const uint8_t> der = cert->der();
  r.response =
      HttpResponse::Make(200, "application/pkix-cert",
                         std::string(reinterpret_cast<const char*>(der.data()), der.size()));
  r.cert = *std::move(cert);
  return r;
}

}  // namespace p2psip::bootstrap

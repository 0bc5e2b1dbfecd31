// The enrollment server's logic (RFC 6940 §11.3; digest §8), sans-I/O as far as the network
// goes: a parsed HTTP request in, the HTTP response and what happened out. The HTTPS server
// routes POST /enroll here.
//
// A request is multipart/form-data with the fields username, password, optional nodeids (how
// many Node-IDs, default 1) and csr (a DER PKCS#10 request, application/pkcs10). The answer is
// 200 with the DER certificate (application/pkix-cert), or 403 text/plain with one of the RFC's
// tokens:
//   failed_authentication     unknown user, wrong or missing password
//   username_not_available    a name that cannot be a certificate's rfc822Name
//   Node-IDs_not_available    nodeids not a count in 1..max_node_ids
//   bad_CSR                   missing, unparsable, badly signed CSR or unusable key
// The certificate names the user as rfc822Name and the Node-IDs as reload:// URIs, the ones
// issued to that user before (renewal) topped up with fresh random ones.
//
// Users live in DIR/enrollment/users (re-read when the file changes), issued Node-IDs in
// DIR/enrollment/issued. Thread-safe: Enroll may run on several connection threads at once.
#ifndef P2PSIP_BOOTSTRAP_ENROLLMENT_SERVICE_H_
#define P2PSIP_BOOTSTRAP_ENROLLMENT_SERVICE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "p2psip/bootstrap/file_util.h"
#include "p2psip/bootstrap/http_message.h"
#include "p2psip/bootstrap/issued_node_ids.h"
#include "p2psip/bootstrap/user_database.h"
#include "p2psip/crypto/certificate.h"
#include "p2psip/ids.h"

namespace p2psip::bootstrap {

inline constexpr int64_t kDefaultValiditySeconds = 30 * 86400;

struct EnrollmentOptions {
  std::string overlay_name;  // the overlay the certificates are for
  size_t node_id_length = 16;
  uint32_t max_node_ids = 1;
  int64_t validity_s = kDefaultValiditySeconds;  // the RFC asks for short-lived certificates
  std::string users_path;                        // DIR/enrollment/users
  std::string issued_path;                       // DIR/enrollment/issued
  std::function<int64_t()> now_s;                // Unix seconds; injected for tests
};

enum class EnrollmentOutcome : uint8_t {
  kIssued,
  kFailedAuthentication,
  kUsernameNotAvailable,
  kNodeIdsNotAvailable,
  kBadCsr,
  kBadRequest,     // not multipart/form-data at all: 400
  kInternalError,  // our side failed (disk, BoringSSL): 500
};
inline constexpr size_t kEnrollmentOutcomes = 7;
// The RFC token of a 403 outcome; "" for the others.
std::string_view EnrollmentToken(EnrollmentOutcome outcome);

struct EnrollmentResult {
  HttpResponse response;
  EnrollmentOutcome outcome = EnrollmentOutcome::kBadRequest;
  std::string user;                         // as the request gave it (may be empty)
  std::vector<NodeId> node_ids;             // kIssued
  std::optional<crypto::Certificate> cert;  // kIssued
  std::string detail;                       // why, for the server's log; never sent
};

class EnrollmentService {
 public:
  static absl::StatusOr<std::unique_ptr<EnrollmentService>> Create(crypto::CertificateAuthority ca,
                                                                   EnrollmentOptions options);

  EnrollmentResult Enroll(const HttpRequest& request);

  // How many requests ended in each outcome (indexed by EnrollmentOutcome).
  std::array<uint64_t, kEnrollmentOutcomes> counters() const;
  const EnrollmentOptions& options() const { return options_; }

 private:
  EnrollmentService(crypto::CertificateAuthority ca, EnrollmentOptions options)
      : ca_(std::move(ca)), options_(std::move(options)) {}
  EnrollmentResult Handle(const HttpRequest& request);
  // Re-reads the users file if it changed since the last look.
  absl::Status RefreshUsers() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Re-reads the issued Node-IDs if another writer (`p2psip enroll-user --provision`,
  // bootstrap::Provisioner) changed the file since this service last read or wrote it, so that
  // a provisioned user keeps its Node-IDs and the next save keeps the provisioned records.
  absl::Status RefreshIssued() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const crypto::CertificateAuthority ca_;
  const EnrollmentOptions options_;
  mutable absl::Mutex mu_;
  // Immutable snapshots: a password check (one PBKDF2) runs outside the lock.
  std::shared_ptr<const UserDatabase> users_ ABSL_GUARDED_BY(mu_);
  std::optional<FileStamp> users_stamp_ ABSL_GUARDED_BY(mu_);
  bool users_loaded_ ABSL_GUARDED_BY(mu_) = false;
  IssuedNodeIds issued_ ABSL_GUARDED_BY(mu_);
  std::optional<FileStamp> issued_stamp_ ABSL_GUARDED_BY(mu_);
  std::array<uint64_t, kEnrollmentOutcomes> counters_ ABSL_GUARDED_BY(mu_){};
};

}  // namespace p2psip::bootstrap

#endif  // P2PSIP_BOOTSTRAP_ENROLLMENT_SERVICE_H_

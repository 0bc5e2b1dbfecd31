#include "p2psip/bootstrap/server_directory.h"

#include <openssl/x509v3.h>

#include <ctime>

#include "absl/strings/str_cat.h"
#include "p2psip/bootstrap/file_util.h"
#include "p2psip/config/overlay_document.h"
#include "p2psip/crypto/server_certificate.h"

namespace p2psip::bootstrap {
namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kHttpsValidity = 90 * kDay;
constexpr int64_t kRenewBefore = 7 * kDay;
constexpr size_t kMaxDerFile = 64 * 1024;

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

bool Wildcard(const std::string& address) { return address == "0.0.0.0" || address == "::"; }

// The existing HTTPS certificate, if it is still good for `overlay` and `address`.
bool Usable(const OverlayDirectory& d, const crypto::CertificateAuthority& ca,
            const std::string& overlay, const std::string& address, int64_t now) {
  absl::StatusOr<std::string> key = ReadFileBounded(d.HttpsKey(), kMaxDerFile);
  absl::StatusOr<std::string> der = ReadFileBounded(d.HttpsCert(), kMaxDerFile);
  if (!key.ok() || !der.ok()) return false;
  absl::StatusOr<crypto::SigningKey> k = crypto::SigningKey::FromPrivateKeyDer(Bytes(*key));
  absl::StatusOr<crypto::Certificate> cert = crypto::Certificate::FromDer(Bytes(*der));
  const crypto::Certificate roots[] = {ca.root()};
  absl::StatusOr<crypto::TrustStore> store = crypto::TrustStore::Create(roots);
  if (!k.ok() || !cert.ok() || !store.ok() ||
      !std::ranges::equal(k->PublicKeyDer(), cert->public_key_der()) ||
      !store->Verify(*cert, {}, now).ok() || cert->not_after() - now < kRenewBefore) {
    return false;
  }
  if (X509_check_host(cert->x509(), overlay.data(), overlay.size(), 0, nullptr) != 1) return false;
  return Wildcard(address) || X509_check_ip_asc(cert->x509(), address.c_str(), 0) == 1;
}

absl::StatusOr<crypto::Certificate> HttpsCertificate(const OverlayDirectory& d,
                                                     const crypto::CertificateAuthority& ca,
                                                     const std::string& overlay,
                                                     const std::string& address, int64_t now) {
  if (absl::Status s = MakeDirectories(d.dir + "/https", 0700); !s.ok()) return s;
  if (!Usable(d, ca, overlay, address, now)) {
    absl::StatusOr<crypto::SigningKey> key =
        crypto::SigningKey::Generate(crypto::SignatureScheme::kEcdsaP256Sha256);
    if (!key.ok()) return key.status();
    std::vector<std::string> ips = {"127.0.0.1", "::1"};
    if (!Wildcard(address) && address != "127.0.0.1" && address != "::1") ips.push_back(address);
    const std::vector<uint8_t> spki = key->PublicKeyDer();
    absl::StatusOr<crypto::Certificate> cert = crypto::IssueServerCertificate(
        ca, {.subject_public_key_der = spki,
             .overlay_name = overlay,
             .ip_addresses = ips,
             .not_before_s = now - 300,
             .not_after_s = std::min(now + kHttpsValidity, ca.root().not_after()),
             .serial = static_cast<uint64_t>(now)});
    if (!cert.ok()) return cert.status();
    const std::vector<uint8_t> pkcs8 = key->PrivateKeyDer();
    const std::span<const uint8_t> der = cert->der();
    if (absl::Status s = WriteFileAtomic(
            d.HttpsKey(),
            std::string_view(reinterpret_cast<const char*>(pkcs8.data()), pkcs8.size()), 0600);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = WriteFileAtomic(
            d.HttpsCert(), std::string_view(reinterpret_cast<const char*>(der.data()), der.size()),
            0644);
        !s.ok()) {
      return s;
    }
  }
  absl::StatusOr<std::string> der = ReadFileBounded(d.HttpsCert(), kMaxDerFile);
  if (!der.ok()) return der.status();
  return crypto::Certificate::FromDer(Bytes(*der));
}

}  // namespace

absl::StatusOr<std::unique_ptr<EnrollmentServer>> EnrollmentServer::Start(
    EnrollmentServerOptions options) {
  const OverlayDirectory d{options.dir};
  if (!options.now_s) options.now_s = [] { return static_cast<int64_t>(std::time(nullptr)); };
  const int64_t now = options.now_s();

  absl::StatusOr<std::string> xml = ReadFileBounded(d.Config(), config::ParseOptions{}.max_bytes);
  if (!xml.ok()) return xml.status();
  absl::StatusOr<config::OverlayDocument> document = config::ParseOverlayDocument(*xml);
  if (!document.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(d.Config(), ": ", document.status().message()));
  }
  if (document->configurations.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(d.Config(), ": no configuration"));
  }
  const config::OverlayConfiguration& cfg = document->configurations.front();

  absl::StatusOr<std::string> ca_key = ReadFileBounded(d.CaKey(), kMaxDerFile);
  if (!ca_key.ok()) return ca_key.status();
  absl::StatusOr<std::string> ca_cert = ReadFileBounded(d.CaCert(), kMaxDerFile);
  if (!ca_cert.ok()) return ca_cert.status();
  absl::StatusOr<crypto::CertificateAuthority> ca =
      crypto::CertificateAuthority::FromDer(Bytes(*ca_key), Bytes(*ca_cert));
  if (!ca.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(d.dir, "/ca: ", ca.status().message()));
  }

  absl::StatusOr<crypto::Certificate> https_cert =
      HttpsCertificate(d, *ca, cfg.instance_name, options.listen_address, now);
  if (!https_cert.ok()) return https_cert.status();
  absl::StatusOr<std::string> https_key = ReadFileBounded(d.HttpsKey(), kMaxDerFile);
  if (!https_key.ok()) return https_key.status();

  if (absl::Status s = MakeDirectories(d.dir + "/enrollment", 0700); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<EnrollmentService>> service =
      EnrollmentService::Create(*std::move(ca), {.overlay_name = cfg.instance_name,
                                                 .node_id_length = cfg.node_id_length,
                                                 .max_node_ids = options.max_node_ids,
                                                 .validity_s = options.validity_s,
                                                 .users_path = d.Users(),
                                                 .issued_path = d.Issued(),
                                                 .now_s = options.now_s});
  if (!service.ok()) return service.status();

  std::unique_ptr<EnrollmentServer> server(
      new EnrollmentServer(cfg.instance_name, *std::move(https_cert)));
  server->service_ = *std::move(service);
  server->router_ =
      std::make_unique<BootstrapRouter>(d.Config(), server->service_.get(), options.on_enroll);
  const std::span<const uint8_t> cert_der = server->https_cert_.der();
  BootstrapRouter* router = server->router_.get();
  absl::StatusOr<std::unique_ptr<HttpsServer>> https = HttpsServer::Start(
      {.listen_address = options.listen_address,
       .port = options.port,
       .certificate_der = std::vector<uint8_t>(cert_der.begin(), cert_der.end()),
       .private_key_der = std::vector<uint8_t>(https_key->begin(), https_key->end()),
       .max_connections = options.max_connections,
       .io_timeout = options.io_timeout,
       .limits = {}},
      [router](const HttpRequest& request) { return router->Route(request); });
  if (!https.ok()) return https.status();
  server->https_ = *std::move(https);
  return server;
}

}  // namespace p2psip::bootstrap

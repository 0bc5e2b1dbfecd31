#include "p2psip/bootstrap/enrollment_client.h"

#include <openssl/rand.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "bootstrap/text_util.h"
#include "p2psip/bootstrap/enrollment_service.h"
#include "p2psip/bootstrap/https_client.h"
#include "p2psip/bootstrap/multipart.h"
#include "p2psip/crypto/csr.h"

namespace p2psip::bootstrap {
namespace {

using internal::Av;

constexpr std::string_view kRefusalTokens[] = {"failed_authentication", "username_not_available",
                                               "Node-IDs_not_available", "bad_CSR"};

std::string_view MediaType(const HttpResponse& r) {
  const std::string* ct = r.headers.Find("Content-Type");
  if (ct == nullptr) return "";
  std::string_view v = *ct;
  return internal::TrimSpace(v.substr(0, v.find(';')));
}

absl::Status Refusal(const HttpResponse& r) {
  const std::string_view token = internal::TrimSpace(r.body);
  for (std::string_view known : kRefusalTokens) {
    if (token == known)
      return absl::PermissionDeniedError(absl::StrCat("enrollment refused: ", Av(known)));
  }
  return absl::PermissionDeniedError(
      absl::StrCat("enrollment refused (unknown reason \"", Av(token.substr(0, 64)), "\")"));
}

absl::Status CheckIssued(const crypto::Certificate& cert,
                         std::span<const crypto::Certificate> roots,
                         const config::OverlayConfiguration& cfg, const crypto::SigningKey& key,
                         const EnrollmentCredentials& credentials, int64_t now_s) {
  absl::StatusOr<crypto::TrustStore> store = crypto::TrustStore::Create(roots);
  if (!store.ok()) return store.status();
  if (absl::StatusOr<std::vector<crypto::Certificate>> chain = store->Verify(cert, {}, now_s);
      !chain.ok()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the issued certificate does not chain to a root-cert: ", chain.status().message()));
  }
  if (cert.IsCa()) return absl::PermissionDeniedError("the issued certificate is a CA");
  if (!std::ranges::equal(cert.public_key_der(), key.PublicKeyDer())) {
    return absl::PermissionDeniedError("the issued certificate is for another key");
  }
  if (cert.user_name() != credentials.user) {
    return absl::PermissionDeniedError(
        absl::StrCat("the issued certificate names user \"", cert.user_name(), "\""));
  }
  if (cert.node_ids().empty()) return absl::PermissionDeniedError("the certificate has no Node-ID");
  for (const NodeId& id : cert.node_ids()) {
    if (id.size() != cfg.node_id_length) {
      return absl::PermissionDeniedError(
          absl::StrCat("a Node-ID of ", id.size(), " bytes (overlay: ", cfg.node_id_length, ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<FetchedConfiguration> FetchConfiguration(std::string_view url,
                                                        std::span<const crypto::Certificate> roots,
                                                        std::string_view overlay_name,
                                                        absl::Duration timeout) {
  absl::StatusOr<HttpsUrl> parsed = ParseHttpsUrl(url);
  if (!parsed.ok()) return parsed.status();
  HttpsClientOptions options;
  options.roots.assign(roots.begin(), roots.end());
  options.accepted_names.push_back(parsed->host);
  if (!overlay_name.empty()) options.accepted_names.emplace_back(overlay_name);
  options.timeout = timeout;
  options.limits.max_body_bytes = config::ParseOptions{}.max_bytes;
  HttpRequest request;
  request.method = "GET";
  request.headers.Set("Accept", "application/p2p-overlay+xml");
  absl::StatusOr<HttpResponse> response = HttpsRequest(*parsed, std::move(request), options);
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return absl::NotFoundError(absl::StrCat("configuration server answered ", response->status, " ",
                                            Av(HttpReasonPhrase(response->status))));
  }
  absl::StatusOr<config::OverlayDocument> document = config::ParseOverlayDocument(response->body);
  if (!document.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the configuration document is invalid: ", document.status().message()));
  }
  const config::OverlayConfiguration* cfg =
      overlay_name.empty()
          ? (document->configurations.empty() ? nullptr : &document->configurations[0])
          : document->Find(overlay_name);
  if (cfg == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("the document has no configuration for overlay \"", Av(overlay_name), "\""));
  }
  return FetchedConfiguration{.document = std::move(response->body), .configuration = *cfg};
}

absl::StatusOr<Enrollment> Enroll(const config::OverlayConfiguration& cfg,
                                  const crypto::SigningKey& key,
                                  const EnrollmentCredentials& credentials, int64_t now_s,
                                  absl::Duration timeout) {
  std::vector<crypto::Certificate> roots;
  for (const std::vector<uint8_t>& der : cfg.root_certs) {
    absl::StatusOr<crypto::Certificate> root = crypto::Certificate::FromDer(der);
    if (!root.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("a root-cert: ", root.status().message()));
    }
    roots.push_back(*std::move(root));
  }
  if (roots.empty()) return absl::FailedPreconditionError("the configuration has no root-cert");
  if (cfg.enrollment_servers.empty()) {
    return absl::FailedPreconditionError("the configuration has no enrollment-server");
  }
  absl::StatusOr<std::vector<uint8_t>> csr = crypto::CreateCsr(key);
  if (!csr.ok()) return csr.status();
  const FormPart parts[] = {
      {.name = "username", .filename = "", .content_type = "", .data = credentials.user},
      {.name = "password", .filename = "", .content_type = "", .data = credentials.password},
      {.name = "nodeids",
       .filename = "",
       .content_type = "",
       .data = std::to_string(credentials.node_ids)},
      {.name = "csr",
       .filename = "csr.der",
       .content_type = "application/pkcs10",
       .data = std::string(csr->begin(), csr->end())},
  };
  const FormData form = BuildFormData(parts);

  HttpsClientOptions options;
  options.roots = roots;
  // RFC 6940 §11.3: the enrollment server's certificate must match the overlay name.
  options.accepted_names = {cfg.instance_name};
  options.timeout = timeout;
  absl::Status last = absl::UnavailableError("no enrollment server");
  for (const std::string& server : cfg.enrollment_servers) {
    absl::StatusOr<HttpsUrl> url = ParseHttpsUrl(server);
    if (!url.ok()) {
      last = url.status();
      continue;
    }
    HttpRequest request;
    request.method = "POST";
    request.headers.Set("Content-Type", form.content_type);
    request.headers.Set("Accept", "application/pkix-cert");
    request.body = form.body;
    absl::StatusOr<HttpResponse> response = HttpsRequest(*url, std::move(request), options);
    if (!response.ok()) {
      last = response.status();
      if (absl::IsUnavailable(last) || absl::IsDeadlineExceeded(last)) continue;
      return last;  // an untrusted server: do not try to send the password elsewhere blindly
    }
    if (response->status == 403) return Refusal(*response);
    if (response->status != 200) {
      return absl::UnavailableError(absl::StrCat("enrollment server answered ", response->status,
                                                 " ", Av(HttpReasonPhrase(response->status))));
    }
    if (MediaType(*response) != "application/pkix-cert") {
      return absl::InvalidArgumentError(absl::StrCat(
          "enrollment answer is \"", Av(MediaType(*response)), "\", not application/pkix-cert"));
    }
    absl::StatusOr<crypto::Certificate> cert =
        crypto::Certificate::FromDer(std::span<const uint8_t>(
            reinterpret_cast<const uint8_t*>(response->body.data()), response->body.size()));
    if (!cert.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the issued certificate does not parse: ", cert.status().message()));
    }
    if (absl::Status s = CheckIssued(*cert, roots, cfg, key, credentials, now_s); !s.ok()) {
      return s;
    }
    std::vector<NodeId> ids = cert->node_ids();
    return Enrollment{.certificate = *std::move(cert), .node_ids = std::move(ids)};
  }
  return last;
}

absl::StatusOr<Enrollment> SelfSign(const config::OverlayConfiguration& cfg,
                                    const crypto::SigningKey& key, std::string_view user,
                                    uint32_t node_ids, int64_t now_s, int64_t validity_s) {
  if (!cfg.self_signed_permitted) {
    return absl::FailedPreconditionError(
        "the overlay does not permit self-signed certificates (no <self-signed-permitted>)");
  }
  crypto::SelfSignedDigest digest;
  if (cfg.self_signed_digest == "sha256") {
    digest = crypto::SelfSignedDigest::kSha256;
  } else if (cfg.self_signed_digest == "sha1") {
    digest = crypto::SelfSignedDigest::kSha1;
  } else {
    return absl::InvalidArgumentError("unknown self-signed digest \"" + cfg.self_signed_digest +
                                      "\"");
  }
  if (node_ids == 0 || node_ids > 16) return absl::InvalidArgumentError("1..16 Node-IDs");
  const std::vector<uint8_t> spki = key.PublicKeyDer();
  std::vector<NodeId> ids;
  for (uint32_t i = 0; i < node_ids; ++i) {
    absl::StatusOr<NodeId> id =
        crypto::SelfSignedNodeId(spki, digest, cfg.node_id_length, node_ids == 1 ? 0 : i + 1);
    if (!id.ok()) return id.status();
    ids.push_back(*std::move(id));
  }
  uint64_t serial = 0;
  RAND_bytes(reinterpret_cast<uint8_t*>(&serial), sizeof(serial));
  serial = (serial >> 1) | 1;  // positive, non-zero
  absl::StatusOr<crypto::Certificate> cert = crypto::CreateSelfSignedCertificate(
      key, ids, user, cfg.instance_name, now_s - 300, now_s + validity_s, serial);
  if (!cert.ok()) return cert.status();
  return Enrollment{*std::move(cert), std::move(ids)};
}

}  // namespace p2psip::bootstrap

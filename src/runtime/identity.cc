#include "p2psip/runtime/identity.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/certificate_signer.h"
#include "p2psip/bootstrap/file_util.h"
#include "p2psip/config/overlay_apply.h"

namespace p2psip::runtime {
namespace {

constexpr size_t kMaxDocumentBytes = size_t{1} << 20;
constexpr size_t kMaxDerBytes = 64 * 1024;

absl::Status Annotate(const std::string& path, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(path, ": ", std::string(status.message())));
}

absl::StatusOr<std::vector<uint8_t>> ReadDer(const std::string& path) {
  absl::StatusOr<std::string> text = bootstrap::ReadFileBounded(path, kMaxDerBytes);
  if (!text.ok()) return text.status();
  return std::vector<uint8_t>(text->begin(), text->end());
}

}  // namespace

absl::StatusOr<NodeIdentity> NodeIdentity::Load(const std::string& dir,
                                                 std::string_view overlay_name, int64_t now_s) {
  const IdentityPaths paths{dir};
  absl::StatusOr<std::string> document =
      bootstrap::ReadFileBounded(paths.Config(), kMaxDocumentBytes);
  if (!document.ok()) return document.status();
  absl::StatusOr<config::OverlayDocument> parsed = config::ParseOverlayDocument(*document);
  if (!parsed.ok()) return Annotate(paths.Config(), parsed.status());
  const config::OverlayConfiguration* configuration =
      overlay_name.empty() ? (parsed->configurations.empty() ? nullptr
                                                             : &parsed->configurations.front())
                           : parsed->Find(overlay_name);
  if (configuration == nullptr) {
    return absl::NotFoundError(
        absl::StrCat(paths.Config(), ": no configuration for overlay \"", std::string(overlay_name), "\""));
  }
  if (absl::Status s = config::CheckSupported(*configuration); !s.ok()) {
    return Annotate(paths.Config(), s);
  }
  if (absl::StatusOr<core::storage::KindRegistry> kinds = config::KindsOf(*configuration);
      !kinds.ok()) {
    return Annotate(paths.Config(), kinds.status());
  }
  if (configuration->root_certs.empty()) {
    return absl::UnimplementedError(absl::StrCat(
        paths.Config(), ": the overlay has no root-cert; p2psipd runs CA-certified overlays"));
  }
  std::vector<crypto::Certificate> roots;
  for (const std::vector<uint8_t>& der : configuration->root_certs) {
    absl::StatusOr<crypto::Certificate> root = crypto::Certificate::FromDer(der);
    if (!root.ok()) return Annotate(paths.Config() + " root-cert", root.status());
    roots.push_back(*std::move(root));
  }
  absl::StatusOr<crypto::TrustStore> trust = crypto::TrustStore::Create(roots);
  if (!trust.ok()) return Annotate(paths.Config() + " root-cert", trust.status());

  absl::StatusOr<std::vector<uint8_t>> key_der = ReadDer(paths.Key());
  if (!key_der.ok()) return key_der.status();
  absl::StatusOr<crypto::SigningKey> key = crypto::SigningKey::FromPrivateKeyDer(*key_der);
  if (!key.ok()) return Annotate(paths.Key(), key.status());
  absl::StatusOr<std::vector<uint8_t>> cert_der = ReadDer(paths.Certificate());
  if (!cert_der.ok()) return cert_der.status();
  absl::StatusOr<crypto::Certificate> certificate = crypto::Certificate::FromDer(*cert_der);
  if (!certificate.ok()) return Annotate(paths.Certificate(), certificate.status());
  const std::vector<uint8_t> public_key = key->PublicKeyDer();
  if (!std::ranges::equal(certificate->public_key_der(), public_key)) {
    return absl::InvalidArgumentError(
        absl::StrCat(paths.Certificate(), ": does not certify ", paths.Key()));
  }
  if (certificate->node_ids().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(paths.Certificate(), ": names no Node-ID"));
  }
  for (const NodeId& id : certificate->node_ids()) {
    if (id.size() != configuration->node_id_length) {
      return absl::InvalidArgumentError(
          absl::StrCat(paths.Certificate(), ": Node-ID ", id.ToHex(), " is not ",
                       configuration->node_id_length, " bytes as the overlay's are"));
    }
  }
  if (absl::StatusOr<std::vector<crypto::Certificate>> chain = trust->Verify(*certificate, {}, now_s);
      !chain.ok()) {
    return Annotate(paths.Certificate(), chain.status());
  }
  return NodeIdentity(dir, *std::move(document), *configuration,
                      std::make_shared<const crypto::TrustStore>(*std::move(trust)),
                      *std::move(key_der), *std::move(certificate));
}

core::NodeConfig NodeIdentity::NodeConfigFor() const {
  core::NodeConfig config;
  config::ApplyTo(configuration_, &config);
  config.id = node_id();
  return config;
}

absl::StatusOr<std::unique_ptr<core::CertificateSigner>> NodeIdentity::MakeSigner(
    std::function<int64_t()> now_s) const {
  absl::StatusOr<crypto::SigningKey> key = crypto::SigningKey::FromPrivateKeyDer(key_der_);
  if (!key.ok()) return key.status();
  return core::CertificateSigner::Create(*std::move(key), certificate_, {}, trust_,
                                         std::move(now_s));
}

absl::StatusOr<std::shared_ptr<const link::SecureContext>> NodeIdentity::MakeSecureContext(
    link::SecureContextOptions options) const {
  absl::StatusOr<crypto::SigningKey> key = crypto::SigningKey::FromPrivateKeyDer(key_der_);
  if (!key.ok()) return key.status();
  return link::SecureContext::Create(*key, {certificate_}, trust_, std::move(options));
}

}  // namespace p2psip::runtime

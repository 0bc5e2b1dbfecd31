#include "p2psip/runtime/state_directory.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "p2psip/bootstrap/enrollment_client.h"
#include "p2psip/bootstrap/file_util.h"
#include "p2psip/bootstrap/provisioner.h"
#include "p2psip/config/overlay_directory.h"
#include "p2psip/runtime/identity.h"

namespace p2psip::runtime {
namespace {

constexpr int64_t kIdentityValiditySeconds = 365 * 86400;

bool Exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

absl::Status WriteDer(const std::string& path, std::span<const uint8_t> der, mode_t mode) {
  return bootstrap::WriteFileAtomic(
      path, std::string_view(reinterpret_cast<const char*>(der.data()), der.size()), mode);
}

// The address as the configuration document writes it (no brackets, no port).
std::string HostOf(const port::Endpoint& e) {
  std::string text = e.ToString();
  text = text.substr(0, text.rfind(':'));
  if (!text.empty() && text.front() == '[') text = text.substr(1, text.size() - 2);
  return text;
}

}  // namespace

bool StateDirectory::HasIdentity() const { return Exists(IdentityPaths{dir}.Certificate()); }
bool StateDirectory::HasOverlay() const { return Exists(Overlay() + "/overlay.relo"); }

absl::StatusOr<CreatedOverlay> CreateStandaloneOverlay(const StateDirectory& state,
                                                       const CreateOverlayOptions& options) {
  if (state.HasIdentity() || state.HasOverlay()) {
    return absl::FailedPreconditionError(
        absl::StrCat(state.dir, " already holds a node or an overlay"));
  }
  config::OverlayInitOptions init;
  init.name = options.overlay_name;
  init.dir = state.Overlay();
  init.bootstrap_nodes.push_back({HostOf(options.listen), options.listen.port});
  init.enrollment_url =
      absl::StrCat("https://", options.listen.ToString(), "/enroll");
  init.scheme = crypto::SignatureScheme::kEcdsaP256Sha256;
  init.validity_days = options.validity_days;
  init.chord_update_interval_s = options.update_interval_s;
  init.max_message_size = 16000;  // room for a ConfigUpdate carrying the signed document
  init.now_s = options.now_s;
  if (absl::StatusOr<config::OverlayInitResult> r = config::InitOverlayDirectory(init); !r.ok()) {
    return r.status();
  }
  absl::StatusOr<std::unique_ptr<bootstrap::Provisioner>> provisioner =
      bootstrap::Provisioner::Open(state.Overlay());
  if (!provisioner.ok()) return provisioner.status();
  CreatedOverlay created{options.overlay_name, "node@" + options.overlay_name,
                         "admin@" + options.overlay_name};
  for (const auto& [user, dir] : {std::pair{created.node_user, state.dir},
                                  std::pair{created.client_user, state.Client()}}) {
    absl::StatusOr<bootstrap::ProvisionedIdentity> id =
        (*provisioner)
            ->Issue(user, dir, crypto::SignatureScheme::kEcdsaP256Sha256, options.now_s,
                    kIdentityValiditySeconds);
    if (!id.ok()) return id.status();
  }
  if (absl::Status s = (*provisioner)->Save(); !s.ok()) return s;
  return created;
}

absl::Status EnrollInto(const StateDirectory& state, const JoinOptions& options) {
  absl::StatusOr<std::vector<uint8_t>> root_der = config::ReadCertificateFile(options.root_cert);
  if (!root_der.ok()) return root_der.status();
  absl::StatusOr<crypto::Certificate> root = crypto::Certificate::FromDer(*root_der);
  if (!root.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(options.root_cert, ": ", std::string(root.status().message())));
  }
  const crypto::Certificate roots[] = {*root};
  absl::StatusOr<bootstrap::FetchedConfiguration> fetched = bootstrap::FetchConfiguration(
      absl::StrCat("https://", options.bootstrap, "/.well-known/reload-config"), roots,
      options.overlay_name, options.timeout);
  if (!fetched.ok()) {
    return absl::Status(fetched.status().code(),
                        absl::StrCat("configuration from ", options.bootstrap, ": ",
                                     std::string(fetched.status().message())));
  }
  absl::StatusOr<crypto::SigningKey> key =
      crypto::SigningKey::Generate(crypto::SignatureScheme::kEcdsaP256Sha256);
  if (!key.ok()) return key.status();
  absl::StatusOr<bootstrap::Enrollment> enrolled = bootstrap::Enroll(
      fetched->configuration, *key,
      {.user = options.user, .password = options.password, .node_ids = 1}, options.now_s,
      options.timeout);
  if (!enrolled.ok()) return enrolled.status();
  const IdentityPaths paths{state.dir};
  absl::Status s = bootstrap::MakeDirectories(state.dir + "/node", 0700);
  if (s.ok()) s = bootstrap::WriteFileAtomic(paths.Config(), fetched->document, 0644);
  if (s.ok()) s = WriteDer(paths.Key(), key->PrivateKeyDer(), 0600);
  if (s.ok()) s = WriteDer(paths.Certificate(), enrolled->certificate.der(), 0644);
  return s;
}

}  // namespace p2psip::runtime

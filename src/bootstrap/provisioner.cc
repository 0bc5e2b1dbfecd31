#include "p2psip/bootstrap/provisioner.h"

#include <openssl/rand.h>

#include "absl/strings/str_cat.h"
#include "p2psip/bootstrap/file_util.h"
#include "p2psip/bootstrap/server_directory.h"
#include "p2psip/bootstrap/user_database.h"
#include "p2psip/config/overlay_document.h"

namespace p2psip::bootstrap {
namespace {

constexpr int64_t kBackdateSeconds = 300;

absl::Status WriteDer(const std::string& path, std::span<const uint8_t> der, mode_t mode) {
  return WriteFileAtomic(path, std::string_view(reinterpret_cast<const char*>(der.data()), der.size()),
                         mode);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Provisioner>> Provisioner::Open(const std::string& overlay_dir) {
  const OverlayDirectory d{overlay_dir};
  auto p = std::unique_ptr<Provisioner>(new Provisioner());
  p->dir_ = overlay_dir;
  absl::StatusOr<std::string> document = ReadFileBounded(d.Config(), size_t{1} << 20);
  if (!document.ok()) return document.status();
  absl::StatusOr<config::OverlayDocument> parsed = config::ParseOverlayDocument(*document);
  if (!parsed.ok() || parsed->configurations.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        d.Config(), ": ", parsed.ok() ? "no configuration" : std::string(parsed.status().message())));
  }
  p->document_ = *std::move(document);
  p->overlay_name_ = parsed->configurations.front().instance_name;
  p->node_id_length_ = parsed->configurations.front().node_id_length;
  absl::StatusOr<std::string> key = ReadFileBounded(d.CaKey(), 64 * 1024);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> cert = ReadFileBounded(d.CaCert(), 64 * 1024);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<crypto::CertificateAuthority> ca = crypto::CertificateAuthority::FromDer(
      std::span(reinterpret_cast<const uint8_t*>(key->data()), key->size()),
      std::span(reinterpret_cast<const uint8_t*>(cert->data()), cert->size()));
  if (!ca.ok()) return absl::Status(ca.status().code(), absl::StrCat(d.CaKey(), ": ", std::string(ca.status().message())));
  p->ca_ = std::make_unique<crypto::CertificateAuthority>(*std::move(ca));
  absl::StatusOr<IssuedNodeIds> issued = IssuedNodeIds::Load(d.Issued());
  if (!issued.ok()) return issued.status();
  p->issued_ = *std::move(issued);
  return p;
}

absl::StatusOr<ProvisionedIdentity> Provisioner::Issue(std::string_view user,
                                                       const std::string& out_dir,
                                                       crypto::SignatureScheme scheme,
                                                       int64_t now_s, int64_t validity_s,
                                                       uint32_t node_ids) {
  if (!IsValidUserName(user) || user.find('@') == std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("user \"", std::string(user), "\" is not user@domain (visible ASCII)"));
  }
  absl::StatusOr<crypto::SigningKey> key = crypto::SigningKey::Generate(scheme);
  if (!key.ok()) return key.status();
  bool added = false;
  absl::StatusOr<std::vector<NodeId>> ids =
      issued_.Assign(user, node_ids, node_id_length_, &added);
  if (!ids.ok()) return ids.status();
  dirty_ |= added;
  uint64_t serial = 0;
  while (serial == 0) {
    RAND_bytes(reinterpret_cast<uint8_t*>(&serial), sizeof(serial));
    serial >>= 1;  // a positive INTEGER of at most 63 bits
  }
  absl::StatusOr<crypto::Certificate> cert =
      ca_->Issue(key->PublicKeyDer(), *ids, user, overlay_name_,
                 std::max<int64_t>(0, now_s - kBackdateSeconds), now_s + validity_s, serial);
  if (!cert.ok()) return cert.status();
  absl::Status s = MakeDirectories(out_dir + "/node", 0700);
  if (s.ok()) s = WriteFileAtomic(out_dir + "/overlay.relo", document_, 0644);
  if (s.ok()) s = WriteDer(out_dir + "/node/key.der", key->PrivateKeyDer(), 0600);
  if (s.ok()) s = WriteDer(out_dir + "/node/cert.der", cert->der(), 0644);
  if (!s.ok()) return s;
  return ProvisionedIdentity{*std::move(cert), *std::move(ids)};
}

absl::Status Provisioner::Save() {
  if (!dirty_) return absl::OkStatus();
  const OverlayDirectory d{dir_};
  if (absl::Status s = MakeDirectories(dir_ + "/enrollment", 0700); !s.ok()) return s;
  if (absl::Status s = issued_.Save(d.Issued()); !s.ok()) return s;
  dirty_ = false;
  return absl::OkStatus();
}

}  // namespace p2psip::bootstrap

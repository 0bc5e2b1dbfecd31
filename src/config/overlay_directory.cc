#include "p2psip/config/overlay_directory.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "config/xsd_values.h"
#include "core/certificate_signer.h"
#include "p2psip/config/config_signature.h"
#include "p2psip/config/sequence.h"
#include "p2psip/crypto/certificate.h"
#include "p2psip/wire/ip_address_port.h"

namespace p2psip::config {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kDay = 86400;
// Certificates start an hour early: clocks of the overlay's nodes are not exactly in step.
constexpr int64_t kClockSkew = 3600;

// absl 20220623 (Debian 12) has its own string_view, which std::string_view does not convert to.
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::Status Errno(const char* what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

std::string_view AsText(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::string Pem(std::span<const uint8_t> der) {
  const std::string b64 = Base64(der);
  std::string out = "-----BEGIN CERTIFICATE-----\n";
  for (size_t at = 0; at < b64.size(); at += 64) absl::StrAppend(&out, b64.substr(at, 64), "\n");
  out += "-----END CERTIFICATE-----\n";
  return out;
}

std::string Join(const std::string& dir, std::string_view file) {
  return (fs::path(dir) / fs::path(file)).string();
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, std::string_view bytes, mode_t mode) {
  const std::string temporary = path + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Errno("cannot create", temporary);
  // open() applies the umask; the keys must end up 0600 whatever it is.
  bool ok = ::fchmod(fd, mode) == 0;
  for (size_t done = 0; ok && done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const absl::Status failed = ok ? absl::OkStatus() : Errno("cannot write", temporary);
  ::close(fd);
  if (!ok || ::rename(temporary.c_str(), path.c_str()) != 0) {
    const absl::Status status = ok ? Errno("cannot rename to", path) : failed;
    ::unlink(temporary.c_str());
    return status;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.good()) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return absl::InternalError(absl::StrCat("cannot read ", path));
  return text;
}

absl::StatusOr<std::vector<uint8_t>> ReadCertificateFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  const size_t begin = text->find(kBegin);
  if (begin == std::string::npos) return std::vector<uint8_t>(text->begin(), text->end());
  const size_t end = text->find(kEnd, begin);
  if (end == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": unterminated PEM certificate"));
  }
  std::optional<std::vector<uint8_t>> der = internal::ParseXsdBase64(
      std::string_view(*text).substr(begin + kBegin.size(), end - begin - kBegin.size()));
  if (!der.has_value()) return absl::InvalidArgumentError(absl::StrCat(path, ": bad PEM base64"));
  return *der;
}

absl::StatusOr<OverlaySpec::Bootstrap> ParseBootstrap(std::string_view text) {
  OverlaySpec::Bootstrap out;
  std::string_view address = text;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("bad bootstrap address ", Sv(text)));
    }
    address = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return absl::InvalidArgumentError(absl::StrCat("bad bootstrap address ", Sv(text)));
      }
      port = rest.substr(1);
    }
  } else if (text.find(':') == text.rfind(':') && text.find(':') != std::string_view::npos) {
    address = text.substr(0, text.find(':'));  // IPv4:PORT (a bare IPv6 has several colons)
    port = text.substr(text.find(':') + 1);
  }
  if (!port.empty()) {
    uint32_t p = 0;
    if (!absl::SimpleAtoi(Sv(port), &p) || p == 0 || p > 65535) {
      return absl::InvalidArgumentError(absl::StrCat("bad port in ", Sv(text)));
    }
    out.port = static_cast<uint16_t>(p);
  }
  if (!wire::IpAddressPort::Parse(address, out.port).has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bootstrap address ", Sv(address), " is not an IPv4 or IPv6 literal"));
  }
  out.address = std::string(address);
  return out;
}

absl::StatusOr<std::unique_ptr<core::Signer>> LoadDirectorySigner(const std::string& dir,
                                                                  std::function<int64_t()> now_s) {
  absl::StatusOr<std::vector<uint8_t>> root_der = ReadCertificateFile(Join(dir, kRootCertFile));
  absl::StatusOr<std::string> cert_der = ReadWholeFile(Join(dir, kSignerCertFile));
  absl::StatusOr<std::string> key_der = ReadWholeFile(Join(dir, kSignerKeyFile));
  if (!root_der.ok()) return root_der.status();
  if (!cert_der.ok()) return cert_der.status();
  if (!key_der.ok()) return key_der.status();
  absl::StatusOr<crypto::Certificate> root = crypto::Certificate::FromDer(*root_der);
  if (!root.ok()) return root.status();
  absl::StatusOr<crypto::Certificate> cert = crypto::Certificate::FromDer(
      std::span(reinterpret_cast<const uint8_t*>(cert_der->data()), cert_der->size()));
  if (!cert.ok()) return cert.status();
  absl::StatusOr<crypto::SigningKey> key = crypto::SigningKey::FromPrivateKeyDer(
      std::span(reinterpret_cast<const uint8_t*>(key_der->data()), key_der->size()));
  if (!key.ok()) return key.status();
  absl::StatusOr<crypto::TrustStore> trust =
      crypto::TrustStore::Create(std::vector<crypto::Certificate>{*root});
  if (!trust.ok()) return trust.status();
  absl::StatusOr<std::unique_ptr<core::CertificateSigner>> signer = core::CertificateSigner::Create(
      std::move(*key), *cert, {}, std::make_shared<const crypto::TrustStore>(*trust),
      std::move(now_s));
  if (!signer.ok()) return signer.status();
  return std::unique_ptr<core::Signer>(std::move(*signer));
}

absl::StatusOr<OverlayInitResult> InitOverlayDirectory(const OverlayInitOptions& options) {
  if (options.name.empty()) return absl::InvalidArgumentError("empty overlay name");
  if (options.validity_days <= 0) return absl::InvalidArgumentError("validity must be > 0 days");
  std::error_code ec;
  const fs::path dir(options.dir);
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    return absl::FailedPreconditionError(absl::StrCat(options.dir, " is not a directory"));
  }
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec) && !options.force) {
    return absl::FailedPreconditionError(
        absl::StrCat(options.dir, " is not empty (use --force to overwrite)"));
  }
  for (std::string_view sub : {"", "ca", "signer"}) {
    fs::create_directories(dir / sub, ec);
    if (ec) return absl::InternalError(absl::StrCat("cannot create ", (dir / sub).string()));
  }

  const int64_t not_before = options.now_s - kClockSkew;
  const int64_t not_after = options.now_s + int64_t{options.validity_days} * kDay;
  absl::StatusOr<crypto::CertificateAuthority> ca = crypto::CertificateAuthority::Create(
      absl::StrCat(options.name, " overlay root CA"), options.scheme, not_before, not_after);
  if (!ca.ok()) return ca.status();
  absl::StatusOr<crypto::SigningKey> key = crypto::SigningKey::Generate(options.scheme);
  if (!key.ok()) return key.status();
  std::vector<uint8_t> id_bytes(kMinNodeIdLength);
  if (RAND_bytes(id_bytes.data(), id_bytes.size()) != 1) {
    return absl::InternalError("no randomness for the signer's Node-ID");
  }
  OverlayInitResult result;
  result.signer_id = NodeId(id_bytes);
  absl::StatusOr<crypto::Certificate> cert = ca->Issue(
      key->PublicKeyDer(), std::span<const NodeId>(&result.signer_id, 1),
      absl::StrCat("config-signer@", options.name), options.name, not_before, not_after, 2);
  if (!cert.ok()) return cert.status();
  const std::vector<uint8_t> key_der = key->PrivateKeyDer();

  OverlaySpec spec;
  spec.instance_name = options.name;
  spec.expiration = not_after;
  spec.root_certs.emplace_back(ca->root().der().begin(), ca->root().der().end());
  spec.enrollment_servers.push_back(
      options.enrollment_url.empty() ? std::string(kDefaultEnrollmentUrl) : options.enrollment_url);
  spec.self_signed_permitted = options.self_signed_permitted;
  spec.bootstrap_nodes = options.bootstrap_nodes;
  if (spec.bootstrap_nodes.empty()) spec.bootstrap_nodes.push_back({"127.0.0.1", 6084});
  spec.chord_update_interval_s = options.chord_update_interval_s;
  spec.max_message_size = options.max_message_size;
  spec.configuration_signers = {result.signer_id};
  spec.kind_signers = {result.signer_id};

  absl::StatusOr<crypto::TrustStore> trust =
      crypto::TrustStore::Create(std::vector<crypto::Certificate>{ca->root()});
  if (!trust.ok()) return trust.status();
  const int64_t now = options.now_s;
  absl::StatusOr<std::unique_ptr<core::CertificateSigner>> signer = core::CertificateSigner::Create(
      std::move(*key), *cert, {}, std::make_shared<const crypto::TrustStore>(*trust),
      [now] { return now; });
  if (!signer.ok()) return signer.status();
  absl::StatusOr<std::string> document = WriteOverlayDocument(spec, **signer);
  if (!document.ok()) return document.status();

  const std::vector<uint8_t> root_key = ca->PrivateKeyDer();
  const std::string root_pem = Pem(ca->root().der());
  const struct {
    std::string_view file;
    std::string_view bytes;
    mode_t mode;
  } files[] = {
      {kOverlayFile, *document, 0644},
      {kRootCertFile, AsText(ca->root().der()), 0644},
      {kRootPemFile, root_pem, 0644},
      {kRootKeyFile, AsText(root_key), 0600},
      {kSignerCertFile, AsText(cert->der()), 0644},
      {kSignerKeyFile, AsText(key_der), 0600},
  };
  for (const auto& f : files) {
    const std::string path = Join(options.dir, f.file);
    if (absl::Status s = WriteFileAtomically(path, f.bytes, f.mode); !s.ok()) return s;
    result.files.push_back(path);
  }
  return result;
}

absl::StatusOr<uint16_t> BumpOverlayDirectory(const std::string& dir, int64_t now_s) {
  const std::string path = Join(dir, kOverlayFile);
  absl::StatusOr<std::string> document = ReadWholeFile(path);
  if (!document.ok()) return document.status();
  absl::StatusOr<OverlayDocument> parsed = ParseOverlayDocument(*document);
  if (!parsed.ok()) return parsed.status();
  if (parsed->configurations.empty()) return absl::InvalidArgumentError("no configuration");
  const OverlayConfiguration& current = parsed->configurations.front();
  const uint16_t now = current.sequence.value_or(0);
  const uint16_t next = now >= kMaxConfigurationSequence ? 0 : now + 1;
  absl::StatusOr<std::unique_ptr<core::Signer>> signer =
      LoadDirectorySigner(dir, [now_s] { return now_s; });
  if (!signer.ok()) return signer.status();
  absl::StatusOr<std::string> bumped =
      ResignWithSequence(*document, current.instance_name, next, **signer);
  if (!bumped.ok()) return bumped.status();
  if (absl::Status s = WriteFileAtomically(path, *bumped, 0644); !s.ok()) return s;
  return next;
}

}  // namespace p2psip::config

// Enrollment and configuration over HTTPS on the command line (RFC 6940 §11.2, §11.3):
//
//   p2psip enroll-server --dir DIR [--listen 127.0.0.1:6084] [--validity-days N]
//                        [--max-nodeids N]
//   p2psip enroll-user --dir DIR [NAME] [--batch FILE] [--password-file F]
//   p2psip enroll-user --dir DIR [NAME] [--batch FILE] --provision OUT [--key-type ecdsa|rsa]
//                      [--validity-days N]
//   p2psip enroll --config-url https://HOST:PORT/.well-known/reload-config --root-cert FILE
//                 --user NAME [--password-file F | --self-signed] --out DIR2 [--nodeids N]
//                 [--key-type rsa|ecdsa]
//                 [--overlay NAME] [--timeout SECONDS]
//
// DIR is the overlay directory of `p2psip overlay init`; enroll-server adds DIR/https and
// DIR/enrollment. A password comes from the file (its first line) or one line on stdin.
//
// enroll-user takes its users from NAME and/or FILE (one name a line; blank lines and lines
// starting with # skipped), so that an operator adds many in one run (one read and one write of
// the users file). With --provision it sets no password: it issues each user's identity straight
// from DIR's CA into OUT/NAME (the layout `enroll --out` writes: overlay.relo, node/key.der,
// node/cert.der), as a carrier provisions subscribers in bulk (bootstrap/provisioner.h); the
// Node-IDs are recorded like the enrollment server's, so a later enrollment keeps them.
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/commands.h"
#include "cli/password.h"
#include "p2psip/bootstrap/enrollment_client.h"
#include "p2psip/bootstrap/file_util.h"
#include "p2psip/bootstrap/https_client.h"
#include "p2psip/bootstrap/provisioner.h"
#include "p2psip/bootstrap/server_directory.h"
#include "p2psip/bootstrap/user_database.h"

namespace p2psip::cli {
namespace {

using bootstrap::EnrollmentOutcome;

int Fail(const char* command, const absl::Status& status, int code = kExitFailure) {
  std::fprintf(stderr, "p2psip %s: %s\n", command, std::string(status.message()).c_str());
  return code;
}

std::string Hex(std::span<const NodeId> ids) {
  return absl::StrJoin(
      ids, ",", [](std::string* out, const NodeId& id) { absl::StrAppend(out, id.ToHex()); });
}

// A certificate file in DER or PEM.
absl::StatusOr<crypto::Certificate> ReadCertificate(const std::string& path) {
  absl::StatusOr<std::string> text = bootstrap::ReadFileBounded(path, 1 << 20);
  if (!text.ok()) return text.status();
  std::string der = *text;
  if (text->find("-----BEGIN CERTIFICATE-----") != std::string::npos) {
    bssl::UniquePtr<BIO> bio(BIO_new_mem_buf(text->data(), static_cast<ptrdiff_t>(text->size())));
    bssl::UniquePtr<X509> x(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    uint8_t* out = nullptr;
    const int length = x != nullptr ? i2d_X509(x.get(), &out) : -1;
    bssl::UniquePtr<uint8_t> owned(out);
    ERR_clear_error();
    if (length <= 0) return absl::InvalidArgumentError(absl::StrCat(path, ": bad PEM"));
    der.assign(reinterpret_cast<const char*>(out), static_cast<size_t>(length));
  }
  absl::StatusOr<crypto::Certificate> cert = crypto::Certificate::FromDer(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(der.data()), der.size()));
  if (!cert.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", cert.status().message()));
  }
  return cert;
}

// HOST:PORT or [IPv6]:PORT.
bool SplitListen(const std::string& listen, std::string* host, uint16_t* port) {
  absl::StatusOr<bootstrap::HttpsUrl> url = bootstrap::ParseHttpsUrl("https://" + listen);
  if (!url.ok() || url->path != "/" || listen.find(':') == std::string::npos ||
      listen.back() == ':') {
    return false;
  }
  *host = url->host;
  *port = url->port;
  return true;
}

void LogEnrollment(const bootstrap::EnrollmentResult& r) {
  if (r.outcome == EnrollmentOutcome::kIssued) {
    std::fprintf(stderr, "enroll: issued %s Node-ID %s\n", r.user.c_str(), Hex(r.node_ids).c_str());
  } else {
    const std::string_view token = bootstrap::EnrollmentToken(r.outcome);
    std::fprintf(stderr, "enroll: refused %s: %s (%s)\n", r.user.empty() ? "-" : r.user.c_str(),
                 token.empty() ? "error" : std::string(token).c_str(), r.detail.c_str());
  }
}

int RunServer(const std::string& dir, const std::string& listen, int validity_days,
              uint32_t max_node_ids) {
  std::string host;
  uint16_t port = 0;
  if (!SplitListen(listen, &host, &port)) {
    return Fail("enroll-server", absl::InvalidArgumentError("--listen must be HOST:PORT"),
                kExitBadUsage);
  }
  // Block the stop signals before any thread starts, so every thread inherits the mask and
  // sigwait below is the only one to take them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  absl::StatusOr<std::unique_ptr<bootstrap::EnrollmentServer>> server =
      bootstrap::EnrollmentServer::Start({.dir = dir,
                                          .listen_address = host,
                                          .port = port,
                                          .validity_s = int64_t{validity_days} * 86400,
                                          .max_node_ids = max_node_ids,
                                          .on_enroll = LogEnrollment});
  if (!server.ok()) return Fail("enroll-server", server.status());
  const bootstrap::OverlayDirectory d{dir};
  const std::string base =
      absl::StrCat("https://", bootstrap::HttpsUrl{host, (*server)->port(), "/"}.Authority());
  std::printf(
      "p2psip enroll-server: overlay %s\n  configuration: %s/.well-known/reload-config (%s)\n"
      "  enrollment:    %s/enroll (certificates valid %d days, up to %u Node-IDs)\n"
      "  TLS certificate: %s\n  users: %s\n",
      (*server)->overlay_name().c_str(), base.c_str(), d.Config().c_str(), base.c_str(),
      validity_days, max_node_ids, d.HttpsCert().c_str(), d.Users().c_str());
  std::fflush(stdout);
  int signal_number = 0;
  sigwait(&stop, &signal_number);
  (*server)->Stop();
  const auto counters = (*server)->service().counters();
  std::fprintf(stderr, "p2psip enroll-server: stopped (%s); %llu issued, %llu refused\n",
               signal_number == SIGINT ? "SIGINT" : "SIGTERM",
               static_cast<unsigned long long>(counters[0]),
               static_cast<unsigned long long>(counters[1] + counters[2] + counters[3] +
                                               counters[4] + counters[5]));
  return kExitOk;
}

struct UserArgs {
  std::string dir, name, batch, password_file, provision, key_type = "ecdsa";
  int validity_days = 30;
};

// NAME, then the names of the batch file, in order; a name given twice counts once.
absl::StatusOr<std::vector<std::string>> UserNames(const UserArgs& a) {
  std::vector<std::string> names;
  if (!a.name.empty()) names.push_back(a.name);
  if (!a.batch.empty()) {
    absl::StatusOr<std::string> text = bootstrap::ReadFileBounded(a.batch, size_t{64} << 20);
    if (!text.ok()) return text.status();
    size_t line_number = 0;
    for (absl::string_view piece : absl::StrSplit(*text, '\n')) {
      ++line_number;
      const std::string line(absl::StripAsciiWhitespace(piece));
      if (line.empty() || line.front() == '#') continue;
      if (!bootstrap::IsValidUserName(line)) {
        return absl::InvalidArgumentError(
            absl::StrCat(a.batch, ":", line_number, ": \"", line, "\" is not a user name"));
      }
      names.push_back(line);
    }
  }
  if (names.empty()) return absl::InvalidArgumentError("no user: give NAME or --batch FILE");
  std::vector<std::string> unique;
  absl::flat_hash_set<std::string> seen;
  for (std::string& n : names) {
    if (seen.insert(n).second) unique.push_back(std::move(n));
  }
  return unique;
}

int RunProvision(const UserArgs& a, const std::vector<std::string>& names) {
  constexpr char kCmd[] = "enroll-user";
  absl::StatusOr<std::unique_ptr<bootstrap::Provisioner>> provisioner =
      bootstrap::Provisioner::Open(a.dir);
  if (!provisioner.ok()) return Fail(kCmd, provisioner.status());
  const crypto::SignatureScheme scheme = a.key_type == "rsa"
                                             ? crypto::SignatureScheme::kRsa2048Sha256
                                             : crypto::SignatureScheme::kEcdsaP256Sha256;
  const int64_t now_s = static_cast<int64_t>(std::time(nullptr));
  int status = kExitOk;
  size_t issued = 0;
  for (const std::string& name : names) {
    const std::string out = a.provision + "/" + name;
    absl::StatusOr<bootstrap::ProvisionedIdentity> id =
        (*provisioner)->Issue(name, out, scheme, now_s, int64_t{a.validity_days} * 86400);
    if (!id.ok()) {
      // Keep going: the others are still worth issuing, and their Node-IDs worth recording.
      std::fprintf(stderr, "p2psip %s: %s: %s\n", kCmd, name.c_str(),
                   std::string(id.status().message()).c_str());
      status = kExitFailure;
      continue;
    }
    ++issued;
    std::printf("provisioned %s Node-ID %s in %s\n", name.c_str(), Hex(id->node_ids).c_str(),
                out.c_str());
  }
  if (absl::Status s = (*provisioner)->Save(); !s.ok()) return Fail(kCmd, s);
  if (names.size() > 1) {
    std::fprintf(stderr, "p2psip %s: %zu of %zu identities issued into %s\n", kCmd, issued,
                 names.size(), a.provision.c_str());
  }
  return status;
}

int RunUser(const UserArgs& a) {
  constexpr char kCmd[] = "enroll-user";
  absl::StatusOr<std::vector<std::string>> names = UserNames(a);
  if (!names.ok()) return Fail(kCmd, names.status(), kExitBadUsage);
  if (!a.provision.empty()) return RunProvision(a, *names);
  absl::StatusOr<std::string> password = ReadPassword(a.password_file);
  if (!password.ok()) return Fail(kCmd, password.status(), kExitBadUsage);
  const bootstrap::OverlayDirectory d{a.dir};
  if (absl::Status s = bootstrap::MakeDirectories(a.dir + "/enrollment", 0700); !s.ok()) {
    return Fail(kCmd, s);
  }
  absl::StatusOr<bootstrap::UserDatabase> users = bootstrap::UserDatabase::Load(d.Users());
  if (!users.ok()) return Fail(kCmd, users.status());
  std::vector<bool> existed;
  for (const std::string& name : *names) {
    existed.push_back(users->Contains(name));
    if (absl::Status s = users->SetPassword(name, *password); !s.ok()) {
      return Fail(kCmd, absl::Status(s.code(), absl::StrCat(name, ": ", s.message())),
                  kExitBadUsage);
    }
  }
  if (absl::Status s = users->Save(d.Users()); !s.ok()) return Fail(kCmd, s);
  for (size_t i = 0; i < names->size(); ++i) {
    std::printf("%s user %s in %s\n", existed[i] ? "updated" : "added", (*names)[i].c_str(),
                d.Users().c_str());
  }
  return kExitOk;
}

struct EnrollArgs {
  std::string config_url, root_cert, user, password_file, out, key_type = "rsa", overlay;
  uint32_t node_ids = 1;
  double timeout_s = 10;
  bool self_signed = false;
  int validity_days = 30;
};

absl::Status WriteBytes(const std::string& path, std::span<const uint8_t> bytes, mode_t mode) {
  return bootstrap::WriteFileAtomic(
      path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), mode);
}

int RunEnroll(const EnrollArgs& a) {
  constexpr char kCmd[] = "enroll";
  absl::StatusOr<crypto::Certificate> root = ReadCertificate(a.root_cert);
  if (!root.ok()) return Fail(kCmd, root.status(), kExitBadUsage);
  absl::StatusOr<std::string> password =
      a.self_signed ? absl::StatusOr<std::string>("") : ReadPassword(a.password_file);
  if (!password.ok()) return Fail(kCmd, password.status(), kExitBadUsage);
  const absl::Duration timeout = absl::Seconds(a.timeout_s);
  const crypto::Certificate roots[] = {*root};
  absl::StatusOr<bootstrap::FetchedConfiguration> fetched =
      bootstrap::FetchConfiguration(a.config_url, roots, a.overlay, timeout);
  if (!fetched.ok()) return Fail(kCmd, fetched.status());
  const config::OverlayConfiguration& cfg = fetched->configuration;
  absl::StatusOr<crypto::SigningKey> key =
      crypto::SigningKey::Generate(a.key_type == "ecdsa" ? crypto::SignatureScheme::kEcdsaP256Sha256
                                                         : crypto::SignatureScheme::kRsa2048Sha256);
  if (!key.ok()) return Fail(kCmd, key.status());
  const int64_t now_s = static_cast<int64_t>(std::time(nullptr));
  absl::StatusOr<bootstrap::Enrollment> enrolled =
      a.self_signed
          ? bootstrap::SelfSign(cfg, *key, a.user, a.node_ids, now_s,
                                int64_t{a.validity_days} * 86400)
          : bootstrap::Enroll(cfg, *key,
                              {.user = a.user, .password = *password, .node_ids = a.node_ids},
                              now_s, timeout);
  if (!enrolled.ok()) return Fail(kCmd, enrolled.status());

  const std::string node_dir = a.out + "/node";
  if (absl::Status s = bootstrap::MakeDirectories(node_dir, 0700); !s.ok()) return Fail(kCmd, s);
  absl::Status s = bootstrap::WriteFileAtomic(a.out + "/overlay.relo", fetched->document, 0644);
  if (s.ok()) s = WriteBytes(node_dir + "/key.der", key->PrivateKeyDer(), 0600);
  if (s.ok()) s = WriteBytes(node_dir + "/cert.der", enrolled->certificate.der(), 0644);
  if (!s.ok()) return Fail(kCmd, s);
  std::printf("%s %s in overlay %s\n", a.self_signed ? "self-signed" : "enrolled", a.user.c_str(),
              cfg.instance_name.c_str());
  for (const NodeId& id : enrolled->node_ids) std::printf("  Node-ID: %s\n", id.ToHex().c_str());
  std::printf(
      "  certificate: %s/cert.der (valid until Unix time %lld)\n  key: %s/key.der\n"
      "  configuration: %s/overlay.relo\n",
      node_dir.c_str(), static_cast<long long>(enrolled->certificate.not_after()), node_dir.c_str(),
      a.out.c_str());
  return kExitOk;
}

}  // namespace

void AddEnrollCommands(CLI::App& app, Action* action) {
  struct ServerArgs {
    std::string dir, listen = "127.0.0.1:6084";
    int validity_days = 30;
    uint32_t max_node_ids = 1;
  };
  auto server = std::make_shared<ServerArgs>();
  CLI::App* s = app.add_subcommand(
      "enroll-server", "Serve an overlay's configuration document and enrollment over HTTPS");
  s->add_option("--dir", server->dir, "The overlay directory (of p2psip overlay init)")->required();
  s->add_option("--listen", server->listen, "HOST:PORT to listen on (127.0.0.1:6084)");
  s->add_option("--validity-days", server->validity_days, "Lifetime of issued certificates")
      ->check(CLI::Range(1, 3650));
  s->add_option("--max-nodeids", server->max_node_ids, "Most Node-IDs per certificate (1)")
      ->check(CLI::Range(1, 64));
  s->callback([server, action] {
    *action = [server] {
      return RunServer(server->dir, server->listen, server->validity_days, server->max_node_ids);
    };
  });

  auto user = std::make_shared<UserArgs>();
  CLI::App* u = app.add_subcommand(
      "enroll-user",
      "Add users of the enrollment server, or set their password (read from a file or stdin); "
      "with --provision, issue their identities straight from the overlay's CA instead");
  u->add_option("--dir", user->dir, "The overlay directory")->required();
  u->add_option("name", user->name, "The user name (becomes the certificate's rfc822Name)");
  u->add_option("--batch", user->batch,
                "File of user names, one a line (# comments), handled like NAME in one run");
  u->add_option("--password-file", user->password_file,
                "File whose first line is the password (one password for every user)");
  CLI::Option* provision = u->add_option(
      "--provision", user->provision,
      "Issue each user's identity from the overlay's CA into OUT/NAME (overlay.relo, "
      "node/key.der, node/cert.der; what `enroll --out` writes), without HTTPS or a password");
  u->add_option(
       "--key-type", user->key_type,
       "With --provision: ecdsa (P-256, the default: a key in microseconds) or rsa (RSA-2048)")
      ->check(CLI::IsMember({"rsa", "ecdsa"}))
      ->needs(provision);
  u->add_option("--validity-days", user->validity_days,
                "With --provision: lifetime of the certificates (30)")
      ->check(CLI::Range(1, 3650))
      ->needs(provision);
  provision->excludes(u->get_option("--password-file"));
  u->callback([user, action] { *action = [user] { return RunUser(*user); }; });

  auto args = std::make_shared<EnrollArgs>();
  CLI::App* e = app.add_subcommand(
      "enroll", "Fetch an overlay's configuration and enroll for a certificate (RFC 6940 §11.3)");
  e->add_option("--config-url", args->config_url, "https://HOST:PORT/.well-known/reload-config")
      ->required();
  e->add_option("--root-cert", args->root_cert,
                "Root certificate (DER or PEM) trusted for the configuration server")
      ->required();
  e->add_option("--user", args->user, "User name")->required();
  e->add_option("--password-file", args->password_file, "File whose first line is the password");
  e->add_option("--out", args->out, "Directory for overlay.relo and node/{key,cert}.der")
      ->required();
  e->add_option("--nodeids", args->node_ids, "How many Node-IDs to ask for (1)")
      ->check(CLI::Range(1, 64));
  e->add_option("--key-type", args->key_type, "rsa (RSA-2048, default) or ecdsa (P-256)")
      ->check(CLI::IsMember({"rsa", "ecdsa"}));
  e->add_option("--overlay", args->overlay, "Expected instance-name (default: the first one)");
  e->add_flag("--self-signed", args->self_signed,
              "Make a self-signed certificate (Node-ID = digest of the key) instead of enrolling; "
              "the overlay must permit it (<self-signed-permitted>)");
  e->add_option("--validity-days", args->validity_days, "With --self-signed: lifetime (30)")
      ->check(CLI::Range(1, 3650));
  e->add_option("--timeout", args->timeout_s, "Seconds for connect and each read/write (10)")
      ->check(CLI::Range(0.1, 600.0));
  e->callback([args, action] { *action = [args] { return RunEnroll(*args); }; });
}

}  // namespace p2psip::cli

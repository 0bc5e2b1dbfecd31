// `p2psip overlay`: create, check and update an overlay's signed configuration (RFC 6940 §11.1;
// digest §9). The directory layout is config/overlay_directory.h's.
//
//   p2psip overlay init NAME --dir DIR [--bootstrap ADDR:PORT]... [--enrollment-url URL]
//                       [--self-signed-permitted] [--key-type rsa|ecdsa] [--validity-days N]
//                       [--update-interval S] [--max-message-size N] [--force]
//   p2psip overlay verify FILE --root-cert DER-or-PEM [--json]
//   p2psip overlay bump --dir DIR
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "p2psip/config/config_signature.h"
#include "p2psip/config/overlay_directory.h"
#include "p2psip/config/overlay_document.h"
#include "p2psip/crypto/certificate.h"

namespace p2psip::cli {
namespace {

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

int Fail(const char* sub, const absl::Status& status, int code = kExitFailure) {
  std::fprintf(stderr, "p2psip overlay %s: %s\n", sub, std::string(status.message()).c_str());
  return code;
}

struct InitState {
  std::string name, dir, enrollment_url, key_type = "rsa";
  std::vector<std::string> bootstrap;
  bool self_signed = false, force = false;
  int validity_days = 365;
  uint32_t update_interval_s = 600;
  uint32_t max_message_size = 5000;
};

int RunInit(const InitState& s) {
  config::OverlayInitOptions options;
  options.name = s.name;
  options.dir = s.dir;
  options.enrollment_url = s.enrollment_url;
  options.self_signed_permitted = s.self_signed;
  options.force = s.force;
  options.validity_days = s.validity_days;
  options.chord_update_interval_s = s.update_interval_s;
  options.max_message_size = s.max_message_size;
  options.scheme = s.key_type == "ecdsa" ? crypto::SignatureScheme::kEcdsaP256Sha256
                                         : crypto::SignatureScheme::kRsa2048Sha256;
  options.now_s = Now();
  for (const std::string& b : s.bootstrap) {
    absl::StatusOr<config::OverlaySpec::Bootstrap> node = config::ParseBootstrap(b);
    if (!node.ok()) return Fail("init", node.status(), kExitBadUsage);
    options.bootstrap_nodes.push_back(*node);
  }
  absl::StatusOr<config::OverlayInitResult> result = config::InitOverlayDirectory(options);
  if (!result.ok()) {
    return Fail("init", result.status(),
                absl::IsFailedPrecondition(result.status()) ? kExitBadUsage : kExitFailure);
  }
  if (s.force && std::filesystem::exists(std::filesystem::path(s.dir) / "https")) {
    // Its TLS certificate was issued by the CA just replaced.
    std::fprintf(stderr,
                 "p2psip overlay init: note: %s/https was left as it was; remove it so that "
                 "enroll-server issues its certificate from the new CA\n",
                 s.dir.c_str());
  }
  std::printf("Created overlay %s (sequence 0, %s keys, valid %d days):\n", s.name.c_str(),
              s.key_type.c_str(), s.validity_days);
  for (const std::string& f : result->files) std::printf("  %s\n", f.c_str());
  std::printf("Configuration and kind signer Node-ID: %s\n", result->signer_id.ToHex().c_str());
  std::printf(
      "Next:\n  p2psip enroll-user --dir %s NAME      # a user who may enrol (password on stdin)\n"
      "  p2psip enroll-server --dir %s        # serve the configuration and enrol nodes\n"
      "  p2psip overlay verify %s/overlay.relo --root-cert %s/ca/root.pem\n",
      s.dir.c_str(), s.dir.c_str(), s.dir.c_str(), s.dir.c_str());
  return kExitOk;
}

// A JSON string literal: quotes, backslashes and control characters escaped.
std::string Json(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
      out += buffer;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

int RunVerify(const std::string& file, const std::string& root_path, bool json) {
  absl::StatusOr<std::vector<uint8_t>> root_der = config::ReadCertificateFile(root_path);
  if (!root_der.ok()) return Fail("verify", root_der.status(), kExitBadUsage);
  absl::StatusOr<crypto::Certificate> root = crypto::Certificate::FromDer(*root_der);
  if (!root.ok()) return Fail("verify", root.status(), kExitBadUsage);
  absl::StatusOr<std::string> text = config::ReadWholeFile(file);
  if (!text.ok()) return Fail("verify", text.status());
  absl::StatusOr<config::OverlayDocument> parsed = config::ParseOverlayDocument(*text);
  if (!parsed.ok()) return Fail("verify", parsed.status());
  absl::StatusOr<std::unique_ptr<core::Signer>> verifier =
      config::MakeVerifier({*root}, [] { return Now(); });
  if (!verifier.ok()) return Fail("verify", verifier.status());
  absl::StatusOr<config::DocumentSignatures> signatures =
      config::VerifyDocumentSignatures(*text, *parsed, **verifier);
  if (!signatures.ok()) return Fail("verify", signatures.status());
  std::string out = json ? "{\"ok\":true,\"configurations\":[" : "";
  for (const config::OverlayConfiguration& c : parsed->configurations) {
    bool root_listed = false;
    for (const std::vector<uint8_t>& r : c.root_certs) {
      root_listed =
          root_listed || std::equal(r.begin(), r.end(), root->der().begin(), root->der().end());
    }
    const std::string expires =
        c.expiration.has_value() ? config::Rfc3339(*c.expiration) : std::string("never");
    char line[512];
    if (json) {
      std::snprintf(line, sizeof line,
                    "%s{\"instance_name\":%s,\"sequence\":%u,\"expiration\":%s,\"root_certs\":%zu,"
                    "\"root_listed\":%s,\"kinds\":%zu,\"bootstrap_nodes\":%zu}",
                    &c == &parsed->configurations.front() ? "" : ",", Json(c.instance_name).c_str(),
                    c.sequence.value_or(0), Json(expires).c_str(), c.root_certs.size(),
                    root_listed ? "true" : "false", c.required_kinds.size(),
                    c.bootstrap_nodes.size());
    } else {
      std::snprintf(line, sizeof line,
                    "configuration %s: sequence %u, expires %s, %zu root cert(s)%s, %zu kind(s), "
                    "%zu bootstrap node(s)\n",
                    c.instance_name.c_str(), c.sequence.value_or(0), expires.c_str(),
                    c.root_certs.size(), root_listed ? " including the given root" : "",
                    c.required_kinds.size(), c.bootstrap_nodes.size());
    }
    out += line;
  }
  if (json) out += "],\"signatures\":[";
  for (const config::DocumentSignatures::Entry& e : signatures->verified) {
    if (json) {
      out += (&e == &signatures->verified.front() ? "{\"of\":" : ",{\"of\":") + Json(e.what) +
             ",\"signer\":\"" + e.signer.ToHex() + "\"}";
    } else {
      out += "  signature of " + e.what + ": valid, signer " + e.signer.ToHex() + "\n";
    }
  }
  if (json) {
    out += "]}";
  } else {
    out += "OK: " + std::to_string(signatures->verified.size()) + " signature(s) verified";
  }
  std::printf("%s\n", out.c_str());
  return kExitOk;
}

int RunBump(const std::string& dir) {
  absl::StatusOr<uint16_t> sequence = config::BumpOverlayDirectory(dir, Now());
  if (!sequence.ok()) return Fail("bump", sequence.status());
  std::printf("%s/overlay.relo: sequence %u, signed again\n", dir.c_str(), *sequence);
  return kExitOk;
}

}  // namespace

void AddOverlayCommand(CLI::App& app, Action* action) {
  CLI::App* overlay =
      app.add_subcommand("overlay", "Create, verify and update a signed overlay configuration");
  overlay->require_subcommand(1);

  auto init = std::make_shared<InitState>();
  CLI::App* init_cmd = overlay->add_subcommand(
      "init", "Create an overlay: root CA, signer, signed configuration document");
  init_cmd->add_option("name", init->name, "The overlay's instance-name")->required();
  init_cmd->add_option("--dir", init->dir, "Directory to create")->required();
  init_cmd->add_option("--bootstrap", init->bootstrap,
                       "Bootstrap node ADDR:PORT or [IPv6]:PORT (default 127.0.0.1:6084)");
  init_cmd->add_option("--enrollment-url", init->enrollment_url,
                       "Enrollment server URL (default https://127.0.0.1:6084/enroll)");
  init_cmd->add_flag("--self-signed-permitted", init->self_signed,
                     "Allow self-signed node certificates (closed networks only)");
  init_cmd->add_option("--key-type", init->key_type, "rsa (RSA-2048) or ecdsa (P-256)")
      ->check(CLI::IsMember({"rsa", "ecdsa"}));
  init_cmd
      ->add_option("--validity-days", init->validity_days,
                   "Lifetime of the CA, the signer's certificate and the document")
      ->check(CLI::Range(1, 36500));
  init_cmd
      ->add_option("--update-interval", init->update_interval_s,
                   "chord-update-interval in seconds: how soon a quiet ring notices a dead "
                   "neighbour (600)")
      ->check(CLI::Range(1, 86400));
  init_cmd
      ->add_option("--max-message-size", init->max_message_size,
                   "max-message-size in bytes (5000; a ConfigUpdate needs about 10000)")
      ->check(CLI::Range(1024, 16777215));
  init_cmd->add_flag("--force", init->force, "Write into a directory that is not empty");
  init_cmd->callback([init, action] { *action = [init] { return RunInit(*init); }; });

  struct VerifyState {
    std::string file, root;
    bool json = false;
  };
  auto verify = std::make_shared<VerifyState>();
  CLI::App* verify_cmd = overlay->add_subcommand(
      "verify", "Parse, validate and verify every signature of a configuration document");
  verify_cmd->add_option("file", verify->file, "The document (overlay.relo)")->required();
  verify_cmd->add_option("--root-cert", verify->root, "Trusted root certificate, DER or PEM")
      ->required();
  verify_cmd->add_flag("--json", verify->json, "Print one JSON object instead of text");
  verify_cmd->callback([verify, action] {
    *action = [verify] { return RunVerify(verify->file, verify->root, verify->json); };
  });

  auto bump = std::make_shared<std::string>();
  CLI::App* bump_cmd = overlay->add_subcommand(
      "bump", "Give DIR/overlay.relo the next sequence number and sign it again");
  bump_cmd->add_option("--dir", *bump, "The overlay directory")->required();
  bump_cmd->callback([bump, action] { *action = [bump] { return RunBump(*bump); }; });
}

}  // namespace p2psip::cli

#include "cli/client_session.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "core/certificate_signer.h"
#include "p2psip/crypto/certificate.h"
#include "p2psip/runtime/crypto_random.h"
#include "port/kernel/sockaddr.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace p2psip::cli {
namespace {

// The local address the kernel would send from toward `to` (a connected UDP socket's name):
// the address the client tells its peer in its Attach.
absl::StatusOr<port::Endpoint> LocalAddressToward(const port::Endpoint& to) {
  const int fd = socket(to.family == port::Endpoint::Family::kIpv6 ? AF_INET6 : AF_INET,
                        SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_storage ss{};
  socklen_t len = port::kernel::ToSockaddr(to, &ss);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0;
  len = sizeof(ss);
  ok = ok && getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0;
  const int saved = errno;
  close(fd);
  std::optional<port::Endpoint> local = ok ? port::kernel::FromSockaddr(ss, len) : std::nullopt;
  if (!local.has_value()) {
    return absl::UnavailableError(
        absl::StrCat("no route to ", to.ToString(), ": ", std::strerror(saved)));
  }
  local->port = 0;
  return *local;
}

std::string IdentityDir(const std::string& state_dir) {
  const std::string client = state_dir + "/client";
  std::error_code ec;
  return std::filesystem::exists(client + "/node/cert.der", ec) ? client : state_dir;
}

// A handshake that failed for good: our check of the peer's certificate (its chain, its
// Node-ID) or the peer's alert refusing ours. Timeouts and unreachable peers are worth waiting
// for: the peer may be starting.
bool IsRefusal(const absl::Status& s) {
  if (s.ok()) return false;
  if (crypto::CertificateErrorOf(s).has_value()) return true;
  switch (s.code()) {
    case absl::StatusCode::kAborted:           // the peer's fatal alert
    case absl::StatusCode::kPermissionDenied:  // not the Node-ID we meant to reach
    case absl::StatusCode::kUnauthenticated:   // no certificate
      return true;
    default:
      return false;
  }
}

}  // namespace

void AddClientOptions(CLI::App& app, ClientOptions* o) {
  app.add_option("--state-dir", o->state_dir,
                 "Identity to use: DIR/client if it exists (p2psipd's operator identity), "
                 "else DIR (as `p2psip enroll --out DIR` writes it)")
      ->capture_default_str();
  app.add_option("--via", o->via,
                 "ADDR:PORT of the peer to speak RELOAD to (default: the overlay's bootstrap "
                 "nodes)");
  app.add_option("--timeout", o->timeout_s, "Seconds to wait for the overlay")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  app.add_flag("--json", o->json, "Print JSON instead of text");
  app.add_option("--log-level", o->log_level, "The client node's log: trace ... off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
}

absl::StatusOr<std::unique_ptr<ClientSession>> ClientSession::Open(const ClientOptions& o) {
  // The client node's log goes to stderr: stdout is the command's output (JSON with --json),
  // and spdlog's default logger writes to stdout.
  if (spdlog::get("p2psip") == nullptr) {
    spdlog::set_default_logger(spdlog::stderr_color_mt("p2psip"));
  }
  spdlog::set_level(spdlog::level::from_str(o.log_level));
  const runtime::Clock clock;
  absl::StatusOr<runtime::NodeIdentity> identity =
      runtime::NodeIdentity::Load(IdentityDir(o.state_dir), "", clock.NowS());
  if (!identity.ok()) return identity.status();
  port::Endpoint via;
  if (!o.via.empty()) {
    std::optional<port::Endpoint> parsed = port::Endpoint::Parse(o.via, 6084);
    if (!parsed.has_value())
      return absl::InvalidArgumentError("--via " + o.via + ": not ADDR:PORT");
    via = *parsed;
  } else if (!identity->configuration().bootstrap_nodes.empty()) {
    std::optional<port::Endpoint> first =
        port::Endpoint::FromWire(identity->configuration().bootstrap_nodes.front().endpoint);
    if (!first.has_value()) return absl::InvalidArgumentError("the overlay's bootstrap node");
    via = *first;
  } else {
    return absl::InvalidArgumentError("no --via and the overlay names no bootstrap node");
  }
  auto session =
      std::unique_ptr<ClientSession>(new ClientSession(*std::move(identity), o.timeout_s));
  if (absl::Status s = session->Attach(via); !s.ok()) return s;
  return session;
}

absl::Status ClientSession::Attach(const port::Endpoint& via) {
  absl::StatusOr<port::Endpoint> local = LocalAddressToward(via);
  if (!local.ok()) return local.status();
  port::UdpPortOptions port_options;
  port_options.bind = *local;
  port_options.rx_buffer_size = 20000;
  absl::StatusOr<std::unique_ptr<port::UdpPort>> port = port::UdpPort::Create(port_options);
  if (!port.ok()) return port.status();
  port_ = *std::move(port);
  absl::StatusOr<std::shared_ptr<const link::SecureContext>> context =
      identity_.MakeSecureContext({});
  if (!context.ok()) return context.status();
  absl::StatusOr<std::unique_ptr<core::CertificateSigner>> signer =
      identity_.MakeSigner([this] { return clock_.NowS(); });
  if (!signer.ok()) return signer.status();

  core::NodeConfig config = identity_.NodeConfigFor();
  config.client = true;
  // The tool speaks to the --via peer: its requests enter the overlay there, and no route
  // doubles back through another peer of the client's.
  config.client_through_bootstrap = true;
  config.address = port_->local_endpoint().ToWire();
  config.bootstrap = {via.ToWire()};
  runtime::LinkManagerOptions links;
  links.context = *context;
  links.accept_inbound = true;  // the responsible peer the client attaches to may dial back
  loop_ = std::make_unique<runtime::NodeLoop>(config, *std::move(signer),
                                              std::make_unique<runtime::CryptoRandom>(),
                                              port_.get(), links, &clock_);
  loop_->SetResultHandler([this](core::Outbox::Result r) { results_.push_back(std::move(r)); });
  loop_->Start();
  const uint64_t until = clock_.NowUs() + timeout_us_;
  while (clock_.NowUs() < until) {
    loop_->RunOnce(20);
    if (via_peer_.empty()) {
      for (const runtime::LinkInfo& l : loop_->links().Links()) {
        if (l.up && l.remote == via) via_peer_ = l.peer;
      }
    }
    if (loop_->node().joined() && !via_peer_.empty()) return absl::OkStatus();
    // A certificate refused, by us or by the peer, is refused again on every retry: say so now
    // rather than when the timeout runs out.
    if (via_peer_.empty() && IsRefusal(loop_->last_link_failure())) break;
  }
  if (!loop_->last_link_failure().ok() && via_peer_.empty()) {
    return absl::UnavailableError(absl::StrCat("no link to ", via.ToString(), ": ",
                                               std::string(loop_->last_link_failure().message())));
  }
  if (via_peer_.empty()) {
    return absl::UnavailableError(absl::StrCat("no answer from ", via.ToString(), " within ",
                                               timeout_us_ / 1000000.0,
                                               " s (is p2psipd running there?)"));
  }
  return absl::UnavailableError(absl::StrCat("linked to ", via.ToString(),
                                             " but not attached to the overlay within ",
                                             timeout_us_ / 1000000.0, " s"));
}

ClientSession::~ClientSession() {
  if (loop_ != nullptr) loop_->CloseLinks();
}

absl::StatusOr<core::Outbox::Result> ClientSession::Run(const Request& request) {
  const uint64_t id = loop_->Call(request);
  const uint64_t until = clock_.NowUs() + timeout_us_;
  while (true) {
    for (size_t i = 0; i < results_.size(); ++i) {
      if (results_[i].request_id != id) continue;
      core::Outbox::Result r = std::move(results_[i]);
      results_.erase(results_.begin() + static_cast<std::ptrdiff_t>(i));
      return r;
    }
    if (clock_.NowUs() >= until) break;
    loop_->RunOnce(20);
  }
  return absl::DeadlineExceededError(
      absl::StrCat("no answer within ", timeout_us_ / 1000000.0, " s"));
}

}  // namespace p2psip::cli

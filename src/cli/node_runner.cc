#include "cli/node_runner.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/fast_path.h"
#include "cli/password.h"
#include "core/certificate_signer.h"
#include "p2psip/bootstrap/file_util.h"
#include "p2psip/bootstrap/server_directory.h"
#include "p2psip/config/configuration_keeper.h"
#include "p2psip/runtime/clock.h"
#include "p2psip/runtime/crypto_random.h"
#include "p2psip/runtime/identity.h"
#include "p2psip/runtime/node_runtime.h"
#include "p2psip/runtime/runtime_stats.h"
#include "p2psip/runtime/state_directory.h"
#include "p2psip/runtime/stats_provider.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace p2psip::cli {
namespace {

int Fail(const std::string& why, int code = kExitFailure) {
  std::fprintf(stderr, "p2psipd: %s\n", why.c_str());
  return code;
}

std::string Message(const absl::Status& s) { return std::string(s.message()); }

void SetUpLogging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("p2psipd");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

// Prepares STATE on the first run: a new standalone overlay, or an enrollment with --join.
absl::Status Prepare(const DaemonOptions& o, const runtime::StateDirectory& state,
                     const port::Endpoint& listen, const runtime::Clock& clock) {
  if (state.HasIdentity()) return absl::OkStatus();
  if (!o.join.empty()) {
    if (o.root_cert.empty() || o.user.empty()) {
      return absl::InvalidArgumentError("--join needs --root-cert and --user on the first run");
    }
    absl::StatusOr<std::string> password = ReadPassword(o.password_file);
    if (!password.ok()) return password.status();
    spdlog::info("enrolling {} with {}", o.user, o.join);
    return runtime::EnrollInto(state, {.bootstrap = o.join,
                                       .root_cert = o.root_cert,
                                       .user = o.user,
                                       .password = *password,
                                       .timeout = absl::Seconds(o.join_timeout_s),
                                       .now_s = clock.NowS()});
  }
  absl::StatusOr<runtime::CreatedOverlay> created =
      runtime::CreateStandaloneOverlay(state, {.overlay_name = o.overlay_name,
                                               .listen = listen,
                                               .update_interval_s = o.update_interval_s,
                                               .now_s = clock.NowS()});
  if (!created.ok()) return created.status();
  spdlog::info("created overlay {} in {}", created->overlay_name, state.Overlay());
  return absl::OkStatus();
}

// Adopts through the keeper and hands every adopted configuration to the workers' Nodes too.
class BroadcastingAuthority final : public core::ConfigurationAuthority {
 public:
  BroadcastingAuthority(config::ConfigurationKeeper* keeper, runtime::ControlPlane* control)
      : keeper_(keeper), control_(control) {}
  core::ConfigurationDecision OnConfigUpdate(const wire::ConfigUpdateReq& request) override {
    core::ConfigurationDecision d = keeper_->OnConfigUpdate(request);
    if (d.verdict == core::ConfigurationDecision::Verdict::kAdopt) {
      spdlog::info("configuration sequence {} adopted", d.sequence);
      control_->BroadcastConfiguration(std::make_shared<const core::ConfigurationDecision>(d));
    } else {
      spdlog::warn("configuration update refused: {}", d.reason);
    }
    return d;
  }

 private:
  config::ConfigurationKeeper* keeper_;
  runtime::ControlPlane* control_;
};

void PrintBanner(const std::string& role, const runtime::NodeIdentity& id,
                 const runtime::StateDirectory& state, const port::Endpoint& listen, bool bootstrap,
                 unsigned cores) {
  const std::string& name = id.configuration().instance_name;
  std::printf("p2psipd: node %s of overlay %s on udp %s (role %s, %u worker%s)\n",
              id.node_id().ToHex().c_str(), name.c_str(), listen.ToString().c_str(), role.c_str(),
              cores, cores == 1 ? "" : "s");
  std::printf("  configuration: %s/overlay.relo\n", state.dir.c_str());
  if (bootstrap) {
    std::printf(
        "  serving it at https://%s/.well-known/reload-config, enrollment at https://%s/enroll\n"
        "To add a node to this overlay (one user per node; the password is asked on stdin):\n"
        "  p2psip enroll-user --dir %s NAME@%s\n"
        "  p2psipd --state-dir DIR --listen ADDR:PORT --join %s --root-cert %s --user NAME@%s\n"
        "To query it from this machine:\n"
        "  p2psip --state-dir %s stats\n",
        listen.ToString().c_str(), listen.ToString().c_str(), state.Overlay().c_str(), name.c_str(),
        listen.ToString().c_str(), state.RootPem().c_str(), name.c_str(), state.dir.c_str());
  }
  std::fflush(stdout);
}

}  // namespace

int RunDaemon(const DaemonOptions& o, const std::atomic<int>& stop_signal) {
  SetUpLogging(o.log_level);
  const std::optional<port::Endpoint> listen = port::Endpoint::Parse(o.listen, 6084);
  if (!listen.has_value()) return Fail("--listen " + o.listen + ": not ADDR:PORT", kExitBadUsage);
  const port::Endpoint any{};
  if (listen->address == any.address) {
    return Fail("--listen must name an address other nodes can reach, not a wildcard",
                kExitBadUsage);
  }
  const runtime::Clock clock;
  const uint64_t start_ms = clock.NowMs();
  const runtime::StateDirectory state{o.state_dir};
  // The ports first: with DPDK, the node's address (and the HTTPS of --join) reaches the
  // kernel only once the exception path is up.
  absl::StatusOr<FastPath> fast_path = OpenFastPath(o, *listen);
  if (!fast_path.ok()) {
    return Fail(Message(fast_path.status()),
                fast_path.status().code() == absl::StatusCode::kInvalidArgument ? kExitBadUsage
                                                                                : kExitFailure);
  }
  spdlog::info("fast path: {}", fast_path->description);
  {
    PortPump pump(fast_path->ports);
    if (absl::Status s = Prepare(o, state, *listen, clock); !s.ok()) return Fail(Message(s));
  }
  absl::StatusOr<runtime::NodeIdentity> identity =
      runtime::NodeIdentity::Load(state.dir, "", clock.NowS());
  if (!identity.ok()) return Fail(Message(identity.status()));
  const std::string role = !o.role.empty() ? o.role : state.HasOverlay() ? "bootstrap" : "peer";
  const bool bootstrap = role == "bootstrap";
  if (bootstrap && !state.HasOverlay()) {
    return Fail("role bootstrap needs the overlay directory " + state.Overlay(), kExitBadUsage);
  }

  // The slow-path services first: a bootstrap node serves the configuration and enrollment.
  std::unique_ptr<bootstrap::EnrollmentServer> https;
  if (bootstrap) {
    std::string host = listen->ToString();
    host = host.substr(0, host.rfind(':'));
    if (host.front() == '[') host = host.substr(1, host.size() - 2);
    absl::StatusOr<std::unique_ptr<bootstrap::EnrollmentServer>> server =
        bootstrap::EnrollmentServer::Start(
            {.dir = state.Overlay(),
             .listen_address = host,
             .port = listen->port,
             .on_enroll = [](const bootstrap::EnrollmentResult& r) {
               if (r.outcome == bootstrap::EnrollmentOutcome::kIssued) {
                 spdlog::info("enrolled {}", r.user);
               } else {
                 spdlog::warn("enrollment refused for {}: {}", r.user.empty() ? "-" : r.user,
                              r.detail);
               }
             }});
    if (!server.ok()) return Fail("HTTPS service: " + Message(server.status()));
    https = *std::move(server);
  }

  link::SecureContextOptions tls;
  tls.key_log_path = o.key_log;
  if (tls.key_log_path.empty() && std::getenv("SSLKEYLOGFILE") != nullptr) {
    tls.key_log_path = std::getenv("SSLKEYLOGFILE");
  }
  absl::StatusOr<std::shared_ptr<const link::SecureContext>> context =
      identity->MakeSecureContext(tls);
  if (!context.ok()) return Fail("DTLS: " + Message(context.status()));

  runtime::NodeRuntimeOptions options;
  if (!o.tls_listen.empty()) {
    std::optional<port::Endpoint> tls_at = port::Endpoint::Parse(o.tls_listen);
    if (!tls_at.has_value() || tls_at->port == 0 || tls_at->address == port::Endpoint{}.address) {
      return Fail("--tls-listen " + o.tls_listen + ": not ADDR:PORT with a reachable address",
                  kExitBadUsage);
    }
    link::SecureContextOptions stream = tls;
    stream.transport = link::SecureTransport::kStream;
    absl::StatusOr<std::shared_ptr<const link::SecureContext>> tls_context =
        identity->MakeSecureContext(stream);
    if (!tls_context.ok()) return Fail("TLS: " + Message(tls_context.status()));
    options.tls_listen = *tls_at;
    options.stream_links.context = *tls_context;
    options.stream_links.framing.mode = link::LinkMode::kStream;
    options.stream_links.accept_inbound = role != "client";
  } else if (o.prefer_tls) {
    return Fail("--prefer-tls needs --tls-listen", kExitBadUsage);
  }
  options.ports = std::move(fast_path->ports);
  options.worker.poll_nap_us = o.poll_nap_us;
  options.config = identity->NodeConfigFor();
  options.config.address = listen->ToWire();
  options.config.client = role == "client";
  options.config.first_node = bootstrap;
  options.config.prefer_tls = o.prefer_tls;
  options.links.context = *context;
  options.links.accept_inbound = !options.config.client;
  options.make_signer = [&identity, &clock]() -> absl::StatusOr<std::unique_ptr<core::Signer>> {
    absl::StatusOr<std::unique_ptr<core::CertificateSigner>> signer =
        identity->MakeSigner([&clock] { return clock.NowS(); });
    if (!signer.ok()) return signer.status();
    return std::unique_ptr<core::Signer>(*std::move(signer));
  };
  options.make_random = [](uint32_t) { return std::make_unique<runtime::CryptoRandom>(); };
  const size_t max_message_size = options.config.max_message_size;
  const std::optional<port::Endpoint> options_tls_listen = options.tls_listen;
  absl::StatusOr<std::unique_ptr<runtime::NodeRuntime>> created =
      runtime::NodeRuntime::Create(std::move(options), &clock);
  if (!created.ok()) return Fail("runtime: " + Message(created.status()));
  runtime::NodeRuntime& rt = **created;

  // ConfigUpdate: decided by the keeper on the control thread, carried out by every part.
  absl::StatusOr<std::unique_ptr<config::ConfigurationKeeper>> keeper =
      config::ConfigurationKeeper::Create(
          identity->document(), identity->configuration().instance_name, &rt.control().signer());
  if (!keeper.ok()) return Fail("configuration: " + Message(keeper.status()));
  BroadcastingAuthority authority(keeper->get(), &rt.control());
  rt.control().node().SetConfigurationAuthority(&authority);
  // `p2psip stats`: RFC 7851 diagnostics with the node statistics document.
  const size_t stats_budget = runtime::NodeStatsBudget(max_message_size);
  const auto stats_document = [&] {
    return runtime::RuntimeStatsJson(rt, {role, *listen, start_ms, clock.NowMs()}, stats_budget);
  };
  runtime::StatsProvider stats(stats_document, start_ms, stats_budget);
  stats.set_kind_source([&rt](uint16_t kind) { return runtime::RuntimeStorageInfo(rt, kind); });
  rt.control().node().SetDiagnosticsProvider(&stats);

  PrintBanner(role, *identity, state, *listen, bootstrap, o.cores);
  if (options_tls_listen.has_value()) {
    std::printf("  RELOAD over TLS/TCP on %s%s\n", options_tls_listen->ToString().c_str(),
                o.prefer_tls ? " (preferred)" : "");
    std::fflush(stdout);
  }
  rt.Start();
  uint64_t next_publish_ms = 0;
  while (stop_signal.load() == 0) {
    rt.RunOnce(200);
    if (fast_path->publish_stats && clock.NowMs() >= next_publish_ms) {
      fast_path->publish_stats(
          runtime::RuntimeStatsValue(rt, {role, *listen, start_ms, clock.NowMs()}));
      next_publish_ms = clock.NowMs() + 500;
    }
  }

  spdlog::info("signal {}: leaving the overlay", stop_signal.load());
  // Hand the data over (answers awaited up to 3 s), send Leave, let both be acknowledged.
  rt.Leave(3'000'000, 1'000'000);
  rt.Stop();
  if (https != nullptr) https->Stop();
  spdlog::info("left; exiting");
  return kExitOk;
}

}  // namespace p2psip::cli

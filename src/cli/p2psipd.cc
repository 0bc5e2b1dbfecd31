// p2psipd: the RELOAD overlay node (DESIGN.md §7).
//
//   p2psipd                          a standalone bootstrap node of a new local overlay in
//                                    ./p2psip-state (created on the first run, reused after)
//   p2psipd --join HOST:PORT --root-cert FILE --user NAME [--password-file F] [--state-dir D]
//                                    enrolls with that bootstrap node and joins its overlay
//   p2psipd --config FILE            every option below, from a TOML file
//
// SIGTERM or SIGINT: the node leaves the overlay (its data handed to its neighbours) and exits 0.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/daemon_options.h"
#include "cli/node_runner.h"
#include "spdlog/spdlog.h"

namespace {

std::atomic<int> g_signal{0};

void OnSignal(int signal_number) { g_signal.store(signal_number); }

void InstallSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: poll() returns EINTR and the loop sees the flag
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

}  // namespace

int main(int argc, char** argv) {
  p2psip::cli::DaemonOptions options;
  CLI::App app{
      "p2psipd: a RELOAD (RFC 6940) overlay node with CHORD-RELOAD, storage and the SIP usage.\n"
      "With no arguments it starts a standalone bootstrap node of a new local overlay in\n"
      "./p2psip-state and prints how to join it.",
      "p2psipd"};
  p2psip::cli::AddDaemonOptions(app, &options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "p2psipd: %s (see --help)\n", e.what());
    return p2psip::cli::kExitBadUsage;
  }
  InstallSignalHandlers();
  return p2psip::cli::RunDaemon(options, g_signal);
}

// p2psip: the client and admin tool (DESIGN.md §7). Each subcommand lives in its own file and
// registers itself through cli/commands.h; this file parses and runs the one chosen.
//
// Exit status 0 on success; non-zero with a one-line reason on stderr otherwise (2 for bad
// arguments).
#include <cstdio>

#include "CLI/CLI.hpp"
#include "cli/client_session.h"
#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"p2psip: client, admin and simulation tool for RELOAD (RFC 6940) overlays"};
  app.require_subcommand(1);
  p2psip::cli::Action action;
  p2psip::cli::AddSimCommand(app, &action);
  // --- commands added by other modules go below, one line each ---
  p2psip::cli::AddEnrollCommands(app, &action);
  p2psip::cli::AddOverlayCommand(app, &action);
  // The overlay commands share the global client flags.
  p2psip::cli::ClientOptions client;
  p2psip::cli::AddClientOptions(app, &client);
  app.fallthrough();
  p2psip::cli::AddSipCommands(app, &client, &action);
  p2psip::cli::AddDataCommands(app, &client, &action);
  p2psip::cli::AddDiagCommands(app, &client, &action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "p2psip: %s (see --help)\n", e.what());
    return p2psip::cli::kExitBadUsage;
  }
  return action ? action() : p2psip::cli::kExitOk;
}

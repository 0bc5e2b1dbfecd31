// The subcommands of `p2psip` (DESIGN.md §7). Each Add*Command registers its subcommand (or
// subcommands) on the CLI11 app; when one of them is chosen on the command line, its parse
// callback stores in *action the work to do, which main() runs after parsing succeeded. An
// action returns the exit status: 0 on success, non-zero with a one-line reason on stderr.
#ifndef P2PSIP_CLI_COMMANDS_H_
#define P2PSIP_CLI_COMMANDS_H_

#include <functional>

#include "CLI/CLI.hpp"

namespace p2psip::cli {

using Action = std::function<int()>;

// Exit statuses shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   // the work failed (unreachable, rejected, I/O error)
inline constexpr int kExitBadUsage = 2;  // bad arguments or bad input files

void AddSimCommand(CLI::App& app, Action* action);
// --- commands added by other modules go below, one line each ---
void AddEnrollCommands(CLI::App& app, Action* action);  // enroll, enroll-server, enroll-user
void AddOverlayCommand(CLI::App& app, Action* action);

// Commands that speak RELOAD to an overlay as a client node (cli/client_session.h); `options`
// are the global flags (--state-dir, --via, --timeout, --json), filled in before the action runs.
struct ClientOptions;
void AddSipCommands(CLI::App& app, const ClientOptions* options, Action* action);  // sip
void AddDataCommands(CLI::App& app, const ClientOptions* options, Action* action);  // store...
void AddDiagCommands(CLI::App& app, const ClientOptions* options, Action* action);  // stats..

}  // namespace p2psip::cli

#endif  // P2PSIP_CLI_COMMANDS_H_

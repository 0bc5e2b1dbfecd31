// What p2psipd runs: the state directory prepared (created, or enrolled with --join), the
// identity loaded, the node started on the kernel socket port, and its loop until a signal.
#ifndef P2PSIP_CLI_NODE_RUNNER_H_
#define P2PSIP_CLI_NODE_RUNNER_H_

#include <atomic>

#include "cli/daemon_options.h"

namespace p2psip::cli {

// Returns the exit status: 0 after a graceful leave, non-zero (with a one-line reason on
// stderr) when the node cannot start.
int RunDaemon(const DaemonOptions& options, const std::atomic<int>& stop_signal);

}  // namespace p2psip::cli

#endif  // P2PSIP_CLI_NODE_RUNNER_H_

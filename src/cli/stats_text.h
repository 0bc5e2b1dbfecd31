// The text form of `p2psip stats`: a readable summary of a node statistics document
// (cli/node_stats_json.h) and of the standard RFC 7851 kinds that came with it. The document
// comes from the network: a member of the wrong type is shown as missing, never trusted.
#ifndef P2PSIP_CLI_STATS_TEXT_H_
#define P2PSIP_CLI_STATS_TEXT_H_

#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "p2psip/wire/diagnostics.h"

namespace p2psip::cli {

// The summary, lines ending in '\n': identity, ring neighbours, links table, storage counts,
// the counters that are not zero, one line per core, then the standard kinds in `info`.
// `document` may be null (the node sent no p2psip statistics): only `info` is shown.
std::string StatsText(const nlohmann::json& document,
                      const std::vector<wire::DiagnosticInfo>& info);

}  // namespace p2psip::cli

#endif  // P2PSIP_CLI_STATS_TEXT_H_

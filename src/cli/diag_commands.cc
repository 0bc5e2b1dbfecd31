// RFC 7851 overlay diagnostics from the command line, sent as a client node
// (cli/client_session.h):
//
//   p2psip stats [NODE-ID]                      a node's statistics (default: the --via peer)
//   p2psip trace RESOURCE [--kind K]            the path of a lookup of RESOURCE, hop by hop
//   p2psip trace --node NODE-ID                 ... of a message to NODE-ID
//
// stats is a Diagnostic_Ping asking for the cheap standard kinds and p2psip's node statistics
// document (kind kDiagP2psipNodeStats, cli/node_stats_json.h); --json prints that document as
// the node sent it (pretty), text a summary (cli/stats_text.h).
//
// trace is RFC 7851 §4.3's iteration: a PathTrack asks the client's peer for its next hop
// toward the target, then a PathTrack source-routed through the hops found so far asks that
// hop, until a peer names itself (it is responsible for the target). RESOURCE is a resource
// name hashed as the other commands hash it (a SIP AOR loses its sip:/sips: scheme, as in
// `p2psip sip`); --kind only checks that the overlay knows the kind the name is meant for (a
// Resource-ID does not depend on the kind). At most the overlay's initial TTL hops are asked
// for, and a peer that appears twice (a routing loop) ends the trace with an error.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/client_session.h"
#include "cli/commands.h"
#include "cli/stats_text.h"
#include "nlohmann/json.hpp"
#include "p2psip/core/diagnostics.h"
#include "p2psip/wire/diagnostics.h"
#include "p2psip/wire/hashes.h"

namespace p2psip::cli {
namespace {

using nlohmann::json;
using wire::DmFlagFor;

// The standard kinds `stats` asks for: those a node answers from counters it keeps (not
// INSTANCES_STORED / DATASIZE_STORED, which walk the storage).
constexpr uint64_t kStatsKinds =
    DmFlagFor(wire::kDiagStatusInfo) | DmFlagFor(wire::kDiagRoutingTableSize) |
    DmFlagFor(wire::kDiagSoftwareVersion) | DmFlagFor(wire::kDiagAppUptime) |
    DmFlagFor(wire::kDiagMemoryFootprint) | DmFlagFor(wire::kDiagMessagesSentRcvd);
// What each trace hop reports beside its next hop.
constexpr uint64_t kTraceKinds =
    DmFlagFor(wire::kDiagStatusInfo) | DmFlagFor(wire::kDiagRoutingTableSize);

struct DiagArgs {
  std::string command;
  std::string node;      // stats: NODE-ID; trace: --node
  std::string resource;  // trace
  std::string kind;      // trace --kind
};

int Fail(const DiagArgs& a, const absl::Status& status, int code = kExitFailure) {
  std::fprintf(stderr, "p2psip %s: %s\n", a.command.c_str(), std::string(status.message()).c_str());
  return code;
}

absl::StatusOr<NodeId> ParseNodeId(const std::string& hex) {
  std::optional<NodeId> id = NodeId::FromHex(hex);
  if (!id.has_value()) return absl::InvalidArgumentError(hex + " is not a Node-ID in hex");
  return *id;
}

int RunStats(ClientSession& s, const DiagArgs& a, bool as_json) {
  NodeId target = s.via_peer();
  if (!a.node.empty()) {
    absl::StatusOr<NodeId> id = ParseNodeId(a.node);
    if (!id.ok()) return Fail(a, id.status(), kExitBadUsage);
    target = *id;
  }
  absl::StatusOr<core::Outbox::Result> r =
      s.Run([&](core::Node& node, uint64_t now, core::Outbox* out) {
        std::vector<wire::Destination> path = {wire::Destination::Node(s.via_peer())};
        if (target != s.via_peer()) path.push_back(wire::Destination::Node(target));
        return node.Diagnose(std::move(path), kStatsKinds, {core::kDiagP2psipNodeStats}, now, out);
      });
  if (!r.ok()) return Fail(a, r.status());
  if (!r->status.ok()) return Fail(a, r->status);
  absl::StatusOr<wire::DiagnosticsResponse> response = core::DecodeDiagnosticPingAnswer(r->body);
  if (!response.ok()) return Fail(a, response.status());
  json document;  // null until the node's statistics are found
  for (const wire::DiagnosticInfo& info : response->info) {
    if (info.kind != core::kDiagP2psipNodeStats) continue;
    document = json::parse(info.raw.begin(), info.raw.end(), nullptr, /*allow_exceptions=*/false);
    if (document.is_discarded() || !document.is_object()) {
      return Fail(a, absl::DataLossError(absl::StrCat("the statistics of ", r->responder.ToHex(),
                                                      " are not a JSON object")));
    }
    if (document.contains("error") && !document.contains("node_id")) {
      return Fail(a, absl::ResourceExhaustedError(
                         absl::StrCat(r->responder.ToHex(), ": ", document["error"].dump(), " (",
                                      document.value("bytes", 0), " bytes)")));
    }
  }
  if (as_json) {
    if (document.is_null()) {
      return Fail(a, absl::UnimplementedError(absl::StrCat(
                         r->responder.ToHex(), " answered without p2psip node statistics")));
    }
    std::printf("%s\n", document.dump(2).c_str());
    return kExitOk;
  }
  std::printf("%s", StatsText(document, response->info).c_str());
  if (document.is_null()) {
    return Fail(
        a, absl::UnimplementedError(absl::StrCat(
               r->responder.ToHex(), " sent only the standard diagnostics above (not p2psipd?)")));
  }
  return kExitOk;
}

// One answered PathTrack of a trace.
struct Hop {
  NodeId node;
  NodeId next_hop;
  int hops = 0;  // forwarding peers the answer crossed (Outbox::Result::hops)
  double rtt_ms = 0;
  std::optional<uint64_t> routing_table_size;
};

int PrintTrace(const DiagArgs& a, const std::string& target, const std::vector<Hop>& path,
               bool as_json) {
  const NodeId& responsible = path.back().node;
  if (as_json) {
    json hops = json::array();
    for (const Hop& h : path) {
      json j = {{"node", h.node.ToHex()},
                {"next_hop", h.next_hop.ToHex()},
                {"hops", h.hops},
                {"rtt_ms", h.rtt_ms}};
      if (h.routing_table_size) j["routing_table_size"] = *h.routing_table_size;
      hops.push_back(std::move(j));
    }
    json j = {{"target", target}, {"hops", hops}, {"responsible", responsible.ToHex()}};
    if (!a.resource.empty()) j["resource"] = a.resource;
    std::printf("%s\n", j.dump().c_str());
    return kExitOk;
  }
  std::printf("trace to %s%s\n", target.c_str(),
              a.resource.empty() ? "" : absl::StrCat(" (", a.resource, ")").c_str());
  for (size_t i = 0; i < path.size(); ++i) {
    std::string table = path[i].routing_table_size
                            ? absl::StrCat(", routing table ", *path[i].routing_table_size)
                            : "";
    std::printf("  %2zu  %s  %.2f ms%s\n", i + 1, path[i].node.ToHex().c_str(), path[i].rtt_ms,
                table.c_str());
  }
  std::printf("responsible peer %s, %zu hop%s from this client\n", responsible.ToHex().c_str(),
              path.size(), path.size() == 1 ? "" : "s");
  return kExitOk;
}

int RunTrace(ClientSession& s, const DiagArgs& a, bool as_json) {
  if (!a.kind.empty() && s.node().kinds().FindByName(a.kind) == nullptr) {
    uint32_t id = 0;
    if (!(absl::SimpleAtoi(a.kind, &id) || absl::SimpleHexAtoi(a.kind, &id)) ||
        s.node().kinds().Find(id) == nullptr) {
      return Fail(
          a, absl::NotFoundError(absl::StrCat("unknown kind \"", a.kind, "\" in this overlay")),
          kExitBadUsage);
    }
  }
  wire::Destination target;
  std::string target_hex;
  if (!a.node.empty()) {
    absl::StatusOr<NodeId> id = ParseNodeId(a.node);
    if (!id.ok()) return Fail(a, id.status(), kExitBadUsage);
    target = wire::Destination::Node(*id);
    target_hex = id->ToHex();
  } else {
    std::string name = a.resource;
    for (const char* scheme : {"sip:", "sips:"}) {
      if (name.rfind(scheme, 0) == 0) name = name.substr(std::string(scheme).size());
    }
    const ResourceId resource = wire::ChordResourceId(name);
    target = wire::Destination::Resource(resource);
    target_hex = resource.ToHex();
  }
  std::vector<wire::Destination> route = {wire::Destination::Node(s.via_peer())};
  std::vector<Hop> path;
  const int limit = s.node().config().initial_ttl;
  while (true) {
    const uint64_t sent_us = s.clock().NowUs();
    absl::StatusOr<core::Outbox::Result> r =
        s.Run([&](core::Node& node, uint64_t now, core::Outbox* out) {
          return node.PathTrack(target, route, kTraceKinds, now, out);
        });
    const NodeId asked = route.back().node_id();
    if (!r.ok() || !r->status.ok()) {
      const absl::Status& why = r.ok() ? r->status : r.status();
      return Fail(a, absl::Status(why.code(), absl::StrCat("hop ", route.size(), " (",
                                                           asked.ToHex(), "): ", why.message())));
    }
    absl::StatusOr<wire::PathTrackAns> answer = core::DecodePathTrackAnswer(r->body);
    if (!answer.ok()) return Fail(a, answer.status());
    if (!answer->next_hop.is_node()) {
      return Fail(a, absl::DataLossError(asked.ToHex() + " named no Node-ID as its next hop"));
    }
    Hop hop{r->responder, answer->next_hop.node_id(), r->hops,
            static_cast<double>(s.clock().NowUs() - sent_us) / 1000.0, std::nullopt};
    for (const wire::DiagnosticInfo& info : answer->response.info) {
      if (info.kind == wire::kDiagRoutingTableSize) hop.routing_table_size = info.scalar;
    }
    path.push_back(hop);
    if (hop.next_hop == hop.node) return PrintTrace(a, target_hex, path, as_json);
    const bool seen =
        std::any_of(path.begin(), path.end(), [&](const Hop& h) { return h.node == hop.next_hop; });
    if (seen || hop.next_hop == s.identity().node_id()) {
      return Fail(
          a, absl::AbortedError(absl::StrCat("routing loop: ", hop.node.ToHex(), " sends on to ",
                                             hop.next_hop.ToHex(), ", already on the path")));
    }
    if (static_cast<int>(path.size()) >= limit) {
      return Fail(a, absl::DeadlineExceededError(absl::StrCat("no responsible peer within ", limit,
                                                              " hops (the initial TTL)")));
    }
    route.push_back(wire::Destination::Node(hop.next_hop));
  }
}

int Run(const ClientOptions& o, const DiagArgs& a) {
  // Bad arguments fail before any network work.
  if (a.command == "trace" && a.resource.empty() == a.node.empty()) {
    return Fail(a, absl::InvalidArgumentError("give a RESOURCE or --node NODE-ID (one of them)"),
                kExitBadUsage);
  }
  if (!a.node.empty() && !NodeId::FromHex(a.node).has_value()) {
    return Fail(a, absl::InvalidArgumentError(a.node + " is not a Node-ID in hex"), kExitBadUsage);
  }
  absl::StatusOr<std::unique_ptr<ClientSession>> session = ClientSession::Open(o);
  if (!session.ok()) return Fail(a, session.status());
  if (a.command == "stats") return RunStats(**session, a, o.json);
  return RunTrace(**session, a, o.json);
}

}  // namespace

void AddDiagCommands(CLI::App& app, const ClientOptions* options, Action* action) {
  auto stats = std::make_shared<DiagArgs>();
  stats->command = "stats";
  CLI::App* c = app.add_subcommand(
      "stats", "A node's statistics: identity, ring, links, storage, counters (RFC 7851)");
  c->add_option("node", stats->node, "Node-ID in hex (default: the --via peer)");
  c->callback(
      [stats, options, action] { *action = [stats, options] { return Run(*options, *stats); }; });

  auto trace = std::make_shared<DiagArgs>();
  trace->command = "trace";
  c = app.add_subcommand("trace", "The peers a lookup passes through, hop by hop (RFC 7851)");
  c->add_option("resource", trace->resource, "Resource name or SIP AOR");
  c->add_option("--node", trace->node, "Trace toward this Node-ID (hex) instead");
  c->add_option("--kind", trace->kind, "The kind the resource is for (name or number)");
  c->callback(
      [trace, options, action] { *action = [trace, options] { return Run(*options, *trace); }; });
}

}  // namespace p2psip::cli

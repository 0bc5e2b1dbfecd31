#include "cli/stats_text.h"

#include <cstdint>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "p2psip/wire/constants.h"

namespace p2psip::cli {
namespace {

using nlohmann::json;

// Members of the expected type or a default: a malformed document never throws here.
std::string Str(const json& j, std::string_view key, std::string fallback = "?") {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}
uint64_t Num(const json& j, std::string_view key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}
bool Flag(const json& j, std::string_view key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}
const json& Member(const json& j, std::string_view key) {
  static const json kNull;
  const auto it = j.find(key);
  return it != j.end() ? *it : kNull;
}

std::string Duration(uint64_t s) {
  if (s < 60) return absl::StrCat(s, "s");
  if (s < 3600) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  if (s < 86400) return absl::StrFormat("%dh%02dm%02ds", s / 3600, s / 60 % 60, s % 60);
  return absl::StrFormat("%dd%02dh%02dm", s / 86400, s / 3600 % 24, s / 60 % 60);
}

// "a, b, c" of a list of strings, "-" when empty.
std::string Ids(const json& list) {
  std::vector<std::string> ids;
  if (list.is_array()) {
    for (const json& e : list) ids.push_back(e.is_string() ? e.get<std::string>() : "?");
  }
  return ids.empty() ? "-" : absl::StrJoin(ids, " ");
}

// "name value, ..." of the non-zero members of a counters object.
std::string NonZero(const json& counters) {
  std::vector<std::string> parts;
  if (counters.is_object()) {
    for (const auto& [name, value] : counters.items()) {
      if (value.is_number_unsigned() && value.get<uint64_t>() != 0) {
        parts.push_back(absl::StrCat(name, " ", value.get<uint64_t>()));
      }
    }
  }
  return parts.empty() ? "-" : absl::StrJoin(parts, ", ");
}

// The name of a request code (odd); its answer is the next code.
const char* RequestName(uint16_t request) {
  switch (static_cast<wire::MessageCode>(request)) {
    case wire::MessageCode::kProbeReq:
      return "Probe";
    case wire::MessageCode::kAttachReq:
      return "Attach";
    case wire::MessageCode::kStoreReq:
      return "Store";
    case wire::MessageCode::kFetchReq:
      return "Fetch";
    case wire::MessageCode::kFindReq:
      return "Find";
    case wire::MessageCode::kJoinReq:
      return "Join";
    case wire::MessageCode::kLeaveReq:
      return "Leave";
    case wire::MessageCode::kUpdateReq:
      return "Update";
    case wire::MessageCode::kRouteQueryReq:
      return "RouteQuery";
    case wire::MessageCode::kPingReq:
      return "Ping";
    case wire::MessageCode::kStatReq:
      return "Stat";
    case wire::MessageCode::kAppAttachReq:
      return "AppAttach";
    case wire::MessageCode::kConfigUpdateReq:
      return "ConfigUpdate";
    case wire::MessageCode::kPathTrackReq:
      return "PathTrack";
    default:
      return nullptr;
  }
}

std::string MessageCode(uint16_t code) {
  if (code == 0xFFFF) return "Error";
  const char* name = RequestName((code & 1) ? code : static_cast<uint16_t>(code - 1));
  if (name == nullptr) return absl::StrFormat("0x%04x", code);
  return absl::StrCat(name, (code & 1) ? "Req" : "Ans");
}

void AppendDocument(const json& d, std::string* out) {
  absl::StrAppend(out, "node ", Str(d, "node_id"), " (", Str(d, "role"), ") of overlay ",
                  Str(d, "overlay"), " at ", Str(d, "address"), "\n");
  absl::StrAppend(out, "  ", Flag(d, "joined") ? "joined" : "NOT joined", ", up ",
                  Duration(Num(d, "uptime_s")), ", ", Str(d, "software"), ", ", Num(d, "cores"),
                  Num(d, "cores") == 1 ? " core" : " cores", "\n");
  const json& ring = Member(d, "ring");
  absl::StrAppend(out, "ring\n  predecessors  ", Ids(Member(ring, "predecessors")),
                  "\n  successors    ", Ids(Member(ring, "successors")), "\n  fingers       ",
                  Ids(Member(ring, "fingers")), "\n");
  const json& links = Member(d, "links");
  const size_t shown = links.is_array() ? links.size() : 0;
  const uint64_t total = d.contains("links_total") ? Num(d, "links_total") : shown;
  absl::StrAppend(out, "links (", total, total != shown ? absl::StrCat(", ", shown, " shown") : "",
                  ")\n");
  if (shown > 0) {
    absl::StrAppend(out, absl::StrFormat("  %5s %4s %-22s %-32s %-4s %-4s %-6s %s\n", "id", "core",
                                         "remote", "peer", "up", "dir", "client", "cipher"));
    for (const json& l : links) {
      absl::StrAppend(
          out,
          absl::StrFormat("  %5d %4d %-22s %-32s %-4s %-4s %-6s %s\n", Num(l, "id"), Num(l, "core"),
                          Str(l, "remote"), Str(l, "peer").empty() ? "-" : Str(l, "peer"),
                          Flag(l, "up") ? "yes" : "no", Flag(l, "opened_here") ? "out" : "in",
                          Flag(l, "client") ? "yes" : "no", Str(l, "cipher")));
    }
  }
  const json& storage = Member(d, "storage");
  absl::StrAppend(out, "storage: ", Num(storage, "resources"), " resources, ",
                  Num(storage, "values"), " values, ", Num(storage, "certificates"),
                  " certificates\n");
  const json& counters = Member(d, "counters");
  absl::StrAppend(out, "counters (not zero)\n");
  for (const char* part : {"node", "links", "port"}) {
    absl::StrAppend(out, absl::StrFormat("  %-6s %s\n", part, NonZero(Member(counters, part))));
  }
  const json& per_core = Member(d, "per_core");
  if (per_core.is_array() && !per_core.empty()) {
    absl::StrAppend(out, "per core\n");
    for (const json& c : per_core) {
      const json& port = Member(c, "port");
      const json& node = Member(c, "node");
      const json& link = Member(c, "links");
      absl::StrAppend(out, "  core ", Num(c, "core"), ": rx ", Num(port, "rx_datagrams"), " tx ",
                      Num(port, "tx_datagrams"), " datagrams, ", Num(node, "received"),
                      " messages received, ", Num(node, "forwarded"), " forwarded, ",
                      Num(link, "messages_in"), " in / ", Num(link, "messages_out"),
                      " out on links\n");
    }
  }
}

void AppendInfo(const std::vector<wire::DiagnosticInfo>& info, std::string* out) {
  if (info.empty()) return;
  absl::StrAppend(out, "diagnostics (RFC 7851)\n");
  for (const wire::DiagnosticInfo& i : info) {
    switch (i.kind) {
      case wire::kDiagStatusInfo:
        absl::StrAppend(out, "  status            congestion ", i.scalar & 0x0F, " of 15\n");
        break;
      case wire::kDiagRoutingTableSize:
        absl::StrAppend(out, "  routing table     ", i.scalar,
                        i.scalar == 1 ? " peer\n" : " peers\n");
        break;
      case wire::kDiagSoftwareVersion:
        absl::StrAppend(out, "  software          ", i.software_version, "\n");
        break;
      case wire::kDiagAppUptime:
        absl::StrAppend(out, "  uptime            ", Duration(i.scalar), "\n");
        break;
      case wire::kDiagMemoryFootprint:
        absl::StrAppend(out, absl::StrFormat("  memory            %.1f MiB resident\n",
                                             static_cast<double>(i.scalar) / 1024.0));
        break;
      case wire::kDiagMessagesSentRcvd: {
        std::vector<std::string> parts;
        for (const wire::MessageCounts& m : i.messages_sent_rcvd) {
          if (m.sent == 0 && m.received == 0) continue;
          parts.push_back(absl::StrCat(MessageCode(m.message_code), " ", m.sent, "/", m.received));
        }
        absl::StrAppend(out, "  messages sent/received  ",
                        parts.empty() ? "-" : absl::StrJoin(parts, ", "), "\n");
        break;
      }
      default:
        break;  // the node statistics document, shown above
    }
  }
}

}  // namespace

std::string StatsText(const json& document, const std::vector<wire::DiagnosticInfo>& info) {
  std::string out;
  if (document.is_object()) AppendDocument(document, &out);
  AppendInfo(info, &out);
  return out;
}

}  // namespace p2psip::cli

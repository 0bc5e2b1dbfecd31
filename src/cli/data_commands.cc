// The storage and reachability commands of p2psip, each a RELOAD request sent as a client node
// (cli/client_session.h):
//
//   p2psip store RESOURCE VALUE --kind K [--index N | --key KEY] [--lifetime S]
//   p2psip fetch RESOURCE --kind K [--index N | --key KEY]
//   p2psip stat  RESOURCE --kind K
//   p2psip find  RESOURCE --kind K
//   p2psip ping  [NODE-ID]            (default: the peer at --via)
//
// RESOURCE is a resource name (hashed with the overlay's hash, RFC 6940 §10.2); K is a kind's
// IANA name (SIP-REGISTRATION, TURN-SERVICE, ...) or its number. Values are text.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/client_session.h"
#include "cli/commands.h"
#include "nlohmann/json.hpp"
#include "p2psip/wire/body.h"
#include "p2psip/wire/codec.h"
#include "p2psip/wire/constants.h"
#include "p2psip/wire/hashes.h"
#include "p2psip/wire/method_bodies.h"
#include "p2psip/wire/storage_messages.h"

namespace p2psip::cli {
namespace {

using nlohmann::json;

struct DataArgs {
  std::string command, resource, value, kind, key;
  int64_t index = -1;  // -1: none given
  uint32_t lifetime = 3600;
  std::string node;    // ping: a Node-ID in hex
  uint32_t count = 1;  // ping: how many, one after another
};

int Fail(const DataArgs& a, const absl::Status& status, int code = kExitFailure) {
  std::fprintf(stderr, "p2psip %s: %s\n", a.command.c_str(), std::string(status.message()).c_str());
  return code;
}

absl::StatusOr<const core::storage::KindDefinition*> ResolveKind(const core::Node& node,
                                                                 const std::string& name) {
  const core::storage::KindRegistry& kinds = node.kinds();
  const core::storage::KindDefinition* kind = kinds.FindByName(name);
  uint32_t id = 0;
  if (kind == nullptr && (absl::SimpleAtoi(name, &id) || absl::SimpleHexAtoi(name, &id))) {
    kind = kinds.Find(id);
  }
  if (kind == nullptr) {
    return absl::NotFoundError(absl::StrCat("unknown kind \"", name, "\" in this overlay"));
  }
  return kind;
}

// Text when it is printable, hex otherwise.
std::string Show(std::span<const uint8_t> bytes) {
  bool text = true;
  for (uint8_t b : bytes) text &= b >= 0x20 && b < 0x7F;
  if (text) return std::string(bytes.begin(), bytes.end());
  std::string hex = "0x";
  for (uint8_t b : bytes) absl::StrAppend(&hex, absl::Hex(b, absl::kZeroPad2));
  return hex;
}

std::vector<uint8_t> Bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

wire::StoredDataSpecifier Specifier(const core::storage::KindDefinition& kind, const DataArgs& a) {
  wire::StoredDataSpecifier spec;
  spec.kind = kind.id;
  spec.model = kind.model;
  if (kind.model == wire::DataModel::kArray) {
    const uint32_t first = a.index >= 0 ? static_cast<uint32_t>(a.index) : 0;
    spec.indices = {{first, a.index >= 0 ? first : wire::kArrayLastIndex}};  // to the last
  } else if (kind.model == wire::DataModel::kDictionary && !a.key.empty()) {
    spec.keys = {Bytes(a.key)};
  }
  return spec;
}

json Answer(const core::Outbox::Result& r) {
  return {{"responder", r.responder.ToHex()}, {"hops", r.hops}};
}

int RunStore(ClientSession& s, const core::storage::KindDefinition& kind, const DataArgs& a,
             bool as_json) {
  wire::DataValue value{true, Bytes(a.value)};
  wire::StoredDataValue v = value;
  if (kind.model == wire::DataModel::kArray) {
    v = wire::ArrayEntry{a.index >= 0 ? static_cast<uint32_t>(a.index) : wire::kArrayAppend, value};
  } else if (kind.model == wire::DataModel::kDictionary) {
    const NodeId& self = s.identity().node_id();
    v = wire::DictionaryEntry{a.key.empty()
                                  ? wire::DictionaryKey(self.bytes().begin(), self.bytes().end())
                                  : Bytes(a.key),
                              value};
  }
  const ResourceId resource = wire::ChordResourceId(a.resource);
  absl::StatusOr<core::Outbox::Result> r =
      s.Run([&](core::Node& node, uint64_t now, core::Outbox* out) {
        return node.Store(resource, kind.id, {wire::StoredData{0, a.lifetime, v, {}}}, now, out);
      });
  if (!r.ok()) return Fail(a, r.status());
  if (!r->status.ok()) return Fail(a, r->status);
  if (as_json) {
    json j = Answer(*r);
    j["resource"] = resource.ToHex();
    j["kind"] = kind.id;
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("stored %s (kind %u) at %s (%d hops)\n", a.resource.c_str(), kind.id,
                r->responder.ToHex().c_str(), r->hops);
  }
  return kExitOk;
}

int RunFetch(ClientSession& s, const core::storage::KindDefinition& kind, const DataArgs& a,
             bool as_json) {
  const ResourceId resource = wire::ChordResourceId(a.resource);
  const NodeId via = s.via_peer();
  absl::StatusOr<core::Outbox::Result> r = s.Run([&](core::Node& node, uint64_t now,
                                                     core::Outbox* out) {
    return node.Fetch(resource, {Specifier(kind, a)}, now, out, std::span<const NodeId>(&via, 1));
  });
  if (!r.ok()) return Fail(a, r.status());
  if (!r->status.ok()) return Fail(a, r->status);
  absl::StatusOr<wire::FetchAns> answer = wire::DecodeAs<wire::FetchAns>(
      r->body, s.node().kinds().Context(static_cast<uint8_t>(s.identity().node_id().size())));
  if (!answer.ok()) return Fail(a, answer.status());
  json values = json::array();
  for (const wire::FetchKindResponse& k : answer->kind_responses) {
    for (const wire::StoredData& d : k.values) {
      json v = {{"storage_time", d.storage_time}, {"lifetime", d.lifetime}};
      std::visit(
          [&v](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, wire::DataValue>) {
              v["exists"] = x.exists;
              v["value"] = Show(x.value);
            } else if constexpr (std::is_same_v<T, wire::ArrayEntry>) {
              v["index"] = x.index;
              v["exists"] = x.value.exists;
              v["value"] = Show(x.value.value);
            } else {
              v["key"] = Show(x.key);
              v["exists"] = x.value.exists;
              v["value"] = Show(x.value.value);
            }
          },
          d.value);
      if (v["exists"].get<bool>()) values.push_back(std::move(v));
    }
  }
  if (as_json) {
    json j = Answer(*r);
    j["values"] = values;
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%s: %zu value%s (answered by %s after %d hops)\n", a.resource.c_str(),
                values.size(), values.size() == 1 ? "" : "s", r->responder.ToHex().c_str(),
                r->hops);
    for (const json& v : values) {
      std::string where = v.contains("index") ? absl::StrCat("[", v["index"].get<uint32_t>(), "] ")
                          : v.contains("key") ? absl::StrCat("[", v["key"].get<std::string>(), "] ")
                                              : "";
      std::printf("  %s%s\n", where.c_str(), v["value"].get<std::string>().c_str());
    }
  }
  return values.empty() ? Fail(a, absl::NotFoundError("no value stored")) : kExitOk;
}

int RunStat(ClientSession& s, const core::storage::KindDefinition& kind, const DataArgs& a,
            bool as_json) {
  const ResourceId resource = wire::ChordResourceId(a.resource);
  wire::StatReq req{resource, {Specifier(kind, a)}};
  absl::StatusOr<core::Outbox::Result> r =
      s.Run([&](core::Node& node, uint64_t now, core::Outbox* out) {
        return node.Request(
            {wire::Destination::Node(s.via_peer()), wire::Destination::Resource(resource)},
            static_cast<uint16_t>(wire::MessageCode::kStatReq), req, now, out);
      });
  if (!r.ok()) return Fail(a, r.status());
  if (!r->status.ok()) return Fail(a, r->status);
  absl::StatusOr<wire::StatAns> answer = wire::DecodeAs<wire::StatAns>(
      r->body, s.node().kinds().Context(static_cast<uint8_t>(s.identity().node_id().size())));
  if (!answer.ok()) return Fail(a, answer.status());
  json entries = json::array();
  for (const wire::StatKindResponse& k : answer->kind_responses) {
    for (const wire::StoredMetaData& m : k.values) {
      const wire::MetaData& md = std::visit(
          [](const auto& x) -> const wire::MetaData& {
            if constexpr (std::is_same_v<std::decay_t<decltype(x)>, wire::MetaData>) {
              return x;
            } else {
              return x.value;
            }
          },
          m.metadata);
      if (!md.exists) continue;
      entries.push_back({{"kind", k.kind},
                         {"generation", k.generation},
                         {"storage_time", m.storage_time},
                         {"lifetime", m.lifetime},
                         {"value_length", md.value_length}});
    }
  }
  if (as_json) {
    json j = Answer(*r);
    j["entries"] = entries;
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%s: %zu entr%s at %s (%d hops)\n", a.resource.c_str(), entries.size(),
                entries.size() == 1 ? "y" : "ies", r->responder.ToHex().c_str(), r->hops);
    for (const json& e : entries) std::printf("  %s\n", e.dump().c_str());
  }
  return kExitOk;
}

int RunFind(ClientSession& s, const core::storage::KindDefinition& kind, const DataArgs& a,
            bool as_json) {
  const ResourceId resource = wire::ChordResourceId(a.resource);
  wire::FindReq req{resource, {kind.id}};
  absl::StatusOr<core::Outbox::Result> r =
      s.Run([&](core::Node& node, uint64_t now, core::Outbox* out) {
        return node.Request(
            {wire::Destination::Node(s.via_peer()), wire::Destination::Resource(resource)},
            static_cast<uint16_t>(wire::MessageCode::kFindReq), req, now, out);
      });
  if (!r.ok()) return Fail(a, r.status());
  if (!r->status.ok()) return Fail(a, r->status);
  absl::StatusOr<wire::FindAns> answer = wire::DecodeAs<wire::FindAns>(r->body);
  if (!answer.ok()) return Fail(a, answer.status());
  json found = json::array();
  for (const wire::FindKindData& f : answer->results) {
    found.push_back({{"kind", f.kind}, {"closest", f.closest.ToHex()}});
  }
  if (as_json) {
    json j = Answer(*r);
    j["results"] = found;
    std::printf("%s\n", j.dump().c_str());
  } else {
    for (const json& f : found) {
      std::printf("kind %u: closest resource %s (asked %s, %d hops)\n", f["kind"].get<uint32_t>(),
                  f["closest"].get<std::string>().c_str(), r->responder.ToHex().c_str(), r->hops);
    }
  }
  return kExitOk;
}

// The q-quantile of sorted `v` (nearest rank).
double Quantile(const std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

int RunPing(ClientSession& s, const DataArgs& a, bool as_json) {
  NodeId target = s.via_peer();
  if (!a.node.empty()) {
    std::optional<NodeId> id = NodeId::FromHex(a.node);
    if (!id.has_value()) {
      return Fail(a, absl::InvalidArgumentError(a.node + " is not a Node-ID in hex"),
                  kExitBadUsage);
    }
    target = *id;
  }
  // --count N: N pings one after another (each waits for its answer), then the rate and the
  // round-trip quantiles: through --via to the target, that is --via's forwarding path.
  std::vector<double> rtts_ms;
  rtts_ms.reserve(a.count);
  core::Outbox::Result last;
  const uint64_t start_us = s.clock().NowUs();
  for (uint32_t i = 0; i < a.count; ++i) {
    const uint64_t sent_us = s.clock().NowUs();
    absl::StatusOr<core::Outbox::Result> r =
        s.Run([&](core::Node& node, uint64_t now, core::Outbox* out) {
          std::vector<wire::Destination> path = {wire::Destination::Node(s.via_peer())};
          if (target != s.via_peer()) path.push_back(wire::Destination::Node(target));
          return node.Request(path, static_cast<uint16_t>(wire::MessageCode::kPingReq),
                              wire::PingReq{}, now, out);
        });
    if (!r.ok()) return Fail(a, r.status());
    if (!r->status.ok()) return Fail(a, r->status);
    rtts_ms.push_back(static_cast<double>(s.clock().NowUs() - sent_us) / 1000.0);
    last = *std::move(r);
  }
  const double total_s = static_cast<double>(s.clock().NowUs() - start_us) / 1e6;
  if (a.count == 1) {
    if (as_json) {
      json j = Answer(last);
      j["rtt_ms"] = rtts_ms[0];
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf("pong from %s in %.2f ms (%d hops)\n", last.responder.ToHex().c_str(), rtts_ms[0],
                  last.hops);
    }
    return kExitOk;
  }
  std::vector<double>& sorted = rtts_ms;
  std::sort(sorted.begin(), sorted.end());
  const double rate = total_s > 0 ? static_cast<double>(a.count) / total_s : 0;
  if (as_json) {
    json j = Answer(last);
    j["count"] = a.count;
    j["per_second"] = rate;
    j["rtt_ms"] = {{"p50", Quantile(sorted, 0.5)},
                   {"p99", Quantile(sorted, 0.99)},
                   {"min", sorted.front()},
                   {"max", sorted.back()}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf(
        "%u pongs from %s (%d hops) in %.2f s: %.0f/s, rtt p50 %.3f ms, p99 %.3f ms, "
        "max %.3f ms\n",
        a.count, last.responder.ToHex().c_str(), last.hops, total_s, rate, Quantile(sorted, 0.5),
        Quantile(sorted, 0.99), sorted.back());
  }
  return kExitOk;
}

int Run(const ClientOptions& o, const DataArgs& a) {
  absl::StatusOr<std::unique_ptr<ClientSession>> session = ClientSession::Open(o);
  if (!session.ok()) return Fail(a, session.status());
  ClientSession& s = **session;
  if (a.command == "ping") return RunPing(s, a, o.json);
  absl::StatusOr<const core::storage::KindDefinition*> kind = ResolveKind(s.node(), a.kind);
  if (!kind.ok()) return Fail(a, kind.status(), kExitBadUsage);
  if (a.command == "store") return RunStore(s, **kind, a, o.json);
  if (a.command == "fetch") return RunFetch(s, **kind, a, o.json);
  if (a.command == "stat") return RunStat(s, **kind, a, o.json);
  return RunFind(s, **kind, a, o.json);
}

}  // namespace

void AddDataCommands(CLI::App& app, const ClientOptions* options, Action* action) {
  struct Spec {
    const char* name;
    const char* help;
  };
  for (const Spec& spec :
       {Spec{"store", "Store a value at a resource (signed with this identity)"},
        Spec{"fetch", "Fetch the values of a kind at a resource"},
        Spec{"stat", "Metadata of the values of a kind at a resource"},
        Spec{"find", "The closest resource of a kind stored at the responsible peer"},
        Spec{"ping", "Ping the --via peer or a Node-ID"}}) {
    auto args = std::make_shared<DataArgs>();
    args->command = spec.name;
    CLI::App* c = app.add_subcommand(spec.name, spec.help);
    if (args->command == "ping") {
      c->add_option("node", args->node, "Node-ID in hex (default: the --via peer)");
      c->add_option("--count", args->count,
                    "Pings one after another; more than one prints the rate and the round-trip "
                    "p50/p99")
          ->check(CLI::Range(1u, 10000000u))
          ->capture_default_str();
    } else {
      c->add_option("resource", args->resource, "Resource name")->required();
      if (args->command == "store") c->add_option("value", args->value, "The value")->required();
      c->add_option("--kind", args->kind, "Kind: IANA name or number")->required();
      if (args->command != "find") {
        c->add_option("--index", args->index, "Array kinds: the index (store: default append)");
        c->add_option("--key", args->key,
                      "Dictionary kinds: the key (store: default this node's Node-ID)");
      }
      if (args->command == "store") {
        c->add_option("--lifetime", args->lifetime, "Seconds")->capture_default_str();
      }
    }
    c->callback(
        [args, options, action] { *action = [args, options] { return Run(*options, *args); }; });
  }
}

}  // namespace p2psip::cli

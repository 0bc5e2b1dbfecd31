// `p2psip sip register AOR CONTACT-URI` and `p2psip sip lookup AOR`: the SIP usage (RFC 7904)
// from the command line. A registration is a SIP-REGISTRATION dictionary entry at H(AOR) keyed
// by this node's Node-ID holding a sip_registration_uri (RFC 7904 §3.2, type 1); the storing
// peer checks USER-NODE-MATCH, so an AOR is registered with a certificate whose user name is
// that AOR. A lookup fetches every entry at H(AOR).
#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/client_session.h"
#include "cli/commands.h"
#include "nlohmann/json.hpp"
#include "p2psip/wire/codec.h"
#include "p2psip/wire/constants.h"
#include "p2psip/wire/hashes.h"
#include "p2psip/wire/storage_messages.h"
#include "p2psip/wire/usage_values.h"

namespace p2psip::cli {
namespace {

int Fail(const std::string& what, const absl::Status& status, int code = kExitFailure) {
  std::fprintf(stderr, "p2psip sip %s: %s\n", what.c_str(), std::string(status.message()).c_str());
  return code;
}

// "sip:alice@example.com" and "alice@example.com" name the same resource: the AOR without
// its scheme is what a certificate's rfc822Name holds.
std::string ResourceName(std::string aor) {
  for (const char* scheme : {"sip:", "sips:"}) {
    if (aor.rfind(scheme, 0) == 0) return aor.substr(std::string(scheme).size());
  }
  return aor;
}

struct RegisterArgs {
  std::string aor, contact;
  uint32_t expires = 3600;
};

int RunRegister(const ClientOptions& o, const RegisterArgs& a) {
  const std::string aor = ResourceName(a.aor);
  absl::StatusOr<std::unique_ptr<ClientSession>> session = ClientSession::Open(o);
  if (!session.ok()) return Fail("register", session.status());
  ClientSession& s = **session;
  if (s.identity().user_name() != aor) {
    return Fail("register",
                absl::PermissionDeniedError(absl::StrCat(
                    "this identity is ", s.identity().user_name(), ", not ", aor,
                    " (USER-NODE-MATCH: an AOR is registered with its own certificate)")));
  }
  absl::StatusOr<std::vector<uint8_t>> value =
      wire::EncodeToBytes(wire::SipRegistration::Uri(a.contact));
  if (!value.ok()) return Fail("register", value.status(), kExitBadUsage);
  const NodeId& self = s.identity().node_id();
  wire::DictionaryEntry entry{wire::DictionaryKey(self.bytes().begin(), self.bytes().end()),
                              wire::DataValue{true, *std::move(value)}};
  const ResourceId resource = wire::ChordResourceId(aor);
  absl::StatusOr<core::Outbox::Result> result =
      s.Run([&](core::Node& node, uint64_t now_ms, core::Outbox* out) {
        return node.Store(resource, wire::kKindSipRegistration,
                          {wire::StoredData{0, a.expires, entry, {}}}, now_ms, out);
      });
  if (!result.ok()) return Fail("register", result.status());
  if (!result->status.ok()) return Fail("register", result->status);
  if (o.json) {
    nlohmann::json j = {{"aor", aor},
                        {"contact", a.contact},
                        {"expires", a.expires},
                        {"resource", resource.ToHex()},
                        {"stored_at", result->responder.ToHex()},
                        {"hops", result->hops}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("registered %s -> %s for %u s at peer %s (%d hops)\n", aor.c_str(),
                a.contact.c_str(), a.expires, result->responder.ToHex().c_str(), result->hops);
  }
  return kExitOk;
}

int RunLookup(const ClientOptions& o, const std::string& aor_arg) {
  const std::string aor = ResourceName(aor_arg);
  absl::StatusOr<std::unique_ptr<ClientSession>> session = ClientSession::Open(o);
  if (!session.ok()) return Fail("lookup", session.status());
  ClientSession& s = **session;
  const ResourceId resource = wire::ChordResourceId(aor);
  wire::StoredDataSpecifier spec;
  spec.kind = wire::kKindSipRegistration;
  spec.model = wire::DataModel::kDictionary;
  const NodeId via = s.via_peer();
  absl::StatusOr<core::Outbox::Result> result =
      s.Run([&](core::Node& node, uint64_t now_ms, core::Outbox* out) {
        return node.Fetch(resource, {spec}, now_ms, out, std::span<const NodeId>(&via, 1));
      });
  if (!result.ok()) return Fail("lookup", result.status());
  if (!result->status.ok()) return Fail("lookup", result->status);
  absl::StatusOr<wire::FetchAns> answer = wire::DecodeAs<wire::FetchAns>(
      result->body, s.node().kinds().Context(static_cast<uint8_t>(s.identity().node_id().size())));
  if (!answer.ok()) return Fail("lookup", answer.status());
  nlohmann::json contacts = nlohmann::json::array();
  for (const wire::FetchKindResponse& k : answer->kind_responses) {
    for (const wire::StoredData& d : k.values) {
      const auto* entry = std::get_if<wire::DictionaryEntry>(&d.value);
      if (entry == nullptr || !entry->value.exists) continue;
      absl::StatusOr<wire::SipRegistration> reg = wire::ParseSipRegistration(entry->value.value);
      if (!reg.ok()) continue;
      const std::optional<NodeId> node = NodeId::FromBytes(entry->key);
      const std::string node_hex = node.has_value() ? node->ToHex() : "";
      nlohmann::json c = {{"node", node_hex}, {"lifetime", d.lifetime}};
      if (reg->type == static_cast<uint8_t>(wire::SipRegistrationType::kUri)) {
        c["uri"] = reg->uri;
      } else {
        c["route"] = true;
      }
      contacts.push_back(std::move(c));
    }
  }
  if (o.json) {
    nlohmann::json j = {{"aor", aor},
                        {"contacts", contacts},
                        {"answered_by", result->responder.ToHex()},
                        {"hops", result->hops}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%s: %zu contact%s (answered by %s after %d hops)\n", aor.c_str(), contacts.size(),
                contacts.size() == 1 ? "" : "s", result->responder.ToHex().c_str(), result->hops);
    for (const nlohmann::json& c : contacts) {
      std::printf("  %s  (node %s)\n",
                  c.contains("uri") ? c["uri"].get<std::string>().c_str() : "<route>",
                  c["node"].get<std::string>().c_str());
    }
  }
  if (contacts.empty()) {
    std::fprintf(stderr, "p2psip sip lookup: no registration for %s\n", aor.c_str());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void AddSipCommands(CLI::App& app, const ClientOptions* options, Action* action) {
  CLI::App* sip = app.add_subcommand("sip", "The SIP usage (RFC 7904): register and look up AORs");
  sip->require_subcommand(1);
  auto reg = std::make_shared<RegisterArgs>();
  CLI::App* r = sip->add_subcommand(
      "register", "Store AOR -> CONTACT-URI (the identity's user name must be the AOR)");
  r->add_option("aor", reg->aor, "Address of record, user@domain")->required();
  r->add_option("contact", reg->contact, "Contact URI, e.g. sip:alice@192.0.2.1:5060")->required();
  r->add_option("--expires", reg->expires, "Lifetime in seconds")
      ->check(CLI::Range(1u, 86400u * 365))
      ->capture_default_str();
  r->callback([reg, options, action] {
    *action = [reg, options] { return RunRegister(*options, *reg); };
  });
  auto aor = std::make_shared<std::string>();
  CLI::App* l = sip->add_subcommand("lookup", "Fetch the contacts registered for AOR");
  l->add_option("aor", *aor, "Address of record, user@domain")->required();
  l->callback([aor, options, action] {
    *action = [aor, options] { return RunLookup(*options, *aor); };
  });
}

}  // namespace p2psip::cli

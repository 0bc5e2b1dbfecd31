// Reads <required-kinds>: each <kind-block> is a <kind> and its optional <kind-signature>
// (RFC 6940 §11.1). Registered kinds keep their registered model and policy (kinds.h); private
// kinds take the document's definition; both are checked against KindRegistry's rules here so
// that a bad definition is reported with its line.
#include <array>
#include <limits>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"
#include "config/document_reader.h"
#include "config/xsd_values.h"
#include "p2psip/wire/constants.h"

namespace p2psip::config::internal {
namespace {

using core::storage::AccessPolicy;
using core::storage::KindDefinition;
using core::storage::KindRegistry;

constexpr uint32_t kFirstPrivateKind = 0xF0000001;
constexpr uint32_t kLastPrivateKind = 0xFFFFFFFD;
constexpr uint32_t kReservedStandardsKind = 0x7FFFFFFF;
constexpr uint32_t kReservedPrivateKind = 0xFFFFFFFE;
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

// The registered kinds KindRegistry::WithBuiltins() implements.
constexpr std::array<uint32_t, 4> kBuiltinIds = {wire::kKindSipRegistration, wire::kKindTurnService,
                                                 wire::kKindCertificateByNode,
                                                 wire::kKindCertificateByUser};

std::string KindLabel(const KindDefinition& k) {
  return k.name.empty() ? absl::StrFormat("%u (0x%X)", k.id, k.id) : k.name;
}

std::optional<wire::DataModel> ParseDataModel(std::string_view s) {
  if (s == "SINGLE") return wire::DataModel::kSingle;
  if (s == "ARRAY") return wire::DataModel::kArray;
  if (s == "DICTIONARY") return wire::DataModel::kDictionary;
  return std::nullopt;
}

// Starts the definition from the <kind> element's name= or id= attribute.
absl::Status IdentifyKind(const ReadContext& ctx, const xmlNode* kind, const KindRegistry& builtins,
                          RequiredKind* out) {
  const std::optional<std::string> name = AttributeOf(kind, "name");
  const std::optional<std::string> id = AttributeOf(kind, "id");
  if (name.has_value() == id.has_value()) {
    return ctx.Error(kind, "<kind> needs exactly one of the attributes name and id");
  }
  if (name.has_value()) {
    const std::string_view wanted = TrimXmlSpace(*name);
    for (uint32_t builtin : kBuiltinIds) {
      const KindDefinition* k = builtins.Find(builtin);
      if (k != nullptr && k->name == wanted) {
        out->definition = *k;
        out->registered = true;
        return absl::OkStatus();
      }
    }
    return ctx.Error(kind, "unknown kind name \"", wanted,
                     "\" (this node implements SIP-REGISTRATION, TURN-SERVICE, "
                     "CERTIFICATE_BY_NODE and CERTIFICATE_BY_USER; others need id=)");
  }
  absl::StatusOr<int64_t> v = ReadInteger(ctx, kind, *id, "kind id", 1, 0xFFFFFFFF);
  if (!v.ok()) return v.status();
  const uint32_t kind_id = static_cast<uint32_t>(*v);
  if (const KindDefinition* k = builtins.Find(kind_id); k != nullptr) {
    out->definition = *k;
    out->registered = true;
  } else {
    out->definition = KindDefinition{};
    out->definition.id = kind_id;
  }
  return absl::OkStatus();
}

absl::Status ReadKindParameters(const ReadContext& ctx, const xmlNode* kind,
                                OverlayConfiguration* config, RequiredKind* out) {
  KindDefinition& def = out->definition;
  bool saw_model = false, saw_policy = false, saw_count = false, saw_size = false;
  for (const xmlNode* c = FirstChildElement(kind); c != nullptr; c = NextElement(c)) {
    const std::string_view ns = NamespaceOf(c);
    const std::string_view name = NameOf(c);
    if (IsElement(c, kConfigSipNamespace, "domain-restriction")) {
      absl::StatusOr<SipDomainRestriction> r = ReadDomainRestriction(ctx, c);
      if (!r.ok()) return r.status();
      if (def.id != wire::kKindSipRegistration) {
        config->warnings.push_back(ctx.Warning(c, "sip:domain-restriction in kind ", KindLabel(def),
                                               " ignored (it belongs to "
                                               "SIP-REGISTRATION)"));
      } else {
        config->sip_domain_restriction = std::move(*r);
      }
      continue;
    }
    if (ns != kConfigBaseNamespace) continue;  // extension
    const std::string text = TextOf(c);
    if (name == "data-model") {
      saw_model = true;
      out->data_model = std::string(TrimXmlSpace(text));
    } else if (name == "access-control") {
      saw_policy = true;
      out->access_control = std::string(TrimXmlSpace(text));
    } else if (name == "max-count" || name == "max-size" || name == "max-node-multiple") {
      absl::StatusOr<int64_t> v =
          ReadInteger(ctx, c, text, absl::StrCat("<", Sv(name), ">"), 0, kInt32Max);
      if (!v.ok()) return v.status();
      const uint32_t u = static_cast<uint32_t>(*v);
      if (name == "max-count") {
        saw_count = true;
        def.max_count = u;
      } else if (name == "max-size") {
        saw_size = true;
        def.max_size = u;
      } else {
        def.max_node_multiple = u;
      }
    } else {
      return ctx.Error(c, "unknown element <", name, "> in <kind>");
    }
  }
  if (!saw_model || !saw_policy || !saw_count || !saw_size) {
    return ctx.Error(kind, "<kind> needs data-model, access-control, max-count and max-size");
  }

  const std::optional<wire::DataModel> model = ParseDataModel(out->data_model);
  const std::optional<AccessPolicy> policy = core::storage::ParseAccessPolicy(out->access_control);
  if (out->registered) {
    // RFC 6940 §11.1: the registered model and policy apply whatever the document says.
    if (model != def.model || policy != def.policy) {
      config->warnings.push_back(ctx.Warning(
          kind, "kind ", def.name, ": data-model ", out->data_model, " / access-control ",
          out->access_control, " ignored; the registered ", wire::DataModelName(def.model), " / ",
          core::storage::AccessPolicyName(def.policy), " apply"));
    }
    return absl::OkStatus();
  }
  if (!model.has_value()) {
    return ctx.Error(kind, "kind ", KindLabel(def), ": unknown data-model \"", out->data_model,
                     "\" (SINGLE, ARRAY or DICTIONARY)");
  }
  if (!policy.has_value()) {
    return ctx.Error(kind, "kind ", KindLabel(def), ": unknown access-control \"",
                     out->access_control,
                     "\" (USER-MATCH, NODE-MATCH, USER-NODE-MATCH or NODE-MULTIPLE)");
  }
  def.model = *model;
  def.policy = *policy;
  return absl::OkStatus();
}

absl::Status ReadKindBlock(const ReadContext& ctx, const xmlNode* block,
                           const KindRegistry& builtins, absl::flat_hash_set<uint32_t>* seen,
                           OverlayConfiguration* config) {
  RequiredKind kind;
  const xmlNode* kind_node = nullptr;
  for (const xmlNode* c = FirstChildElement(block); c != nullptr; c = NextElement(c)) {
    if (IsElement(c, kConfigBaseNamespace, "kind") && kind_node == nullptr) {
      kind_node = c;
    } else if (IsElement(c, kConfigBaseNamespace, "kind-signature") &&
               !kind.signature.has_value()) {
      absl::StatusOr<SignatureBlob> sig = ReadSignature(ctx, c);
      if (!sig.ok()) return sig.status();
      kind.signature = std::move(*sig);
    } else {
      return ctx.Error(c, "unexpected <", NameOf(c), "> in <kind-block>");
    }
  }
  if (kind_node == nullptr) return ctx.Error(block, "<kind-block> has no <kind>");
  kind.line = ctx.LineOf(kind_node);
  kind.bytes = ctx.RangeOf(kind_node);
  if (absl::Status s = IdentifyKind(ctx, kind_node, builtins, &kind); !s.ok()) return s;
  if (absl::Status s = ReadKindParameters(ctx, kind_node, config, &kind); !s.ok()) return s;

  const KindDefinition& def = kind.definition;
  if (!seen->insert(def.id).second) {
    return ctx.Error(kind_node, "kind ", KindLabel(def), " is defined twice");
  }
  const bool reserved = def.id == kReservedStandardsKind || def.id == kReservedPrivateKind;
  if (kind.registered || reserved || (def.id >= kFirstPrivateKind && def.id <= kLastPrivateKind)) {
    // The registry's rules (USER-NODE-MATCH needs a dictionary, NODE-MULTIPLE needs
    // max-node-multiple, SINGLE holds one value...), reported here with the line.
    KindRegistry scratch = builtins;
    if (absl::Status s = scratch.Add(def); !s.ok()) return ctx.Error(kind_node, s.message());
  } else {
    config->warnings.push_back(
        ctx.Warning(kind_node, "kind ", KindLabel(def),
                    " is neither private nor a registered kind this node implements: KindsOf() "
                    "refuses it"));
  }
  config->required_kinds.push_back(std::move(kind));
  return absl::OkStatus();
}

}  // namespace

absl::Status ReadRequiredKinds(const ReadContext& ctx, const xmlNode* node,
                               OverlayConfiguration* out) {
  const KindRegistry builtins = KindRegistry::WithBuiltins();
  absl::flat_hash_set<uint32_t> seen;
  for (const RequiredKind& k : out->required_kinds) seen.insert(k.definition.id);
  for (const xmlNode* c = FirstChildElement(node); c != nullptr; c = NextElement(c)) {
    if (!IsElement(c, kConfigBaseNamespace, "kind-block")) {
      return ctx.Error(c, "unexpected <", NameOf(c), "> in <required-kinds>");
    }
    if (absl::Status s = ReadKindBlock(ctx, c, builtins, &seen, out); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace p2psip::config::internal

#include "p2psip/core/storage/kinds.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace p2psip::core::storage {
namespace {

// Reserved Kind-IDs (IANA registry): never definable, not even by a configuration.
constexpr uint32_t kKindInvalid = 0x0;
constexpr uint32_t kKindReservedStandards = 0x7FFFFFFF;
constexpr uint32_t kKindReservedPrivate = 0xFFFFFFFE;
// The private-use range is 0xF0000001..0xFFFFFFFE; its top value is reserved, so the
// definable range ends one below. 0xFFFFFFFF lies outside every range.
constexpr uint32_t kFirstPrivateKind = 0xF0000001;
constexpr uint32_t kLastPrivateKind = 0xFFFFFFFD;

// NODE-MULTIPLE hashes i as one byte (digest §15.5, TurnServer.iteration is a uint8), so no
// larger i can be expressed.
constexpr uint32_t kMaxNodeMultiple = 255;

// The registered kinds this node implements, with their fixed model/policy and default limits.
const std::array<KindDefinition, 4>& Builtins() {
  static const std::array<KindDefinition, 4> kBuiltins = {{
      {.id = wire::kKindSipRegistration,
       .name = "SIP-REGISTRATION",
       .model = wire::DataModel::kDictionary,
       .policy = AccessPolicy::kUserNodeMatch,
       .max_count = 10,
       .max_size = 1000,
       .max_node_multiple = 0},
      {.id = wire::kKindTurnService,
       .name = "TURN-SERVICE",
       .model = wire::DataModel::kSingle,
       .policy = AccessPolicy::kNodeMultiple,
       .max_count = 1,
       .max_size = 100,
       .max_node_multiple = 20},
      {.id = wire::kKindCertificateByNode,
       .name = "CERTIFICATE_BY_NODE",
       .model = wire::DataModel::kArray,
       .policy = AccessPolicy::kNodeMatch,
       .max_count = 2,
       .max_size = 3000,
       .max_node_multiple = 0},
      {.id = wire::kKindCertificateByUser,
       .name = "CERTIFICATE_BY_USER",
       .model = wire::DataModel::kArray,
       .policy = AccessPolicy::kUserMatch,
       .max_count = 2,
       .max_size = 3000,
       .max_node_multiple = 0},
  }};
  return kBuiltins;
}

const KindDefinition* FindBuiltin(uint32_t id) {
  for (const KindDefinition& k : Builtins()) {
    if (k.id == id) return &k;
  }
  return nullptr;
}

std::string KindIdString(uint32_t id) { return absl::StrFormat("0x%X", id); }

// The rules that hold whoever defined the kind: a definition that breaks one cannot be
// enforced consistently by the storage shard, so the configuration is refused.
absl::Status ValidateDefinition(const KindDefinition& k) {
  const std::string id = KindIdString(k.id);
  switch (k.model) {
    case wire::DataModel::kSingle:
    case wire::DataModel::kArray:
    case wire::DataModel::kDictionary:
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat("kind ", id, ": unknown data model"));
  }
  switch (k.policy) {
    case AccessPolicy::kUserMatch:
    case AccessPolicy::kNodeMatch:
    case AccessPolicy::kUserNodeMatch:
    case AccessPolicy::kNodeMultiple:
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat("kind ", id, ": unknown access policy"));
  }
  // The key of a USER-NODE-MATCH value is what binds it to the signer's Node-ID; without a
  // dictionary there is no key to check (RFC 6940 §7.3.3).
  if (k.policy == AccessPolicy::kUserNodeMatch && k.model != wire::DataModel::kDictionary) {
    return absl::InvalidArgumentError(absl::StrCat("kind ", id, ": USER-NODE-MATCH needs the ",
                                                   "DICTIONARY data model, not ",
                                                   wire::DataModelName(k.model)));
  }
  if (k.policy == AccessPolicy::kNodeMultiple &&
      (k.max_node_multiple == 0 || k.max_node_multiple > kMaxNodeMultiple)) {
    return absl::InvalidArgumentError(absl::StrCat("kind ", id, ": NODE-MULTIPLE needs ",
                                                   "max-node-multiple in 1..255, got ",
                                                   k.max_node_multiple));
  }
  if (k.max_count == 0) {
    return absl::InvalidArgumentError(absl::StrCat("kind ", id, ": max-count 0"));
  }
  // A single-value kind holds exactly one value per Resource-ID; any other max-count is a
  // configuration mistake (not silently clamped, so the author learns of it).
  if (k.model == wire::DataModel::kSingle && k.max_count != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("kind ", id, ": SINGLE kind needs max-count ", "1, got ", k.max_count));
  }
  return absl::OkStatus();
}

}  // namespace

const char* AccessPolicyName(AccessPolicy p) {
  switch (p) {
    case AccessPolicy::kUserMatch:
      return "USER-MATCH";
    case AccessPolicy::kNodeMatch:
      return "NODE-MATCH";
    case AccessPolicy::kUserNodeMatch:
      return "USER-NODE-MATCH";
    case AccessPolicy::kNodeMultiple:
      return "NODE-MULTIPLE";
  }
  return "UNKNOWN";
}

// Exact match: the config schema spells the policies in upper case.
std::optional<AccessPolicy> ParseAccessPolicy(std::string_view name) {
  for (AccessPolicy p : {AccessPolicy::kUserMatch, AccessPolicy::kNodeMatch,
                         AccessPolicy::kUserNodeMatch, AccessPolicy::kNodeMultiple}) {
    if (name == AccessPolicyName(p)) return p;
  }
  return std::nullopt;
}

KindRegistry KindRegistry::WithBuiltins() {
  KindRegistry r;
  for (const KindDefinition& k : Builtins()) r.kinds_.insert_or_assign(k.id, k);
  return r;
}

absl::Status KindRegistry::Add(const KindDefinition& kind) {
  const uint32_t id = kind.id;
  if (id == kKindInvalid) return absl::InvalidArgumentError("kind 0x0 is INVALID");
  if (id == kKindReservedStandards || id == kKindReservedPrivate) {
    return absl::InvalidArgumentError(absl::StrCat("kind ", KindIdString(id), " is reserved"));
  }
  KindDefinition def;
  if (const KindDefinition* builtin = FindBuiltin(id); builtin != nullptr) {
    // §11.1: the registered model and policy win over the configuration; only limits are taken.
    def = *builtin;
    def.max_count = kind.max_count;
    def.max_size = kind.max_size;
    def.max_node_multiple = kind.max_node_multiple;
  } else if (id >= kFirstPrivateKind && id <= kLastPrivateKind) {
    def = kind;
  } else {
    // Standards-action or expert-review ids this node does not implement: the overlay requires
    // a kind whose rules we do not know, so we cannot enforce them.
    return absl::InvalidArgumentError(absl::StrCat("unknown registered kind ", KindIdString(id)));
  }
  if (absl::Status s = ValidateDefinition(def); !s.ok()) return s;
  kinds_.insert_or_assign(id, std::move(def));
  return absl::OkStatus();
}

const KindDefinition* KindRegistry::Find(uint32_t id) const {
  auto it = kinds_.find(id);
  return it == kinds_.end() ? nullptr : &it->second;
}

const KindDefinition* KindRegistry::FindByName(std::string_view name) const {
  for (const auto& [id, kind] : kinds_) {
    if (!kind.name.empty() && kind.name == name) return &kind;
  }
  return nullptr;
}

// The context points at this registry: it is valid only while the registry lives and is not
// moved (the registry is published as an immutable snapshot, so that holds in practice).
wire::WireContext KindRegistry::Context(uint8_t node_id_length) const {
  wire::WireContext ctx;
  ctx.node_id_length = node_id_length;
  ctx.kind_model = &KindRegistry::ModelOf;
  ctx.kind_table = this;
  return ctx;
}

std::optional<wire::DataModel> KindRegistry::ModelOf(const void* table, uint32_t kind) {
  if (table == nullptr) return std::nullopt;
  const KindDefinition* k = static_cast<const KindRegistry*>(table)->Find(kind);
  if (k == nullptr) return std::nullopt;
  return k->model;
}

}  // namespace p2psip::core::storage

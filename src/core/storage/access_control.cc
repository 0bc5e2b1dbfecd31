#include "p2psip/core/storage/access_control.h"

#include <regex.h>

#include <algorithm>
#include <array>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "p2psip/wire/hashes.h"

namespace p2psip::core::storage {
namespace {

// Debian's abseil has its own string_view type, distinct from std::string_view.
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::Status CheckUserMatch(const ResourceId& resource, const SignerInfo& signer) {
  if (signer.user_name.empty()) {
    return absl::PermissionDeniedError("USER-MATCH: signer certificate has no user name");
  }
  if (wire::ChordResourceId(signer.user_name) != resource) {
    return absl::PermissionDeniedError("USER-MATCH: H(user) != Resource-ID");
  }
  return absl::OkStatus();
}

absl::Status CheckNodeMatch(const ResourceId& resource, const SignerInfo& signer) {
  if (signer.node_id.empty()) {
    return absl::PermissionDeniedError("NODE-MATCH: signer has no Node-ID");
  }
  // §7.3.2: the hashed Node-ID must be one the certificate carries *and* the one the
  // SignerIdentity names, so a multi-id certificate cannot write under a sibling id.
  if (std::find(signer.node_ids.begin(), signer.node_ids.end(), signer.node_id) ==
      signer.node_ids.end()) {
    return absl::PermissionDeniedError("NODE-MATCH: signer Node-ID not in its certificate");
  }
  if (wire::ChordResourceId(signer.node_id.bytes()) != resource) {
    return absl::PermissionDeniedError("NODE-MATCH: H(Node-ID) != Resource-ID");
  }
  return absl::OkStatus();
}

absl::Status CheckUserNodeMatch(const ResourceId& resource, const wire::StoredDataValue& value,
                                const SignerInfo& signer) {
  const auto* entry = std::get_if<wire::DictionaryEntry>(&value);
  if (entry == nullptr) {
    return absl::PermissionDeniedError("USER-NODE-MATCH: value is not a dictionary entry");
  }
  if (signer.user_name.empty()) {
    return absl::PermissionDeniedError("USER-NODE-MATCH: signer certificate has no user name");
  }
  if (wire::ChordResourceId(signer.user_name) != resource) {
    return absl::PermissionDeniedError("USER-NODE-MATCH: H(user) != Resource-ID");
  }
  if (signer.node_id.empty()) {
    return absl::PermissionDeniedError("USER-NODE-MATCH: signer has no Node-ID");
  }
  const std::span<const uint8_t> id = signer.node_id.bytes();
  if (!std::ranges::equal(entry->key, id)) {
    return absl::PermissionDeniedError("USER-NODE-MATCH: dictionary key != signer Node-ID");
  }
  return absl::OkStatus();
}

absl::Status CheckNodeMultiple(const KindDefinition& kind, const ResourceId& resource,
                               const SignerInfo& signer) {
  if (signer.node_id.empty()) {
    return absl::PermissionDeniedError("NODE-MULTIPLE: signer has no Node-ID");
  }
  // i is one byte (digest §15.5); the registry refuses a larger max, this clamp only keeps a
  // hand-built KindDefinition from wrapping i around.
  const uint32_t max_i = std::min<uint32_t>(kind.max_node_multiple, 255);
  const std::span<const uint8_t> id = signer.node_id.bytes();
  std::array<uint8_t, kMaxNodeIdLength + 1> input{};
  std::copy(id.begin(), id.end(), input.begin());
  const std::span<const uint8_t> hashed(input.data(), id.size() + 1);
  for (uint32_t i = 1; i <= max_i; ++i) {
    input[id.size()] = static_cast<uint8_t>(i);
    if (wire::ChordResourceId(hashed) == resource) return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("NODE-MULTIPLE: H(Node-ID || i) != Resource-ID for every 1 <= i <= ", max_i));
}

// Splits "user@domain"; nullopt unless there is exactly one '@' with text on both sides.
std::optional<std::string_view> DomainOf(std::string_view aor) {
  const size_t at = aor.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == aor.size()) return std::nullopt;
  if (aor.find('@', at + 1) != std::string_view::npos) return std::nullopt;
  return aor.substr(at + 1);
}

}  // namespace

absl::Status CheckAccess(const KindDefinition& kind, const ResourceId& resource,
                         const wire::StoredDataValue& value, const SignerInfo& signer) {
  // The value was decoded with some kind's model; if it is not this kind's, the caller mixed
  // kinds up (e.g. a registry swapped between decode and check). Refusing it as Forbidden keeps
  // the header's contract (every refusal is PermissionDenied) and never stores a
  // wrongly-shaped value.
  const wire::DataModel got = wire::ModelOf(value);
  if (got != kind.model) {
    return absl::PermissionDeniedError(absl::StrCat("value is a ", wire::DataModelName(got),
                                                    " value but the kind is ",
                                                    wire::DataModelName(kind.model)));
  }
  switch (kind.policy) {
    case AccessPolicy::kUserMatch:
      return CheckUserMatch(resource, signer);
    case AccessPolicy::kNodeMatch:
      return CheckNodeMatch(resource, signer);
    case AccessPolicy::kUserNodeMatch:
      return CheckUserNodeMatch(resource, value, signer);
    case AccessPolicy::kNodeMultiple:
      return CheckNodeMultiple(kind, resource, signer);
  }
  return absl::PermissionDeniedError("unknown access policy");
}

struct DomainRestriction::Impl {
  enum class Mode { kAny, kOverlay, kPatterns };

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  // regex_t owns heap memory that only regfree releases; each entry here compiled successfully.
  ~Impl() {
    for (std::unique_ptr<regex_t>& re : regexes) regfree(re.get());
  }

  Mode mode = Mode::kAny;
  std::string overlay_name;
  // Heap-allocated so that a compiled regex_t never moves (it is a C struct that may point
  // into itself in some libcs).
  std::vector<std::unique_ptr<regex_t>> regexes;
};

DomainRestriction::DomainRestriction(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DomainRestriction::DomainRestriction(DomainRestriction&&) noexcept = default;
DomainRestriction& DomainRestriction::operator=(DomainRestriction&&) noexcept = default;
DomainRestriction::~DomainRestriction() = default;

DomainRestriction DomainRestriction::AnyDomain() {
  auto impl = std::make_unique<Impl>();
  impl->mode = Impl::Mode::kAny;
  return DomainRestriction(std::move(impl));
}

DomainRestriction DomainRestriction::OverlayDomain(std::string overlay_name) {
  auto impl = std::make_unique<Impl>();
  impl->mode = Impl::Mode::kOverlay;
  impl->overlay_name = std::move(overlay_name);
  return DomainRestriction(std::move(impl));
}

absl::StatusOr<DomainRestriction> DomainRestriction::Patterns(std::vector<std::string> patterns) {
  constexpr int kFlags = REG_EXTENDED | REG_NOSUB | REG_ICASE;
  auto impl = std::make_unique<Impl>();
  impl->mode = Impl::Mode::kPatterns;
  for (const std::string& p : patterns) {
    if (p.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError("domain-restriction pattern contains a NUL byte");
    }
    // Compile the pattern as written first: wrapping it in ^(...)$ could make an unbalanced
    // pattern such as "a)|(b" compile with a different meaning.
    regex_t plain;
    int rc = regcomp(&plain, p.c_str(), kFlags);
    if (rc != 0) {
      char msg[256];
      regerror(rc, &plain, msg, sizeof(msg));
      return absl::InvalidArgumentError(
          absl::StrCat("bad domain-restriction pattern \"", p, "\": ", msg));
    }
    regfree(&plain);
    // The whole domain must match, not a substring of it.
    const std::string anchored = absl::StrCat("^(", p, ")$");
    auto re = std::make_unique<regex_t>();
    rc = regcomp(re.get(), anchored.c_str(), kFlags);
    if (rc != 0) {
      char msg[256];
      regerror(rc, re.get(), msg, sizeof(msg));
      return absl::InvalidArgumentError(
          absl::StrCat("bad domain-restriction pattern \"", p, "\": ", msg));
    }
    impl->regexes.push_back(std::move(re));
  }
  return DomainRestriction(std::move(impl));
}

absl::Status DomainRestriction::Check(std::string_view aor) const {
  if (impl_ == nullptr) return absl::FailedPreconditionError("moved-from DomainRestriction");
  // A NUL would end the string regexec sees, letting "x@ok.example\0.evil" pass as ok.example.
  if (aor.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError("AOR contains a NUL byte");
  }
  const std::optional<std::string_view> domain = DomainOf(aor);
  if (!domain.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("AOR \"", Sv(aor), "\" is not user@domain with exactly one '@'"));
  }
  switch (impl_->mode) {
    case Impl::Mode::kAny:
      return absl::OkStatus();
    case Impl::Mode::kOverlay:
      if (absl::EqualsIgnoreCase(Sv(*domain), impl_->overlay_name)) return absl::OkStatus();
      return absl::PermissionDeniedError(absl::StrCat("AOR domain \"", Sv(*domain),
                                                      "\" is not the overlay's domain \"",
                                                      impl_->overlay_name, "\""));
    case Impl::Mode::kPatterns: {
      const std::string d(*domain);
      for (const std::unique_ptr<regex_t>& re : impl_->regexes) {
        if (regexec(re.get(), d.c_str(), 0, nullptr, 0) == 0) return absl::OkStatus();
      }
      return absl::PermissionDeniedError(
          absl::StrCat("AOR domain \"", Sv(*domain), "\" matches no domain-restriction pattern"));
    }
  }
  return absl::InternalError("unknown domain-restriction mode");
}

}  // namespace p2psip::core::storage

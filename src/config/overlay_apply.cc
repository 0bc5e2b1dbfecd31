#include "p2psip/config/overlay_apply.h"

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"

namespace p2psip::config {
namespace {

// Extension namespaces this node implements, so that a document may make them mandatory.
constexpr std::array<std::string_view, 2> kSupportedExtensions = {kConfigChordNamespace,
                                                                  kConfigSipNamespace};

}  // namespace

absl::StatusOr<core::storage::KindRegistry> KindsOf(const OverlayConfiguration& configuration) {
  core::storage::KindRegistry kinds = core::storage::KindRegistry::WithBuiltins();
  for (const RequiredKind& k : configuration.required_kinds) {
    if (absl::Status s = kinds.Add(k.definition); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("line ", k.line, ": ", s.message()));
    }
  }
  return kinds;
}

absl::StatusOr<core::storage::DomainRestriction> DomainRestrictionOf(
    const OverlayConfiguration& configuration) {
  const std::optional<SipDomainRestriction>& r = configuration.sip_domain_restriction;
  if (!r.has_value()) return core::storage::DomainRestriction::AnyDomain();
  if (!r->enable)
    return core::storage::DomainRestriction::OverlayDomain(configuration.instance_name);
  absl::StatusOr<core::storage::DomainRestriction> patterns =
      core::storage::DomainRestriction::Patterns(r->patterns);
  if (!patterns.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", r->line, ": ", patterns.status().message()));
  }
  return patterns;
}

absl::Status CheckSupported(const OverlayConfiguration& configuration) {
  if (configuration.topology_plugin != "CHORD-RELOAD") {
    return absl::UnimplementedError(
        absl::StrCat("overlay ", configuration.instance_name, " uses topology plug-in ",
                     configuration.topology_plugin, "; this node implements CHORD-RELOAD"));
  }
  for (const std::string& ns : configuration.mandatory_extensions) {
    if (std::find(kSupportedExtensions.begin(), kSupportedExtensions.end(), ns) ==
        kSupportedExtensions.end()) {
      return absl::UnimplementedError(absl::StrCat("overlay ", configuration.instance_name,
                                                   " makes extension ", ns,
                                                   " mandatory; this node does not implement it"));
    }
  }
  return absl::OkStatus();
}

void ApplyTo(const OverlayConfiguration& configuration, core::NodeConfig* config) {
  config->overlay_name = configuration.instance_name;
  config->configuration_sequence = configuration.sequence.value_or(0);
  config->initial_ttl = configuration.initial_ttl;
  config->max_message_size = configuration.max_message_size;
  config->reliability_timer_ms = configuration.overlay_reliability_timer_ms;
  config->update_interval_ms = uint64_t{configuration.chord_update_interval_s} * 1000;
  config->finger_refresh_ms = uint64_t{configuration.chord_ping_interval_s} * 1000;
  config->reactive = configuration.chord_reactive;

  config->bootstrap.clear();
  for (const BootstrapNode& b : configuration.bootstrap_nodes) {
    config->bootstrap.push_back(b.endpoint);
  }

  // What KindsOf() would refuse is left out (see the header).
  auto kinds =
      std::make_shared<core::storage::KindRegistry>(core::storage::KindRegistry::WithBuiltins());
  for (const RequiredKind& k : configuration.required_kinds) {
    kinds->Add(k.definition).IgnoreError();
  }
  config->kinds = std::move(kinds);

  absl::StatusOr<core::storage::DomainRestriction> restriction = DomainRestrictionOf(configuration);
  if (restriction.ok() && configuration.sip_domain_restriction.has_value()) {
    config->sip_domain_restriction =
        std::make_shared<const core::storage::DomainRestriction>(std::move(*restriction));
  } else {
    // No element means any domain; a pattern that does not compile cannot reach here
    // (ParseOverlayDocument compiles each one), so null (any domain) is exact.
    config->sip_domain_restriction = nullptr;
  }
}

}  // namespace p2psip::config

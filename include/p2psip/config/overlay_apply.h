// From a parsed overlay configuration to what the core runs with: the kind registry, the SIP
// domain restriction and the NodeConfig fields the document governs.
#ifndef P2PSIP_CONFIG_OVERLAY_APPLY_H_
#define P2PSIP_CONFIG_OVERLAY_APPLY_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "p2psip/config/overlay_document.h"
#include "p2psip/core/node.h"
#include "p2psip/core/storage/access_control.h"
#include "p2psip/core/storage/kinds.h"

namespace p2psip::config {

// The built-in kinds (KindRegistry::WithBuiltins) plus the configuration's required kinds. Fails,
// naming the kind's line, when a kind cannot be enforced here: a registered id this node does
// not implement (the RFC example's id 2000 is one) or a definition the registry refuses.
absl::StatusOr<core::storage::KindRegistry> KindsOf(const OverlayConfiguration& configuration);

// RFC 7904 §3.3: no element: any domain; enable absent or false: the overlay's own domain
// (instance-name); enable="true": the patterns.
absl::StatusOr<core::storage::DomainRestriction> DomainRestrictionOf(
    const OverlayConfiguration& configuration);

// What a node would lack to take part in this overlay: a topology plug-in other than
// CHORD-RELOAD, or a mandatory-extension namespace this node does not implement (RFC 6940
// §11.1: such a node MUST NOT join).
absl::Status CheckSupported(const OverlayConfiguration& configuration);

// Sets overlay_name, configuration_sequence (0 without a sequence attribute), initial_ttl,
// max_message_size, reliability_timer_ms, update_interval_ms, finger_refresh_ms
// (chord-ping-interval), reactive, bootstrap, kinds and sip_domain_restriction; leaves every
// other field (id, address, roles, storage tuning) as it was. NodeConfig has no field for
// node-id-length: callers read configuration.node_id_length.
//
// Never fails: a required kind that KindsOf() would refuse is left out of `kinds`, so call
// KindsOf() first when the overlay must not be joined without it (RFC 6940 §11.1).
void ApplyTo(const OverlayConfiguration& configuration, core::NodeConfig* config);

}  // namespace p2psip::config

#endif  // P2PSIP_CONFIG_OVERLAY_APPLY_H_

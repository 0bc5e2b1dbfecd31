// ConfigUpdate (RFC 6940 §11.1; digest §9.4, ConfigUpdateReq in §4.1): whether a node running one
// configuration adopts a candidate document, and what it must do then.
//
// The node hands in what it runs now (the parsed configuration and the text it came from) and
// the candidate's bytes (the config_data of a ConfigUpdateReq, or a re-fetched document).
// EvaluateConfigUpdate decides, in this order:
//   1. the candidate parses and validates                    else reject, Error_Invalid_Message
//   2. it has a configuration for the current instance-name  else reject (wrong overlay),
//                                                                 Error_Incompatible_with_Overlay
//   3. its sequence is newer (IsNewerSequence; 65534 -> 0)   else reject (stale or equal),
//                                                                 Error_Config_Too_Old
//   4. it is signed by a configuration-signer of the CURRENT configuration (§11.1: a new
//      configuration is authorised by the previous one; a signer listed only in the candidate
//      is not)                                               else reject, Error_Forbidden
//   5. kinds: each kind-block must carry a kind-signature by a kind-signer of the candidate
//      (which step 4 authenticated); other blocks are refused, not adopted. Kinds the node has
//      now that the candidate does not carry with an acceptable signature (their kind-signer
//      was dropped, the block was removed, or its new signature is refused) are reported: the
//      node MUST drop them with their data (§11.1).
//   6. the node can meet it (CheckSupported and KindsOf on the adopted kinds) else must leave.
// It never touches the node: the result says what to do, the caller does it.
#ifndef P2PSIP_CONFIG_CONFIG_UPDATE_H_
#define P2PSIP_CONFIG_CONFIG_UPDATE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "p2psip/config/overlay_document.h"
#include "p2psip/core/environment.h"
#include "p2psip/wire/constants.h"

namespace p2psip::config {

enum class ConfigUpdateVerdict : uint8_t {
  kAccept,     // adopt `configuration` (possibly leaving and rejoining, §11.1)
  kReject,     // keep the current configuration; answer with `error`
  kMustLeave,  // authentic and newer, but this node cannot meet it: it MUST leave the overlay
};

struct KindChange {
  uint32_t id = 0;
  std::string name;    // "" for a private kind
  std::string reason;  // why it is refused or dropped
};

struct ConfigUpdateResult {
  ConfigUpdateVerdict verdict = ConfigUpdateVerdict::kReject;
  // OK on kAccept; otherwise why (for kReject, a SignatureFailure payload when step 4 failed).
  absl::Status reason;
  // The error answer to a ConfigUpdateReq when rejected.
  wire::ErrorCode error = wire::ErrorCode::kInvalidMessage;
  // The candidate's configuration with only the kinds it adopts (kAccept, kMustLeave).
  std::optional<OverlayConfiguration> configuration;
  NodeId signer;                                  // who signed it (kAccept, kMustLeave)
  std::vector<KindChange> refused;                // kind-blocks of the candidate not adopted
  std::vector<KindChange> dropped;                // kinds to drop now, with all their stored data
  std::vector<std::string> removed_kind_signers;  // kind-signers (hex) the candidate drops
};

// `current` must have been parsed from `current_document`. `verifier` checks certificates
// against the overlay's roots (the node's Signer).
ConfigUpdateResult EvaluateConfigUpdate(const OverlayConfiguration& current,
                                        std::string_view current_document,
                                        std::string_view candidate_document,
                                        core::Signer& verifier);

// ConfigUpdate(kind): KindDescriptions, each one UTF-8 <kind-block> in the default namespace
// urn:ietf:params:xml:ns:p2p:config-base (digest §4.1), sent to a node that answered
// Error_Unknown_Kind. A block is adopted only if its <kind-signature> is by a kind-signer of the
// configuration the node runs (§11.1); otherwise it is refused, and the answer is
// Error_Forbidden. Blocks that do not parse as exactly one kind-block are refused with
// Error_Invalid_Message.
struct KindUpdateResult {
  bool accepted = false;  // every block adopted
  absl::Status reason;    // OK, or why the first refused block was refused
  wire::ErrorCode error = wire::ErrorCode::kInvalidMessage;  // the answer when not accepted
  // The adopted kinds; their `bytes` are offsets into their own block's text.
  std::vector<RequiredKind> kinds;
  std::vector<KindChange> refused;
};
KindUpdateResult EvaluateKindUpdate(const OverlayConfiguration& current,
                                    const std::vector<std::string>& kind_blocks,
                                    core::Signer& verifier);

}  // namespace p2psip::config

#endif  // P2PSIP_CONFIG_CONFIG_UPDATE_H_

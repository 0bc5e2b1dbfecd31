// Writes a signed overlay configuration document (RFC 6940 §11.1) from structured input: what
// `p2psip overlay init` and `bump` produce, and what tests use to build documents.
//
// The output has one <configuration> followed by its <signature>; every kind-block carries a
// <kind-signature>. Kinds are signed first, then the configuration text (which contains the
// kind signatures), so the configuration signature covers everything but itself. The text
// parses with ParseOverlayDocument and validates with `xmllint --relaxng src/config/reload.rng`.
#ifndef P2PSIP_CONFIG_OVERLAY_WRITER_H_
#define P2PSIP_CONFIG_OVERLAY_WRITER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "p2psip/config/overlay_document.h"
#include "p2psip/core/environment.h"
#include "p2psip/ids.h"

namespace p2psip::config {

// One <kind> of <required-kinds>.
struct KindBlockSpec {
  uint32_t id = 0;
  std::string name;  // IANA name; "" writes id= instead (private kinds)
  std::string data_model;
  std::string access_control;
  uint32_t max_count = 1;
  uint32_t max_size = 1024;
  std::optional<uint32_t> max_node_multiple;
};

// The kinds a p2psip overlay requires (digest §5.1), with the data model and policy the IANA
// registry gives (SIP-REGISTRATION as RFC 7904 defines it: DICTIONARY, USER-NODE-MATCH, not the
// RFC 6940 example's SINGLE/USER-MATCH) and the limits of KindRegistry::WithBuiltins:
// SIP-REGISTRATION, TURN-SERVICE, CERTIFICATE_BY_NODE, CERTIFICATE_BY_USER.
std::vector<KindBlockSpec> BuiltinKindBlocks();

struct OverlaySpec {
  std::string instance_name;
  uint16_t sequence = 0;                         // 0..65534
  std::optional<int64_t> expiration;             // Unix seconds, written as RFC 3339 UTC
  std::vector<std::vector<uint8_t>> root_certs;  // DER
  std::vector<std::string> enrollment_servers;
  bool self_signed_permitted = false;
  std::string self_signed_digest = "sha256";
  struct Bootstrap {
    std::string address;  // IPv4 or IPv6 literal
    uint16_t port = kDefaultBootstrapPort;
  };
  std::vector<Bootstrap> bootstrap_nodes;
  uint8_t node_id_length = 16;
  uint32_t max_message_size = 5000;
  uint8_t initial_ttl = 100;
  uint32_t overlay_reliability_timer_ms = 3000;
  uint32_t chord_update_interval_s = 600;
  uint32_t chord_ping_interval_s = 3600;
  bool chord_reactive = true;
  std::vector<NodeId> configuration_signers;
  std::vector<NodeId> kind_signers;
  std::vector<std::string> mandatory_extensions;  // XML namespaces a node MUST implement
  std::vector<KindBlockSpec> kinds = BuiltinKindBlocks();
};

// The document, kinds and configuration signed by `signer` (normally a listed
// configuration-signer and kind-signer). InvalidArgument for input the grammar or the RFC
// refuses (empty instance name, sequence 65535, node-id-length outside 16..20, a reliability
// timer under 200 ms, characters XML cannot carry).
absl::StatusOr<std::string> WriteOverlayDocument(const OverlaySpec& spec, core::Signer& signer);

// `document` with its configuration for `instance_name` given sequence `sequence` (the
// attribute is rewritten in place) and signed again by `signer`: the ConfigUpdate a bootstrap
// node pushes. Kind blocks keep their signatures (their bytes do not change). The document must
// have been written by WriteOverlayDocument or have the <signature> right after the
// configuration (white space between them only).
absl::StatusOr<std::string> ResignWithSequence(std::string_view document,
                                               std::string_view instance_name, uint16_t sequence,
                                               core::Signer& signer);

// Unix seconds as RFC 3339 UTC ("2026-11-25T03:00:00Z").
std::string Rfc3339(int64_t unix_seconds);

}  // namespace p2psip::config

#endif  // P2PSIP_CONFIG_OVERLAY_WRITER_H_

// The RELOAD overlay configuration document (RFC 6940 §11.1; digest §9): parsed, validated
// against the RELAX NG grammar and turned into plain structs.
//
// ParseOverlayDocument() takes the document's bytes (UTF-8, at most ParseOptions::max_bytes),
// parses them with libxml2 (no network, no DTD, no entity expansion), validates them against the
// grammar in src/config/reload.rnc (RFC 6940 §11.1.1 plus overlay-reliability-timer and RFC
// 7904's sip:domain-restriction; the .rng is embedded in the library) and extracts each
// <configuration>. Every error names the line it is on and why; nothing is printed.
//
// Signatures are not verified here: the exact bytes they cover (digest §9.4: from the `<` of
// `<configuration` to the `>` of `</configuration>`, and likewise for `<kind>`) and the decoded
// signature blobs are exposed for the certificate code to check.
#ifndef P2PSIP_CONFIG_OVERLAY_DOCUMENT_H_
#define P2PSIP_CONFIG_OVERLAY_DOCUMENT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "p2psip/core/storage/kinds.h"
#include "p2psip/wire/ip_address_port.h"

namespace p2psip::config {

inline constexpr std::string_view kConfigBaseNamespace = "urn:ietf:params:xml:ns:p2p:config-base";
inline constexpr std::string_view kConfigChordNamespace = "urn:ietf:params:xml:ns:p2p:config-chord";
inline constexpr std::string_view kConfigSipNamespace =
    "urn:ietf:params:xml:ns:p2p:config-base:sip";
inline constexpr uint16_t kDefaultBootstrapPort = 6084;

// [begin, end) byte offsets into the document that was parsed.
struct ByteRange {
  size_t begin = 0;
  size_t end = 0;
  size_t size() const { return end - begin; }
  // The bytes of this range in `document` (the same text that was parsed).
  std::string_view Of(std::string_view document) const {
    return document.substr(begin, end - begin);
  }
  friend bool operator==(const ByteRange&, const ByteRange&) = default;
};

// A <signature> or <kind-signature>: base64 of a SecurityBlock (RFC 6940 §11.1, §11.4).
struct SignatureBlob {
  std::string algorithm;       // the algorithm attribute, "" when absent
  std::vector<uint8_t> value;  // decoded bytes
  int line = 0;
};

struct BootstrapNode {
  std::string address;                    // as written (trimmed)
  uint16_t port = kDefaultBootstrapPort;  // default 6084 when the attribute is absent
  wire::IpAddressPort endpoint;           // address and port, parsed
};

// One <kind> of <required-kinds>.
struct RequiredKind {
  // What this node enforces. A kind this node implements (IANA name, or its id) keeps its
  // registered data model and access policy (RFC 6940 §11.1: receivers ignore the document's
  // values for them) and takes only the limits; a private kind (0xF0000001..0xFFFFFFFD) takes
  // everything from the document. Any other id is kept as written and refused by KindsOf().
  core::storage::KindDefinition definition;
  bool registered = false;                 // a registered kind this node implements
  std::string data_model;                  // as written (trimmed)
  std::string access_control;              // as written (trimmed)
  ByteRange bytes;                         // `<kind ...>` to `</kind>`: what kind-signature covers
  std::optional<SignatureBlob> signature;  // <kind-signature>
  int line = 0;
};

// RFC 7904 §3.3 <sip:domain-restriction>, inside the SIP-REGISTRATION kind (as RFC 7904 puts
// it) or directly in the configuration.
struct SipDomainRestriction {
  bool enable = false;                // enable="true": patterns apply; else the overlay's domain
  std::vector<std::string> patterns;  // POSIX extended regular expressions (checked to compile)
  int line = 0;
};

// One <configuration>; every field holds the document's value or the digest §9.2 default.
struct OverlayConfiguration {
  std::string instance_name;
  std::optional<uint16_t> sequence;   // 0..65534 (attribute optional in the grammar)
  std::optional<int64_t> expiration;  // Unix seconds (RFC 3339 / xsd:dateTime, UTC if no zone)
  std::string topology_plugin = "CHORD-RELOAD";
  uint8_t node_id_length = 16;                   // 16..20
  std::vector<std::vector<uint8_t>> root_certs;  // DER, as decoded from base64 (not parsed here)
  std::vector<std::string> enrollment_servers;
  bool self_signed_permitted = false;
  std::string self_signed_digest;  // the digest attribute ("sha1", ...); "" without the element
  std::vector<BootstrapNode> bootstrap_nodes;
  uint8_t turn_density = 1;
  bool clients_permitted = true;
  bool no_ice = false;
  uint32_t chord_update_interval_s = 600;
  uint32_t chord_ping_interval_s = 3600;
  bool chord_reactive = true;
  std::optional<std::string> shared_secret;  // trimmed
  uint32_t max_message_size = 5000;
  uint8_t initial_ttl = 100;
  uint32_t overlay_reliability_timer_ms = 3000;               // >= 200
  std::vector<std::string> overlay_link_protocols = {"TLS"};  // "TLS" means TLS and DTLS
  std::vector<std::string> kind_signers;           // Node-IDs in hex, as written (trimmed)
  std::vector<std::string> configuration_signers;  // idem
  std::vector<std::string> bad_nodes;              // idem
  std::vector<std::string> mandatory_extensions;   // XML namespaces
  std::vector<RequiredKind> required_kinds;
  std::optional<SipDomainRestriction> sip_domain_restriction;  // absent: any domain

  ByteRange bytes;                         // `<configuration` to `</configuration>`, exact
  std::optional<SignatureBlob> signature;  // the <signature> right after it
  int line = 0;
  // Things the document says that this node ignores, with their line (e.g. the data model the
  // RFC's own example gives SIP-REGISTRATION, which the registered one overrides).
  std::vector<std::string> warnings;
};

struct OverlayDocument {
  std::vector<OverlayConfiguration> configurations;  // in document order

  // The first configuration for `instance_name`, or null.
  const OverlayConfiguration* Find(std::string_view instance_name) const;
};

struct ParseOptions {
  // Larger documents are refused before parsing.
  size_t max_bytes = size_t{1} << 20;
  // A RELAX NG grammar (XML syntax) to validate against instead of the built-in one; tests use
  // it to show that the RFC's unfixed grammar rejects the RFC's own example.
  std::string_view grammar;
};

// The built-in grammar: src/config/reload.rng, embedded at build time.
std::string_view BuiltinGrammar();

// Parses, validates and extracts. Errors are InvalidArgument with messages of the form
// "line N: reason" (several validation errors are joined with "; "); Internal when the grammar
// does not compile. Thread-safe: the grammar is compiled for each call (about half a millisecond
// for the RFC's example document), so no libxml2 state is shared between calls.
absl::StatusOr<OverlayDocument> ParseOverlayDocument(std::string_view xml,
                                                     const ParseOptions& options = {});

}  // namespace p2psip::config

#endif  // P2PSIP_CONFIG_OVERLAY_DOCUMENT_H_

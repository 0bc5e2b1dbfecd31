// Reads one <configuration>: its attributes and parameters (RFC 6940 §11.1, digest §9.2).
#include <limits>

#include "config/document_reader.h"
#include "config/xsd_values.h"
#include "p2psip/config/sequence.h"
#include "p2psip/core/storage/access_control.h"

namespace p2psip::config::internal {
namespace {

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

std::string Trimmed(const xmlNode* node) { return std::string(TrimXmlSpace(TextOf(node))); }

absl::StatusOr<bool> ReadBoolean(const ReadContext& ctx, const xmlNode* node) {
  const std::string text = TextOf(node);
  std::optional<bool> v = ParseXsdBoolean(text);
  if (!v.has_value()) {
    return ctx.Error(node, "<", NameOf(node), "> \"", TrimXmlSpace(text), "\" is not a boolean");
  }
  return *v;
}

absl::StatusOr<int64_t> ReadIntegerElement(const ReadContext& ctx, const xmlNode* node, int64_t min,
                                           int64_t max) {
  return ReadInteger(ctx, node, TextOf(node), absl::StrCat("<", Sv(NameOf(node)), ">"), min, max);
}

absl::Status ReadAttributes(const ReadContext& ctx, const xmlNode* node,
                            OverlayConfiguration* out) {
  std::optional<std::string> name = AttributeOf(node, "instance-name");
  if (!name.has_value()) {
    return ctx.Error(node, "<configuration> lacks the required attribute instance-name");
  }
  out->instance_name = std::string(TrimXmlSpace(*name));
  if (out->instance_name.empty()) return ctx.Error(node, "instance-name is empty");
  if (std::optional<std::string> seq = AttributeOf(node, "sequence"); seq.has_value()) {
    absl::StatusOr<int64_t> v =
        ReadInteger(ctx, node, *seq, "sequence", 0, kMaxConfigurationSequence);
    if (!v.ok()) return v.status();
    out->sequence = static_cast<uint16_t>(*v);
  }
  if (std::optional<std::string> exp = AttributeOf(node, "expiration"); exp.has_value()) {
    out->expiration = ParseXsdDateTime(*exp);
    if (!out->expiration.has_value()) {
      return ctx.Error(node, "expiration \"", TrimXmlSpace(*exp),
                       "\" is not an RFC 3339 date-time");
    }
  }
  return absl::OkStatus();
}

absl::Status ReadBootstrapNode(const ReadContext& ctx, const xmlNode* node,
                               OverlayConfiguration* out) {
  BootstrapNode b;
  std::optional<std::string> address = AttributeOf(node, "address");
  if (!address.has_value()) {
    return ctx.Error(node, "<bootstrap-node> lacks the required attribute address");
  }
  b.address = std::string(TrimXmlSpace(*address));
  if (std::optional<std::string> port = AttributeOf(node, "port"); port.has_value()) {
    absl::StatusOr<int64_t> v = ReadInteger(ctx, node, *port, "bootstrap-node port", 1, 65535);
    if (!v.ok()) return v.status();
    b.port = static_cast<uint16_t>(*v);
  }
  std::optional<wire::IpAddressPort> endpoint = wire::IpAddressPort::Parse(b.address, b.port);
  if (!endpoint.has_value()) {
    return ctx.Error(node, "bootstrap-node address \"", b.address,
                     "\" is not an IPv4 or IPv6 address");
  }
  b.endpoint = *endpoint;
  out->bootstrap_nodes.push_back(std::move(b));
  return absl::OkStatus();
}

absl::Status ReadBaseParameter(const ReadContext& ctx, const xmlNode* node,
                               OverlayConfiguration* out, bool* link_protocols_seen) {
  const std::string_view name = NameOf(node);
  if (name == "topology-plugin") {
    out->topology_plugin = Trimmed(node);
  } else if (name == "node-id-length") {
    absl::StatusOr<int64_t> v = ReadIntegerElement(ctx, node, 16, 20);
    if (!v.ok()) return v.status();
    out->node_id_length = static_cast<uint8_t>(*v);
  } else if (name == "root-cert") {
    std::optional<std::vector<uint8_t>> der = ParseXsdBase64(TextOf(node));
    if (!der.has_value()) return ctx.Error(node, "<root-cert> is not valid base64");
    if (der->empty()) return ctx.Error(node, "<root-cert> is empty");
    out->root_certs.push_back(std::move(*der));
  } else if (name == "enrollment-server") {
    out->enrollment_servers.push_back(Trimmed(node));
  } else if (name == "self-signed-permitted") {
    absl::StatusOr<bool> v = ReadBoolean(ctx, node);
    if (!v.ok()) return v.status();
    std::optional<std::string> digest = AttributeOf(node, "digest");
    if (!digest.has_value()) {
      return ctx.Error(node, "<self-signed-permitted> lacks the required attribute digest");
    }
    out->self_signed_permitted = *v;
    out->self_signed_digest = std::string(TrimXmlSpace(*digest));
  } else if (name == "bootstrap-node") {
    return ReadBootstrapNode(ctx, node, out);
  } else if (name == "turn-density") {
    absl::StatusOr<int64_t> v = ReadIntegerElement(ctx, node, 0, 255);
    if (!v.ok()) return v.status();
    out->turn_density = static_cast<uint8_t>(*v);
  } else if (name == "clients-permitted" || name == "no-ice") {
    absl::StatusOr<bool> v = ReadBoolean(ctx, node);
    if (!v.ok()) return v.status();
    (name == "no-ice" ? out->no_ice : out->clients_permitted) = *v;
  } else if (name == "shared-secret") {
    out->shared_secret = Trimmed(node);
  } else if (name == "max-message-size") {
    absl::StatusOr<int64_t> v = ReadIntegerElement(ctx, node, 1, 0xFFFFFFFF);
    if (!v.ok()) return v.status();
    out->max_message_size = static_cast<uint32_t>(*v);
  } else if (name == "initial-ttl") {
    absl::StatusOr<int64_t> v = ReadIntegerElement(ctx, node, 1, 255);
    if (!v.ok()) return v.status();
    out->initial_ttl = static_cast<uint8_t>(*v);
  } else if (name == "overlay-reliability-timer") {
    // RFC 6940 §11.1: at least 200 ms.
    absl::StatusOr<int64_t> v = ReadIntegerElement(ctx, node, 200, kInt32Max);
    if (!v.ok()) return v.status();
    out->overlay_reliability_timer_ms = static_cast<uint32_t>(*v);
  } else if (name == "overlay-link-protocol") {
    if (!*link_protocols_seen) out->overlay_link_protocols.clear();  // replaces the default
    *link_protocols_seen = true;
    out->overlay_link_protocols.push_back(Trimmed(node));
  } else if (name == "kind-signer") {
    out->kind_signers.push_back(Trimmed(node));
  } else if (name == "configuration-signer") {
    out->configuration_signers.push_back(Trimmed(node));
  } else if (name == "bad-node") {
    out->bad_nodes.push_back(Trimmed(node));
  } else if (name == "mandatory-extension") {
    out->mandatory_extensions.push_back(Trimmed(node));
  } else if (name == "required-kinds") {
    return ReadRequiredKinds(ctx, node, out);
  } else {
    return ctx.Error(node, "unknown element <", name, "> in the base namespace");
  }
  return absl::OkStatus();
}

absl::Status ReadChordParameter(const ReadContext& ctx, const xmlNode* node,
                                OverlayConfiguration* out) {
  const std::string_view name = NameOf(node);
  if (name == "chord-reactive") {
    absl::StatusOr<bool> v = ReadBoolean(ctx, node);
    if (!v.ok()) return v.status();
    out->chord_reactive = *v;
    return absl::OkStatus();
  }
  if (name == "chord-update-interval" || name == "chord-ping-interval") {
    absl::StatusOr<int64_t> v = ReadIntegerElement(ctx, node, 1, kInt32Max);
    if (!v.ok()) return v.status();
    (name == "chord-ping-interval" ? out->chord_ping_interval_s : out->chord_update_interval_s) =
        static_cast<uint32_t>(*v);
    return absl::OkStatus();
  }
  return ctx.Error(node, "unknown element <chord:", name, ">");
}

}  // namespace

absl::StatusOr<SipDomainRestriction> ReadDomainRestriction(const ReadContext& ctx,
                                                           const xmlNode* node) {
  SipDomainRestriction r;
  r.line = ctx.LineOf(node);
  if (std::optional<std::string> enable = AttributeOf(node, "enable"); enable.has_value()) {
    std::optional<bool> v = ParseXsdBoolean(*enable);
    if (!v.has_value()) {
      return ctx.Error(node, "domain-restriction enable \"", *enable, "\" is not a boolean");
    }
    r.enable = *v;
  }
  for (const xmlNode* c = FirstChildElement(node); c != nullptr; c = NextElement(c)) {
    if (!IsElement(c, kConfigSipNamespace, "pattern")) continue;
    std::string pattern = Trimmed(c);
    // Compiled here so that a bad pattern is reported with its line, not when a node starts.
    absl::StatusOr<core::storage::DomainRestriction> compiled =
        core::storage::DomainRestriction::Patterns({pattern});
    if (!compiled.ok()) return ctx.Error(c, compiled.status().message());
    r.patterns.push_back(std::move(pattern));
  }
  return r;
}

absl::Status ReadConfiguration(const ReadContext& ctx, const xmlNode* node,
                               OverlayConfiguration* out) {
  out->line = ctx.LineOf(node);
  out->bytes = ctx.RangeOf(node);
  if (absl::Status s = ReadAttributes(ctx, node, out); !s.ok()) return s;
  bool link_protocols_seen = false;
  for (const xmlNode* c = FirstChildElement(node); c != nullptr; c = NextElement(c)) {
    const std::string_view ns = NamespaceOf(c);
    absl::Status s;
    if (ns == kConfigBaseNamespace) {
      s = ReadBaseParameter(ctx, c, out, &link_protocols_seen);
    } else if (ns == kConfigChordNamespace) {
      s = ReadChordParameter(ctx, c, out);
    } else if (IsElement(c, kConfigSipNamespace, "domain-restriction")) {
      absl::StatusOr<SipDomainRestriction> r = ReadDomainRestriction(ctx, c);
      if (!r.ok()) return r.status();
      // One inside the SIP-REGISTRATION kind (RFC 7904's place) takes precedence.
      if (!out->sip_domain_restriction.has_value()) out->sip_domain_restriction = std::move(*r);
    } else if (ns.empty()) {
      s = ctx.Error(c, "element <", NameOf(c), "> has no namespace");
    }
    // Any other namespace is an extension this node does not know: ignored (RFC 6940 §11.1),
    // unless it is listed in <mandatory-extension> (see CheckSupported).
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace p2psip::config::internal

#include "p2psip/config/overlay_writer.h"

#include <cstdio>
#include <ctime>
#include <utility>

#include "absl/strings/str_cat.h"
#include "p2psip/config/config_signature.h"
#include "p2psip/config/sequence.h"
#include "p2psip/core/storage/kinds.h"
#include "p2psip/wire/constants.h"

namespace p2psip::config {
namespace {

constexpr char kIndent1[] = "  ";
constexpr char kIndent2[] = "    ";
constexpr char kIndent3[] = "      ";
constexpr char kIndent4[] = "        ";

// absl 20220623 (Debian 12) has its own string_view, which std::string_view does not convert to.
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// XML character data and attribute values: escapes markup and refuses what XML 1.0 cannot carry
// (control characters other than tab, CR and LF).
absl::StatusOr<std::string> Escape(std::string_view text, const char* field) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 && c != '\t' && c != '\n' && c != '\r') {
      return absl::InvalidArgumentError(absl::StrCat(field, " has a control character"));
    }
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string Element(const char* indent, const char* name, std::string_view value) {
  return absl::StrCat(indent, "<", name, ">", Sv(value), "</", name, ">\n");
}

absl::StatusOr<std::string> KindText(const KindBlockSpec& k) {
  std::string out;
  if (k.name.empty()) {
    absl::StrAppend(&out, "<kind id=\"", k.id, "\">\n");
  } else {
    absl::StatusOr<std::string> name = Escape(k.name, "kind name");
    if (!name.ok()) return name.status();
    absl::StrAppend(&out, "<kind name=\"", *name, "\">\n");
  }
  absl::StatusOr<std::string> model = Escape(k.data_model, "data-model");
  absl::StatusOr<std::string> policy = Escape(k.access_control, "access-control");
  if (!model.ok()) return model.status();
  if (!policy.ok()) return policy.status();
  out += Element(kIndent4, "data-model", *model);
  out += Element(kIndent4, "access-control", *policy);
  out += Element(kIndent4, "max-count", absl::StrCat(k.max_count));
  out += Element(kIndent4, "max-size", absl::StrCat(k.max_size));
  if (k.max_node_multiple.has_value()) {
    out += Element(kIndent4, "max-node-multiple", absl::StrCat(*k.max_node_multiple));
  }
  absl::StrAppend(&out, kIndent3, "</kind>");
  return out;
}

// The end of a start tag that begins at `begin`: one past its '>' (quotes honoured).
size_t StartTagEnd(std::string_view text, size_t begin) {
  char quote = 0;
  for (size_t i = begin; i < text.size(); ++i) {
    const char c = text[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

std::vector<KindBlockSpec> BuiltinKindBlocks() {
  const core::storage::KindRegistry builtins = core::storage::KindRegistry::WithBuiltins();
  std::vector<KindBlockSpec> out;
  for (uint32_t id : {wire::kKindSipRegistration, wire::kKindTurnService,
                      wire::kKindCertificateByNode, wire::kKindCertificateByUser}) {
    const core::storage::KindDefinition* k = builtins.Find(id);
    if (k == nullptr) continue;
    KindBlockSpec spec{.id = k->id,
                       .name = k->name,
                       .data_model = wire::DataModelName(k->model),
                       .access_control = core::storage::AccessPolicyName(k->policy),
                       .max_count = k->max_count,
                       .max_size = k->max_size};
    if (k->policy == core::storage::AccessPolicy::kNodeMultiple) {
      spec.max_node_multiple = k->max_node_multiple;
    }
    out.push_back(std::move(spec));
  }
  return out;
}

std::string Rfc3339(int64_t unix_seconds) {
  const time_t t = static_cast<time_t>(unix_seconds);
  struct tm utc;
  gmtime_r(&t, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

absl::StatusOr<std::string> WriteOverlayDocument(const OverlaySpec& spec, core::Signer& signer) {
  if (spec.instance_name.empty()) return absl::InvalidArgumentError("empty instance name");
  if (spec.sequence > kMaxConfigurationSequence) {
    return absl::InvalidArgumentError("sequence must be 0..65534");
  }
  if (spec.node_id_length < kMinNodeIdLength || spec.node_id_length > kMaxNodeIdLength) {
    return absl::InvalidArgumentError("node-id-length must be 16..20");
  }
  if (spec.overlay_reliability_timer_ms < 200) {
    return absl::InvalidArgumentError("overlay-reliability-timer must be at least 200 ms");
  }
  absl::StatusOr<std::string> name = Escape(spec.instance_name, "instance name");
  if (!name.ok()) return name.status();

  std::string c =
      absl::StrCat("<configuration instance-name=\"", *name, "\" sequence=\"", spec.sequence, "\"");
  if (spec.expiration.has_value()) {
    absl::StrAppend(&c, " expiration=\"", Rfc3339(*spec.expiration), "\"");
  }
  c += ">\n";
  c += Element(kIndent2, "topology-plugin", "CHORD-RELOAD");
  c += Element(kIndent2, "node-id-length", absl::StrCat(spec.node_id_length));
  for (const std::vector<uint8_t>& der : spec.root_certs) {
    const std::string b64 = Base64(der);
    absl::StrAppend(&c, kIndent2, "<root-cert>");
    for (size_t at = 0; at < b64.size(); at += 64) {
      absl::StrAppend(&c, "\n", kIndent3, b64.substr(at, 64));
    }
    absl::StrAppend(&c, "\n", kIndent2, "</root-cert>\n");
  }
  for (const std::string& url : spec.enrollment_servers) {
    absl::StatusOr<std::string> u = Escape(url, "enrollment-server");
    if (!u.ok()) return u.status();
    c += Element(kIndent2, "enrollment-server", *u);
  }
  absl::StatusOr<std::string> digest = Escape(spec.self_signed_digest, "digest");
  if (!digest.ok()) return digest.status();
  absl::StrAppend(&c, kIndent2, "<self-signed-permitted digest=\"", *digest, "\">",
                  spec.self_signed_permitted ? "true" : "false", "</self-signed-permitted>\n");
  for (const OverlaySpec::Bootstrap& b : spec.bootstrap_nodes) {
    absl::StatusOr<std::string> address = Escape(b.address, "bootstrap address");
    if (!address.ok()) return address.status();
    absl::StrAppend(&c, kIndent2, "<bootstrap-node address=\"", *address, "\" port=\"", b.port,
                    "\"/>\n");
  }
  c += Element(kIndent2, "chord:chord-update-interval", absl::StrCat(spec.chord_update_interval_s));
  c += Element(kIndent2, "chord:chord-ping-interval", absl::StrCat(spec.chord_ping_interval_s));
  c += Element(kIndent2, "chord:chord-reactive", spec.chord_reactive ? "true" : "false");
  c += Element(kIndent2, "max-message-size", absl::StrCat(spec.max_message_size));
  c += Element(kIndent2, "initial-ttl", absl::StrCat(spec.initial_ttl));
  c += Element(kIndent2, "overlay-reliability-timer",
               absl::StrCat(spec.overlay_reliability_timer_ms));
  for (const NodeId& id : spec.configuration_signers) {
    c += Element(kIndent2, "configuration-signer", id.ToHex());
  }
  for (const NodeId& id : spec.kind_signers) c += Element(kIndent2, "kind-signer", id.ToHex());
  for (const std::string& ns : spec.mandatory_extensions) {
    absl::StatusOr<std::string> escaped = Escape(ns, "mandatory-extension");
    if (!escaped.ok()) return escaped.status();
    c += Element(kIndent2, "mandatory-extension", *escaped);
  }
  if (!spec.kinds.empty()) {
    absl::StrAppend(&c, kIndent2, "<required-kinds>\n");
    for (const KindBlockSpec& k : spec.kinds) {
      absl::StatusOr<std::string> kind = KindText(k);
      if (!kind.ok()) return kind.status();
      absl::StrAppend(&c, kIndent3, "<kind-block>\n", kIndent4, *kind, "\n", kIndent4,
                      SignKindText(*kind, signer, kIndent4), "\n", kIndent3, "</kind-block>\n");
    }
    absl::StrAppend(&c, kIndent2, "</required-kinds>\n");
  }
  absl::StrAppend(&c, kIndent1, "</configuration>");

  return absl::StrCat("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<overlay xmlns=\"",
                      Sv(kConfigBaseNamespace), "\"\n    xmlns:chord=\"", Sv(kConfigChordNamespace),
                      "\">\n", kIndent1, c, "\n", kIndent1,
                      SignConfigurationText(c, signer, kIndent1), "\n</overlay>\n");
}

absl::StatusOr<std::string> ResignWithSequence(std::string_view document,
                                               std::string_view instance_name, uint16_t sequence,
                                               core::Signer& signer) {
  if (sequence > kMaxConfigurationSequence) {
    return absl::InvalidArgumentError("sequence must be 0..65534");
  }
  absl::StatusOr<OverlayDocument> parsed = ParseOverlayDocument(document);
  if (!parsed.ok()) return parsed.status();
  const OverlayConfiguration* c = parsed->Find(instance_name);
  if (c == nullptr) {
    return absl::NotFoundError(absl::StrCat("no configuration for ", Sv(instance_name)));
  }
  std::string text(c->bytes.Of(document));
  const size_t tag_end = StartTagEnd(text, 0);
  if (tag_end == std::string::npos) return absl::InternalError("unterminated start tag");
  // The sequence attribute, preceded by white space, with either quote.
  size_t at = std::string::npos;
  for (size_t i = 1; i + 10 < tag_end; ++i) {
    if (IsSpace(text[i - 1]) && text.compare(i, 9, "sequence=") == 0 &&
        (text[i + 9] == '"' || text[i + 9] == '\'')) {
      at = i;
      break;
    }
  }
  const std::string attribute = absl::StrCat("sequence=\"", sequence, "\"");
  if (at == std::string::npos) {
    text.insert(std::string_view("<configuration").size(), absl::StrCat(" ", attribute));
  } else {
    const size_t close = text.find(text[at + 9], at + 10);
    if (close == std::string::npos || close >= tag_end) {
      return absl::InternalError("unterminated sequence attribute");
    }
    text.replace(at, close + 1 - at, attribute);
  }
  // The old <signature> goes; white space before it stays.
  size_t after = c->bytes.end;
  size_t sig = after;
  while (sig < document.size() && IsSpace(document[sig])) ++sig;
  std::string_view gap = document.substr(after, sig - after);
  if (document.compare(sig, 10, "<signature") == 0) {
    const size_t tag = StartTagEnd(document, sig);
    if (tag == std::string_view::npos) return absl::InternalError("unterminated <signature>");
    if (document[tag - 2] == '/') {
      after = tag;
    } else {
      const size_t end = document.find("</signature>", tag);
      if (end == std::string_view::npos) return absl::InternalError("unterminated <signature>");
      after = end + std::string_view("</signature>").size();
    }
  } else {
    gap = "\n  ";
  }
  return absl::StrCat(Sv(document.substr(0, c->bytes.begin)), text, Sv(gap),
                      SignConfigurationText(text, signer, kIndent1), Sv(document.substr(after)));
}

}  // namespace p2psip::config

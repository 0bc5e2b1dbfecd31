// ParseOverlayDocument: size check, libxml2 parse, the document's elements located in its bytes,
// RELAX NG validation, then the readers (document_reader.h).
#include "p2psip/config/overlay_document.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_join.h"
#include "config/document_reader.h"
#include "config/libxml_document.h"
#include "config/raw_elements.h"
#include "reload_rng.h"  // generated from reload.rng (src/config/meson.build)

namespace p2psip::config {
namespace {

using internal::XmlDiagnostic;

// At most this many validity errors are quoted; libxml2 often reports one problem several ways.
constexpr size_t kMaxReportedErrors = 8;

// Every element of the tree, in pre-order (document order).
std::vector<const xmlNode*> ElementsInOrder(const xmlNode* root) {
  std::vector<const xmlNode*> out;
  std::vector<const xmlNode*> stack = {root};
  while (!stack.empty()) {
    const xmlNode* n = stack.back();
    stack.pop_back();
    out.push_back(n);
    std::vector<const xmlNode*> children;
    for (const xmlNode* c = internal::FirstChildElement(n); c != nullptr;
         c = internal::NextElement(c)) {
      children.push_back(c);
    }
    stack.insert(stack.end(), children.rbegin(), children.rend());
  }
  return out;
}

std::string QualifiedName(const xmlNode* n) {
  std::string name(internal::NameOf(n));
  if (n->ns != nullptr && n->ns->prefix != nullptr) {
    return absl::StrCat(reinterpret_cast<const char*>(n->ns->prefix), ":", name);
  }
  return name;
}

// Pairs each element of the tree with its bytes.
absl::StatusOr<absl::flat_hash_map<const xmlNode*, internal::RawElement>> LocateElements(
    std::string_view xml, const xmlNode* root) {
  std::optional<std::vector<internal::RawElement>> raw = internal::ScanElements(xml);
  const std::vector<const xmlNode*> nodes = ElementsInOrder(root);
  if (!raw.has_value() || raw->size() != nodes.size()) {
    return absl::InvalidArgumentError("cannot locate the document's elements in its bytes");
  }
  absl::flat_hash_map<const xmlNode*, internal::RawElement> out;
  out.reserve(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    if ((*raw)[i].qname != QualifiedName(nodes[i])) {
      return absl::InvalidArgumentError("cannot locate the document's elements in its bytes");
    }
    out.emplace(nodes[i], (*raw)[i]);
  }
  return out;
}

// Attributes the grammar requires: checked before validation because libxml2 reports a missing
// attribute without a line.
std::vector<std::string> MissingAttributes(const internal::ReadContext& ctx,
                                           const std::vector<const xmlNode*>& nodes) {
  std::vector<std::string> out;
  auto require = [&](const xmlNode* n, const char* attribute) {
    if (!internal::AttributeOf(n, attribute).has_value()) {
      out.push_back(
          ctx.Warning(n, "<", internal::NameOf(n), "> lacks the required attribute ", attribute));
    }
  };
  for (const xmlNode* n : nodes) {
    if (internal::NamespaceOf(n) != kConfigBaseNamespace) continue;
    const std::string_view name = internal::NameOf(n);
    if (name == "configuration") require(n, "instance-name");
    if (name == "bootstrap-node") require(n, "address");
    if (name == "self-signed-permitted") require(n, "digest");
    if (name == "kind" && internal::AttributeOf(n, "name").has_value() ==
                              internal::AttributeOf(n, "id").has_value()) {
      out.push_back(ctx.Warning(n, "<kind> needs exactly one of the attributes name and id"));
    }
  }
  return out;
}

absl::Status ValidityError(std::vector<std::string> located,
                           const std::vector<XmlDiagnostic>& errors) {
  const bool any_line =
      !located.empty() ||
      std::any_of(errors.begin(), errors.end(), [](const XmlDiagnostic& d) { return d.line > 0; });
  absl::flat_hash_set<std::string> seen(located.begin(), located.end());
  for (const XmlDiagnostic& d : errors) {
    // Errors without a line only echo ones that have it (libxml2 reports a failure at each level
    // of the tree); keep them only when nothing better is known.
    if (d.line <= 0 && any_line) continue;
    std::string text = d.line > 0 ? absl::StrCat("line ", d.line, ": ", d.message) : d.message;
    if (seen.insert(text).second) located.push_back(std::move(text));
  }
  if (located.size() > kMaxReportedErrors) {
    const size_t more = located.size() - kMaxReportedErrors;
    located.resize(kMaxReportedErrors);
    located.push_back(absl::StrCat("(", more, " more)"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "overlay configuration does not match the RELAX NG grammar: ", absl::StrJoin(located, "; ")));
}

absl::StatusOr<OverlayDocument> ReadDocument(const internal::ReadContext& ctx,
                                             const xmlNode* root) {
  if (!internal::IsElement(root, kConfigBaseNamespace, "overlay")) {
    return ctx.Error(root, "the root element is <", internal::NameOf(root), ">, not <overlay> in ",
                     kConfigBaseNamespace);
  }
  OverlayDocument doc;
  const xmlNode* previous = nullptr;
  for (const xmlNode* c = internal::FirstChildElement(root); c != nullptr;
       c = internal::NextElement(c)) {
    if (internal::IsElement(c, kConfigBaseNamespace, "configuration")) {
      OverlayConfiguration config;
      if (absl::Status s = internal::ReadConfiguration(ctx, c, &config); !s.ok()) return s;
      doc.configurations.push_back(std::move(config));
    } else if (internal::IsElement(c, kConfigBaseNamespace, "signature")) {
      // Each signature covers the configuration right before it (RFC 6940 §11.1).
      if (previous == nullptr ||
          !internal::IsElement(previous, kConfigBaseNamespace, "configuration")) {
        return ctx.Error(c, "<signature> does not follow a <configuration>");
      }
      absl::StatusOr<SignatureBlob> sig = internal::ReadSignature(ctx, c);
      if (!sig.ok()) return sig.status();
      doc.configurations.back().signature = std::move(*sig);
    } else {
      return ctx.Error(c, "unexpected <", internal::NameOf(c), "> in <overlay>");
    }
    previous = c;
  }
  if (doc.configurations.empty()) return ctx.Error(root, "<overlay> has no <configuration>");
  return doc;
}

}  // namespace

const OverlayConfiguration* OverlayDocument::Find(std::string_view instance_name) const {
  for (const OverlayConfiguration& c : configurations) {
    if (c.instance_name == instance_name) return &c;
  }
  return nullptr;
}

std::string_view BuiltinGrammar() {
  return std::string_view(reinterpret_cast<const char*>(internal::kReloadRng),
                          sizeof(internal::kReloadRng));
}

absl::StatusOr<OverlayDocument> ParseOverlayDocument(std::string_view xml,
                                                     const ParseOptions& options) {
  if (xml.size() > options.max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the document is ", xml.size(), " bytes, over the limit of ", options.max_bytes, " bytes"));
  }
  absl::StatusOr<internal::XmlDocPtr> parsed = internal::ParseXml(xml);
  if (!parsed.ok()) return parsed.status();
  const xmlNode* root = xmlDocGetRootElement(parsed->get());

  absl::StatusOr<absl::flat_hash_map<const xmlNode*, internal::RawElement>> located =
      LocateElements(xml, root);
  if (!located.ok()) return located.status();
  const internal::LineIndex lines(xml);
  const internal::ReadContext ctx(xml, &lines, std::move(*located));

  absl::StatusOr<std::vector<XmlDiagnostic>> errors = internal::ValidateRelaxNg(
      parsed->get(), options.grammar.empty() ? BuiltinGrammar() : options.grammar);
  if (!errors.ok()) return errors.status();
  if (!errors->empty()) {
    return ValidityError(MissingAttributes(ctx, ElementsInOrder(root)), *errors);
  }
  return ReadDocument(ctx, root);
}

}  // namespace p2psip::config

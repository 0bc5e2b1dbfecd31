// Tree helpers and the shared readers of document_reader.h.
#include <libxml/xmlmemory.h>

#include "config/document_reader.h"
#include "config/xsd_values.h"

namespace p2psip::config::internal {
namespace {

std::string_view View(const xmlChar* s) {
  return s == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(s));
}

// Owns a string libxml2 allocated.
struct XmlString {
  explicit XmlString(xmlChar* s) : s_(s) {}
  ~XmlString() { xmlFree(s_); }
  XmlString(const XmlString&) = delete;
  XmlString& operator=(const XmlString&) = delete;
  xmlChar* s_;
};

}  // namespace

int ReadContext::LineOf(const xmlNode* node) const {
  auto it = raw_.find(node);
  if (it != raw_.end()) return lines_->LineAt(it->second.begin);
  return node == nullptr ? 0 : static_cast<int>(xmlGetLineNo(node));
}

ByteRange ReadContext::RangeOf(const xmlNode* node) const {
  auto it = raw_.find(node);
  if (it == raw_.end()) return {};
  return {it->second.begin, it->second.end};
}

std::string_view NamespaceOf(const xmlNode* node) {
  return node->ns == nullptr ? std::string_view() : View(node->ns->href);
}

std::string_view NameOf(const xmlNode* node) { return View(node->name); }

bool IsElement(const xmlNode* node, std::string_view ns, std::string_view name) {
  return node != nullptr && node->type == XML_ELEMENT_NODE && NamespaceOf(node) == ns &&
         NameOf(node) == name;
}

const xmlNode* FirstChildElement(const xmlNode* node) {
  const xmlNode* c = node->children;
  while (c != nullptr && c->type != XML_ELEMENT_NODE) c = c->next;
  return c;
}

const xmlNode* NextElement(const xmlNode* node) {
  const xmlNode* c = node->next;
  while (c != nullptr && c->type != XML_ELEMENT_NODE) c = c->next;
  return c;
}

std::string TextOf(const xmlNode* node) {
  XmlString s(xmlNodeGetContent(node));
  return std::string(View(s.s_));
}

std::optional<std::string> AttributeOf(const xmlNode* node, const char* name) {
  XmlString s(xmlGetNoNsProp(node, reinterpret_cast<const xmlChar*>(name)));
  if (s.s_ == nullptr) return std::nullopt;
  return std::string(View(s.s_));
}

absl::StatusOr<int64_t> ReadInteger(const ReadContext& ctx, const xmlNode* node,
                                    std::string_view text, std::string_view what, int64_t min,
                                    int64_t max) {
  const std::optional<int64_t> v = ParseXsdInteger(text);
  if (!v.has_value()) {
    return ctx.Error(node, what, " \"", TrimXmlSpace(text), "\" is not an integer");
  }
  if (*v < min || *v > max) {
    return ctx.Error(node, what, " ", *v, " is out of range (", min, "..", max, ")");
  }
  return *v;
}

absl::StatusOr<SignatureBlob> ReadSignature(const ReadContext& ctx, const xmlNode* node) {
  SignatureBlob sig;
  sig.line = ctx.LineOf(node);
  sig.algorithm = std::string(TrimXmlSpace(AttributeOf(node, "algorithm").value_or("")));
  std::optional<std::vector<uint8_t>> value = ParseXsdBase64(TextOf(node));
  if (!value.has_value()) return ctx.Error(node, "<", NameOf(node), "> is not valid base64");
  sig.value = std::move(*value);
  return sig;
}

}  // namespace p2psip::config::internal

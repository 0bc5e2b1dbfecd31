#include "config/libxml_document.h"

#include <climits>

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemastypes.h>
#include <libxml/xmlversion.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace p2psip::config::internal {
namespace {

#if LIBXML_VERSION >= 21200
using ErrorArg = const xmlError*;
#else
using ErrorArg = xmlError*;
#endif

// libxml2's global state is initialised once, before any thread uses it: xmlInitParser and the
// RELAX NG and XML Schema type libraries are not safe to initialise concurrently. The XML Schema
// types (xsd:anyURI, xsd:unsignedInt, ... in reload.rng) are otherwise built lazily by the first
// validation that needs them; two threads doing that at once each build the table and one copy
// leaks (seen as a LeakSanitizer report from the parallel corpus replay).
void InitLibxmlOnce() {
  static const bool initialized = [] {
    xmlInitParser();
    xmlSchemaInitTypes();
    xmlRelaxNGInitTypes();
    return true;
  }();
  (void)initialized;
}

struct Collector {
  std::vector<XmlDiagnostic> errors;
  bool saw_doctype = false;
  int doctype_line = 0;
};

void OnStructuredError(void* ctx, ErrorArg e) {
  if (ctx == nullptr || e == nullptr || e->level == XML_ERR_WARNING) return;
  XmlDiagnostic d;
  d.line = e->line;
  if (d.line <= 0 && e->node != nullptr) {
    d.line = static_cast<int>(xmlGetLineNo(static_cast<const xmlNode*>(e->node)));
  }
  if (d.line < 0) d.line = 0;
  // One line, bounded: libxml2 quotes offending values, which may be long or span lines.
  constexpr size_t kMaxMessage = 200;
  const std::string_view text = e->message != nullptr ? e->message : "unknown libxml2 error";
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      space = true;
      continue;
    }
    if (space && !d.message.empty()) d.message += ' ';
    space = false;
    if (d.message.size() >= kMaxMessage) {
      d.message += "...";
      break;
    }
    d.message += c;
  }
  static_cast<Collector*>(ctx)->errors.push_back(std::move(d));
}

void IgnoreGenericError(void* /*ctx*/, const char* /*msg*/, ...) {}

// Sends this thread's libxml2 messages to `sink` (libxml2 keeps these handlers per thread) and
// puts the previous handlers back on destruction, so that nothing reaches stderr.
class ScopedErrorHandlers {
 public:
  explicit ScopedErrorHandlers(Collector* sink)
      : structured_(xmlStructuredError),
        structured_ctx_(xmlStructuredErrorContext),
        generic_(xmlGenericError),
        generic_ctx_(xmlGenericErrorContext) {
    xmlSetStructuredErrorFunc(sink, &OnStructuredError);
    xmlSetGenericErrorFunc(nullptr, &IgnoreGenericError);
  }
  ~ScopedErrorHandlers() {
    xmlSetStructuredErrorFunc(structured_ctx_, structured_);
    xmlSetGenericErrorFunc(generic_ctx_, generic_);
  }
  ScopedErrorHandlers(const ScopedErrorHandlers&) = delete;
  ScopedErrorHandlers& operator=(const ScopedErrorHandlers&) = delete;

 private:
  xmlStructuredErrorFunc structured_;
  void* structured_ctx_;
  xmlGenericErrorFunc generic_;
  void* generic_ctx_;
};

// SAX hook for `<!DOCTYPE`: stop before any declaration is read.
void OnDoctype(void* ctx, const xmlChar* /*name*/, const xmlChar* /*external_id*/,
               const xmlChar* /*system_id*/) {
  auto* parser = static_cast<xmlParserCtxt*>(ctx);
  auto* collector = static_cast<Collector*>(parser->_private);
  collector->saw_doctype = true;
  collector->doctype_line = parser->input != nullptr ? parser->input->line : 0;
  xmlStopParser(parser);
}

absl::Status LineError(int line, std::string_view message) {
  return absl::InvalidArgumentError(
      line > 0
          ? absl::StrCat("line ", line, ": ", absl::string_view(message.data(), message.size()))
          : std::string(message));
}

struct ParserCtxtFree {
  void operator()(xmlParserCtxt* p) const { xmlFreeParserCtxt(p); }
};
struct RelaxNgParserFree {
  void operator()(xmlRelaxNGParserCtxt* p) const { xmlRelaxNGFreeParserCtxt(p); }
};
struct RelaxNgFree {
  void operator()(xmlRelaxNG* p) const { xmlRelaxNGFree(p); }
};
struct RelaxNgValidFree {
  void operator()(xmlRelaxNGValidCtxt* p) const { xmlRelaxNGFreeValidCtxt(p); }
};

}  // namespace

absl::StatusOr<XmlDocPtr> ParseXml(std::string_view xml) {
  InitLibxmlOnce();
  if (xml.size() > INT_MAX) return absl::InvalidArgumentError("document too large");
  if (const size_t nul = xml.find('\0'); nul != std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("byte ", nul, " is NUL: the document must be UTF-8 (RFC 6940 §11.1)"));
  }
  Collector collector;
  ScopedErrorHandlers handlers(&collector);
  std::unique_ptr<xmlParserCtxt, ParserCtxtFree> parser(xmlNewParserCtxt());
  if (parser == nullptr || parser->sax == nullptr) {
    return absl::ResourceExhaustedError("libxml2: cannot allocate a parser");
  }
  parser->_private = &collector;
  parser->sax->internalSubset = &OnDoctype;
  // No NOENT (entities stay unexpanded), no DTDLOAD/DTDATTR/DTDVALID, no network; BIG_LINES so
  // that line numbers past 65535 stay right.
  constexpr int kOptions = XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_NOCDATA;
  XmlDocPtr doc(xmlCtxtReadMemory(parser.get(), xml.data(), static_cast<int>(xml.size()), nullptr,
                                  nullptr, kOptions));
  if (collector.saw_doctype) {
    return LineError(collector.doctype_line,
                     "a DOCTYPE is not allowed in an overlay configuration document");
  }
  if (!collector.errors.empty() || doc == nullptr || !parser->wellFormed) {
    const XmlDiagnostic d = collector.errors.empty()
                                ? XmlDiagnostic{0, "the document is not well-formed XML"}
                                : collector.errors.front();
    return LineError(d.line, absl::StrCat("not well-formed XML: ", d.message));
  }
  if (doc->encoding != nullptr &&
      !absl::EqualsIgnoreCase(reinterpret_cast<const char*>(doc->encoding), "UTF-8")) {
    return LineError(1, absl::StrCat("the document declares encoding ",
                                     reinterpret_cast<const char*>(doc->encoding),
                                     "; it must be UTF-8 (RFC 6940 §11.1)"));
  }
  if (doc->intSubset != nullptr || doc->extSubset != nullptr) {
    return LineError(1, "a DOCTYPE is not allowed in an overlay configuration document");
  }
  if (xmlDocGetRootElement(doc.get()) == nullptr) {
    return absl::InvalidArgumentError("the document has no root element");
  }
  return doc;
}

absl::StatusOr<std::vector<XmlDiagnostic>> ValidateRelaxNg(xmlDoc* doc, std::string_view grammar) {
  InitLibxmlOnce();
  if (grammar.size() > INT_MAX) return absl::InvalidArgumentError("grammar too large");
  Collector grammar_errors;
  Collector validity_errors;
  ScopedErrorHandlers handlers(&grammar_errors);

  std::unique_ptr<xmlRelaxNGParserCtxt, RelaxNgParserFree> parser(
      xmlRelaxNGNewMemParserCtxt(grammar.data(), static_cast<int>(grammar.size())));
  if (parser == nullptr) return absl::ResourceExhaustedError("libxml2: no RELAX NG parser");
  xmlRelaxNGSetParserStructuredErrors(parser.get(), &OnStructuredError, &grammar_errors);
  std::unique_ptr<xmlRelaxNG, RelaxNgFree> schema(xmlRelaxNGParse(parser.get()));
  if (schema == nullptr) {
    std::string why = "the RELAX NG grammar does not compile";
    for (const XmlDiagnostic& d : grammar_errors.errors) {
      absl::StrAppend(&why, "; grammar line ", d.line, ": ", d.message);
    }
    return absl::InternalError(why);
  }

  std::unique_ptr<xmlRelaxNGValidCtxt, RelaxNgValidFree> validator(
      xmlRelaxNGNewValidCtxt(schema.get()));
  if (validator == nullptr) return absl::ResourceExhaustedError("libxml2: no RELAX NG validator");
  xmlRelaxNGSetValidStructuredErrors(validator.get(), &OnStructuredError, &validity_errors);
  const int rc = xmlRelaxNGValidateDoc(validator.get(), doc);
  if (rc < 0) return absl::InternalError("libxml2: RELAX NG validation failed internally");
  if (rc > 0 && validity_errors.errors.empty()) {
    validity_errors.errors.push_back({0, "the document does not match the grammar"});
  }
  return std::move(validity_errors.errors);
}

}  // namespace p2psip::config::internal

// libxml2, used safely: parsing without network access, DTDs or entity expansion, RELAX NG
// validation, and every message libxml2 raises collected (with its line) instead of printed.
#ifndef P2PSIP_SRC_CONFIG_LIBXML_DOCUMENT_H_
#define P2PSIP_SRC_CONFIG_LIBXML_DOCUMENT_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <libxml/tree.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace p2psip::config::internal {

struct XmlDocFree {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
using XmlDocPtr = std::unique_ptr<xmlDoc, XmlDocFree>;

// One message from libxml2; line 0 when libxml2 did not say where.
struct XmlDiagnostic {
  int line = 0;
  std::string message;
};

// Parses a UTF-8 document. Refuses a DOCTYPE (the parser stops at it, so no entity is declared,
// let alone loaded), any other encoding, and NUL bytes. Errors: InvalidArgument "line N: ...".
absl::StatusOr<XmlDocPtr> ParseXml(std::string_view xml);

// Validates `doc` against a RELAX NG grammar in XML syntax. Returns the validity errors (empty
// when valid), or an error status when the grammar itself does not compile.
absl::StatusOr<std::vector<XmlDiagnostic>> ValidateRelaxNg(xmlDoc* doc, std::string_view grammar);

}  // namespace p2psip::config::internal

#endif  // P2PSIP_SRC_CONFIG_LIBXML_DOCUMENT_H_

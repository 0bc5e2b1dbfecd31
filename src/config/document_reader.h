// Internals of ParseOverlayDocument: reading the validated tree into OverlayConfiguration.
// The grammar has already checked structure and datatypes; the readers check what it cannot
// (ranges, kinds, addresses, regular expressions) and report each problem with its line.
#ifndef P2PSIP_SRC_CONFIG_DOCUMENT_READER_H_
#define P2PSIP_SRC_CONFIG_DOCUMENT_READER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <libxml/tree.h>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "config/raw_elements.h"
#include "p2psip/config/overlay_document.h"

namespace p2psip::config::internal {

// absl 20220623 (Debian 12) has its own string_view type, which StrCat takes and
// std::string_view does not convert to.
inline absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }
template <typename T>
decltype(auto) ForStrCat(const T& v) {
  if constexpr (std::is_convertible_v<const T&, std::string_view> &&
                !std::is_convertible_v<const T&, absl::string_view>) {
    return Sv(v);
  } else {
    return (v);
  }
}

// The parsed tree's elements located in the input's bytes.
class ReadContext {
 public:
  ReadContext(std::string_view xml, const LineIndex* lines,
              absl::flat_hash_map<const xmlNode*, RawElement> raw)
      : xml_(xml), lines_(lines), raw_(std::move(raw)) {}

  // Line of the element's '<'.
  int LineOf(const xmlNode* node) const;
  ByteRange RangeOf(const xmlNode* node) const;

  template <typename... Args>
  absl::Status Error(const xmlNode* node, const Args&... args) const {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", LineOf(node), ": ", ForStrCat(args)...));
  }
  template <typename... Args>
  std::string Warning(const xmlNode* node, const Args&... args) const {
    return absl::StrCat("line ", LineOf(node), ": ", ForStrCat(args)...);
  }

 private:
  std::string_view xml_;
  const LineIndex* lines_;
  absl::flat_hash_map<const xmlNode*, RawElement> raw_;
};

// --- Tree helpers ---
bool IsElement(const xmlNode* node, std::string_view ns, std::string_view name);
std::string_view NamespaceOf(const xmlNode* node);
std::string_view NameOf(const xmlNode* node);
// First child element / next sibling element, or null.
const xmlNode* FirstChildElement(const xmlNode* node);
const xmlNode* NextElement(const xmlNode* node);
// Text content of an element (its text descendants, concatenated).
std::string TextOf(const xmlNode* node);
// An attribute without namespace, as written.
std::optional<std::string> AttributeOf(const xmlNode* node, const char* name);

// --- Readers ---
absl::Status ReadConfiguration(const ReadContext& ctx, const xmlNode* node,
                               OverlayConfiguration* out);
absl::Status ReadRequiredKinds(const ReadContext& ctx, const xmlNode* node,
                               OverlayConfiguration* out);
absl::StatusOr<SipDomainRestriction> ReadDomainRestriction(const ReadContext& ctx,
                                                           const xmlNode* node);
absl::StatusOr<SignatureBlob> ReadSignature(const ReadContext& ctx, const xmlNode* node);
// An integer element or attribute value within [min, max]; `what` names it in the error.
absl::StatusOr<int64_t> ReadInteger(const ReadContext& ctx, const xmlNode* node,
                                    std::string_view text, std::string_view what, int64_t min,
                                    int64_t max);

}  // namespace p2psip::config::internal

#endif  // P2PSIP_SRC_CONFIG_DOCUMENT_READER_H_

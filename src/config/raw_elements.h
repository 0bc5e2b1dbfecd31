// Where each element of a document lies in its bytes. Signatures in the overlay configuration
// cover the exact text of <configuration> and <kind> (digest §9.4, §15.2), which a DOM cannot
// give back, so the raw text is scanned once more after libxml2 has accepted it.
//
// The scanner is only meant for text that libxml2 found well-formed and that has no DOCTYPE: it
// skips comments, processing instructions and CDATA, honours quotes in attribute values, and
// lists elements in document order, the order of a pre-order walk of the parsed tree.
#ifndef P2PSIP_SRC_CONFIG_RAW_ELEMENTS_H_
#define P2PSIP_SRC_CONFIG_RAW_ELEMENTS_H_

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace p2psip::config::internal {

struct RawElement {
  std::string_view qname;    // as written: "configuration", "chord:chord-reactive"
  size_t begin = 0;          // the '<' of the start tag
  size_t start_tag_end = 0;  // one past the '>' of the start tag
  size_t end = 0;            // one past the '>' of the end tag (== start_tag_end for <x/>)
};

// Elements in document order, or nullopt when the text does not scan as a well-formed
// document without a DOCTYPE.
std::optional<std::vector<RawElement>> ScanElements(std::string_view xml);

// 1-based line numbers of byte offsets, in O(log lines) each.
class LineIndex {
 public:
  explicit LineIndex(std::string_view xml);
  int LineAt(size_t offset) const;

 private:
  std::vector<size_t> newlines_;  // offsets of '\n', ascending
};

}  // namespace p2psip::config::internal

#endif  // P2PSIP_SRC_CONFIG_RAW_ELEMENTS_H_

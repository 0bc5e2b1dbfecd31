#include "config/raw_elements.h"

#include <algorithm>

namespace p2psip::config::internal {
namespace {

bool IsNameEnd(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '>' || c == '/';
}

bool StartsWith(std::string_view s, size_t pos, std::string_view prefix) {
  return s.substr(pos, prefix.size()) == prefix;
}

// One past the end of `terminator` searched from `pos`, or npos.
size_t SkipPast(std::string_view s, size_t pos, std::string_view terminator) {
  const size_t at = s.find(terminator, pos);
  return at == std::string_view::npos ? at : at + terminator.size();
}

}  // namespace

std::optional<std::vector<RawElement>> ScanElements(std::string_view xml) {
  std::vector<RawElement> elements;
  std::vector<size_t> open;  // indices into `elements` of unclosed elements
  size_t pos = 0;
  while (true) {
    pos = xml.find('<', pos);
    if (pos == std::string_view::npos) break;
    if (StartsWith(xml, pos, "<!--")) {
      pos = SkipPast(xml, pos + 4, "-->");
    } else if (StartsWith(xml, pos, "<![CDATA[")) {
      pos = SkipPast(xml, pos + 9, "]]>");
    } else if (StartsWith(xml, pos, "<?")) {
      pos = SkipPast(xml, pos + 2, "?>");
    } else if (StartsWith(xml, pos, "<!")) {
      return std::nullopt;  // DOCTYPE: refused before we get here
    } else if (StartsWith(xml, pos, "</")) {
      size_t name_end = pos + 2;
      while (name_end < xml.size() && !IsNameEnd(xml[name_end])) ++name_end;
      const std::string_view name = xml.substr(pos + 2, name_end - pos - 2);
      const size_t close = xml.find('>', name_end);
      if (close == std::string_view::npos || open.empty() || elements[open.back()].qname != name) {
        return std::nullopt;
      }
      elements[open.back()].end = close + 1;
      open.pop_back();
      pos = close + 1;
    } else {
      size_t name_end = pos + 1;
      while (name_end < xml.size() && !IsNameEnd(xml[name_end])) ++name_end;
      if (name_end == pos + 1) return std::nullopt;
      // Attribute values may hold '>' (and '/'): skip quoted text.
      size_t p = name_end;
      while (p < xml.size() && xml[p] != '>') {
        if (xml[p] == '"' || xml[p] == '\'') {
          const size_t q = xml.find(xml[p], p + 1);
          if (q == std::string_view::npos) return std::nullopt;
          p = q + 1;
        } else {
          ++p;
        }
      }
      if (p >= xml.size()) return std::nullopt;
      RawElement e;
      e.qname = xml.substr(pos + 1, name_end - pos - 1);
      e.begin = pos;
      e.start_tag_end = p + 1;
      if (xml[p - 1] == '/') {
        e.end = p + 1;
        elements.push_back(e);
      } else {
        open.push_back(elements.size());
        elements.push_back(e);
      }
      pos = p + 1;
    }
    if (pos == std::string_view::npos) return std::nullopt;  // unterminated comment/PI/CDATA
  }
  if (!open.empty()) return std::nullopt;
  return elements;
}

LineIndex::LineIndex(std::string_view xml) {
  for (size_t i = xml.find('\n'); i != std::string_view::npos; i = xml.find('\n', i + 1)) {
    newlines_.push_back(i);
  }
}

int LineIndex::LineAt(size_t offset) const {
  // Newlines before `offset`, plus one.
  return 1 + static_cast<int>(std::lower_bound(newlines_.begin(), newlines_.end(), offset) -
                              newlines_.begin());
}

}  // namespace p2psip::config::internal

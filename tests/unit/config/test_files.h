// Test data for the configuration tests: files under tests/unit/config/data and the grammar in
// src/config, found through paths meson passes as macros.
#ifndef P2PSIP_TESTS_UNIT_CONFIG_TEST_FILES_H_
#define P2PSIP_TESTS_UNIT_CONFIG_TEST_FILES_H_

#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "gtest/gtest.h"

namespace p2psip::config::testing {

inline std::string DataPath(std::string_view name) {
  return std::string(P2PSIP_CONFIG_TEST_DATA) + "/" + std::string(name);
}

// src/config/reload.rng: the grammar the library embeds.
inline std::string GrammarPath() { return P2PSIP_CONFIG_GRAMMAR; }

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::string ReadData(std::string_view name) { return ReadFile(DataPath(name)); }

// 1-based line of the first occurrence of `needle` in `text` (0 if absent).
inline int LineOf(std::string_view text, std::string_view needle) {
  const size_t at = text.find(needle);
  if (at == std::string_view::npos) return 0;
  int line = 1;
  for (size_t i = 0; i < at; ++i) line += text[i] == '\n' ? 1 : 0;
  return line;
}

}  // namespace p2psip::config::testing

#endif  // P2PSIP_TESTS_UNIT_CONFIG_TEST_FILES_H_

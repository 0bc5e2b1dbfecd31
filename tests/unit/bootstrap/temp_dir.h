// Test helper: a fresh directory under $TMPDIR (or /tmp), removed with everything in it when the
// object goes away, also when an assertion fails.
#ifndef P2PSIP_TESTS_UNIT_BOOTSTRAP_TEMP_DIR_H_
#define P2PSIP_TESTS_UNIT_BOOTSTRAP_TEMP_DIR_H_

#include <cstdlib>
#include <filesystem>
#include <string>

namespace p2psip::bootstrap::testing {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/p2psip-enroll-XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }  // empty if mkdtemp failed

 private:
  std::string path_;
};

}  // namespace p2psip::bootstrap::testing

#endif  // P2PSIP_TESTS_UNIT_BOOTSTRAP_TEMP_DIR_H_

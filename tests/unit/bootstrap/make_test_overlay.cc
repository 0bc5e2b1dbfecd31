// make_test_overlay DIR NAME ENROLL_URL: the overlay directory of test_overlay.h, for the
// end-to-end CLI test (enroll_cli_test.sh) when `p2psip overlay init` is not available.
#include <cstdio>

#include "test_overlay.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s DIR OVERLAY_NAME ENROLL_URL\n", argv[0]);
    return 2;
  }
  const absl::Status s =
      p2psip::bootstrap::testing::MakeOverlayDirectory(argv[1], argv[2], argv[3]);
  if (!s.ok()) {
    std::fprintf(stderr, "make_test_overlay: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}

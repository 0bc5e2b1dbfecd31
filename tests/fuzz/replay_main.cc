// Replays a fuzz target's corpus without libFuzzer: every file under the given directories (or
// the given files) is fed once to LLVMFuzzerTestOneInput. Files are independent, so they are
// replayed in parallel with oneTBB. Exits non-zero when there is nothing to replay, so an empty
// or missing corpus fails the suite instead of passing vacuously.
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <tbb/parallel_for_each.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    std::error_code ec;
    if (fs::is_directory(argv[i], ec)) {
      for (const auto& e : fs::recursive_directory_iterator(argv[i])) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
    } else if (fs::is_regular_file(argv[i], ec)) {
      files.emplace_back(argv[i]);
    } else {
      std::fprintf(stderr, "replay: %s: no such file or directory\n", argv[i]);
      return 2;
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "replay: no corpus files given (usage: %s DIR|FILE...)\n", argv[0]);
    return 2;
  }
  std::atomic<size_t> bytes{0};
  tbb::parallel_for_each(files.begin(), files.end(), [&](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(data.data(), data.size());
    bytes += data.size();
  });
  std::printf("replay: %zu inputs, %zu bytes, no crash\n", files.size(), bytes.load());
  return 0;
}

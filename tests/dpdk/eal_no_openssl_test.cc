// Starts DPDK's EAL the way p2psipd will on a machine without hugepages (vdevs only) and checks
// what the process mapped: BoringSSL's libcrypto (positive control: the scan sees libraries),
// no OpenSSL libssl/libcrypto, and no shared DPDK library or plugin.
#include <openssl/sha.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "port/dpdk/eal.h"

namespace p2psip::port::dpdk {
namespace {

std::vector<std::string> MappedFiles() {
  std::vector<std::string> files;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const size_t slash = line.find('/');
    if (slash != std::string::npos) files.push_back(line.substr(slash));
  }
  return files;
}

std::string Basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }

TEST(EalTest, StartsOnVdevsWithoutMappingOpenSsl) {
  // Use BoringSSL so that its libcrypto is certainly mapped before the scan.
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>("p2psip"), 6, digest);

  const std::string prefix = "p2psip-eal-test-" + std::to_string(getpid());
  auto eal = Eal::Init({"eal_no_openssl_test", "--no-huge", "--no-pci", "--no-shconf",
                        "--no-telemetry", "-m", "64", "--file-prefix=" + prefix,
                        "--log-level=lib.eal:warning", "--vdev=net_null0", "--vdev=net_ring0"});
  ASSERT_TRUE(eal.ok()) << eal.status();
  (*eal)->RemoveRuntimeDirOnExit();
  ASSERT_EQ((*eal)->port_count(), 2);
  EXPECT_EQ((*eal)->driver_name(0), "net_null");
  EXPECT_EQ((*eal)->driver_name(1), "net_ring");

  // A second EAL in the same process is refused with a clear error.
  auto second = Eal::Init({"again", "--no-huge"});
  EXPECT_FALSE(second.ok());

  bool boringssl_mapped = false;
  for (const std::string& path : MappedFiles()) {
    const std::string base = Basename(path);
    const bool ssl_like = base.rfind("libssl", 0) == 0 || base.rfind("libcrypto", 0) == 0;
    if (ssl_like && path.find("/android/") != std::string::npos) boringssl_mapped = true;
    EXPECT_FALSE(ssl_like && path.find("/android/") == std::string::npos)
        << "OpenSSL library mapped into the process: " << path;
    EXPECT_EQ(base.rfind("librte_", 0), std::string::npos)
        << "shared DPDK library or PMD plugin mapped: " << path;
  }
  EXPECT_TRUE(boringssl_mapped) << "BoringSSL's libcrypto should be mapped (scan sanity check)";
}

}  // namespace
}  // namespace p2psip::port::dpdk

#include "p2psip/wire/hashes.h"

#include "gtest/gtest.h"

namespace p2psip::wire {
namespace {

// Vectors from reload-digest.md §14, computed with Python's hashlib (independent of this code).
TEST(HashesTest, OverlayHashVectors) {
  EXPECT_EQ(OverlayHash("overlay.example.org"), 0x9aa32b8du);
  EXPECT_EQ(OverlayHash("dht.example.com"), 0xb1d0a6c8u);
  EXPECT_EQ(OverlayHash("example.com"), 0x65b0781fu);
}

TEST(HashesTest, ChordResourceIdVectors) {
  EXPECT_EQ(ChordResourceId("alice@dht.example.com").ToHex(), "0c51a942f50c828aef82a5af83e8ed59");
  EXPECT_EQ(ChordResourceId("bob@dht.example.com").ToHex(), "6c1cfd6d5d9e35557d66a1b05f9e2247");
  EXPECT_EQ(ChordResourceId("x").size(), 16u);
}

}  // namespace
}  // namespace p2psip::wire

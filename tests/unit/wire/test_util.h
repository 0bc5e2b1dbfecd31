// Helpers shared by the wire codec tests.
#ifndef P2PSIP_TESTS_UNIT_WIRE_TEST_UTIL_H_
#define P2PSIP_TESTS_UNIT_WIRE_TEST_UTIL_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "p2psip/ids.h"
#include "p2psip/wire/codec.h"

namespace p2psip::wire::testing {

// Hex to bytes; spaces are ignored so vectors can be grouped by field.
inline std::vector<uint8_t> Hex(std::string_view hex) {
  std::string compact;
  for (char c : hex) {
    if (c != ' ' && c != '\n') compact.push_back(c);
  }
  auto raw = HexToBytes(compact);
  EXPECT_TRUE(raw.has_value()) << "bad hex in test: " << hex;
  return raw ? std::vector<uint8_t>(raw->begin(), raw->end()) : std::vector<uint8_t>{};
}

// Every strict prefix of a valid encoding must fail to decode (and must not crash or read
// past the end: the ASan build checks that part).
template <class T>
void ExpectEveryPrefixFails(const std::vector<uint8_t>& valid, WireContext ctx = {}) {
  for (size_t n = 0; n < valid.size(); ++n) {
    std::vector<uint8_t> prefix(valid.begin(), valid.begin() + n);
    T out{};
    DecodeError error;
    EXPECT_FALSE(DecodeExact(prefix, &out, &error, ctx)) << "prefix of " << n << " bytes decoded";
    EXPECT_FALSE(error.ok());
  }
}

// Decodes `bytes` as T, re-encodes, and expects the same bytes.
template <class T>
T ExpectRoundTrip(const std::vector<uint8_t>& bytes, WireContext ctx = {}) {
  T out{};
  DecodeError error;
  EXPECT_TRUE(DecodeExact(bytes, &out, &error, ctx)) << error.ToString();
  auto again = EncodeToBytes(out);
  EXPECT_TRUE(again.ok()) << again.status();
  if (again.ok()) {
    EXPECT_EQ(*again, bytes);
  }
  return out;
}

template <class T>
std::vector<uint8_t> Enc(const T& v) {
  auto bytes = EncodeToBytes(v);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? *bytes : std::vector<uint8_t>{};
}

template <class T>
T Dec(std::span<const uint8_t> bytes, WireContext ctx = {}) {
  T out{};
  DecodeError error;
  EXPECT_TRUE(DecodeExact(bytes, &out, &error, ctx)) << error.ToString();
  return out;
}

// Expects `bytes` not to decode as T and returns why.
template <class T>
DecodeError DecodeFailure(std::span<const uint8_t> bytes, WireContext ctx = {}) {
  T out{};
  DecodeError error;
  EXPECT_FALSE(DecodeExact(bytes, &out, &error, ctx));
  return error;
}

// Encodes `v`, decodes it back, and expects the same value and the same bytes again.
template <class T>
void ExpectValueRoundTrip(const T& v, WireContext ctx = {}) {
  const std::vector<uint8_t> bytes = Enc(v);
  const T back = Dec<T>(bytes, ctx);
  EXPECT_EQ(back, v);
  EXPECT_EQ(Enc(back), bytes);
}

// Single-byte corruptions must decode or fail cleanly; what decodes re-encodes to the same
// bytes (every codec here is canonical).
template <class T>
void ExpectMutationsAreSafe(const std::vector<uint8_t>& bytes, WireContext ctx = {}) {
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (uint8_t v : {uint8_t{0x00}, uint8_t{0x01}, uint8_t{0x7f}, uint8_t{0x80}, uint8_t{0xff},
                      static_cast<uint8_t>(bytes[i] + 1), static_cast<uint8_t>(bytes[i] - 1)}) {
      std::vector<uint8_t> mutated = bytes;
      mutated[i] = v;
      T out{};
      DecodeError error;
      if (DecodeExact(mutated, &out, &error, ctx)) {
        EXPECT_EQ(Enc(out), mutated) << "byte " << i;
      } else {
        EXPECT_FALSE(error.ok());
      }
    }
  }
}

inline NodeId TestNodeId(uint8_t fill) {
  std::vector<uint8_t> b(16);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(fill + i);
  return NodeId(b);
}

}  // namespace p2psip::wire::testing

#endif  // P2PSIP_TESTS_UNIT_WIRE_TEST_UTIL_H_

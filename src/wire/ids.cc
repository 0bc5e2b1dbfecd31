#include "p2psip/ids.h"

namespace p2psip {

std::string BytesToHex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xF]);
  }
  return out;
}

static int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> HexToBytes(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = HexValue(hex[i]);
    const int lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>((hi << 4) | lo));
  }
  return out;
}

static std::span<const uint8_t> AsBytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

NodeId::NodeId(std::span<const uint8_t> bytes) {
  size_ = static_cast<uint8_t>(std::min(bytes.size(), kMaxNodeIdLength));
  std::copy_n(bytes.begin(), size_, bytes_.begin());
}

std::optional<NodeId> NodeId::FromBytes(std::span<const uint8_t> bytes) {
  if (bytes.size() < kMinNodeIdLength || bytes.size() > kMaxNodeIdLength) return std::nullopt;
  return NodeId(bytes);
}

std::optional<NodeId> NodeId::FromHex(std::string_view hex) {
  auto raw = HexToBytes(hex);
  if (!raw) return std::nullopt;
  return FromBytes(AsBytes(*raw));
}

NodeId NodeId::Zero(size_t length) {
  NodeId id;
  id.size_ = static_cast<uint8_t>(std::clamp(length, kMinNodeIdLength, kMaxNodeIdLength));
  return id;
}

NodeId NodeId::Wildcard(size_t length) {
  NodeId id = Zero(length);
  std::fill_n(id.bytes_.begin(), id.size_, 0xFF);
  return id;
}

bool NodeId::IsZero() const {
  return std::all_of(bytes_.begin(), bytes_.begin() + size_, [](uint8_t b) { return b == 0; });
}

bool NodeId::IsWildcard() const {
  return size_ > 0 &&
         std::all_of(bytes_.begin(), bytes_.begin() + size_, [](uint8_t b) { return b == 0xFF; });
}

std::string NodeId::ToHex() const { return BytesToHex(bytes()); }

std::optional<ResourceId> ResourceId::FromBytes(std::span<const uint8_t> bytes) {
  if (bytes.size() > kMaxResourceIdLength) return std::nullopt;
  return ResourceId(bytes);
}

std::optional<ResourceId> ResourceId::FromHex(std::string_view hex) {
  auto raw = HexToBytes(hex);
  if (!raw) return std::nullopt;
  return FromBytes(AsBytes(*raw));
}

std::string ResourceId::ToHex() const { return BytesToHex(bytes()); }

}  // namespace p2psip

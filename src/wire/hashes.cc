#include "p2psip/wire/hashes.h"

#include <openssl/sha.h>

namespace p2psip::wire {

static void Sha1(std::span<const uint8_t> data, uint8_t out[SHA_DIGEST_LENGTH]) {
  SHA1(data.data(), data.size(), out);
}

static std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

uint32_t OverlayHash(std::string_view overlay_name) {
  uint8_t d[SHA_DIGEST_LENGTH];
  Sha1(AsBytes(overlay_name), d);
  return (uint32_t{d[16]} << 24) | (uint32_t{d[17]} << 16) | (uint32_t{d[18]} << 8) | d[19];
}

ResourceId ChordResourceId(std::span<const uint8_t> resource_name) {
  uint8_t d[SHA_DIGEST_LENGTH];
  Sha1(resource_name, d);
  return ResourceId(std::span<const uint8_t>(d, 16));
}

ResourceId ChordResourceId(std::string_view resource_name) {
  return ChordResourceId(AsBytes(resource_name));
}

}  // namespace p2psip::wire

// The hashes that appear on the wire.
//   overlay:     low 32 bits of SHA-1(overlay name), in every forwarding header (§6.3.2);
//   Resource-ID: CHORD-RELOAD hashes a resource name with SHA-1 truncated to 128 bits (§10.2).
#ifndef P2PSIP_WIRE_HASHES_H_
#define P2PSIP_WIRE_HASHES_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "p2psip/ids.h"

namespace p2psip::wire {

uint32_t OverlayHash(std::string_view overlay_name);
ResourceId ChordResourceId(std::span<const uint8_t> resource_name);
ResourceId ChordResourceId(std::string_view resource_name);

}  // namespace p2psip::wire

#endif  // P2PSIP_WIRE_HASHES_H_

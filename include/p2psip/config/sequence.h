// Configuration sequence numbers (RFC 6940 §11.1, digest §9.4): 0..65534, increasing by one
// per new configuration, and after 65534 comes 0. 65535 is not a document sequence (the
// forwarding header uses it for ConfigUpdate).
#ifndef P2PSIP_CONFIG_SEQUENCE_H_
#define P2PSIP_CONFIG_SEQUENCE_H_

#include <cstdint>

namespace p2psip::config {

inline constexpr uint16_t kMaxConfigurationSequence = 65534;

// True when `candidate` comes after `current` in the circular space 0..65534: it is 1..32767
// steps ahead (serial-number arithmetic, so 65534 -> 0 is newer and 0 -> 65534 is not). False
// for equal values and when either is 65535.
bool IsNewerSequence(uint16_t current, uint16_t candidate);

}  // namespace p2psip::config

#endif  // P2PSIP_CONFIG_SEQUENCE_H_

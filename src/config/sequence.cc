#include "p2psip/config/sequence.h"

namespace p2psip::config {

bool IsNewerSequence(uint16_t current, uint16_t candidate) {
  constexpr uint32_t kSpace = uint32_t{kMaxConfigurationSequence} + 1;  // 65535 values
  if (current > kMaxConfigurationSequence || candidate > kMaxConfigurationSequence) return false;
  const uint32_t ahead = (candidate + kSpace - current) % kSpace;
  return ahead >= 1 && ahead <= kSpace / 2;
}

}  // namespace p2psip::config

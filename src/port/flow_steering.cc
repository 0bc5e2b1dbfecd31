#include "p2psip/port/flow_steering.h"

namespace p2psip::port {

uint32_t FlowSteeringAddressBits(const Endpoint& remote) {
  const size_t first = remote.family == Endpoint::Family::kIpv4 ? 0 : 12;
  const auto& a = remote.address;
  return (static_cast<uint32_t>(a[first]) << 24) | (static_cast<uint32_t>(a[first + 1]) << 16) |
         (static_cast<uint32_t>(a[first + 2]) << 8) | static_cast<uint32_t>(a[first + 3]);
}

uint32_t FlowOwner(const Endpoint& remote, uint32_t workers) {
  if (workers <= 1) return 0;
  uint32_t a = FlowSteeringAddressBits(remote) + remote.port;
  a ^= a >> kFlowSteeringShift;
  a *= kFlowSteeringMultiplier;
  a >>= kFlowSteeringShift;
  return a % workers;
}

}  // namespace p2psip::port

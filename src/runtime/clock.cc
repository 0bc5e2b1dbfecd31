#include "p2psip/runtime/clock.h"

#include <time.h>

namespace p2psip::runtime {
namespace {

uint64_t Read(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

}  // namespace

Clock::Clock()
    : wall_at_start_us_(Read(CLOCK_REALTIME)), monotonic_at_start_us_(Read(CLOCK_MONOTONIC)) {}

uint64_t Clock::NowUs() const {
  return wall_at_start_us_ + (Read(CLOCK_MONOTONIC) - monotonic_at_start_us_);
}

}  // namespace p2psip::runtime

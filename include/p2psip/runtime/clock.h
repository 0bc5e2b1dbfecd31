// The runtime's clock: wall-clock time that never jumps.
//
// The core wants milliseconds since 1970 (stored values' storage_time, certificate validity) and
// the link layer microseconds of the same clock (its DTLS sessions check certificates against
// it). Reading CLOCK_REALTIME directly would let an NTP step move every timer; so the clock reads
// the wall clock once, at construction, and advances it with CLOCK_MONOTONIC. A long-running node
// drifts from the wall clock only by what NTP slews, which certificate checks tolerate.
#ifndef P2PSIP_RUNTIME_CLOCK_H_
#define P2PSIP_RUNTIME_CLOCK_H_

#include <cstdint>

namespace p2psip::runtime {

class Clock {
 public:
  Clock();
  uint64_t NowUs() const;
  uint64_t NowMs() const { return NowUs() / 1000; }
  int64_t NowS() const { return static_cast<int64_t>(NowUs() / 1000000); }

 private:
  uint64_t wall_at_start_us_;
  uint64_t monotonic_at_start_us_;
};

}  // namespace p2psip::runtime

#endif  // P2PSIP_RUNTIME_CLOCK_H_

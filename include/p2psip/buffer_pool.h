// Byte buffers recycled per thread, so that a worker in steady state allocates nothing per
// message (DESIGN.md §1): the records a DTLS session opens, the messages the framing delivers,
// the copy a hop routes and the datagrams a session seals all come from TakeBuffer() and go
// back with RecycleBuffer() once the next stage is done with them, keeping their capacity.
//
//   std::vector<uint8_t> b = TakeBuffer();   // empty; capacity from an earlier message
//   b.assign(data, data + n);                // no allocation when the capacity suffices
//   ...
//   RecycleBuffer(b);                        // b is empty afterwards
//
// Each thread has its own spares (a worker is one thread: share-nothing, no locks). A buffer
// may be recycled on another thread than the one that took it; that thread keeps it. Every
// buffer TakeBuffer makes has room for kBufferCapacity bytes (a datagram), so that any spare
// fits any datagram-sized message; only buffers of kBufferCapacity to kMaxSpareCapacity bytes
// are kept, at most kMaxSpareBuffers per thread (2 to 16 MiB): a burst of large messages does
// not pin memory afterwards.
#ifndef P2PSIP_BUFFER_POOL_H_
#define P2PSIP_BUFFER_POOL_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace p2psip {

inline constexpr size_t kBufferCapacity = 2048;
inline constexpr size_t kMaxSpareBuffers = 1024;
inline constexpr size_t kMaxSpareCapacity = 16 * 1024;

namespace internal {
inline std::vector<std::vector<uint8_t>>& SpareBuffers() {
  thread_local std::vector<std::vector<uint8_t>> spares;
  return spares;
}
}  // namespace internal

// An empty buffer with room for at least kBufferCapacity bytes: a recycled one when this thread
// has one, else a new one.
inline std::vector<uint8_t> TakeBuffer() {
  std::vector<std::vector<uint8_t>>& spares = internal::SpareBuffers();
  if (spares.empty()) {
    std::vector<uint8_t> fresh;
    fresh.reserve(kBufferCapacity);
    return fresh;
  }
  std::vector<uint8_t> b = std::move(spares.back());
  spares.pop_back();
  return b;
}

// Takes `buffer`'s storage for a later TakeBuffer on this thread (or frees it: smaller than
// kBufferCapacity, larger than kMaxSpareCapacity, or the thread has enough spares); `buffer` is
// left empty.
inline void RecycleBuffer(std::vector<uint8_t>& buffer) {
  std::vector<std::vector<uint8_t>>& spares = internal::SpareBuffers();
  std::vector<uint8_t> b = std::move(buffer);
  buffer = {};
  if (b.capacity() < kBufferCapacity || b.capacity() > kMaxSpareCapacity ||
      spares.size() >= kMaxSpareBuffers) {
    return;
  }
  b.clear();
  spares.push_back(std::move(b));
}

}  // namespace p2psip

#endif  // P2PSIP_BUFFER_POOL_H_

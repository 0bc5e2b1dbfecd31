// SpscRing<T>: a bounded, lock-free single-producer/single-consumer ring, the only way work
// crosses cores in the runtime (DESIGN.md §1, principle 2: one ring per ordered pair of cores,
// used in bursts). RingMesh<T> is that set of rings for N cores.
//
// The layout follows DPDK's rte_ring (SP/SC mode) and Seastar's cross-core queues: the
// producer's index and the consumer's index live on separate cache lines, and each side keeps
// a private cached copy of the other side's index, so that in the common case a burst touches
// only its own line and reads the shared one once per burst, not once per item. Indices run
// freely (64 bits do not wrap in practice) and are masked by the power-of-two capacity.
//
// Memory ordering: the producer publishes items with a release store of tail_ and the consumer
// picks them up with an acquire load of it; the consumer hands slots back with a release store
// of head_ and the producer reuses them after an acquire load of it. Nothing stronger is needed
// with one thread on each side.
//
// Threading contract: exactly one producer thread calls Enqueue*, exactly one consumer thread
// calls Dequeue*; either may call size_approx(). Ownership: the ring owns the items in it and
// destroys those left when it is destroyed (after both threads have stopped using it).
#ifndef P2PSIP_RUNTIME_SPSC_RING_H_
#define P2PSIP_RUNTIME_SPSC_RING_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace p2psip::runtime {

// 64 bytes on the x86-64 and arm64 cores we run on (std::hardware_destructive_interference_size
// is not ABI-stable, and GCC warns on its use).
inline constexpr size_t kCacheLine = 64;

template <typename T>
class SpscRing {
  static_assert(std::is_nothrow_move_constructible_v<T>, "items move without throwing");

 public:
  static constexpr size_t kMaxCapacity = size_t{1} << 30;

  // `capacity` must be a power of two in [1, kMaxCapacity].
  static absl::StatusOr<std::unique_ptr<SpscRing>> Create(size_t capacity) {
    if (capacity == 0 || capacity > kMaxCapacity || (capacity & (capacity - 1)) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("spsc ring: capacity ", capacity, " is not a power of two in [1, 2^30]"));
    }
    return std::unique_ptr<SpscRing>(new SpscRing(capacity));
  }

  ~SpscRing() {
    const size_t tail = producer_.tail.load(std::memory_order_acquire);
    for (size_t i = consumer_.head.load(std::memory_order_relaxed); i != tail; ++i) {
      Slot(i)->~T();
    }
    ::operator delete (slots_, std::align_val_t{alignof(T)});
  }
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  size_t capacity() const { return mask_ + 1; }

  // Producer. Moves items from [first, last) into the ring until it is full; returns how many
  // were moved (a prefix of the range). Those not moved are left untouched for a later burst.
  template <typename It>
  size_t EnqueueBurst(It first, It last) {
    const size_t wanted = static_cast<size_t>(std::distance(first, last));
    const size_t tail = producer_.tail.load(std::memory_order_relaxed);
    size_t free = capacity() - (tail - producer_.cached_head);
    if (free < wanted) {
      producer_.cached_head = consumer_.head.load(std::memory_order_acquire);
      free = capacity() - (tail - producer_.cached_head);
    }
    const size_t n = std::min(wanted, free);
    for (size_t i = 0; i < n; ++i, ++first) ::new (Slot(tail + i)) T(std::move(*first));
    if (n > 0) producer_.tail.store(tail + n, std::memory_order_release);
    return n;
  }
  size_t EnqueueBurst(std::span<T> items) { return EnqueueBurst(items.begin(), items.end()); }
  bool TryEnqueue(T&& item) { return EnqueueBurst(&item, &item + 1) == 1; }

  // Consumer. Move-assigns up to `max` items into out[0..max); returns how many.
  size_t DequeueBurst(T* out, size_t max) {
    const size_t head = consumer_.head.load(std::memory_order_relaxed);
    size_t ready = consumer_.cached_tail - head;
    if (ready < max) {
      consumer_.cached_tail = producer_.tail.load(std::memory_order_acquire);
      ready = consumer_.cached_tail - head;
    }
    const size_t n = std::min(max, ready);
    for (size_t i = 0; i < n; ++i) {
      T* slot = Slot(head + i);
      out[i] = std::move(*slot);
      slot->~T();
    }
    if (n > 0) consumer_.head.store(head + n, std::memory_order_release);
    return n;
  }
  size_t DequeueBurst(std::span<T> out) { return DequeueBurst(out.data(), out.size()); }
  std::optional<T> TryDequeue() {
    const size_t head = consumer_.head.load(std::memory_order_relaxed);
    if (consumer_.cached_tail == head) {
      consumer_.cached_tail = producer_.tail.load(std::memory_order_acquire);
      if (consumer_.cached_tail == head) return std::nullopt;
    }
    T* slot = Slot(head);
    std::optional<T> item(std::move(*slot));
    slot->~T();
    consumer_.head.store(head + 1, std::memory_order_release);
    return item;
  }

  // Either side: a snapshot that may be stale by the time it is used (for stats and tests).
  size_t size_approx() const {
    const size_t head = consumer_.head.load(std::memory_order_acquire);
    const size_t tail = producer_.tail.load(std::memory_order_acquire);
    return tail >= head ? tail - head : 0;
  }

 private:
  explicit SpscRing(size_t capacity)
      : mask_(capacity - 1),
        slots_(
            static_cast<T*>(::operator new (capacity * sizeof(T), std::align_val_t{alignof(T)}))) {}

  T* Slot(size_t index) const { return slots_ + (index & mask_); }

  // Read-only after construction: shared by both sides without contention.
  alignas(kCacheLine) const size_t mask_;
  T* const slots_;  // raw storage: a slot holds a live T only between enqueue and dequeue

  // Written by the producer only: tail is read by the consumer, cached_head is private.
  struct alignas(kCacheLine) Producer {
    std::atomic<size_t> tail{0};
    size_t cached_head = 0;
  } producer_;
  // Written by the consumer only: head is read by the producer, cached_tail is private.
  struct alignas(kCacheLine) Consumer {
    std::atomic<size_t> head{0};
    size_t cached_tail = 0;
  } consumer_;
};

// RingMesh<T>: one SpscRing per ordered pair of distinct cores. ring(k, m) carries work from
// core k (its only producer) to core m (its only consumer). Owns its rings.
template <typename T>
class RingMesh {
 public:
  static absl::StatusOr<std::unique_ptr<RingMesh>> Create(size_t cores, size_t capacity) {
    if (cores == 0) return absl::InvalidArgumentError("ring mesh: no cores");
    std::unique_ptr<RingMesh> mesh(new RingMesh(cores));
    for (size_t k = 0; k < cores; ++k) {
      for (size_t m = 0; m < cores; ++m) {
        if (k == m) continue;
        absl::StatusOr<std::unique_ptr<SpscRing<T>>> ring = SpscRing<T>::Create(capacity);
        if (!ring.ok()) return ring.status();
        mesh->rings_[k * cores + m] = *std::move(ring);
      }
    }
    return mesh;
  }

  size_t cores() const { return cores_; }
  // The ring from core `from` to core `to`; nullptr when from == to or either is out of range
  // (a core hands work to itself directly, not through a ring).
  SpscRing<T>* ring(size_t from, size_t to) const {
    if (from >= cores_ || to >= cores_) return nullptr;
    return rings_[from * cores_ + to].get();
  }

 private:
  explicit RingMesh(size_t cores) : cores_(cores), rings_(cores * cores) {}

  size_t cores_;
  std::vector<std::unique_ptr<SpscRing<T>>> rings_;  // row = producer, column = consumer
};

}  // namespace p2psip::runtime

#endif  // P2PSIP_RUNTIME_SPSC_RING_H_

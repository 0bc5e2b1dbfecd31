// Quiescent-state-based reclamation (QSBR) for read-mostly snapshots (DESIGN.md §1, principle
// 2): the routing table and the overlay configuration are immutable objects that one writer
// replaces and every worker reads with no lock and no reference count. The scheme is DPDK's
// rte_rcu_qsbr, so that the DPDK runtime can use either with the same rules.
//
//   QsbrDomain         the set of N reader threads (workers), index 0..N-1, each with its own
//                      cache line holding the last writer epoch it has seen.
//   RcuPublisher<T>    one writer thread publishes std::unique_ptr<const T> (an atomic pointer
//                      swap) and frees a replaced snapshot once every online reader has passed
//                      a quiescent state after the swap.
//   Snapshot<T>        what a reader gets from Load(): a const T* valid until its next
//                      quiescent state.
//
// The rules:
//  1. A reader thread owns one index. It calls Online(index) before its first Load(), then
//     Quiescent(index) between bursts, at a point where it holds no Snapshot. A Snapshot must
//     not be used after the Quiescent, Offline or Online call that follows its Load().
//  2. A reader that may block (poll(), a sleep) calls Offline(index) first and Online(index)
//     after: an offline reader holds nothing, and never delays reclamation.
//  3. Readers never block and never take a lock: Load is one acquire load, Quiescent one load
//     and one store to the thread's own cache line, Online adds one full fence.
//  4. One writer thread per RcuPublisher calls Publish, Reclaim and Synchronize. Reclaim never
//     blocks (call it from the writer's loop); Synchronize waits, up to a bound, for the
//     readers to pass a quiescent state and then frees everything retired.
//  5. Destroy an RcuPublisher only after its readers have stopped loading from it.
//  6. A reader that stays online without calling Quiescent stalls reclamation (memory grows,
//     nothing breaks); retired() says how much is waiting.
#ifndef P2PSIP_RUNTIME_RCU_H_
#define P2PSIP_RUNTIME_RCU_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "p2psip/runtime/spsc_ring.h"  // kCacheLine

namespace p2psip::runtime {

class QsbrDomain {
 public:
  static constexpr size_t kMaxReaders = 1024;

  // `readers` reader threads, all offline until they call Online.
  static absl::StatusOr<std::unique_ptr<QsbrDomain>> Create(size_t readers);
  QsbrDomain(const QsbrDomain&) = delete;
  QsbrDomain& operator=(const QsbrDomain&) = delete;

  size_t readers() const { return readers_; }

  // Reader side: called only by the thread that owns `index` (< readers(); out of range
  // aborts: it would be a write into another reader's state).
  void Quiescent(size_t index) {
    State& s = At(index);
    // Release: this reader's uses of earlier snapshots happen before a writer that sees the
    // new value frees them. Acquire on the epoch: a later Load sees what was published before
    // that epoch began.
    s.seen.store(epoch_.load(std::memory_order_acquire), std::memory_order_release);
  }
  void Offline(size_t index) { At(index).seen.store(kOffline, std::memory_order_release); }
  void Online(size_t index);

  // Writer side (any thread). Start() begins a grace period: call it after swapping a pointer;
  // the returned token is complete once every reader online at the swap has passed a quiescent
  // state, or gone offline.
  uint64_t Start() { return epoch_.fetch_add(1, std::memory_order_seq_cst) + 1; }
  // The newest token known complete (every token <= it is complete). Non-blocking.
  uint64_t Completed() const;
  bool Check(uint64_t token) const { return token <= Completed(); }
  // Waits (yielding, then sleeping briefly) until `token` is complete or `timeout` passes;
  // false on timeout.
  bool Synchronize(uint64_t token, std::chrono::nanoseconds timeout) const;

 private:
  static constexpr uint64_t kOffline = 0;  // epochs start at 1
  struct alignas(kCacheLine) State {
    std::atomic<uint64_t> seen{kOffline};
  };

  explicit QsbrDomain(size_t readers);
  State& At(size_t index);

  size_t readers_;
  std::unique_ptr<State[]> states_;
  alignas(kCacheLine) std::atomic<uint64_t> epoch_{1};
};

// A reader's view of a published T: borrowed, valid until the reader's next quiescent state.
template <typename T>
class Snapshot {
 public:
  explicit Snapshot(const T* value) : value_(value) {}
  const T* get() const { return value_; }
  const T& operator*() const { return *value_; }
  const T* operator->() const { return value_; }
  explicit operator bool() const { return value_ != nullptr; }

 private:
  const T* value_;
};

template <typename T>
class RcuPublisher {
 public:
  // `domain` must outlive the publisher. `initial` may be null (Load then returns null).
  explicit RcuPublisher(QsbrDomain* domain, std::unique_ptr<const T> initial = nullptr)
      : domain_(domain), current_(initial.release()) {}
  ~RcuPublisher() { delete current_.load(std::memory_order_acquire); }
  RcuPublisher(const RcuPublisher&) = delete;
  RcuPublisher& operator=(const RcuPublisher&) = delete;

  // Reader side: wait-free.
  Snapshot<T> Load() const { return Snapshot<T>(current_.load(std::memory_order_acquire)); }

  // Writer side. Replaces the snapshot; the old one is retired, freed by a later Reclaim or
  // Synchronize once the readers are past it.
  void Publish(std::unique_ptr<const T> next) {
    const T* old = current_.exchange(next.release(), std::memory_order_acq_rel);
    const uint64_t token = domain_->Start();
    if (old != nullptr) retired_.emplace_back(token, std::unique_ptr<const T>(old));
  }
  // Frees the retired snapshots every reader is past; returns how many. Never blocks.
  size_t Reclaim() {
    if (retired_.empty()) return 0;
    const uint64_t completed = domain_->Completed();
    size_t freed = 0;
    // Tokens only grow along the queue, so the reclaimable ones are a prefix.
    while (!retired_.empty() && retired_.front().first <= completed) {
      retired_.pop_front();
      ++freed;
    }
    return freed;
  }
  // Waits up to `timeout` for every retired snapshot to become reclaimable and frees them;
  // false (having freed what it could) on timeout.
  bool Synchronize(std::chrono::nanoseconds timeout) {
    if (retired_.empty()) return true;
    const bool done = domain_->Synchronize(retired_.back().first, timeout);
    Reclaim();
    return done;
  }
  size_t retired() const { return retired_.size(); }

 private:
  QsbrDomain* domain_;
  std::atomic<const T*> current_;
  std::deque<std::pair<uint64_t, std::unique_ptr<const T>>> retired_;  // writer thread only
};

}  // namespace p2psip::runtime

#endif  // P2PSIP_RUNTIME_RCU_H_

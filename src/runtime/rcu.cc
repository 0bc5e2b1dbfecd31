#include "p2psip/runtime/rcu.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <thread>

#include "absl/strings/str_cat.h"

namespace p2psip::runtime {

absl::StatusOr<std::unique_ptr<QsbrDomain>> QsbrDomain::Create(size_t readers) {
  if (readers == 0 || readers > kMaxReaders) {
    return absl::InvalidArgumentError(
        absl::StrCat("qsbr: ", readers, " readers not in [1, ", kMaxReaders, "]"));
  }
  return std::unique_ptr<QsbrDomain>(new QsbrDomain(readers));
}

QsbrDomain::QsbrDomain(size_t readers)
    : readers_(readers), states_(std::make_unique<State[]>(readers)) {}

QsbrDomain::State& QsbrDomain::At(size_t index) {
  if (index >= readers_) {
    std::fprintf(stderr, "qsbr: reader index %zu out of range (%zu readers)\n", index, readers_);
    std::abort();
  }
  return states_[index];
}

void QsbrDomain::Online(size_t index) {
  State& s = At(index);
  s.seen.store(epoch_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  // Store-load barrier: the reader's next Load must not be performed before the writer can see
  // it online. Paired with the fence in Completed (a Dekker pattern): either the writer sees
  // this reader online with an old epoch and waits, or the reader sees the new pointer.
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

uint64_t QsbrDomain::Completed() const {
  // Everything published before this call (pointer swaps, then Start) is ordered before the
  // loads of the readers' states below; see Online.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  uint64_t completed = epoch_.load(std::memory_order_acquire);
  for (size_t i = 0; i < readers_; ++i) {
    const uint64_t seen = states_[i].seen.load(std::memory_order_acquire);
    if (seen != kOffline) completed = std::min(completed, seen);
  }
  return completed;
}

bool QsbrDomain::Synchronize(uint64_t token, std::chrono::nanoseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (int round = 0;; ++round) {
    if (Check(token)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    // Readers pass a quiescent state every burst (microseconds): yield first, then back off so
    // that a stalled reader does not cost the writer a core.
    if (round < 64) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
}

}  // namespace p2psip::runtime

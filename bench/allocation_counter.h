// Counts heap allocations (operator new) while g_count_allocations is set: all threads together
// and the calling thread's own, so that a benchmark can tell one thread's share from the rest.
// Linking allocation_counter.cc replaces the global operator new and delete of the program.
#ifndef P2PSIP_BENCH_ALLOCATION_COUNTER_H_
#define P2PSIP_BENCH_ALLOCATION_COUNTER_H_

#include <atomic>
#include <cstdint>

inline std::atomic<bool> g_count_allocations{false};
inline std::atomic<uint64_t> g_allocations{0};
inline thread_local uint64_t t_allocations = 0;

#endif  // P2PSIP_BENCH_ALLOCATION_COUNTER_H_

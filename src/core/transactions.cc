#include "p2psip/core/transactions.h"

#include <algorithm>
#include <functional>
#include <utility>

namespace p2psip::core {
namespace {

// Dead slots tolerated before a compaction, so that small tables never compact at all and big
// ones compact at most once per that many removals (amortised O(1) per removal).
constexpr size_t kCompactSlack = 64;

// now + delay for a deadline that must stay a real one: saturates just below kNoDeadline, so a
// pending transaction never reads as "nothing to do" (only reachable with absurd clocks).
uint64_t DeadlineAfter(uint64_t now_ms, uint64_t delay_ms) {
  return delay_ms >= kNoDeadline - now_ms ? kNoDeadline - 1 : now_ms + delay_ms;
}

// Whether an answer recorded at `at_ms` is past its TTL at `now_ms`. A clock reading earlier
// than the record counts as age 0 rather than wrapping around to "very old".
bool IsExpired(uint64_t at_ms, uint64_t now_ms, uint64_t ttl_ms) {
  return now_ms >= at_ms && now_ms - at_ms >= ttl_ms;
}

}  // namespace

// TransactionTable
//
// Why a heap: NextDeadline() runs after every event on every simulated node, so it must be
// O(1); a table can hold up to max_pending (65536) requests on a busy super-peer, so Begin and
// Complete must not be linear either. A std::set would do but allocates a node per request;
// a vector-backed binary heap with lazy deletion allocates only when it grows, costs
// O(log n) per Begin/retransmission, and is as fast as a linear scan for the usual 0-10
// entries. Complete/Cancel cannot take an entry out of the middle of a heap, so they leave it
// there; an entry is stale when its txid is no longer pending or its deadline has moved on.
// Stale entries are popped as soon as they reach the top (keeping NextDeadline exact), and the
// heap is rebuilt from the map when it holds more than twice the live count plus slack, which
// bounds its memory by the table size rather than by the request rate.
//
// Determinism: the heap is ordered by (deadline, txid), a total order over live entries, so
// the order Poll pops them in never depends on the hash map's per-process iteration order,
// even right after a rebuild (which iterates the map). Poll reports both lists in that order:
// by the deadline that fired, then by txid.

bool TransactionTable::IsLive(const Timer& timer) const {
  const auto it = pending_.find(timer.second);
  return it != pending_.end() && it->second.deadline_ms == timer.first;
}

void TransactionTable::PushTimer(Timer timer) {
  timers_.push_back(timer);
  std::push_heap(timers_.begin(), timers_.end(), std::greater<>());
}

void TransactionTable::DropStaleTop() {
  while (!timers_.empty() && !IsLive(timers_.front())) {
    std::pop_heap(timers_.begin(), timers_.end(), std::greater<>());
    timers_.pop_back();
  }
}

void TransactionTable::MaybeCompactTimers() {
  if (timers_.size() <= 2 * pending_.size() + kCompactSlack) return;
  timers_.clear();
  for (const auto& [txid, pending] : pending_) timers_.emplace_back(pending.deadline_ms, txid);
  std::make_heap(timers_.begin(), timers_.end(), std::greater<>());
}

bool TransactionTable::Begin(uint64_t txid, uint64_t cookie, std::vector<uint8_t> message,
                             uint64_t now_ms) {
  if (pending_.size() >= options_.max_pending) return false;
  const auto [it, inserted] = pending_.try_emplace(txid);
  if (!inserted) return false;
  Pending& pending = it->second;
  pending.txid = txid;
  pending.cookie = cookie;
  pending.message = std::move(message);
  pending.transmissions = 1;
  pending.deadline_ms = DeadlineAfter(now_ms, options_.retransmit_ms);
  PushTimer({pending.deadline_ms, txid});
  return true;
}

std::optional<TransactionTable::Pending> TransactionTable::Complete(uint64_t txid) {
  const auto it = pending_.find(txid);
  if (it == pending_.end()) return std::nullopt;
  std::optional<Pending> done(std::move(it->second));
  pending_.erase(it);
  DropStaleTop();
  MaybeCompactTimers();
  return done;
}

bool TransactionTable::Cancel(uint64_t txid) {
  const auto it = pending_.find(txid);
  if (it == pending_.end()) return false;
  pending_.erase(it);
  DropStaleTop();
  MaybeCompactTimers();
  return true;
}

// Late polls. A retransmission is scheduled one interval after the deadline that fired, not
// after the poll, so a runtime whose timers fire a few ms late keeps the RFC schedule (sends at
// 0, 3, 6, 9, 12 s, failure at 15 s = the maximum request lifetime) instead of drifting by the
// accumulated lateness. If the poll is so late that this next slot has already passed too
// (the thread stalled for a whole interval), the missed slots are not sent in a burst: the
// request is sent once and the next deadline is one interval after the poll, so the stall
// postpones the rest of the schedule. A transmission count is only spent on an actual send.
// Consequence of anchoring: a poll almost one interval late is followed shortly by the next
// send (e.g. deadline 3 s polled at 5.9 s resends at 5.9 s and again at 6 s); duplicates are
// harmless (the answerer's DuplicateCache) and the case needs a stalled thread.
//
// Each due transaction is processed at most once per Poll, even with retransmit_ms = 0: all due
// entries are popped before any new deadline is pushed.
//
// Pointer validity: `resend` points into pending_. Nothing is inserted into pending_ during
// Poll (only timers_ grows), and absl::flat_hash_map::erase never rehashes or moves other
// elements (documented in flat_hash_map.h: "Erasing does not trigger a rehash"; it only marks
// the slot deleted), so erasing a failed transaction after earlier resend pointers were taken
// leaves them valid. They stay valid until the next Begin (which may rehash) or until
// Complete/Cancel removes that very transaction.
void TransactionTable::Poll(uint64_t now_ms, Expired* out) {
  out->resend.clear();
  out->failed.clear();
  due_.clear();
  while (!timers_.empty() && timers_.front().first <= now_ms) {
    std::pop_heap(timers_.begin(), timers_.end(), std::greater<>());
    const Timer timer = timers_.back();
    timers_.pop_back();
    if (!IsLive(timer)) continue;
    // A txid completed and begun again with the same deadline has two identical entries; they
    // pop one after the other. Process it once.
    if (!due_.empty() && due_.back() == timer) continue;
    due_.push_back(timer);
  }
  for (const Timer& timer : due_) {
    const auto it = pending_.find(timer.second);
    Pending& pending = it->second;
    if (pending.transmissions < options_.max_transmissions) {
      ++pending.transmissions;
      const uint64_t anchored = DeadlineAfter(pending.deadline_ms, options_.retransmit_ms);
      pending.deadline_ms =
          anchored > now_ms ? anchored : DeadlineAfter(now_ms, options_.retransmit_ms);
      PushTimer({pending.deadline_ms, pending.txid});
      out->resend.push_back(&pending);
    } else {
      out->failed.push_back(std::move(pending));
      pending_.erase(it);
    }
  }
  DropStaleTop();
}

uint64_t TransactionTable::NextDeadline() const {
  return timers_.empty() ? kNoDeadline : timers_.front().first;
}

// DuplicateCache
//
// order_[order_head_..] lists (at_ms, txid) oldest first; the map holds the answers. A slot is
// stale when its txid is gone or was re-answered at another time (the newer time wins). The
// head slot is kept live after every mutation, so NextDeadline() is exact.
//
// Time is taken as non-decreasing per cache (a monotonic clock, as the header says). A reading
// older than the newest slot is clamped up to it rather than breaking the order that expiry
// and eviction walk; the answer then lives a little longer, which is the safe direction.
//
// Memory: the consumed prefix [0, order_head_) is cut once it is at least half the vector;
// stale slots after the head (only overwrites create them) are dropped by rebuilding from the
// map once they outnumber the live ones plus slack. Both are amortised O(1) per insert and keep
// order_ within a small multiple of max_entries whatever the insert rate.

bool DuplicateCache::IsLive(const std::pair<uint64_t, uint64_t>& slot) const {
  const auto it = entries_.find(slot.second);
  return it != entries_.end() && it->second.at_ms == slot.first;
}

void DuplicateCache::SkipStaleHead() {
  while (order_head_ < order_.size() && !IsLive(order_[order_head_])) ++order_head_;
}

void DuplicateCache::MaybeCompactOrder() {
  if (order_head_ == order_.size()) {
    order_.clear();
    order_head_ = 0;
    return;
  }
  if (order_head_ >= kCompactSlack && 2 * order_head_ >= order_.size()) {
    order_.erase(order_.begin(), order_.begin() + static_cast<ptrdiff_t>(order_head_));
    order_head_ = 0;
  }
  if (order_.size() - order_head_ > 2 * entries_.size() + kCompactSlack) {
    // Sorting by (at_ms, txid) makes the rebuilt order independent of the map's iteration
    // order; answers recorded in the same millisecond are then evicted by txid instead of by
    // arrival, which is still deterministic.
    order_.clear();
    order_head_ = 0;
    for (const auto& [txid, entry] : entries_) order_.emplace_back(entry.at_ms, txid);
    std::sort(order_.begin(), order_.end());
  }
}

const std::vector<uint8_t>* DuplicateCache::Lookup(
    uint64_t txid, uint64_t now_ms,
    const std::vector<wire::GenericCertificate>** certificates) const {
  const auto it = entries_.find(txid);
  if (it == entries_.end() || IsExpired(it->second.at_ms, now_ms, options_.ttl_ms)) {
    return nullptr;
  }
  if (certificates != nullptr) *certificates = &it->second.certificates;
  return &it->second.answer;
}

void DuplicateCache::Insert(uint64_t txid, std::vector<uint8_t> answer, uint64_t now_ms,
                            std::vector<wire::GenericCertificate> certificates) {
  const uint64_t at_ms = order_.empty() ? now_ms : std::max(now_ms, order_.back().first);
  const auto [it, inserted] = entries_.try_emplace(txid);
  // Re-answered in the same millisecond: its slot is already in place and still matches.
  const bool has_slot = !inserted && it->second.at_ms == at_ms;
  it->second.answer = std::move(answer);
  it->second.certificates = std::move(certificates);
  it->second.at_ms = at_ms;
  if (!has_slot) order_.emplace_back(at_ms, txid);
  SkipStaleHead();  // an overwrite may have just made the head slot stale
  // Evict oldest first. The head slot is live, and every entry has a live slot, so each step
  // removes exactly one entry.
  while (entries_.size() > options_.max_entries && order_head_ < order_.size()) {
    entries_.erase(order_[order_head_].second);
    ++order_head_;
    SkipStaleHead();
  }
  MaybeCompactOrder();
}

void DuplicateCache::Expire(uint64_t now_ms) {
  // order_ is sorted by time, so everything expired sits at the front.
  while (order_head_ < order_.size() &&
         IsExpired(order_[order_head_].first, now_ms, options_.ttl_ms)) {
    const auto& [at_ms, txid] = order_[order_head_];
    const auto it = entries_.find(txid);
    if (it != entries_.end() && it->second.at_ms == at_ms) entries_.erase(it);
    ++order_head_;
  }
  SkipStaleHead();
  MaybeCompactOrder();
}

uint64_t DuplicateCache::NextDeadline() const {
  if (order_head_ == order_.size()) return kNoDeadline;
  const uint64_t at_ms = order_[order_head_].first;
  // An entry whose expiry time does not fit never expires.
  return options_.ttl_ms >= kNoDeadline - at_ms ? kNoDeadline : at_ms + options_.ttl_ms;
}

}  // namespace p2psip::core

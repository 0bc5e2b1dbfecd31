// End-to-end reliability of RELOAD requests (RFC 6940 §6.2.1).
//
// TransactionTable: the requests this node originated and still awaits answers for. Each is
// retransmitted with the same transaction id every `retransmit_ms` (the overlay-reliability-
// timer, default 3 s) and fails after `max_transmissions` sends (5) have all timed out.
//
// DuplicateCache: the answers this node gave recently, so that a retransmitted request (same
// transaction id) receives the same answer for 15 s instead of being executed again — the
// RFC's idempotency rule for non-idempotent methods such as Store.
//
// Both are owned by one thread (the one that originated / answered), use injected time
// (milliseconds on any monotonic clock) and are bounded in entries.
#ifndef P2PSIP_CORE_TRANSACTIONS_H_
#define P2PSIP_CORE_TRANSACTIONS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "p2psip/wire/security_block.h"

namespace p2psip::core {

inline constexpr uint64_t kNoDeadline = UINT64_MAX;

class TransactionTable {
 public:
  struct Options {
    uint64_t retransmit_ms = 3000;  // overlay-reliability-timer
    int max_transmissions = 5;
    size_t max_pending = 1 << 16;  // Begin() refuses beyond this
  };

  struct Pending {
    uint64_t txid = 0;
    uint64_t cookie = 0;           // the caller's handle (request id, state machine step...)
    std::vector<uint8_t> message;  // the encoded request, resent as is
    int transmissions = 1;
    uint64_t deadline_ms = 0;  // next retransmission or failure time
  };

  TransactionTable() : TransactionTable(Options{}) {}
  explicit TransactionTable(Options options) : options_(options) {}

  // Records a request just sent for the first time at `now_ms`. False (and nothing recorded)
  // if `txid` is already pending or the table is full.
  bool Begin(uint64_t txid, uint64_t cookie, std::vector<uint8_t> message, uint64_t now_ms);
  // An answer for `txid` arrived: removes and returns the transaction; nullopt for an unknown
  // or already answered id (a late duplicate answer, which the caller drops).
  std::optional<Pending> Complete(uint64_t txid);
  // Gives up on `txid` without an answer (e.g. the caller cancelled); true if it was pending.
  bool Cancel(uint64_t txid);

  struct Expired {
    std::vector<const Pending*> resend;  // send `message` again now (valid until the next call)
    std::vector<Pending> failed;         // every transmission timed out: removed
  };
  // Processes every deadline <= now_ms. `resend` and `failed` are ordered by the deadline
  // that fired, then by transaction id (never by hash order: the simulator must replay).
  void Poll(uint64_t now_ms, Expired* out);
  // Earliest deadline, or kNoDeadline.
  uint64_t NextDeadline() const;

  size_t size() const { return pending_.size(); }
  const Options& options() const { return options_; }

 private:
  // (deadline_ms, txid): the min-heap key, and a due transaction in Poll's order.
  using Timer = std::pair<uint64_t, uint64_t>;
  bool IsLive(const Timer& timer) const;
  void PushTimer(Timer timer);
  void DropStaleTop();
  void MaybeCompactTimers();

  Options options_;
  absl::flat_hash_map<uint64_t, Pending> pending_;
  // Min-heap of deadlines with lazy deletion: Complete/Cancel leave their entry behind, and a
  // stale entry (txid gone, or its deadline moved) is dropped when it reaches the top. The top
  // is always live, so NextDeadline() is exact and O(1).
  std::vector<Timer> timers_;
  std::vector<Timer> due_;  // Poll's scratch, kept to avoid an allocation per Poll
};

class DuplicateCache {
 public:
  struct Options {
    uint64_t ttl_ms = 15000;    // §6.2.1: identical answers for 15 s
    size_t max_entries = 4096;  // oldest evicted first beyond this
  };

  DuplicateCache() : DuplicateCache(Options{}) {}
  explicit DuplicateCache(Options options) : options_(options) {}

  // The answer recorded for `txid` within the TTL, or nullptr; `*certificates` (if given) is set
  // to the extra certificates it carried.
  const std::vector<uint8_t>* Lookup(
      uint64_t txid, uint64_t now_ms,
      const std::vector<wire::GenericCertificate>** certificates = nullptr) const;
  // Records the answer given to `txid` at `now_ms` (replaces an earlier one), with the
  // certificates it carried beyond the node's own (a FetchAns's value signers).
  void Insert(uint64_t txid, std::vector<uint8_t> answer, uint64_t now_ms,
              std::vector<wire::GenericCertificate> certificates = {});
  // Drops entries older than the TTL.
  void Expire(uint64_t now_ms);
  uint64_t NextDeadline() const;

  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::vector<uint8_t> answer;
    std::vector<wire::GenericCertificate> certificates;
    uint64_t at_ms = 0;
  };
  bool IsLive(const std::pair<uint64_t, uint64_t>& slot) const;
  void SkipStaleHead();
  void MaybeCompactOrder();

  Options options_;
  absl::flat_hash_map<uint64_t, Entry> entries_;
  // Insertion order for expiry and eviction: (time, txid), oldest first.
  std::vector<std::pair<uint64_t, uint64_t>> order_;
  size_t order_head_ = 0;
};

}  // namespace p2psip::core

#endif  // P2PSIP_CORE_TRANSACTIONS_H_

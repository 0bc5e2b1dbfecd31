// Fragmentation and reassembly (RFC 6940 §6.7).
//
// Any hop may split a message; only the final destination reassembles. Each fragment carries a
// full copy of the forwarding header (Via and Destination Lists and options included) and a
// slice of the rest; `fragment` holds bit 31, the last-fragment bit 30 and the slice's offset
// from the end of the forwarding header. Reassembly buffers are keyed on the transaction id,
// bounded in number and bytes, and expire 15 s after their first fragment.
#ifndef P2PSIP_WIRE_FRAGMENTATION_H_
#define P2PSIP_WIRE_FRAGMENTATION_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "p2psip/wire/constants.h"

namespace p2psip::wire {

inline constexpr size_t kMinFragmentBody = 256;          // §6.7: at least 256 bytes of body
inline constexpr size_t kFragmentViaAllowance = 32;      // §6.7: room for Via List growth
inline constexpr uint64_t kReassemblyTimeoutMs = 15000;  // §6.7

// Splits an encoded, unfragmented message into fragments of at most `path_mtu` - 32 bytes,
// in equal-sized pieces. Returns the message unchanged (one element) when it already fits.
// Fails when a fragment could not carry 256 body bytes in that size (§6.7: then let IP
// fragment) or the input is not a well-formed unfragmented message header.
absl::StatusOr<std::vector<std::vector<uint8_t>>> FragmentMessage(std::span<const uint8_t> message,
                                                                  size_t path_mtu);

struct ReassemblyLimits {
  size_t max_message_size = kDefaultMaxMessageSize;  // reassembled size cap
  size_t max_buffers = 256;                          // concurrent partial messages
  size_t max_total_bytes = 4u << 20;                 // bytes held across all buffers
  uint64_t timeout_ms = kReassemblyTimeoutMs;
};

struct ReassemblyCounters {
  uint64_t fragments = 0;
  uint64_t completed = 0;
  uint64_t expired = 0;
  uint64_t dropped_malformed = 0;  // bad header, overlapping or inconsistent fragments
  uint64_t dropped_too_large = 0;  // would exceed max_message_size
  uint64_t dropped_no_memory = 0;  // max_buffers / max_total_bytes reached
};

// Owned by one thread (the one the link's traffic is steered to); no locking inside.
class Reassembler {
 public:
  enum class Result : uint8_t { kComplete, kPending, kDropped };

  explicit Reassembler(ReassemblyLimits limits = {}) : limits_(limits) {}

  // Adds one fragment received at `now_ms`. On kComplete, `*message` holds the reassembled
  // message: the header of the fragment at offset 0 with `fragment` = 0xC0000000 and `length`
  // set to the whole size. Expires stale buffers first.
  Result Add(std::span<const uint8_t> fragment, uint64_t now_ms, std::vector<uint8_t>* message);
  // Drops buffers older than the timeout.
  void Expire(uint64_t now_ms);

  size_t buffered_messages() const { return buffers_.size(); }
  size_t buffered_bytes() const { return total_bytes_; }
  const ReassemblyCounters& counters() const { return counters_; }

 private:
  struct Piece {
    uint32_t offset;
    std::vector<uint8_t> data;
  };
  struct Buffer {
    uint64_t first_ms = 0;
    std::vector<uint8_t> header;  // forwarding header of the offset-0 fragment
    std::vector<Piece> pieces;
    uint32_t total_body = 0;  // known once the last fragment arrived
    bool have_last = false;
    size_t bytes = 0;
  };
  void Erase(uint64_t txid);

  ReassemblyLimits limits_;
  absl::flat_hash_map<uint64_t, Buffer> buffers_;
  size_t total_bytes_ = 0;
  ReassemblyCounters counters_;
};

}  // namespace p2psip::wire

#endif  // P2PSIP_WIRE_FRAGMENTATION_H_

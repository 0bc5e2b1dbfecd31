#include "p2psip/wire/fragmentation.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "p2psip/wire/forwarding_view.h"

namespace p2psip::wire {
namespace {

void Put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// The view only reads here; Parse takes a mutable pointer because the same view also edits.
ViewError ParseReadOnly(std::span<const uint8_t> bytes, ForwardingView* view) {
  return ForwardingView::Parse(const_cast<uint8_t*>(bytes.data()), bytes.size(), view);
}

}  // namespace

absl::StatusOr<std::vector<std::vector<uint8_t>>> FragmentMessage(std::span<const uint8_t> message,
                                                                  size_t path_mtu) {
  ForwardingView view;
  if (ViewError e = ParseReadOnly(message, &view); e != ViewError::kOk) {
    return absl::InvalidArgumentError(absl::StrCat("cannot fragment: ", ViewErrorName(e)));
  }
  if (view.fragment() != kUnfragmented) {
    return absl::InvalidArgumentError("cannot fragment: message is already a fragment");
  }
  if (path_mtu <= kFragmentViaAllowance) {
    return absl::InvalidArgumentError(absl::StrCat("path MTU ", path_mtu, " is too small"));
  }
  const size_t max_fragment = path_mtu - kFragmentViaAllowance;
  if (message.size() <= max_fragment) {
    return std::vector<std::vector<uint8_t>>{{message.begin(), message.end()}};
  }
  const size_t header = view.header_size();
  const size_t body = message.size() - header;
  if (max_fragment < header + kMinFragmentBody) {
    return absl::FailedPreconditionError(
        absl::StrCat("a fragment of ", max_fragment, " bytes cannot carry the ", header,
                     "-byte forwarding header and 256 body bytes; leave fragmentation to IP"));
  }
  if (body > kFragmentOffsetMask) {
    return absl::InvalidArgumentError("message body exceeds the 24-bit fragment offset");
  }
  const size_t capacity = max_fragment - header;
  const size_t count = (body + capacity - 1) / capacity;
  const size_t piece = (body + count - 1) / count;  // equal-sized pieces (§6.7)
  std::vector<std::vector<uint8_t>> out;
  out.reserve(count);
  for (size_t offset = 0; offset < body; offset += piece) {
    const size_t len = std::min(piece, body - offset);
    const bool last = offset + len == body;
    std::vector<uint8_t> frag(message.begin(), message.begin() + header);
    frag.insert(frag.end(), message.begin() + header + offset,
                message.begin() + header + offset + len);
    Put32(frag.data() + 12,
          kFragmentMarker | (last ? kLastFragment : 0) | static_cast<uint32_t>(offset));
    Put32(frag.data() + 16, static_cast<uint32_t>(frag.size()));
    out.push_back(std::move(frag));
  }
  return out;
}

void Reassembler::Erase(uint64_t txid) {
  auto it = buffers_.find(txid);
  if (it == buffers_.end()) return;
  total_bytes_ -= it->second.bytes;
  buffers_.erase(it);
}

void Reassembler::Expire(uint64_t now_ms) {
  for (auto it = buffers_.begin(); it != buffers_.end();) {
    if (now_ms - it->second.first_ms >= limits_.timeout_ms) {
      ++counters_.expired;
      total_bytes_ -= it->second.bytes;
      buffers_.erase(it++);
    } else {
      ++it;
    }
  }
}

Reassembler::Result Reassembler::Add(std::span<const uint8_t> fragment, uint64_t now_ms,
                                     std::vector<uint8_t>* message) {
  ++counters_.fragments;
  Expire(now_ms);
  ForwardingView view;
  if (ParseReadOnly(fragment, &view) != ViewError::kOk) {
    ++counters_.dropped_malformed;
    return Result::kDropped;
  }
  if (view.fragment() == kUnfragmented) {
    message->assign(fragment.begin(), fragment.end());
    return Result::kComplete;
  }
  const uint64_t txid = view.transaction_id();
  const size_t header = view.header_size();
  const uint32_t offset = view.fragment() & kFragmentOffsetMask;
  const bool last = (view.fragment() & kLastFragment) != 0;
  std::span<const uint8_t> slice = fragment.subspan(header);
  const size_t end = size_t{offset} + slice.size();
  if (slice.empty()) {  // an empty piece adds nothing and would let a flood grow `pieces`
    ++counters_.dropped_malformed;
    return Result::kDropped;
  }

  auto it = buffers_.find(txid);
  if (it == buffers_.end()) {
    if (buffers_.size() >= limits_.max_buffers) {
      ++counters_.dropped_no_memory;
      return Result::kDropped;
    }
    it = buffers_.emplace(txid, Buffer{}).first;
    it->second.first_ms = now_ms;
  }
  Buffer& buf = it->second;
  const size_t header_cost = (offset == 0 && buf.header.empty()) ? header : 0;
  if (header + end > limits_.max_message_size || (buf.have_last && end > buf.total_body)) {
    ++counters_.dropped_too_large;
    Erase(txid);
    return Result::kDropped;
  }
  if (total_bytes_ + slice.size() + header_cost > limits_.max_total_bytes) {
    ++counters_.dropped_no_memory;
    Erase(txid);
    return Result::kDropped;
  }
  for (const Piece& p : buf.pieces) {
    const size_t p_end = p.offset + p.data.size();
    if (offset < p_end && p.offset < end) {
      if (p.offset == offset && std::ranges::equal(p.data, slice)) return Result::kPending;
      ++counters_.dropped_malformed;  // overlapping, inconsistent fragments
      Erase(txid);
      return Result::kDropped;
    }
  }
  if (last) {
    if (buf.have_last || std::any_of(buf.pieces.begin(), buf.pieces.end(), [&](const Piece& p) {
          return p.offset + p.data.size() > end;
        })) {
      ++counters_.dropped_malformed;
      Erase(txid);
      return Result::kDropped;
    }
    buf.have_last = true;
    buf.total_body = static_cast<uint32_t>(end);
  }
  if (offset == 0) buf.header.assign(fragment.begin(), fragment.begin() + header);
  buf.pieces.push_back({offset, {slice.begin(), slice.end()}});
  buf.bytes += slice.size() + header_cost;
  total_bytes_ += slice.size() + header_cost;

  size_t have = 0;
  for (const Piece& p : buf.pieces) have += p.data.size();
  if (!buf.have_last || buf.header.empty() || have != buf.total_body) return Result::kPending;

  std::sort(buf.pieces.begin(), buf.pieces.end(),
            [](const Piece& a, const Piece& b) { return a.offset < b.offset; });
  message->assign(buf.header.begin(), buf.header.end());
  for (const Piece& p : buf.pieces) message->insert(message->end(), p.data.begin(), p.data.end());
  Put32(message->data() + 12, kUnfragmented);
  Put32(message->data() + 16, static_cast<uint32_t>(message->size()));
  ++counters_.completed;
  Erase(txid);
  return Result::kComplete;
}

}  // namespace p2psip::wire

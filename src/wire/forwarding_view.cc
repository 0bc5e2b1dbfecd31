#include "p2psip/wire/forwarding_view.h"

namespace p2psip::wire {

const char* ViewErrorName(ViewError e) {
  switch (e) {
    case ViewError::kOk:
      return "ok";
    case ViewError::kTruncated:
      return "truncated forwarding header";
    case ViewError::kBadToken:
      return "bad relo_token";
    case ViewError::kBadVersion:
      return "unsupported version";
    case ViewError::kUnmarkedFragment:
      return "fragment field without bit 31";
    case ViewError::kLengthMismatch:
      return "length field differs from datagram size";
    case ViewError::kEmptyDestination:
      return "empty destination list";
    case ViewError::kBadDestination:
      return "malformed first destination";
  }
  return "unknown";
}

ViewError ForwardingView::Parse(uint8_t* data, size_t size, ForwardingView* out,
                                size_t node_id_length) {
  if (size < kForwardingHeaderFixedSize) return ViewError::kTruncated;
  out->data_ = data;
  out->size_ = size;
  if (out->Load32(0) != kReloToken) return ViewError::kBadToken;
  if (out->version() != kVersion) return ViewError::kBadVersion;
  if ((out->fragment() & kFragmentMarker) == 0) return ViewError::kUnmarkedFragment;
  if (out->length() != size) return ViewError::kLengthMismatch;
  if (out->header_size() > size) return ViewError::kTruncated;
  if (out->destination_list_length() == 0) return ViewError::kEmptyDestination;
  return out->ParseFirstDestination(node_id_length);
}

ViewError ForwardingView::ParseFirstDestination(size_t node_id_length) {
  const uint8_t* p = data_ + 38 + via_list_length();
  const size_t avail = destination_list_length();
  if (p[0] & 0x80) {
    if (avail < 2) return ViewError::kBadDestination;
    first_ = {DestinationType::kCompressed, {p, 2}, 2};
    return ViewError::kOk;
  }
  if (avail < 2 || size_t{p[1]} + 2 > avail) return ViewError::kBadDestination;
  const size_t len = p[1];
  switch (static_cast<DestinationType>(p[0])) {
    case DestinationType::kNode:
      if (len != node_id_length) return ViewError::kBadDestination;
      first_ = {DestinationType::kNode, {p + 2, len}, 2 + len};
      return ViewError::kOk;
    case DestinationType::kResource:
    case DestinationType::kOpaqueId:
      if (len < 1 || size_t{p[2]} + 1 != len) return ViewError::kBadDestination;
      first_ = {static_cast<DestinationType>(p[0]), {p + 3, p[2]}, 2 + len};
      return ViewError::kOk;
    default:
      return ViewError::kBadDestination;
  }
}

uint64_t ForwardingView::transaction_id() const {
  uint64_t v;
  std::memcpy(&v, data_ + 20, 8);
  return __builtin_bswap64(v);
}

bool ForwardingView::AppendVia(const NodeId& id, size_t headroom) {
  const size_t entry = 2 + id.size();
  const size_t via_len = via_list_length();
  if (headroom < entry || via_len + entry > 0xFFFF || size_ + entry > 0xFFFFFFFFu) return false;
  const size_t moved = kForwardingHeaderFixedSize + via_len;
  uint8_t* dst = data_ - entry;
  std::memmove(dst, data_, moved);
  data_ = dst;
  uint8_t* slot = data_ + moved;
  slot[0] = static_cast<uint8_t>(DestinationType::kNode);
  slot[1] = static_cast<uint8_t>(id.size());
  std::memcpy(slot + 2, id.bytes().data(), id.size());
  size_ += entry;
  Store16(32, static_cast<uint16_t>(via_len + entry));
  Store32(16, static_cast<uint32_t>(size_));
  return true;
}

bool ForwardingView::PopFirstDestination(size_t node_id_length) {
  const size_t entry = first_.wire_size;
  const size_t dest_len = destination_list_length();
  if (entry == 0 || entry >= dest_len) return false;
  const size_t moved = kForwardingHeaderFixedSize + via_list_length();
  std::memmove(data_ + entry, data_, moved);
  data_ += entry;
  size_ -= entry;
  Store16(34, static_cast<uint16_t>(dest_len - entry));
  Store32(16, static_cast<uint32_t>(size_));
  return ParseFirstDestination(node_id_length) == ViewError::kOk;
}

}  // namespace p2psip::wire

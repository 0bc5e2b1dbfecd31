#include "p2psip/core/part_dispatcher.h"

#include "p2psip/wire/constants.h"
#include "p2psip/wire/message.h"

namespace p2psip::core {

using wire::MessageCode;

uint32_t PartDispatcher::ShardOf(std::span<const uint8_t> resource, uint32_t shards) {
  if (shards <= 1) return 0;
  uint32_t v = 0;
  for (size_t i = 0; i < 4 && i < resource.size(); ++i) v = (v << 8) | resource[i];
  return v % shards;
}

std::optional<std::span<const uint8_t>> PartDispatcher::StorageResource(
    uint16_t code, std::span<const uint8_t> contents) {
  switch (static_cast<MessageCode>(code)) {
    case MessageCode::kStoreReq:
    case MessageCode::kFetchReq:
    case MessageCode::kStatReq:
    case MessageCode::kFindReq:
      break;
    default:
      return std::nullopt;
  }
  // MessageContents: message_code (2), message_body opaque<0..2^32-1> (4-byte length), then
  // the body, which starts with ResourceId resource<0..255> (1-byte length).
  constexpr size_t kBody = 2 + 4;
  if (contents.size() < kBody + 1) return std::nullopt;
  const size_t length = contents[kBody];
  if (contents.size() < kBody + 1 + length) return std::nullopt;
  return contents.subspan(kBody + 1, length);
}

uint32_t PartDispatcher::PartFor(uint16_t code, uint64_t transaction_id,
                                 std::span<const uint8_t> contents) const {
  if (!wire::IsRequest(code)) {
    const auto tag = static_cast<uint32_t>(transaction_id & kTagMask);
    // A tag no part has (an answer to nobody, or a forged one): the control part drops it and
    // counts it as a late answer.
    return Local(tag <= shards_ ? tag : shards_);
  }
  if (auto resource = StorageResource(code, contents)) return Local(ShardOf(*resource, shards_));
  return Local(shards_);
}

}  // namespace p2psip::core

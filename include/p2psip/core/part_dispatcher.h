// PartDispatcher: how p2psipd splits one node's work across threads (DESIGN.md §1). The node
// has N shard parts (the workers, numbered 0..N-1) and one control part (N). Every part runs a
// Node with the same Node-ID; this dispatcher tells each of them which part handles a message
// that is for the node:
//
//   - an answer goes to the part whose tag its transaction id carries (each part originates
//     requests with its own index in the low byte: NodeConfig::transaction_tag), so it reaches
//     the transaction that is waiting for it;
//   - a Store, Fetch, Stat or Find goes to the shard part that owns its Resource-ID
//     (ShardOf: the first bytes, so every process agrees and replicas land on the same shard
//     as their originals);
//   - everything else (the overlay algorithm's requests, Ping, diagnostics, ConfigUpdate,
//     AppAttach) goes to the control part.
//
// Stateless and immutable: one instance may be shared by every part's Node.
#ifndef P2PSIP_CORE_PART_DISPATCHER_H_
#define P2PSIP_CORE_PART_DISPATCHER_H_

#include <cstdint>
#include <optional>
#include <span>

#include "p2psip/core/node.h"

namespace p2psip::core {

class PartDispatcher final : public InboundDispatcher {
 public:
  static constexpr uint64_t kTagMask = 0xFF;
  static constexpr uint32_t kMaxShards = 254;  // shard parts + control fit in the tag byte

  // `self` is the part whose Node this dispatcher serves (0..shards; shards = control).
  PartDispatcher(uint32_t self, uint32_t shards) : self_(self), shards_(shards) {}

  uint32_t control() const { return shards_; }
  uint32_t shards() const { return shards_; }

  uint32_t PartFor(uint16_t code, uint64_t transaction_id,
                   std::span<const uint8_t> contents) const override;

  // The shard part that owns a Resource-ID (its raw bytes) among `shards`.
  static uint32_t ShardOf(std::span<const uint8_t> resource, uint32_t shards);
  // The Resource-ID of a storage request's MessageContents (all four bodies begin with it);
  // nullopt when `code` is not a storage request or the bytes are too short.
  static std::optional<std::span<const uint8_t>> StorageResource(uint16_t code,
                                                                 std::span<const uint8_t> contents);

  // NodeConfig::transaction_tag{,_mask} for part `part`.
  static void TagConfig(uint32_t part, NodeConfig* config) {
    config->transaction_tag_mask = kTagMask;
    config->transaction_tag = part;
  }

 private:
  uint32_t Local(uint32_t part) const { return part == self_ ? kThisPart : part; }

  uint32_t self_;
  uint32_t shards_;
};

}  // namespace p2psip::core

#endif  // P2PSIP_CORE_PART_DISPATCHER_H_

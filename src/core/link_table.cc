#include "core/link_table.h"

#include <algorithm>

namespace p2psip::core {

void LinkTable::Add(LinkId link, const NodeId& peer) {
  by_id_[link] = Link{peer, false};
  by_peer_[RingId::Of(peer)] = link;
}

std::optional<NodeId> LinkTable::Remove(LinkId link) {
  auto it = by_id_.find(link);
  if (it == by_id_.end()) return std::nullopt;
  NodeId peer = it->second.peer;
  by_id_.erase(it);
  auto p = by_peer_.find(RingId::Of(peer));
  if (p != by_peer_.end() && p->second == link) by_peer_.erase(p);
  return peer;
}

const LinkTable::Link* LinkTable::Find(LinkId link) const {
  auto it = by_id_.find(link);
  return it == by_id_.end() ? nullptr : &it->second;
}

LinkTable::Link* LinkTable::Find(LinkId link) {
  auto it = by_id_.find(link);
  return it == by_id_.end() ? nullptr : &it->second;
}

LinkId LinkTable::LinkTo(const NodeId& peer) const { return LinkTo(RingId::Of(peer)); }

LinkId LinkTable::LinkTo(RingId peer) const {
  auto it = by_peer_.find(peer);
  return it == by_peer_.end() ? kNoLink : it->second;
}

std::vector<LinkId> LinkTable::Links() const {
  std::vector<LinkId> out;
  out.reserve(by_id_.size());
  for (const auto& [id, link] : by_id_) out.push_back(id);
  std::sort(out.begin(), out.end());
  return out;
}

size_t LinkTable::MemoryBytes() const {
  return sizeof(*this) + by_id_.capacity() * (sizeof(LinkId) + sizeof(Link) + 1) +
         by_peer_.capacity() * (sizeof(RingId) + sizeof(LinkId) + 1);
}

}  // namespace p2psip::core

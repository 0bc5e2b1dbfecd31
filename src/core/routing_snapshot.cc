#include "p2psip/core/routing_snapshot.h"

#include <string>

#include "absl/strings/cord.h"
#include "p2psip/wire/constants.h"

namespace p2psip::core {

absl::Status SnapshotTopology::HandleRequest(const InboundRequest&, wire::Body*, Outbox*) {
  absl::Status s = absl::FailedPreconditionError("topology requests are not handled here");
  s.SetPayload("reload-error",
               absl::Cord(std::to_string(static_cast<int>(wire::ErrorCode::kForbidden))));
  return s;
}

std::span<const RingId> SnapshotTopology::predecessors() const {
  if (snapshot_ == nullptr || snapshot_->client) return {};
  return snapshot_->table.predecessors();
}

std::span<const RingId> SnapshotTopology::successors() const {
  if (snapshot_ == nullptr || snapshot_->client) return {};
  return snapshot_->table.successors();
}

}  // namespace p2psip::core

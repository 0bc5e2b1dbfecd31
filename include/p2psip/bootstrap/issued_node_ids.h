// The Node-IDs the enrollment server has given each user, so that a renewal re-issues the same
// ones (RFC 6940 §11.3: Node-IDs SHOULD be the same on renewal; digest §8). Stored in
// DIR/enrollment/issued, one line per user: `<name> <hex Node-ID>[,<hex Node-ID>...]`.
//
// New Node-IDs come from RAND_bytes: the RFC wants them chosen by the server, random and
// unpredictable, so that nobody can place themselves on the ring. A plain value type owned by
// the enrollment service.
#ifndef P2PSIP_BOOTSTRAP_ISSUED_NODE_IDS_H_
#define P2PSIP_BOOTSTRAP_ISSUED_NODE_IDS_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "p2psip/ids.h"

namespace p2psip::bootstrap {

class IssuedNodeIds {
 public:
  // A missing file is empty; a malformed line is InvalidArgument.
  static absl::StatusOr<IssuedNodeIds> Load(const std::string& path);

  // `count` Node-IDs of `length` bytes for `user`: the ones issued before, first to last, topped
  // up with fresh random ones (never zero, never the wildcard) when it asks for more. Returns
  // whether anything was added (the caller then saves).
  absl::StatusOr<std::vector<NodeId>> Assign(std::string_view user, size_t count, size_t length,
                                             bool* added);
  const std::vector<NodeId>* Find(std::string_view user) const;

  absl::Status Save(const std::string& path) const;

 private:
  std::map<std::string, std::vector<NodeId>, std::less<>> issued_;
};

}  // namespace p2psip::bootstrap

#endif  // P2PSIP_BOOTSTRAP_ISSUED_NODE_IDS_H_

#include "p2psip/bootstrap/issued_node_ids.h"

#include <openssl/rand.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bootstrap/text_util.h"
#include "p2psip/bootstrap/file_util.h"
#include "p2psip/bootstrap/user_database.h"

namespace p2psip::bootstrap {

absl::StatusOr<IssuedNodeIds> IssuedNodeIds::Load(const std::string& path) {
  IssuedNodeIds out;
  absl::Status read = ForEachRecord(path, 64 << 20, [&out](const std::vector<std::string_view>& f) {
    std::vector<NodeId> ids;
    bool ok = f.size() == 2 && IsValidUserName(f[0]);
    for (std::string_view hex : internal::Split(ok ? f[1] : "", ',')) {
      std::optional<NodeId> id = NodeId::FromHex(hex);
      ok = ok && id.has_value();
      if (ok) ids.push_back(*id);
    }
    if (!ok || ids.empty()) return false;
    out.issued_[std::string(f[0])] = std::move(ids);
    return true;
  });
  if (!read.ok()) return read;
  return out;
}

absl::StatusOr<std::vector<NodeId>> IssuedNodeIds::Assign(std::string_view user, size_t count,
                                                          size_t length, bool* added) {
  *added = false;
  if (length < kMinNodeIdLength || length > kMaxNodeIdLength) {
    return absl::InvalidArgumentError(absl::StrCat("Node-ID length ", length));
  }
  std::vector<NodeId>& ids = issued_[std::string(user)];
  // Node-IDs of another length (the overlay changed node-id-length) cannot be re-issued.
  if (std::erase_if(ids, [&](const NodeId& id) { return id.size() != length; }) > 0) *added = true;
  while (ids.size() < count) {
    NodeId id(std::vector<uint8_t>(length, 0));
    if (!RAND_bytes(id.mutable_data(), length)) return absl::InternalError("RAND_bytes failed");
    if (id.IsZero() || id.IsWildcard()) continue;
    ids.push_back(id);
    *added = true;
  }
  return std::vector<NodeId>(ids.begin(), ids.begin() + static_cast<ptrdiff_t>(count));
}

const std::vector<NodeId>* IssuedNodeIds::Find(std::string_view user) const {
  const auto it = issued_.find(user);
  return it == issued_.end() ? nullptr : &it->second;
}

absl::Status IssuedNodeIds::Save(const std::string& path) const {
  std::string text = "# p2psip enrollment: Node-IDs issued per user (re-issued on renewal)\n";
  for (const auto& [user, ids] : issued_) {
    if (ids.empty()) continue;
    absl::StrAppend(
        &text, user, " ",
        absl::StrJoin(ids, ",",
                      [](std::string* out, const NodeId& id) { absl::StrAppend(out, id.ToHex()); }),
        "\n");
  }
  return WriteFileAtomic(path, text, 0600);
}

}  // namespace p2psip::bootstrap

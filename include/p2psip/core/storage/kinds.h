// Kinds (RFC 6940 §7, §11.1 kind-block): what may be stored, how, and by whom.
//
// A KindRegistry is built from the overlay configuration's <required-kinds> and starts with the
// IANA-registered kinds this node knows. Registered kinds keep their registered data model and
// access policy whatever a configuration says (§11.1: receivers MUST ignore the config values
// for them); their limits (max-count, max-size, max-node-multiple) come from the
// configuration, with the defaults below when it says nothing.
//
// Immutable once built: published to every storage shard as a snapshot, read without locks.
#ifndef P2PSIP_CORE_STORAGE_KINDS_H_
#define P2PSIP_CORE_STORAGE_KINDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "p2psip/core/environment.h"
#include "p2psip/ids.h"
#include "p2psip/wire/byte_reader.h"
#include "p2psip/wire/constants.h"

namespace p2psip::core::storage {

enum class AccessPolicy : uint8_t {
  kUserMatch,      // H(user name of the signer) == Resource-ID
  kNodeMatch,      // H(signer's Node-ID) == Resource-ID
  kUserNodeMatch,  // H(user name) == Resource-ID and dictionary key == signer's Node-ID
  kNodeMultiple,   // H(signer's Node-ID ‖ i) == Resource-ID for some 1 <= i <= max-node-multiple
};
const char* AccessPolicyName(AccessPolicy p);  // "USER-MATCH", ...
std::optional<AccessPolicy> ParseAccessPolicy(std::string_view name);

struct KindDefinition {
  uint32_t id = 0;
  std::string name;  // IANA name, or "" for a private kind defined by id
  wire::DataModel model = wire::DataModel::kSingle;
  AccessPolicy policy = AccessPolicy::kUserMatch;
  uint32_t max_count = 1;          // values per Resource-ID (array/dictionary entries)
  uint32_t max_size = 1024;        // bytes of one DataValue.value
  uint32_t max_node_multiple = 0;  // NODE-MULTIPLE: the largest i
};

class KindRegistry {
 public:
  // The IANA kinds this node implements, with default limits:
  //   SIP-REGISTRATION (1): dictionary, USER-NODE-MATCH, max-count 10, max-size 1000
  //   TURN-SERVICE (2): single, NODE-MULTIPLE (max-node-multiple 20), max-count 1, max-size 100
  //   CERTIFICATE_BY_NODE (3): array, NODE-MATCH, max-count 2, max-size 3000
  //   CERTIFICATE_BY_USER (0x10): array, USER-MATCH, max-count 2, max-size 3000
  static KindRegistry WithBuiltins();

  // Adds or replaces a kind. For a registered kind id only the limits are taken; for a private
  // id (0xF0000001..0xFFFFFFFD; 0xFFFFFFFE is reserved) everything. A configuration parser
  // starts from a copy of Find(id) so that limits the document does not give keep their
  // defaults. Fails for id 0, the reserved ids and a model or
  // policy the RFC forbids for the kind (USER-NODE-MATCH needs a dictionary).
  absl::Status Add(const KindDefinition& kind);
  const KindDefinition* Find(uint32_t id) const;
  // By IANA name ("SIP-REGISTRATION"); private kinds have none.
  const KindDefinition* FindByName(std::string_view name) const;
  size_t size() const { return kinds_.size(); }

  // For wire::WireContext: data models of the kinds in this registry. The context points at
  // this registry, which must stay where it is (an immutable snapshot) while it is used.
  wire::WireContext Context(uint8_t node_id_length = 16) const;

 private:
  static std::optional<wire::DataModel> ModelOf(const void* table, uint32_t kind);
  absl::flat_hash_map<uint32_t, KindDefinition> kinds_;
};

// What the verifier learned about the signer of a value or a request (environment.h).
using SignerInfo = core::SignerInfo;

}  // namespace p2psip::core::storage

#endif  // P2PSIP_CORE_STORAGE_KINDS_H_

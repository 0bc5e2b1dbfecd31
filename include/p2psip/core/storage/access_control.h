// Access control policies (RFC 6940 §7.3) and the SIP usage's domain restriction (RFC 7904
// §3.3): whether a signer may write a value at a Resource-ID.
//
// H is the overlay's hash: CHORD-RELOAD's SHA-1 truncated to 128 bits (wire::ChordResourceId).
// NODE-MULTIPLE hashes Node-ID ‖ i with i as one byte (digest §15.5).
#ifndef P2PSIP_CORE_STORAGE_ACCESS_CONTROL_H_
#define P2PSIP_CORE_STORAGE_ACCESS_CONTROL_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "p2psip/core/storage/kinds.h"
#include "p2psip/ids.h"
#include "p2psip/wire/stored_data.h"

namespace p2psip::core::storage {

// OK when `signer` may store `value` at `resource` under `kind`'s policy; otherwise
// PermissionDenied with the reason (the caller answers Error_Forbidden).
absl::Status CheckAccess(const KindDefinition& kind, const ResourceId& resource,
                         const wire::StoredDataValue& value, const SignerInfo& signer);

// RFC 7904 §3.3 / config `sip:domain-restriction`: which AORs an overlay accepts.
class DomainRestriction {
 public:
  // No <sip:domain-restriction> element: any AOR.
  static DomainRestriction AnyDomain();
  // The element without enable="true": only AORs in the overlay's own domain.
  static DomainRestriction OverlayDomain(std::string overlay_name);
  // enable="true": AORs whose domain matches one of the POSIX extended regular expressions
  // (the whole domain must match). Fails on a pattern that does not compile.
  static absl::StatusOr<DomainRestriction> Patterns(std::vector<std::string> patterns);

  DomainRestriction(DomainRestriction&&) noexcept;
  DomainRestriction& operator=(DomainRestriction&&) noexcept;
  ~DomainRestriction();

  // OK when the AOR ("user@domain", %-escapes already decoded) is allowed.
  absl::Status Check(std::string_view aor) const;

 private:
  struct Impl;
  explicit DomainRestriction(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace p2psip::core::storage

#endif  // P2PSIP_CORE_STORAGE_ACCESS_CONTROL_H_

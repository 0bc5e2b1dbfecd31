// ConfigurationKeeper: the overlay configuration a node runs, and the node's
// core::ConfigurationAuthority for ConfigUpdate requests (RFC 6940 §6.5.4, §11.1; digest §9.4).
//
// A ConfigUpdate(config) is decided by EvaluateConfigUpdate (newer sequence, same overlay,
// signed by a configuration-signer of the configuration the node runs, kinds signed by a
// kind-signer); a ConfigUpdate(kind) by EvaluateKindUpdate. What is adopted becomes the current
// configuration here, and the decision tells the node the new sequence, the kinds now in force
// and the kinds whose data must go. Kinds adopted through ConfigUpdate(kind) last until the
// next configuration, which says afresh which kinds the overlay carries.
//
// Owned by whoever owns the node (the slow path in p2psipd); not thread-safe.
#ifndef P2PSIP_CONFIG_CONFIGURATION_KEEPER_H_
#define P2PSIP_CONFIG_CONFIGURATION_KEEPER_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "p2psip/config/overlay_document.h"
#include "p2psip/core/node.h"

namespace p2psip::config {

class ConfigurationKeeper final : public core::ConfigurationAuthority {
 public:
  // `document` is the configuration the node runs now (trusted as delivered: over HTTPS or
  // given by the operator) and must hold a configuration for `instance_name`. `verifier` checks
  // the signatures of candidates (the node's Signer: it knows the overlay's roots); not owned.
  static absl::StatusOr<std::unique_ptr<ConfigurationKeeper>> Create(std::string document,
                                                                     std::string_view instance_name,
                                                                     core::Signer* verifier);

  core::ConfigurationDecision OnConfigUpdate(const wire::ConfigUpdateReq& request) override;

  const OverlayConfiguration& current() const { return current_; }
  // The text of the current document (what a ConfigUpdate to a neighbour would carry).
  const std::string& document() const { return document_; }
  // The kinds in force: the configuration's and those adopted by ConfigUpdate(kind).
  const std::shared_ptr<const core::storage::KindRegistry>& kinds() const { return kinds_; }

 private:
  ConfigurationKeeper(std::string document, OverlayConfiguration current,
                      std::shared_ptr<const core::storage::KindRegistry> kinds,
                      core::Signer* verifier)
      : document_(std::move(document)),
        current_(std::move(current)),
        kinds_(std::move(kinds)),
        verifier_(verifier) {}
  core::ConfigurationDecision OnConfiguration(const std::string& candidate);
  core::ConfigurationDecision OnKinds(const std::vector<wire::KindDescription>& blocks);
  // The registry of the current configuration plus `extra_kinds_`.
  absl::StatusOr<std::shared_ptr<const core::storage::KindRegistry>> BuildKinds() const;

  std::string document_;
  OverlayConfiguration current_;
  std::vector<RequiredKind> extra_kinds_;  // adopted through ConfigUpdate(kind)
  std::shared_ptr<const core::storage::KindRegistry> kinds_;
  core::Signer* verifier_;
};

}  // namespace p2psip::config

#endif  // P2PSIP_CONFIG_CONFIGURATION_KEEPER_H_

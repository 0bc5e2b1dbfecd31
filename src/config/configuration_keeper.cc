#include "p2psip/config/configuration_keeper.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "p2psip/config/config_update.h"
#include "p2psip/config/overlay_apply.h"

namespace p2psip::config {
namespace {

using core::ConfigurationDecision;
using Verdict = core::ConfigurationDecision::Verdict;

ConfigurationDecision Reject(wire::ErrorCode error, std::string reason) {
  ConfigurationDecision d;
  d.verdict = Verdict::kReject;
  d.error = error;
  d.reason = std::move(reason);
  return d;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ConfigurationKeeper>> ConfigurationKeeper::Create(
    std::string document, std::string_view instance_name, core::Signer* verifier) {
  if (verifier == nullptr)
    return absl::InvalidArgumentError("ConfigurationKeeper needs a verifier");
  absl::StatusOr<OverlayDocument> parsed = ParseOverlayDocument(document);
  if (!parsed.ok()) return parsed.status();
  const OverlayConfiguration* current = parsed->Find(instance_name);
  if (current == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the document has no configuration for overlay \"", std::string(instance_name), "\""));
  }
  absl::StatusOr<core::storage::KindRegistry> kinds = KindsOf(*current);
  if (!kinds.ok()) return kinds.status();
  return std::unique_ptr<ConfigurationKeeper>(new ConfigurationKeeper(
      std::move(document), *current,
      std::make_shared<const core::storage::KindRegistry>(*std::move(kinds)), verifier));
}

ConfigurationDecision ConfigurationKeeper::OnConfigUpdate(const wire::ConfigUpdateReq& request) {
  switch (request.type) {
    case wire::kConfigUpdateConfig:
      return OnConfiguration(request.config_data);
    case wire::kConfigUpdateKind:
      return OnKinds(request.kinds);
    default:
      return Reject(wire::ErrorCode::kInvalidMessage,
                    absl::StrCat("unknown ConfigUpdate type ", request.type));
  }
}

ConfigurationDecision ConfigurationKeeper::OnConfiguration(const std::string& candidate) {
  ConfigUpdateResult r = EvaluateConfigUpdate(current_, document_, candidate, *verifier_);
  if (r.verdict == ConfigUpdateVerdict::kReject)
    return Reject(r.error, std::string(r.reason.message()));
  ConfigurationDecision d;
  if (r.verdict == ConfigUpdateVerdict::kMustLeave) {
    d.verdict = Verdict::kLeave;
    d.reason = std::string(r.reason.message());
    return d;
  }
  const OverlayConfiguration previous = current_;
  const std::vector<RequiredKind> previous_extra = std::move(extra_kinds_);
  current_ = *std::move(r.configuration);
  extra_kinds_.clear();
  absl::StatusOr<std::shared_ptr<const core::storage::KindRegistry>> kinds = BuildKinds();
  if (!kinds.ok()) {  // EvaluateConfigUpdate checked KindsOf already; keep what runs
    current_ = previous;
    extra_kinds_ = previous_extra;
    d.verdict = Verdict::kLeave;
    d.reason = std::string(kinds.status().message());
    return d;
  }
  document_ = candidate;
  kinds_ = *std::move(kinds);
  d.verdict = Verdict::kAdopt;
  d.sequence = current_.sequence.value_or(0);
  d.kinds = kinds_;
  for (const KindChange& dropped : r.dropped) d.dropped_kinds.push_back(dropped.id);
  // Kinds adopted by ConfigUpdate(kind) that the new configuration does not carry go too.
  for (const RequiredKind& k : previous_extra) {
    if (kinds_->Find(k.definition.id) == nullptr) d.dropped_kinds.push_back(k.definition.id);
  }
  return d;
}

ConfigurationDecision ConfigurationKeeper::OnKinds(
    const std::vector<wire::KindDescription>& blocks) {
  std::vector<std::string> texts;
  texts.reserve(blocks.size());
  for (const wire::KindDescription& b : blocks) texts.push_back(b.kind_block);
  KindUpdateResult r = EvaluateKindUpdate(current_, texts, *verifier_);
  if (!r.accepted) return Reject(r.error, std::string(r.reason.message()));
  const std::vector<RequiredKind> previous = extra_kinds_;
  extra_kinds_.insert(extra_kinds_.end(), r.kinds.begin(), r.kinds.end());
  absl::StatusOr<std::shared_ptr<const core::storage::KindRegistry>> kinds = BuildKinds();
  if (!kinds.ok()) {
    extra_kinds_ = previous;
    return Reject(wire::ErrorCode::kForbidden, std::string(kinds.status().message()));
  }
  kinds_ = *std::move(kinds);
  ConfigurationDecision d;
  d.verdict = Verdict::kAdopt;
  d.sequence = current_.sequence.value_or(0);  // a kind update keeps the sequence
  d.kinds = kinds_;
  return d;
}

absl::StatusOr<std::shared_ptr<const core::storage::KindRegistry>> ConfigurationKeeper::BuildKinds()
    const {
  OverlayConfiguration with_extra = current_;
  with_extra.required_kinds.insert(with_extra.required_kinds.end(), extra_kinds_.begin(),
                                   extra_kinds_.end());
  absl::StatusOr<core::storage::KindRegistry> kinds = KindsOf(with_extra);
  if (!kinds.ok()) return kinds.status();
  return std::make_shared<const core::storage::KindRegistry>(*std::move(kinds));
}

}  // namespace p2psip::config

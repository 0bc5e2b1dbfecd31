#include "p2psip/config/config_update.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "p2psip/config/config_signature.h"
#include "p2psip/config/overlay_apply.h"
#include "p2psip/config/sequence.h"

namespace p2psip::config {
namespace {

absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

ConfigUpdateResult Reject(wire::ErrorCode error, absl::Status reason) {
  ConfigUpdateResult r;
  r.verdict = ConfigUpdateVerdict::kReject;
  r.error = error;
  r.reason = std::move(reason);
  return r;
}

bool Contains(const std::vector<std::string>& hex_list, std::string_view hex) {
  return std::any_of(hex_list.begin(), hex_list.end(), [&](const std::string& h) {
    return absl::AsciiStrToLower(h) == absl::AsciiStrToLower(Sv(hex));
  });
}

}  // namespace

ConfigUpdateResult EvaluateConfigUpdate(const OverlayConfiguration& current,
                                        std::string_view current_document,
                                        std::string_view candidate_document,
                                        core::Signer& verifier) {
  absl::StatusOr<OverlayDocument> parsed = ParseOverlayDocument(candidate_document);
  if (!parsed.ok()) return Reject(wire::ErrorCode::kInvalidMessage, parsed.status());
  const OverlayConfiguration* candidate = parsed->Find(current.instance_name);
  if (candidate == nullptr) {
    return Reject(
        wire::ErrorCode::kIncompatibleWithOverlay,
        absl::InvalidArgumentError(absl::StrCat(
            "wrong overlay: the document has no configuration for ", current.instance_name)));
  }
  const uint16_t now = current.sequence.value_or(0);
  const uint16_t next = candidate->sequence.value_or(0);
  if (!IsNewerSequence(now, next)) {
    return Reject(wire::ErrorCode::kConfigTooOld,
                  absl::FailedPreconditionError(
                      absl::StrCat(next == now ? "equal" : "stale", " sequence ", next,
                                   ": the current configuration has sequence ", now)));
  }
  // §11.1: the new configuration must be signed by a configuration-signer of the previous one.
  absl::StatusOr<core::SignerInfo> signer = VerifyConfigurationSignature(
      candidate_document, *candidate, current.configuration_signers, verifier);
  if (!signer.ok()) return Reject(wire::ErrorCode::kForbidden, signer.status());

  ConfigUpdateResult result;
  result.signer = signer->node_id;
  OverlayConfiguration adopted = *candidate;
  adopted.required_kinds.clear();
  for (const RequiredKind& k : candidate->required_kinds) {
    absl::StatusOr<core::SignerInfo> kind_signer =
        VerifyKindSignature(candidate_document, k, candidate->kind_signers, verifier);
    if (kind_signer.ok()) {
      adopted.required_kinds.push_back(k);
    } else {
      result.refused.push_back(
          {k.definition.id, k.definition.name, std::string(kind_signer.status().message())});
    }
  }
  for (const std::string& s : current.kind_signers) {
    if (!Contains(candidate->kind_signers, s)) result.removed_kind_signers.push_back(s);
  }
  // Kinds the node holds now and will not hold after the update: their data goes with them.
  for (const RequiredKind& k : current.required_kinds) {
    const bool kept =
        std::any_of(adopted.required_kinds.begin(), adopted.required_kinds.end(),
                    [&](const RequiredKind& a) { return a.definition.id == k.definition.id; });
    if (kept) continue;
    std::string why = "no longer a required kind";
    absl::StatusOr<core::SignerInfo> old_signer =
        VerifyKindSignature(current_document, k, current.kind_signers, verifier);
    if (old_signer.ok() && !Contains(candidate->kind_signers, old_signer->node_id.ToHex())) {
      why = absl::StrCat("its kind-signer ", old_signer->node_id.ToHex(),
                         " is no longer a kind-signer");
    } else if (std::any_of(result.refused.begin(), result.refused.end(),
                           [&](const KindChange& c) { return c.id == k.definition.id; })) {
      why = "its new kind-block is refused";
    }
    result.dropped.push_back({k.definition.id, k.definition.name, std::move(why)});
  }

  absl::Status supported = CheckSupported(adopted);
  if (supported.ok()) supported = KindsOf(adopted).status();
  result.verdict = supported.ok() ? ConfigUpdateVerdict::kAccept : ConfigUpdateVerdict::kMustLeave;
  result.reason = std::move(supported);
  result.configuration = std::move(adopted);
  return result;
}

KindUpdateResult EvaluateKindUpdate(const OverlayConfiguration& current,
                                    const std::vector<std::string>& kind_blocks,
                                    core::Signer& verifier) {
  KindUpdateResult result;
  // A kind-block alone is no document: it is parsed inside a minimal configuration. The kind's
  // bytes are the block's own, so its signature verifies over the same text.
  const std::string prefix = absl::StrCat("<overlay xmlns=\"", Sv(kConfigBaseNamespace),
                                          "\"><configuration instance-name=\"k\"><required-kinds>");
  constexpr std::string_view kSuffix = "</required-kinds></configuration></overlay>";
  auto refuse = [&](uint32_t id, std::string name, wire::ErrorCode error, absl::Status why) {
    if (result.reason.ok()) {
      result.reason = why;
      result.error = error;
    }
    result.refused.push_back({id, std::move(name), std::string(why.message())});
  };
  for (const std::string& block : kind_blocks) {
    const std::string wrapped = absl::StrCat(prefix, block, Sv(kSuffix));
    absl::StatusOr<OverlayDocument> parsed = ParseOverlayDocument(wrapped);
    // Exactly one kind, and inside the block: markup in the block cannot close the wrapper and
    // smuggle in a configuration of its own.
    if (!parsed.ok() || parsed->configurations.size() != 1 ||
        parsed->configurations[0].required_kinds.size() != 1 ||
        parsed->configurations[0].required_kinds[0].bytes.begin < prefix.size() ||
        parsed->configurations[0].required_kinds[0].bytes.end > prefix.size() + block.size()) {
      refuse(
          0, "", wire::ErrorCode::kInvalidMessage,
          parsed.ok() ? absl::InvalidArgumentError("not exactly one kind-block") : parsed.status());
      continue;
    }
    RequiredKind kind = parsed->configurations[0].required_kinds[0];
    absl::StatusOr<core::SignerInfo> signer =
        VerifyKindSignature(wrapped, kind, current.kind_signers, verifier);
    if (!signer.ok()) {
      refuse(kind.definition.id, kind.definition.name, wire::ErrorCode::kForbidden,
             signer.status());
      continue;
    }
    OverlayConfiguration probe = current;
    probe.required_kinds = {kind};
    if (absl::Status enforceable = KindsOf(probe).status(); !enforceable.ok()) {
      refuse(kind.definition.id, kind.definition.name, wire::ErrorCode::kUnknownKind, enforceable);
      continue;
    }
    kind.bytes.begin -= prefix.size();
    kind.bytes.end -= prefix.size();
    result.kinds.push_back(std::move(kind));
  }
  result.accepted = result.refused.empty() && !result.kinds.empty();
  if (kind_blocks.empty()) result.reason = absl::InvalidArgumentError("no kind-block");
  return result;
}

}  // namespace p2psip::config

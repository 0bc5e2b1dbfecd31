// Fuzz target for ConfigUpdate processing (src/config/config_update.cc): a document a node runs
// and a candidate pushed to it, both from the input, go through EvaluateConfigUpdate, which
// parses the candidate, decodes its <signature> / <kind-signature> SecurityBlocks and verifies
// them against the current configuration's root certificates.
//
// Input: uint32 big-endian length L · L bytes of the current document · the candidate. The
// verification time is one second before the current configuration's expiration, so replaying
// the corpus gives the same verdicts on any day. Invariants checked: an accepted or must-leave
// verdict carries a configuration for the same overlay with a newer sequence, signed by a
// listed configuration-signer; a rejection carries none and a non-OK reason; every dropped kind
// is a kind of the current configuration.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <vector>

#include "p2psip/config/config_signature.h"
#include "p2psip/config/config_update.h"
#include "p2psip/config/overlay_document.h"
#include "p2psip/config/sequence.h"
#include "p2psip/crypto/certificate.h"

namespace {

using namespace p2psip;  // NOLINT(build/namespaces): a fuzz target, not a library

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  const size_t length =
      (size_t{data[0]} << 24) | (size_t{data[1]} << 16) | (size_t{data[2]} << 8) | size_t{data[3]};
  if (length > size - 4) return 0;
  const std::string_view current_doc(reinterpret_cast<const char*>(data) + 4, length);
  const std::string_view candidate(reinterpret_cast<const char*>(data) + 4 + length,
                                   size - 4 - length);
  absl::StatusOr<config::OverlayDocument> current = config::ParseOverlayDocument(current_doc);
  if (!current.ok()) return 0;
  const config::OverlayConfiguration& running = current->configurations.front();
  std::vector<crypto::Certificate> roots;
  for (const std::vector<uint8_t>& der : running.root_certs) {
    absl::StatusOr<crypto::Certificate> root = crypto::Certificate::FromDer(der);
    if (root.ok() && root->IsCa()) roots.push_back(*root);
  }
  if (roots.empty()) return 0;
  const int64_t now = running.expiration.value_or(1) - 1;
  absl::StatusOr<std::unique_ptr<core::Signer>> verifier =
      config::MakeVerifier(roots, [now] { return now; });
  if (!verifier.ok()) return 0;

  const config::ConfigUpdateResult r =
      config::EvaluateConfigUpdate(running, current_doc, candidate, **verifier);
  if (r.verdict == config::ConfigUpdateVerdict::kReject) {
    Check(!r.reason.ok() && !r.configuration.has_value());
    return 0;
  }
  Check(r.configuration.has_value());
  Check(r.configuration->instance_name == running.instance_name);
  Check(
      config::IsNewerSequence(running.sequence.value_or(0), r.configuration->sequence.value_or(0)));
  bool listed = false;
  for (const std::string& s : running.configuration_signers) {
    listed = listed || NodeId::FromHex(s) == r.signer;
  }
  Check(listed);
  Check((r.verdict == config::ConfigUpdateVerdict::kAccept) == r.reason.ok());
  for (const config::KindChange& d : r.dropped) {
    bool known = false;
    for (const config::RequiredKind& k : running.required_kinds) {
      known = known || k.definition.id == d.id;
    }
    Check(known);
  }
  return 0;
}

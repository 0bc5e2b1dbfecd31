// Fuzz target for the overlay configuration document parser (src/config): any bytes go through
// ParseOverlayDocument (libxml2 parse, RELAX NG validation, byte-range scan, readers). What it
// accepts is then turned into a kind registry, a domain restriction and a NodeConfig. The
// invariants checked: every byte range lies inside the input, <configuration> ranges start with
// '<' and end with '>', and each kind's range lies inside its configuration's.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "p2psip/config/overlay_apply.h"
#include "p2psip/config/overlay_document.h"

namespace {

using namespace p2psip;  // NOLINT(build/namespaces): a fuzz target, not a library

void Check(bool ok) {
  if (!ok) std::abort();
}

// The range is one element named `local` (with or without a prefix), from '<' to '>'.
void CheckRange(std::string_view xml, const config::ByteRange& r, std::string_view local) {
  Check(r.begin < r.end && r.end <= xml.size());
  const std::string_view text = r.Of(xml);
  Check(text.front() == '<' && text.back() == '>');
  const std::string_view name = text.substr(1, text.find_first_of(" \t\r\n/>") - 1);
  Check(name.ends_with(local) &&
        (name.size() == local.size() || name[name.size() - local.size() - 1] == ':'));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view xml(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<config::OverlayDocument> doc = config::ParseOverlayDocument(xml);
  if (!doc.ok()) return 0;
  Check(!doc->configurations.empty());
  for (const config::OverlayConfiguration& c : doc->configurations) {
    CheckRange(xml, c.bytes, "configuration");
    for (const config::RequiredKind& k : c.required_kinds) {
      CheckRange(xml, k.bytes, "kind");
      Check(k.bytes.begin > c.bytes.begin && k.bytes.end < c.bytes.end);
    }
    for (const config::BootstrapNode& b : c.bootstrap_nodes) Check(b.endpoint.port == b.port);
    (void)config::KindsOf(c);
    (void)config::DomainRestrictionOf(c);
    (void)config::CheckSupported(c);
    core::NodeConfig node;
    config::ApplyTo(c, &node);
    Check(node.overlay_name == c.instance_name && node.kinds != nullptr);
  }
  return 0;
}

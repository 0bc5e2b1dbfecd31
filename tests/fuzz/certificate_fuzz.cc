// Fuzz target for the X.509 reader of src/crypto: any bytes that parse as a certificate must
// give consistent answers (its fingerprint, Node-IDs, user name, validity, key), and a trust
// store built from it must answer Verify without crashing, whatever the certificate says.
#include <cstddef>
#include <cstdint>
#include <span>

#include "p2psip/crypto/certificate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using p2psip::crypto::Certificate;
  using p2psip::crypto::TrustStore;
  auto cert = Certificate::FromDer(std::span<const uint8_t>(data, size));
  if (!cert.ok()) return 0;
  // Reading it twice gives the same certificate.
  auto again = Certificate::FromDer(cert->der());
  if (!again.ok() || again->Sha256() != cert->Sha256() || again->node_ids() != cert->node_ids() ||
      again->user_name() != cert->user_name()) {
    __builtin_trap();
  }
  for (const auto& id : cert->node_ids()) {
    if (id.size() < 16 || id.size() > 20) __builtin_trap();
  }
  (void)cert->IsSelfSigned();
  (void)cert->public_key().Verify(cert->der(), cert->der());
  const Certificate roots[] = {*cert};
  if (auto store = TrustStore::Create(roots); store.ok()) {
    (void)store->Verify(*cert, {}, cert->not_after() - 1);
  }
  return 0;
}

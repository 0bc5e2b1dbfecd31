// Fuzz target for the key parsers of src/crypto: the input is tried as a SubjectPublicKeyInfo
// and as a private key (PKCS#8 or raw RSA/EC). A public key that parses must survive Verify on
// any bytes; a private key that parses must sign, and its public half must verify that
// signature.
#include <cstddef>
#include <cstdint>
#include <span>

#include "p2psip/crypto/signing_key.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using p2psip::crypto::SigningKey;
  using p2psip::crypto::VerifyingKey;
  const std::span<const uint8_t> input(data, size);
  if (auto pub = VerifyingKey::FromPublicKeyDer(input); pub.ok()) {
    (void)pub->Verify(input, input);
  }
  if (auto key = SigningKey::FromPrivateKeyDer(input); key.ok()) {
    auto signature = key->Sign(input);
    auto pub = VerifyingKey::FromPublicKeyDer(key->PublicKeyDer());
    if (!signature.ok() || !pub.ok() || !pub->Verify(input, *signature)) __builtin_trap();
  }
  return 0;
}

// CryptoRandom: core::Random from BoringSSL's CSPRNG, for everything a real node runs
// (transaction ids an attacker must not predict; core/environment.h).
#ifndef P2PSIP_RUNTIME_CRYPTO_RANDOM_H_
#define P2PSIP_RUNTIME_CRYPTO_RANDOM_H_

#include <openssl/rand.h>

#include <cstdint>

#include "p2psip/core/environment.h"

namespace p2psip::runtime {

class CryptoRandom final : public core::Random {
 public:
  uint64_t Next64() override {
    uint64_t v = 0;
    RAND_bytes(reinterpret_cast<uint8_t*>(&v), sizeof(v));
    return v;
  }
};

}  // namespace p2psip::runtime

#endif  // P2PSIP_RUNTIME_CRYPTO_RANDOM_H_

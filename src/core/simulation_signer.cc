#include "p2psip/core/environment.h"

namespace p2psip::core {
namespace {

constexpr uint8_t kSimHashAlgorithm = 0xFE;  // private value: marks a simulation signature

uint64_t Fnv1a(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (uint8_t c : a) h = (h ^ c) * 0x100000001B3ull;
  for (uint8_t c : b) h = (h ^ c) * 0x100000001B3ull;
  return h;
}

}  // namespace

wire::Signature SimulationSigner::Sign(std::span<const uint8_t> input) {
  wire::Signature s;
  s.hash_algorithm = kSimHashAlgorithm;
  s.signature_algorithm = kSimHashAlgorithm;
  s.identity = wire::SignerIdentity::CertHash(
      kSimHashAlgorithm, std::vector<uint8_t>(self_.bytes().begin(), self_.bytes().end()));
  const uint64_t h = Fnv1a(input, self_.bytes());
  for (int i = 7; i >= 0; --i) s.value.push_back(static_cast<uint8_t>(h >> (8 * i)));
  return s;
}

std::optional<NodeId> SimulationSigner::Verify(std::span<const uint8_t> input,
                                               const wire::Signature& signature,
                                               std::span<const wire::GenericCertificate>) {
  if (signature.hash_algorithm != kSimHashAlgorithm ||
      signature.identity.type != wire::SignerIdentityType::kCertHash) {
    return std::nullopt;
  }
  auto signer = NodeId::FromBytes(signature.identity.hash);
  if (!signer || signature.value.size() != 8) return std::nullopt;
  const uint64_t h = Fnv1a(input, signer->bytes());
  for (int i = 0; i < 8; ++i) {
    if (signature.value[i] != static_cast<uint8_t>(h >> (8 * (7 - i)))) return std::nullopt;
  }
  return signer;
}

}  // namespace p2psip::core

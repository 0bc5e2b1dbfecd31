#include <string_view>

#include "p2psip/core/environment.h"

namespace p2psip::core {
namespace {

constexpr uint8_t kSimHashAlgorithm = 0xFE;  // private value: marks a simulation signature

void Fnv1a(std::span<const uint8_t> bytes, uint64_t* h) {
  for (uint8_t c : bytes) *h = (*h ^ c) * 0x100000001B3ull;
}

// identity = uint8 node_id_length · node_id · user name (the "certificate" it stands for).
uint64_t Digest(std::span<const uint8_t> input, std::span<const uint8_t> identity) {
  uint64_t h = 0xCBF29CE484222325ull;
  Fnv1a(input, &h);
  Fnv1a(identity, &h);
  return h;
}

}  // namespace

wire::Signature SimulationSigner::Sign(std::span<const uint8_t> input) {
  std::vector<uint8_t> identity;
  identity.push_back(static_cast<uint8_t>(self_.size()));
  identity.insert(identity.end(), self_.bytes().begin(), self_.bytes().end());
  identity.insert(identity.end(), user_name_.begin(), user_name_.end());
  const uint64_t h = Digest(input, identity);
  wire::Signature s;
  s.hash_algorithm = kSimHashAlgorithm;
  s.signature_algorithm = kSimHashAlgorithm;
  s.identity = wire::SignerIdentity::CertHash(kSimHashAlgorithm, std::move(identity));
  for (int i = 7; i >= 0; --i) s.value.push_back(static_cast<uint8_t>(h >> (8 * i)));
  return s;
}

std::optional<SignerInfo> SimulationSigner::Verify(std::span<const uint8_t> input,
                                                   const wire::Signature& signature,
                                                   std::span<const wire::GenericCertificate>) {
  const std::vector<uint8_t>& identity = signature.identity.hash;
  if (signature.hash_algorithm != kSimHashAlgorithm ||
      signature.identity.type != wire::SignerIdentityType::kCertHash || identity.empty() ||
      signature.value.size() != 8 || identity.size() < size_t{1} + identity[0]) {
    return std::nullopt;
  }
  auto node = NodeId::FromBytes(std::span(identity).subspan(1, identity[0]));
  if (!node) return std::nullopt;
  const uint64_t h = Digest(input, identity);
  for (int i = 0; i < 8; ++i) {
    if (signature.value[i] != static_cast<uint8_t>(h >> (8 * (7 - i)))) return std::nullopt;
  }
  SignerInfo info;
  info.node_id = *node;
  info.node_ids = {*node};
  info.user_name.assign(identity.begin() + 1 + identity[0], identity.end());
  return info;
}

}  // namespace p2psip::core

#include "core/storage/certificate_pool.h"

#include <algorithm>

namespace p2psip::core::storage {

CertificatePool::Key CertificatePool::KeyOf(const wire::SignerIdentity& identity) {
  Key key;
  key.reserve(2 + identity.hash.size());
  key.push_back(static_cast<char>(identity.type));
  key.push_back(static_cast<char>(identity.hash_algorithm));
  key.append(identity.hash.begin(), identity.hash.end());
  return key;
}

void CertificatePool::Retain(const wire::SignerIdentity& identity, Der certificate) {
  if (certificate == nullptr || identity.hash.empty()) return;
  by_identity_.insert_or_assign(KeyOf(identity), std::move(certificate));
}

const CertificatePool::Der* CertificatePool::Find(const wire::SignerIdentity& identity) const {
  if (identity.hash.empty()) return nullptr;
  const auto it = by_identity_.find(KeyOf(identity));
  return it == by_identity_.end() ? nullptr : &it->second;
}

void CertificatePool::AppendFor(const wire::Signature& signature,
                                std::vector<wire::GenericCertificate>* out) const {
  const Der* der = Find(signature.identity);
  if (der == nullptr) return;
  const bool present = std::ranges::any_of(*out, [&](const wire::GenericCertificate& c) {
    return std::ranges::equal(c.certificate, **der);
  });
  if (!present) {
    out->push_back({static_cast<uint8_t>(wire::CertificateType::kX509), **der});
  }
}

void CertificatePool::Sweep(const absl::flat_hash_set<Key>& live) {
  absl::erase_if(by_identity_, [&live](const auto& entry) { return !live.contains(entry.first); });
}

size_t CertificatePool::MemoryBytes() const {
  size_t bytes = by_identity_.capacity() * (sizeof(Key) + sizeof(Der));
  for (const auto& [key, der] : by_identity_) bytes += key.capacity() + der->capacity();
  return bytes;
}

}  // namespace p2psip::core::storage

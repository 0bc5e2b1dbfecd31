#include "core/certificate_signer.h"

#include <openssl/sha.h>

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "p2psip/wire/byte_writer.h"
#include "p2psip/wire/constants.h"

namespace p2psip::core {
namespace {

using crypto::Certificate;

// The identity hash algorithms a received SignerIdentity may use, and their sizes.
size_t DigestSize(uint8_t hash_algorithm) {
  switch (hash_algorithm) {
    case wire::kHashSha1:
      return SHA_DIGEST_LENGTH;
    case wire::kHashSha256:
      return SHA256_DIGEST_LENGTH;
    default:
      return 0;
  }
}

// H(prefix ‖ der) with the identity's algorithm (the prefix is a Node-ID for cert_hash_node_id).
std::array<uint8_t, 32> IdentityHash(uint8_t hash_algorithm, std::span<const uint8_t> prefix,
                                     std::span<const uint8_t> der) {
  std::array<uint8_t, 32> out{};
  if (hash_algorithm == wire::kHashSha1) {
    SHA_CTX ctx;
    SHA1_Init(&ctx);
    SHA1_Update(&ctx, prefix.data(), prefix.size());
    SHA1_Update(&ctx, der.data(), der.size());
    SHA1_Final(out.data(), &ctx);
  } else {
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, prefix.data(), prefix.size());
    SHA256_Update(&ctx, der.data(), der.size());
    SHA256_Final(out.data(), &ctx);
  }
  return out;
}

bool SameHash(const std::array<uint8_t, 32>& a, std::span<const uint8_t> b) {
  return std::equal(b.begin(), b.end(), a.begin());
}

std::vector<uint8_t> EncodeIdentity(const wire::SignerIdentity& identity) {
  std::vector<uint8_t> out;
  wire::ByteWriter w(&out);
  wire::Encode(w, identity);
  return out;
}

bool IsX509(const wire::GenericCertificate& c) {
  return c.type == static_cast<uint8_t>(wire::CertificateType::kX509);
}

}  // namespace

absl::StatusOr<std::unique_ptr<CertificateSigner>> CertificateSigner::Create(
    crypto::SigningKey key, crypto::Certificate certificate,
    std::vector<crypto::Certificate> intermediates, std::shared_ptr<const crypto::TrustStore> trust,
    Clock now_s, CertificateSignerOptions options) {
  if ((trust == nullptr && !options.self_signed) || !now_s) {
    return absl::InvalidArgumentError("CertificateSigner needs a trust store and a clock");
  }
  if (!std::ranges::equal(key.PublicKeyDer(), certificate.public_key_der())) {
    return absl::InvalidArgumentError("the certificate is not for this key");
  }
  const std::vector<NodeId>& ids = certificate.node_ids();
  if (ids.empty()) return absl::InvalidArgumentError("the certificate names no Node-ID");
  NodeId self = options.node_id.empty() ? ids.front() : options.node_id;
  if (std::ranges::find(ids, self) == ids.end()) {
    return absl::InvalidArgumentError("the certificate does not name this Node-ID");
  }
  return std::unique_ptr<CertificateSigner>(
      new CertificateSigner(std::move(key), std::move(certificate), std::move(intermediates),
                            std::move(trust), std::move(now_s), options, std::move(self)));
}

absl::StatusOr<std::unique_ptr<CertificateSigner>> CertificateSigner::CreateVerifier(
    std::shared_ptr<const crypto::TrustStore> trust, Clock now_s,
    CertificateSignerOptions options) {
  if ((trust == nullptr && !options.self_signed) || !now_s) {
    return absl::InvalidArgumentError("CertificateSigner needs a trust store and a clock");
  }
  return std::unique_ptr<CertificateSigner>(new CertificateSigner(
      std::nullopt, std::nullopt, {}, std::move(trust), std::move(now_s), options, NodeId()));
}

CertificateSigner::CertificateSigner(std::optional<crypto::SigningKey> key,
                                     std::optional<crypto::Certificate> certificate,
                                     std::vector<crypto::Certificate> intermediates,
                                     std::shared_ptr<const crypto::TrustStore> trust, Clock now_s,
                                     CertificateSignerOptions options, NodeId node_id)
    : key_(std::move(key)),
      certificate_(std::move(certificate)),
      intermediates_(std::move(intermediates)),
      trust_(std::move(trust)),
      now_s_(std::move(now_s)),
      cache_capacity_(options.cache_capacity),
      self_signed_(options.self_signed),
      node_id_(std::move(node_id)) {
  if (!certificate_) return;  // a verifier
  if (certificate_->node_ids().size() == 1) {
    const auto& h = certificate_->Sha256();
    identity_ = wire::SignerIdentity::CertHash(wire::kHashSha256, {h.begin(), h.end()});
  } else {
    const auto h = IdentityHash(wire::kHashSha256, node_id_.bytes(), certificate_->der());
    identity_ = wire::SignerIdentity::CertHashNodeId(wire::kHashSha256, {h.begin(), h.end()});
  }
  encoded_identity_ = EncodeIdentity(identity_);
  const auto der = certificate_->der();
  carried_.push_back(
      {static_cast<uint8_t>(wire::CertificateType::kX509), {der.begin(), der.end()}});
  for (const Certificate& c : intermediates_) {
    carried_.push_back(
        {static_cast<uint8_t>(wire::CertificateType::kX509), {c.der().begin(), c.der().end()}});
  }
}

wire::Signature CertificateSigner::Sign(std::span<const uint8_t> input) {
  if (!key_) {
    ++counters_.sign_failures;
    return {};
  }
  std::vector<uint8_t> signed_input;
  signed_input.reserve(input.size() + encoded_identity_.size());
  signed_input.insert(signed_input.end(), input.begin(), input.end());
  signed_input.insert(signed_input.end(), encoded_identity_.begin(), encoded_identity_.end());
  const crypto::SignatureAndHash pair = crypto::WirePair(key_->scheme());
  wire::Signature s;
  s.hash_algorithm = pair.hash;
  s.signature_algorithm = pair.signature;
  s.identity = identity_;
  if (absl::StatusOr<std::vector<uint8_t>> value = key_->Sign(signed_input); value.ok()) {
    s.value = *std::move(value);
    ++counters_.signed_inputs;
  } else {
    ++counters_.sign_failures;  // an empty signature: every receiver rejects it
  }
  return s;
}

std::optional<SignerInfo> CertificateSigner::Verify(
    std::span<const uint8_t> input, const wire::Signature& signature,
    std::span<const wire::GenericCertificate> certificates) {
  const std::optional<crypto::SignatureScheme> scheme =
      crypto::SchemeFromWire(signature.hash_algorithm, signature.signature_algorithm);
  const wire::SignerIdentity& identity = signature.identity;
  const size_t digest_size = DigestSize(identity.hash_algorithm);
  if (!scheme ||
      (identity.type != wire::SignerIdentityType::kCertHash &&
       identity.type != wire::SignerIdentityType::kCertHashNodeId) ||
      digest_size == 0 || identity.hash.size() != digest_size) {
    ++counters_.unsupported;
    return std::nullopt;
  }
  Key key{static_cast<uint8_t>(identity.type), identity.hash_algorithm,
          static_cast<uint8_t>(digest_size)};
  std::copy(identity.hash.begin(), identity.hash.end(), key.hash.begin());

  const int64_t now_s = now_s_();
  std::optional<Entry> resolved;
  const Entry* entry = Lookup(key, now_s);
  if (entry != nullptr) {
    ++counters_.cache_hits;
  } else {
    resolved = Resolve(key, certificates, now_s);
    if (!resolved) return std::nullopt;
    entry = &*resolved;
  }
  const crypto::VerifyingKey& public_key = entry->certificate.public_key();
  if (public_key.scheme() != *scheme) {
    ++counters_.algorithm_mismatch;
    return std::nullopt;
  }
  std::vector<uint8_t> signed_input(input.begin(), input.end());
  wire::ByteWriter w(&signed_input);
  wire::Encode(w, identity);
  if (!public_key.Verify(signed_input, signature.value)) {
    ++counters_.bad_signature;
    return std::nullopt;
  }
  ++counters_.verified;
  return SignerInfo{entry->node_id, entry->certificate.node_ids(), entry->certificate.user_name(),
                    entry->der};
}

const CertificateSigner::Entry* CertificateSigner::Lookup(const Key& key, int64_t now_s) {
  auto it = cache_.find(key);
  if (it == cache_.end()) return nullptr;
  Lru::iterator entry = it->second;
  if (now_s < entry->valid_from || now_s >= entry->valid_until) {
    // Outside its chain's validity: forget it; the carried certificates decide again.
    lru_.erase(entry);
    cache_.erase(it);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, entry);
  return &*entry;
}

std::optional<CertificateSigner::Entry> CertificateSigner::Resolve(
    const Key& key, std::span<const wire::GenericCertificate> certificates, int64_t now_s) {
  const std::span<const uint8_t> wanted(key.hash.data(), key.size);
  const bool by_node = key.type == static_cast<uint8_t>(wire::SignerIdentityType::kCertHashNodeId);
  std::optional<Certificate> leaf;
  NodeId named;
  size_t leaf_index = certificates.size();
  for (size_t i = 0; i < certificates.size() && !leaf; ++i) {
    const wire::GenericCertificate& c = certificates[i];
    if (!IsX509(c)) continue;
    if (!by_node) {
      if (!SameHash(IdentityHash(key.hash_algorithm, {}, c.certificate), wanted)) continue;
      absl::StatusOr<Certificate> parsed = Certificate::FromDer(c.certificate);
      if (!parsed.ok()) continue;
      leaf = *std::move(parsed);
      if (!leaf->node_ids().empty()) named = leaf->node_ids().front();
    } else {
      absl::StatusOr<Certificate> parsed = Certificate::FromDer(c.certificate);
      if (!parsed.ok()) continue;
      for (const NodeId& id : parsed->node_ids()) {
        if (SameHash(IdentityHash(key.hash_algorithm, id.bytes(), c.certificate), wanted)) {
          leaf = *parsed;
          named = id;
          break;
        }
      }
    }
    if (leaf) leaf_index = i;
  }
  if (!leaf) {
    ++counters_.unknown_certificate;
    return std::nullopt;
  }
  if (named.empty()) {
    ++counters_.no_node_id;
    return std::nullopt;
  }
  std::vector<Certificate> intermediates = intermediates_;
  for (size_t i = 0; i < certificates.size(); ++i) {
    if (i == leaf_index || !IsX509(certificates[i])) continue;
    if (auto parsed = Certificate::FromDer(certificates[i].certificate); parsed.ok()) {
      intermediates.push_back(*std::move(parsed));
    }
  }
  const std::span<const uint8_t> der = leaf->der();
  Entry entry{key,
              *leaf,
              named,
              std::make_shared<const std::vector<uint8_t>>(der.begin(), der.end()),
              leaf->not_before(),
              leaf->not_after()};
  if (self_signed_ && leaf->IsSelfSigned() && !leaf->IsCa()) {
    // No chain: the key itself vouches for the Node-IDs, in its validity window.
    if (!SelfSignedAcceptable(*leaf)) return std::nullopt;
    if (now_s < leaf->not_before() || now_s >= leaf->not_after()) {
      ++counters_.chain_rejected;
      return std::nullopt;
    }
    ++counters_.self_signed_accepted;
    Insert(entry);
    return entry;
  }
  if (trust_ == nullptr) {  // a self-signed-only overlay: nothing else can verify
    ++counters_.chain_rejected;
    return std::nullopt;
  }
  absl::StatusOr<std::vector<Certificate>> chain = trust_->Verify(*leaf, intermediates, now_s);
  if (!chain.ok()) {
    ++counters_.chain_rejected;
    return std::nullopt;
  }
  for (const Certificate& c : *chain) {
    entry.valid_from = std::max(entry.valid_from, c.not_before());
    entry.valid_until = std::min(entry.valid_until, c.not_after());
  }
  Insert(entry);
  return entry;
}

bool CertificateSigner::SelfSignedAcceptable(const Certificate& leaf) {
  const std::vector<NodeId>& ids = leaf.node_ids();
  for (size_t i = 0; i < ids.size(); ++i) {
    const uint32_t index = ids.size() == 1 ? 0 : static_cast<uint32_t>(i + 1);
    absl::StatusOr<NodeId> expected = crypto::SelfSignedNodeId(
        leaf.public_key_der(), self_signed_->digest, self_signed_->node_id_length, index);
    if (!expected.ok() || *expected != ids[i]) {
      ++counters_.self_signed_id_mismatch;
      return false;
    }
  }
  return true;
}

void CertificateSigner::Insert(Entry entry) {
  if (cache_capacity_ == 0) return;
  while (cache_.size() >= cache_capacity_) {
    cache_.erase(lru_.back().key);
    lru_.pop_back();
  }
  const Key key = entry.key;
  lru_.push_front(std::move(entry));
  cache_[key] = lru_.begin();
}

}  // namespace p2psip::core

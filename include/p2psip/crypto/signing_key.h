// Signing and verifying keys (RFC 6940 §6.3.4, §7.1): the signatures that end every message and
// sign every stored value, on BoringSSL.
//
// RELOAD names a signature by its TLS 1.2 SignatureAndHashAlgorithm pair. p2psip signs and
// verifies two schemes, both over SHA-256:
//   kRsa2048Sha256   RSASSA-PKCS1-v1_5 (hash 4, sig 1); keys of at least 2048 bits
//   kEcdsaP256Sha256 ECDSA on P-256, DER-encoded ECDSA-Sig-Value (hash 4, sig 3)
// Keys of any other type, an RSA modulus under 2048 bits or another curve are refused by the
// parsers, so a key object always holds a key of one of the two schemes.
// Certificates, and the Node-ID and user name they carry, are a separate layer.
#ifndef P2PSIP_CRYPTO_SIGNING_KEY_H_
#define P2PSIP_CRYPTO_SIGNING_KEY_H_

#include <openssl/evp.h>

#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace p2psip::crypto {

enum class SignatureScheme : uint8_t { kRsa2048Sha256, kEcdsaP256Sha256 };

// The smallest RSA modulus accepted, in bits, for signing and verifying.
inline constexpr int kMinRsaBits = 2048;

// A TLS 1.2 SignatureAndHashAlgorithm as it appears in wire::Signature.
struct SignatureAndHash {
  uint8_t hash;
  uint8_t signature;
  friend bool operator==(const SignatureAndHash&, const SignatureAndHash&) = default;
};

SignatureAndHash WirePair(SignatureScheme scheme);
// The scheme of a received pair; nullopt for any pair p2psip does not verify (including the
// anonymous {0,0}, and SHA-1).
std::optional<SignatureScheme> SchemeFromWire(uint8_t hash, uint8_t signature);

// A private key (move-only; the only copy of the secret is the one it owns). Sign is const and
// may be called from several threads at once.
class SigningKey {
 public:
  // A fresh key: RSA-2048 (e = 65537) or P-256.
  static absl::StatusOr<SigningKey> Generate(SignatureScheme scheme);
  // A PKCS#8 PrivateKeyInfo, or the raw RSAPrivateKey (PKCS#1) or ECPrivateKey (RFC 5915, with
  // its curve parameters) forms. The whole input must be one key. Anything else, including a
  // key of another type, size or curve, is InvalidArgument.
  static absl::StatusOr<SigningKey> FromPrivateKeyDer(std::span<const uint8_t> der);

  SigningKey(SigningKey&&) = default;
  SigningKey& operator=(SigningKey&&) = default;

  // The signature of `input`: PKCS#1 v1.5 over SHA-256 (as long as the modulus), or the DER
  // ECDSA-Sig-Value over SHA-256 (at most 72 bytes). Fails only if BoringSSL does.
  absl::StatusOr<std::vector<uint8_t>> Sign(std::span<const uint8_t> input) const;

  // The public half as a DER SubjectPublicKeyInfo (what VerifyingKey::FromPublicKeyDer reads).
  // Like PrivateKeyDer, empty only if BoringSSL cannot allocate.
  std::vector<uint8_t> PublicKeyDer() const;
  // The key as a DER PKCS#8 PrivateKeyInfo (what FromPrivateKeyDer reads).
  std::vector<uint8_t> PrivateKeyDer() const;

  SignatureScheme scheme() const { return scheme_; }

 private:
  SigningKey(bssl::UniquePtr<EVP_PKEY> pkey, SignatureScheme scheme)
      : pkey_(std::move(pkey)), scheme_(scheme) {}

  bssl::UniquePtr<EVP_PKEY> pkey_;  // never null, except in a moved-from key
  SignatureScheme scheme_;
};

// A public key, parsed once and used for many verifications. Copies share the parsed key;
// Verify is const and may be called from several threads at once.
class VerifyingKey {
 public:
  // A DER SubjectPublicKeyInfo; the scheme follows from the key: RSA of at least kMinRsaBits
  // (BoringSSL caps the modulus at 16384 bits), or EC on P-256. Anything else, or bytes left
  // after the key, is InvalidArgument.
  static absl::StatusOr<VerifyingKey> FromPublicKeyDer(std::span<const uint8_t> spki);

  VerifyingKey(const VerifyingKey& other);
  VerifyingKey& operator=(const VerifyingKey& other);
  VerifyingKey(VerifyingKey&&) = default;
  VerifyingKey& operator=(VerifyingKey&&) = default;

  // True only if `signature` is a valid signature of `input` under this key and scheme.
  bool Verify(std::span<const uint8_t> input, std::span<const uint8_t> signature) const;

  SignatureScheme scheme() const { return scheme_; }

 private:
  VerifyingKey(bssl::UniquePtr<EVP_PKEY> pkey, SignatureScheme scheme)
      : pkey_(std::move(pkey)), scheme_(scheme) {}

  bssl::UniquePtr<EVP_PKEY> pkey_;  // never null, except in a moved-from key
  SignatureScheme scheme_;
};

}  // namespace p2psip::crypto

#endif  // P2PSIP_CRYPTO_SIGNING_KEY_H_

#include "p2psip/crypto/signing_key.h"

#include <openssl/bytestring.h>
#include <openssl/digest.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/err.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/obj.h>
#include <openssl/rsa.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "p2psip/wire/constants.h"

namespace p2psip::crypto {
namespace {

// OBJ_nid2sn for messages; BoringSSL has no name for some NIDs (an unnamed curve is NID_undef).
std::string NidName(int nid) {
  const char* name = OBJ_nid2sn(nid);
  return name != nullptr ? std::string(name) : absl::StrCat("NID ", nid);
}

// Every key that enters passes here: the scheme it is usable for, or why it is not. BoringSSL
// has already bounded the RSA modulus from above while parsing (16384 bits).
absl::StatusOr<SignatureScheme> SchemeOfKey(const EVP_PKEY* pkey) {
  switch (EVP_PKEY_id(pkey)) {
    case EVP_PKEY_RSA: {
      const int bits = EVP_PKEY_bits(pkey);
      if (bits < kMinRsaBits) {
        return absl::InvalidArgumentError(
            absl::StrCat("RSA key of ", bits, " bits: at least ", kMinRsaBits, " are required"));
      }
      return SignatureScheme::kRsa2048Sha256;
    }
    case EVP_PKEY_EC: {
      const EC_GROUP* group = EC_KEY_get0_group(EVP_PKEY_get0_EC_KEY(pkey));
      const int curve = group != nullptr ? EC_GROUP_get_curve_name(group) : NID_undef;
      if (curve != NID_X9_62_prime256v1) {
        return absl::InvalidArgumentError(
            absl::StrCat("EC key on curve ", NidName(curve), ": only P-256 is supported"));
      }
      return SignatureScheme::kEcdsaP256Sha256;
    }
    default:
      return absl::InvalidArgumentError(absl::StrCat("unsupported key type ",
                                                     NidName(EVP_PKEY_id(pkey)),
                                                     ": only RSA and EC P-256 are supported"));
  }
}

// A key that consumed all of `der`, in one of the three private key forms; null otherwise.
bssl::UniquePtr<EVP_PKEY> ParsePrivateKey(std::span<const uint8_t> der) {
  CBS cbs;
  CBS_init(&cbs, der.data(), der.size());
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_parse_private_key(&cbs));
  if (pkey != nullptr && CBS_len(&cbs) == 0) return pkey;

  pkey.reset(EVP_PKEY_new());
  if (pkey == nullptr) return nullptr;
  CBS_init(&cbs, der.data(), der.size());
  bssl::UniquePtr<RSA> rsa(RSA_parse_private_key(&cbs));
  if (rsa != nullptr && CBS_len(&cbs) == 0) {
    return EVP_PKEY_assign_RSA(pkey.get(), rsa.release()) ? std::move(pkey) : nullptr;
  }
  CBS_init(&cbs, der.data(), der.size());
  bssl::UniquePtr<EC_KEY> ec(EC_KEY_parse_private_key(&cbs, /*group=*/nullptr));
  if (ec != nullptr && CBS_len(&cbs) == 0) {
    return EVP_PKEY_assign_EC_KEY(pkey.get(), ec.release()) ? std::move(pkey) : nullptr;
  }
  return nullptr;
}

using MarshalFn = int (*)(CBB*, const EVP_PKEY*);

std::vector<uint8_t> Marshal(MarshalFn marshal, const EVP_PKEY* pkey) {
  bssl::ScopedCBB cbb;
  uint8_t* der = nullptr;
  size_t length = 0;
  if (!CBB_init(cbb.get(), 0) || !marshal(cbb.get(), pkey) ||
      !CBB_finish(cbb.get(), &der, &length)) {
    ERR_clear_error();
    return {};
  }
  bssl::UniquePtr<uint8_t> owned(der);
  return std::vector<uint8_t>(der, der + length);
}

}  // namespace

SignatureAndHash WirePair(SignatureScheme scheme) {
  switch (scheme) {
    case SignatureScheme::kRsa2048Sha256:
      return {wire::kHashSha256, wire::kSigRsa};
    case SignatureScheme::kEcdsaP256Sha256:
      return {wire::kHashSha256, wire::kSigEcdsa};
  }
  return {wire::kHashNone, wire::kSigAnonymous};
}

std::optional<SignatureScheme> SchemeFromWire(uint8_t hash, uint8_t signature) {
  if (hash != wire::kHashSha256) return std::nullopt;
  if (signature == wire::kSigRsa) return SignatureScheme::kRsa2048Sha256;
  if (signature == wire::kSigEcdsa) return SignatureScheme::kEcdsaP256Sha256;
  return std::nullopt;
}

absl::StatusOr<SigningKey> SigningKey::Generate(SignatureScheme scheme) {
  const bool rsa = scheme == SignatureScheme::kRsa2048Sha256;
  bssl::UniquePtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_id(rsa ? EVP_PKEY_RSA : EVP_PKEY_EC, nullptr));
  EVP_PKEY* generated = nullptr;
  const bool ok = ctx != nullptr && EVP_PKEY_keygen_init(ctx.get()) &&
                  (rsa ? EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), kMinRsaBits)
                       : EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx.get(), NID_X9_62_prime256v1)) &&
                  EVP_PKEY_keygen(ctx.get(), &generated);
  bssl::UniquePtr<EVP_PKEY> pkey(generated);
  if (!ok || pkey == nullptr) {
    ERR_clear_error();
    return absl::InternalError("BoringSSL key generation failed");
  }
  return SigningKey(std::move(pkey), scheme);
}

absl::StatusOr<SigningKey> SigningKey::FromPrivateKeyDer(std::span<const uint8_t> der) {
  bssl::UniquePtr<EVP_PKEY> pkey = ParsePrivateKey(der);
  ERR_clear_error();
  if (pkey == nullptr) {
    return absl::InvalidArgumentError(
        "not a DER private key (PKCS#8 PrivateKeyInfo, RSAPrivateKey or ECPrivateKey)");
  }
  absl::StatusOr<SignatureScheme> scheme = SchemeOfKey(pkey.get());
  if (!scheme.ok()) return scheme.status();
  return SigningKey(std::move(pkey), *scheme);
}

absl::StatusOr<std::vector<uint8_t>> SigningKey::Sign(std::span<const uint8_t> input) const {
  if (pkey_ == nullptr) return absl::FailedPreconditionError("moved-from SigningKey");
  bssl::ScopedEVP_MD_CTX ctx;
  std::vector<uint8_t> signature(EVP_PKEY_size(pkey_.get()));
  size_t length = signature.size();
  if (!EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey_.get()) ||
      !EVP_DigestSign(ctx.get(), signature.data(), &length, input.data(), input.size())) {
    ERR_clear_error();
    return absl::InternalError("BoringSSL signing failed");
  }
  signature.resize(length);
  return signature;
}

std::vector<uint8_t> SigningKey::PublicKeyDer() const {
  return pkey_ != nullptr ? Marshal(EVP_marshal_public_key, pkey_.get()) : std::vector<uint8_t>{};
}

std::vector<uint8_t> SigningKey::PrivateKeyDer() const {
  return pkey_ != nullptr ? Marshal(EVP_marshal_private_key, pkey_.get()) : std::vector<uint8_t>{};
}

absl::StatusOr<VerifyingKey> VerifyingKey::FromPublicKeyDer(std::span<const uint8_t> spki) {
  CBS cbs;
  CBS_init(&cbs, spki.data(), spki.size());
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_parse_public_key(&cbs));
  ERR_clear_error();
  if (pkey == nullptr || CBS_len(&cbs) != 0) {
    return absl::InvalidArgumentError("not a DER SubjectPublicKeyInfo");
  }
  absl::StatusOr<SignatureScheme> scheme = SchemeOfKey(pkey.get());
  if (!scheme.ok()) return scheme.status();
  return VerifyingKey(std::move(pkey), *scheme);
}

VerifyingKey::VerifyingKey(const VerifyingKey& other) : scheme_(other.scheme_) {
  if (other.pkey_ != nullptr) {
    EVP_PKEY_up_ref(other.pkey_.get());
    pkey_.reset(other.pkey_.get());
  }
}

VerifyingKey& VerifyingKey::operator=(const VerifyingKey& other) {
  if (this != &other) *this = VerifyingKey(other);
  return *this;
}

bool VerifyingKey::Verify(std::span<const uint8_t> input,
                          std::span<const uint8_t> signature) const {
  if (pkey_ == nullptr) return false;
  bssl::ScopedEVP_MD_CTX ctx;
  const bool ok =
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey_.get()) &&
      EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), input.data(), input.size());
  // A bad signature leaves an error on the thread's queue; nothing upstream reads it.
  if (!ok) ERR_clear_error();
  return ok;
}

}  // namespace p2psip::crypto

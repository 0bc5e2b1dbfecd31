#include "p2psip/crypto/csr.h"

#include <openssl/bytestring.h>
#include <openssl/digest.h>
#include <openssl/err.h>
#include <openssl/mem.h>
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"

namespace p2psip::crypto {
namespace {

absl::StatusOr<std::vector<uint8_t>> MarshalSpki(const EVP_PKEY* pkey) {
  bssl::ScopedCBB cbb;
  uint8_t* der = nullptr;
  size_t length = 0;
  if (!CBB_init(cbb.get(), 0) || !EVP_marshal_public_key(cbb.get(), pkey) ||
      !CBB_finish(cbb.get(), &der, &length)) {
    ERR_clear_error();
    return absl::InvalidArgumentError("the CSR's public key does not encode");
  }
  bssl::UniquePtr<uint8_t> owned(der);
  return std::vector<uint8_t>(der, der + length);
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> CreateCsr(const SigningKey& key) {
  // SigningKey keeps its EVP_PKEY private; the PKCS#8 export is the supported way out.
  const std::vector<uint8_t> pkcs8 = key.PrivateKeyDer();
  CBS cbs;
  CBS_init(&cbs, pkcs8.data(), pkcs8.size());
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_parse_private_key(&cbs));
  bssl::UniquePtr<X509_REQ> req(X509_REQ_new());
  bssl::UniquePtr<X509_NAME> subject(X509_NAME_new());
  uint8_t* der = nullptr;
  int length = -1;
  if (pkey != nullptr && req != nullptr && subject != nullptr &&
      X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) &&
      X509_REQ_set_subject_name(req.get(), subject.get()) &&
      X509_REQ_set_pubkey(req.get(), pkey.get()) &&
      X509_REQ_sign(req.get(), pkey.get(), EVP_sha256()) > 0) {
    length = i2d_X509_REQ(req.get(), &der);
  }
  bssl::UniquePtr<uint8_t> owned(der);
  if (length <= 0) {
    ERR_clear_error();
    return absl::InternalError("BoringSSL could not build the CSR");
  }
  return std::vector<uint8_t>(der, der + length);
}

absl::StatusOr<std::vector<uint8_t>> ParseCsr(std::span<const uint8_t> der) {
  if (der.empty()) return absl::InvalidArgumentError("empty CSR");
  if (der.size() > kMaxCsrBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("CSR of ", der.size(), " bytes (max ", kMaxCsrBytes, ")"));
  }
  const uint8_t* p = der.data();
  bssl::UniquePtr<X509_REQ> req(d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size())));
  if (req == nullptr || p != der.data() + der.size()) {
    ERR_clear_error();
    return absl::InvalidArgumentError("not one DER PKCS#10 certification request");
  }
  bssl::UniquePtr<EVP_PKEY> pkey(X509_REQ_get_pubkey(req.get()));
  if (pkey == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError("the CSR's public key does not parse");
  }
  // Proof of possession: the requester signed the request with the key it wants certified.
  if (X509_REQ_verify(req.get(), pkey.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("the CSR's signature does not verify with its own key");
  }
  absl::StatusOr<std::vector<uint8_t>> spki = MarshalSpki(pkey.get());
  if (!spki.ok()) return spki.status();
  if (absl::StatusOr<VerifyingKey> key = VerifyingKey::FromPublicKeyDer(*spki); !key.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("CSR key: ", key.status().message()));
  }
  return spki;
}

}  // namespace p2psip::crypto

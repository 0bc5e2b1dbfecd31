#include "p2psip/crypto/server_certificate.h"

#include <openssl/bytestring.h>
#include <openssl/digest.h>
#include <openssl/err.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace p2psip::crypto {
namespace {

bool DnsName(std::string_view s) {
  return !s.empty() && s.size() <= 253 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
  });
}

bool AddExtension(X509V3_CTX* ctx, X509* x, int nid, const char* value) {
  bssl::UniquePtr<X509_EXTENSION> ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value));
  return ext != nullptr && X509_add_ext(x, ext.get(), -1);
}

absl::StatusOr<bssl::UniquePtr<GENERAL_NAMES>> AltNames(const ServerCertificateRequest& r) {
  bssl::UniquePtr<GENERAL_NAMES> names(GENERAL_NAMES_new());
  if (names == nullptr) return absl::InternalError("out of memory");
  auto push = [&](int type, ASN1_STRING* value) {
    bssl::UniquePtr<GENERAL_NAME> name(GENERAL_NAME_new());
    if (name == nullptr) {
      ASN1_STRING_free(value);
      return false;
    }
    GENERAL_NAME_set0_value(name.get(), type, value);
    return bssl::PushToStack(names.get(), std::move(name));
  };
  bssl::UniquePtr<ASN1_IA5STRING> dns(ASN1_IA5STRING_new());
  if (dns == nullptr ||
      !ASN1_STRING_set(dns.get(), r.overlay_name.data(), static_cast<int>(r.overlay_name.size())) ||
      !push(GEN_DNS, dns.release())) {
    return absl::InternalError("BoringSSL could not build the dNSName");
  }
  for (const std::string& ip : r.ip_addresses) {
    ASN1_OCTET_STRING* octets = a2i_IPADDRESS(ip.c_str());
    ERR_clear_error();
    if (octets == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("not an IP address: \"", ip, "\""));
    }
    if (!push(GEN_IPADD, octets)) return absl::InternalError("BoringSSL could not add an IP");
  }
  return names;
}

}  // namespace

absl::StatusOr<Certificate> IssueServerCertificate(const CertificateAuthority& ca,
                                                   const ServerCertificateRequest& r) {
  if (!DnsName(r.overlay_name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("overlay name \"", std::string(r.overlay_name), "\" is not a DNS name"));
  }
  if (r.serial == 0) return absl::InvalidArgumentError("serial number 0 (must be positive)");
  if (r.not_before_s < 0 || r.not_before_s > r.not_after_s) {
    return absl::InvalidArgumentError("bad validity period");
  }
  if (absl::StatusOr<VerifyingKey> k = VerifyingKey::FromPublicKeyDer(r.subject_public_key_der);
      !k.ok()) {
    return k.status();
  }
  CBS cbs;
  CBS_init(&cbs, r.subject_public_key_der.data(), r.subject_public_key_der.size());
  bssl::UniquePtr<EVP_PKEY> subject_key(EVP_parse_public_key(&cbs));
  const std::vector<uint8_t> ca_pkcs8 = ca.PrivateKeyDer();
  CBS_init(&cbs, ca_pkcs8.data(), ca_pkcs8.size());
  bssl::UniquePtr<EVP_PKEY> ca_key(EVP_parse_private_key(&cbs));
  ERR_clear_error();
  if (subject_key == nullptr || ca_key == nullptr) {
    return absl::InternalError("BoringSSL could not load the keys");
  }
  absl::StatusOr<bssl::UniquePtr<GENERAL_NAMES>> names = AltNames(r);
  if (!names.ok()) return names.status();

  X509* issuer = ca.root().x509();
  bssl::UniquePtr<X509> x(X509_new());
  bssl::UniquePtr<ASN1_INTEGER> serial(ASN1_INTEGER_new());
  bssl::UniquePtr<X509_NAME> subject(X509_NAME_new());
  bssl::UniquePtr<ASN1_TIME> not_before(ASN1_TIME_set(nullptr, r.not_before_s));
  bssl::UniquePtr<ASN1_TIME> not_after(ASN1_TIME_set(nullptr, r.not_after_s));
  bool ok = x != nullptr && serial != nullptr && subject != nullptr && not_before != nullptr &&
            not_after != nullptr && X509_set_version(x.get(), X509_VERSION_3) &&
            ASN1_INTEGER_set_uint64(serial.get(), r.serial) &&
            X509_set_serialNumber(x.get(), serial.get()) &&
            X509_NAME_add_entry_by_NID(subject.get(), NID_commonName, MBSTRING_UTF8,
                                       reinterpret_cast<const uint8_t*>(r.overlay_name.data()),
                                       static_cast<int>(r.overlay_name.size()), -1, 0) &&
            X509_set_subject_name(x.get(), subject.get()) &&
            X509_set_issuer_name(x.get(), X509_get_subject_name(issuer)) &&
            X509_set1_notBefore(x.get(), not_before.get()) &&
            X509_set1_notAfter(x.get(), not_after.get()) &&
            X509_set_pubkey(x.get(), subject_key.get());
  if (ok) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, x.get(), nullptr, nullptr, 0);
    const bool rsa = EVP_PKEY_id(subject_key.get()) == EVP_PKEY_RSA;
    ok = AddExtension(&ctx, x.get(), NID_basic_constraints, "critical,CA:FALSE") &&
         AddExtension(
             &ctx, x.get(), NID_key_usage,
             rsa ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature") &&
         AddExtension(&ctx, x.get(), NID_ext_key_usage, "serverAuth") &&
         AddExtension(&ctx, x.get(), NID_subject_key_identifier, "hash") &&
         AddExtension(&ctx, x.get(), NID_authority_key_identifier, "keyid") &&
         X509_add1_ext_i2d(x.get(), NID_subject_alt_name, names->get(), /*crit=*/0,
                           X509V3_ADD_DEFAULT) &&
         X509_sign(x.get(), ca_key.get(), EVP_sha256()) > 0;
  }
  uint8_t* der = nullptr;
  const int length = ok ? i2d_X509(x.get(), &der) : -1;
  bssl::UniquePtr<uint8_t> owned(der);
  if (length <= 0) {
    ERR_clear_error();
    return absl::InternalError("BoringSSL could not build the server certificate");
  }
  return Certificate::FromDer(std::span<const uint8_t>(der, static_cast<size_t>(length)));
}

}  // namespace p2psip::crypto

#include "p2psip/crypto/certificate.h"

#include <openssl/asn1.h>
#include <openssl/bytestring.h>
#include <openssl/digest.h>
#include <openssl/err.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace p2psip::crypto {

struct Certificate::Parsed {
  bssl::UniquePtr<X509> x509;
  std::vector<uint8_t> der;
  std::array<uint8_t, 32> sha256{};
  std::vector<NodeId> node_ids;
  std::string user_name;
  int64_t not_before = 0;
  int64_t not_after = 0;
  std::optional<VerifyingKey> key;  // always set once parsed
  std::vector<uint8_t> spki;
  bool self_signed = false;
  bool ca = false;
};

struct TrustStore::Store {
  bssl::UniquePtr<X509_STORE> store;
};

namespace {

// ASN.1 times end at 9999-12-31T23:59:59Z.
constexpr int64_t kMaxTime = 253402300799;
constexpr char kErrorPayloadUrl[] = "type.p2psip.org/crypto.CertificateError";

std::string HexByte(uint8_t b) { return BytesToHex(std::span<const uint8_t>(&b, 1)); }

std::optional<int64_t> ToUnix(const ASN1_TIME* t) {
  bssl::UniquePtr<ASN1_TIME> epoch(ASN1_TIME_set(nullptr, 0));
  int days = 0, seconds = 0;
  if (t == nullptr || epoch == nullptr || !ASN1_TIME_diff(&days, &seconds, epoch.get(), t)) {
    ERR_clear_error();
    return std::nullopt;
  }
  return int64_t{days} * 86400 + seconds;
}

std::string_view AsView(const ASN1_STRING* s) {
  return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
          static_cast<size_t>(ASN1_STRING_length(s))};
}

std::vector<uint8_t> MarshalPublicKey(const EVP_PKEY* pkey) {
  bssl::ScopedCBB cbb;
  uint8_t* der = nullptr;
  size_t length = 0;
  if (!CBB_init(cbb.get(), 0) || !EVP_marshal_public_key(cbb.get(), pkey) ||
      !CBB_finish(cbb.get(), &der, &length)) {
    ERR_clear_error();
    return {};
  }
  bssl::UniquePtr<uint8_t> owned(der);
  return std::vector<uint8_t>(der, der + length);
}

// The private key of a SigningKey as BoringSSL's EVP_PKEY (SigningKey keeps its own private).
bssl::UniquePtr<EVP_PKEY> ParsePrivate(const std::vector<uint8_t>& pkcs8) {
  CBS cbs;
  CBS_init(&cbs, pkcs8.data(), pkcs8.size());
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_parse_private_key(&cbs));
  ERR_clear_error();
  return pkey;
}

bool Printable(std::string_view s, std::string_view forbidden) {
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return c > 0x20 && c < 0x7F && forbidden.find(c) == std::string_view::npos;
  });
}

absl::Status CheckValidity(int64_t not_before_s, int64_t not_after_s) {
  if (not_before_s < 0 || not_after_s > kMaxTime || not_before_s > not_after_s) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad validity period [", not_before_s, ", ", not_after_s, "] (Unix seconds)"));
  }
  return absl::OkStatus();
}

bool AddExtension(X509V3_CTX* ctx, X509* x, int nid, const char* value) {
  bssl::UniquePtr<X509_EXTENSION> ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value));
  return ext != nullptr && X509_add_ext(x, ext.get(), -1);
}

bool AddSubjectAltName(X509* x, std::span<const NodeId> node_ids, std::string_view user_name,
                       std::string_view overlay_name) {
  bssl::UniquePtr<GENERAL_NAMES> names(GENERAL_NAMES_new());
  if (names == nullptr) return false;
  auto add = [&](int type, std::string_view text) {
    bssl::UniquePtr<GENERAL_NAME> name(GENERAL_NAME_new());
    bssl::UniquePtr<ASN1_IA5STRING> str(ASN1_IA5STRING_new());
    if (name == nullptr || str == nullptr ||
        !ASN1_STRING_set(str.get(), text.data(), static_cast<int>(text.size()))) {
      return false;
    }
    GENERAL_NAME_set0_value(name.get(), type, str.release());
    return bssl::PushToStack(names.get(), std::move(name));
  };
  for (const NodeId& id : node_ids) {
    if (!add(GEN_URI, NodeIdUri(id, overlay_name))) return false;
  }
  if (!user_name.empty() && !add(GEN_EMAIL, user_name)) return false;
  // Critical: the subject DN is empty (RFC 5280 §4.2.1.6).
  return X509_add1_ext_i2d(x, NID_subject_alt_name, names.get(), /*crit=*/1, X509V3_ADD_DEFAULT);
}

// What a new certificate is: a CA (subject CN=common_name, no SAN) or an end-entity (empty
// subject, the overlay SAN). A null issuer means self-signed.
struct CertificateSpec {
  EVP_PKEY* subject_key;
  EVP_PKEY* issuer_key;
  X509* issuer;
  std::string_view common_name;
  bool ca;
  std::span<const NodeId> node_ids;
  std::string_view user_name;
  std::string_view overlay_name;
  int64_t not_before_s;
  int64_t not_after_s;
  uint64_t serial;
};

absl::Status CheckEndEntity(const CertificateSpec& spec) {
  if (spec.node_ids.empty()) return absl::InvalidArgumentError("a certificate needs a Node-ID");
  for (const NodeId& id : spec.node_ids) {
    if (id.size() < kMinNodeIdLength || id.size() > kMaxNodeIdLength) {
      return absl::InvalidArgumentError(absl::StrCat("Node-ID of ", id.size(), " bytes"));
    }
  }
  if (spec.overlay_name.empty() || !Printable(spec.overlay_name, "/@")) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad overlay name \"", std::string(spec.overlay_name), "\""));
  }
  if (!Printable(spec.user_name, "")) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad user name \"", std::string(spec.user_name), "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<Certificate> Build(const CertificateSpec& spec) {
  if (absl::Status s = CheckValidity(spec.not_before_s, spec.not_after_s); !s.ok()) return s;
  if (spec.serial == 0) return absl::InvalidArgumentError("serial number 0 (must be positive)");
  if (!spec.ca) {
    if (absl::Status s = CheckEndEntity(spec); !s.ok()) return s;
  }
  bssl::UniquePtr<X509> x(X509_new());
  bssl::UniquePtr<ASN1_INTEGER> serial(ASN1_INTEGER_new());
  bssl::UniquePtr<X509_NAME> subject(X509_NAME_new());
  bssl::UniquePtr<ASN1_TIME> not_before(ASN1_TIME_set(nullptr, spec.not_before_s));
  bssl::UniquePtr<ASN1_TIME> not_after(ASN1_TIME_set(nullptr, spec.not_after_s));
  bool ok =
      x != nullptr && serial != nullptr && subject != nullptr && not_before != nullptr &&
      not_after != nullptr && X509_set_version(x.get(), X509_VERSION_3) &&
      ASN1_INTEGER_set_uint64(serial.get(), spec.serial) &&
      X509_set_serialNumber(x.get(), serial.get()) &&
      (spec.common_name.empty() ||
       X509_NAME_add_entry_by_NID(subject.get(), NID_commonName, MBSTRING_UTF8,
                                  reinterpret_cast<const uint8_t*>(spec.common_name.data()),
                                  static_cast<int>(spec.common_name.size()), -1, 0)) &&
      X509_set_subject_name(x.get(), subject.get()) &&
      X509_set_issuer_name(
          x.get(), spec.issuer != nullptr ? X509_get_subject_name(spec.issuer) : subject.get()) &&
      X509_set1_notBefore(x.get(), not_before.get()) &&
      X509_set1_notAfter(x.get(), not_after.get()) && X509_set_pubkey(x.get(), spec.subject_key);
  X509V3_CTX ctx;
  if (ok) {
    X509V3_set_ctx(&ctx, spec.issuer != nullptr ? spec.issuer : x.get(), x.get(), nullptr, nullptr,
                   0);
    const bool rsa = EVP_PKEY_id(spec.subject_key) == EVP_PKEY_RSA;
    ok = AddExtension(&ctx, x.get(), NID_basic_constraints,
                      spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE") &&
         AddExtension(&ctx, x.get(), NID_key_usage,
                      spec.ca ? "critical,keyCertSign,cRLSign"
                      : rsa   ? "critical,digitalSignature,keyEncipherment"
                              : "critical,digitalSignature") &&
         AddExtension(&ctx, x.get(), NID_subject_key_identifier, "hash") &&
         (spec.issuer == nullptr ||
          AddExtension(&ctx, x.get(), NID_authority_key_identifier, "keyid")) &&
         (spec.ca ||
          (AddExtension(&ctx, x.get(), NID_ext_key_usage, "serverAuth,clientAuth") &&
           AddSubjectAltName(x.get(), spec.node_ids, spec.user_name, spec.overlay_name))) &&
         X509_sign(x.get(), spec.issuer_key, EVP_sha256()) > 0;
  }
  uint8_t* der = nullptr;
  const int length = ok ? i2d_X509(x.get(), &der) : -1;
  bssl::UniquePtr<uint8_t> owned(der);
  if (length <= 0) {
    ERR_clear_error();
    return absl::InternalError("BoringSSL could not build the certificate");
  }
  return Certificate::FromDer(std::span<const uint8_t>(der, static_cast<size_t>(length)));
}

// The public key of a DER SubjectPublicKeyInfo, if p2psip can use it.
absl::StatusOr<bssl::UniquePtr<EVP_PKEY>> ParseSubjectKey(std::span<const uint8_t> spki) {
  if (absl::StatusOr<VerifyingKey> key = VerifyingKey::FromPublicKeyDer(spki); !key.ok()) {
    return key.status();
  }
  CBS cbs;
  CBS_init(&cbs, spki.data(), spki.size());
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_parse_public_key(&cbs));
  ERR_clear_error();
  if (pkey == nullptr) return absl::InvalidArgumentError("not a DER SubjectPublicKeyInfo");
  return pkey;
}

absl::Status ChainError(CertificateError error, int x509_error, int depth) {
  const std::string detail = absl::StrCat(X509_verify_cert_error_string(x509_error),
                                          " (certificate at depth ", depth, ")");
  absl::Status status;
  switch (error) {
    case CertificateError::kExpired:
    case CertificateError::kNotYetValid:
      status = absl::OutOfRangeError(detail);
      break;
    case CertificateError::kUnknownCa:
      status = absl::NotFoundError(absl::StrCat("unknown CA: ", detail));
      break;
    case CertificateError::kBadSignature:
      status = absl::PermissionDeniedError(absl::StrCat("bad signature: ", detail));
      break;
    case CertificateError::kInvalidChain:
      status = absl::FailedPreconditionError(absl::StrCat("invalid chain: ", detail));
      break;
  }
  status.SetPayload(kErrorPayloadUrl, absl::Cord(std::string(1, static_cast<char>(error))));
  return status;
}

CertificateError Classify(int x509_error) {
  switch (x509_error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return CertificateError::kExpired;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return CertificateError::kNotYetValid;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
      return CertificateError::kUnknownCa;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
      return CertificateError::kBadSignature;
    default:
      return CertificateError::kInvalidChain;
  }
}

}  // namespace

std::string NodeIdUri(const NodeId& id, std::string_view overlay_name) {
  return absl::StrCat("reload://01", HexByte(static_cast<uint8_t>(id.size())), id.ToHex(), "@",
                      std::string(overlay_name), "/");
}

std::optional<NodeId> NodeIdFromUri(std::string_view uri) {
  constexpr std::string_view kScheme = "reload://";
  if (uri.size() < kScheme.size() ||
      !absl::EqualsIgnoreCase(absl::string_view(uri.data(), kScheme.size()), kScheme.data())) {
    return std::nullopt;
  }
  uri.remove_prefix(kScheme.size());
  const size_t at = uri.find('@');
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view overlay = uri.substr(at + 1);
  if (overlay.ends_with('/')) overlay.remove_suffix(1);
  if (overlay.empty() || !Printable(overlay, "/@")) return std::nullopt;
  const std::optional<std::string> raw = HexToBytes(uri.substr(0, at));
  if (!raw) return std::nullopt;
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(raw->data()), raw->size());
  // A single node entry of a Destination List: type node (1) · length · Node-ID.
  if (bytes.size() >= 2 && bytes[0] == 1 && bytes[1] >= kMinNodeIdLength &&
      bytes[1] <= kMaxNodeIdLength && bytes.size() == size_t{2} + bytes[1]) {
    return NodeId::FromBytes(bytes.subspan(2));
  }
  return NodeId::FromBytes(bytes);
}

// --- Certificate ---

absl::StatusOr<Certificate> Certificate::FromDer(std::span<const uint8_t> der) {
  auto parsed = std::make_shared<Parsed>();
  const uint8_t* p = der.data();
  parsed->x509.reset(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (parsed->x509 == nullptr || p != der.data() + der.size()) {
    ERR_clear_error();
    return absl::InvalidArgumentError("not one DER X.509 certificate");
  }
  X509* x = parsed->x509.get();
  parsed->der.assign(der.begin(), der.end());
  SHA256(der.data(), der.size(), parsed->sha256.data());

  bssl::UniquePtr<EVP_PKEY> pkey(X509_get_pubkey(x));
  ERR_clear_error();
  if (pkey == nullptr) return absl::InvalidArgumentError("certificate key does not parse");
  parsed->spki = MarshalPublicKey(pkey.get());
  absl::StatusOr<VerifyingKey> key = VerifyingKey::FromPublicKeyDer(parsed->spki);
  if (!key.ok()) return key.status();
  parsed->key = *std::move(key);

  const std::optional<int64_t> not_before = ToUnix(X509_get0_notBefore(x));
  const std::optional<int64_t> not_after = ToUnix(X509_get0_notAfter(x));
  if (!not_before || !not_after) return absl::InvalidArgumentError("bad certificate validity");
  parsed->not_before = *not_before;
  parsed->not_after = *not_after;

  // Caches BoringSSL's view of the extensions now, before copies share the object.
  parsed->ca = (X509_get_extension_flags(x) & EXFLAG_CA) != 0;
  parsed->self_signed = X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(x)) == 0 &&
                        X509_verify(x, pkey.get()) == 1;
  ERR_clear_error();

  int critical = 0;
  bssl::UniquePtr<GENERAL_NAMES> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, &critical, nullptr)));
  ERR_clear_error();
  for (size_t i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_URI) {
      if (auto id = NodeIdFromUri(AsView(name->d.uniformResourceIdentifier))) {
        parsed->node_ids.push_back(*id);
      }
    } else if (name->type == GEN_EMAIL && parsed->user_name.empty()) {
      parsed->user_name = std::string(AsView(name->d.rfc822Name));
    }
  }
  return Certificate(std::move(parsed));
}

std::span<const uint8_t> Certificate::der() const { return parsed_->der; }
const std::array<uint8_t, 32>& Certificate::Sha256() const { return parsed_->sha256; }
const std::vector<NodeId>& Certificate::node_ids() const { return parsed_->node_ids; }
const std::string& Certificate::user_name() const { return parsed_->user_name; }
int64_t Certificate::not_before() const { return parsed_->not_before; }
int64_t Certificate::not_after() const { return parsed_->not_after; }
const VerifyingKey& Certificate::public_key() const { return *parsed_->key; }
std::span<const uint8_t> Certificate::public_key_der() const { return parsed_->spki; }
bool Certificate::IsSelfSigned() const { return parsed_->self_signed; }
bool Certificate::IsCa() const { return parsed_->ca; }
X509* Certificate::x509() const { return parsed_->x509.get(); }

// --- CertificateAuthority ---

absl::StatusOr<CertificateAuthority> CertificateAuthority::Create(std::string common_name,
                                                                  SignatureScheme scheme,
                                                                  int64_t not_before_s,
                                                                  int64_t not_after_s) {
  if (common_name.empty()) return absl::InvalidArgumentError("a CA needs a common name");
  absl::StatusOr<SigningKey> key = SigningKey::Generate(scheme);
  if (!key.ok()) return key.status();
  bssl::UniquePtr<EVP_PKEY> pkey = ParsePrivate(key->PrivateKeyDer());
  if (pkey == nullptr) return absl::InternalError("BoringSSL could not reload the CA key");
  absl::StatusOr<Certificate> root = Build({.subject_key = pkey.get(),
                                            .issuer_key = pkey.get(),
                                            .issuer = nullptr,
                                            .common_name = common_name,
                                            .ca = true,
                                            .node_ids = {},
                                            .user_name = {},
                                            .overlay_name = {},
                                            .not_before_s = not_before_s,
                                            .not_after_s = not_after_s,
                                            .serial = 1});
  if (!root.ok()) return root.status();
  return CertificateAuthority(*std::move(key), *std::move(root));
}

absl::StatusOr<CertificateAuthority> CertificateAuthority::FromDer(
    std::span<const uint8_t> private_key_der, std::span<const uint8_t> certificate_der) {
  absl::StatusOr<SigningKey> key = SigningKey::FromPrivateKeyDer(private_key_der);
  if (!key.ok()) return key.status();
  absl::StatusOr<Certificate> root = Certificate::FromDer(certificate_der);
  if (!root.ok()) return root.status();
  if (!root->IsCa()) return absl::InvalidArgumentError("not a CA certificate");
  if (!std::ranges::equal(key->PublicKeyDer(), root->public_key_der())) {
    return absl::InvalidArgumentError("the CA key does not match the CA certificate");
  }
  return CertificateAuthority(*std::move(key), *std::move(root));
}

absl::StatusOr<Certificate> CertificateAuthority::Issue(
    std::span<const uint8_t> subject_public_key_der, std::span<const NodeId> node_ids,
    std::string_view user_name, std::string_view overlay_name, int64_t not_before_s,
    int64_t not_after_s, uint64_t serial) const {
  absl::StatusOr<bssl::UniquePtr<EVP_PKEY>> subject = ParseSubjectKey(subject_public_key_der);
  if (!subject.ok()) return subject.status();
  bssl::UniquePtr<EVP_PKEY> issuer_key = ParsePrivate(key_.PrivateKeyDer());
  if (issuer_key == nullptr) return absl::InternalError("BoringSSL could not reload the CA key");
  return Build({.subject_key = subject->get(),
                .issuer_key = issuer_key.get(),
                .issuer = root_.x509(),
                .common_name = {},
                .ca = false,
                .node_ids = node_ids,
                .user_name = user_name,
                .overlay_name = overlay_name,
                .not_before_s = not_before_s,
                .not_after_s = not_after_s,
                .serial = serial});
}

// --- TrustStore ---

std::optional<CertificateError> CertificateErrorOf(const absl::Status& status) {
  const auto payload = status.GetPayload(kErrorPayloadUrl);
  if (!payload || payload->size() != 1) return std::nullopt;
  const auto code = static_cast<uint8_t>((*payload)[0]);
  if (code > static_cast<uint8_t>(CertificateError::kInvalidChain)) return std::nullopt;
  return static_cast<CertificateError>(code);
}

absl::StatusOr<TrustStore> TrustStore::Create(std::span<const Certificate> roots) {
  if (roots.empty()) return absl::InvalidArgumentError("a trust store needs a root certificate");
  auto store = std::make_shared<Store>();
  store->store.reset(X509_STORE_new());
  if (store->store == nullptr) return absl::InternalError("BoringSSL: X509_STORE_new failed");
  for (const Certificate& root : roots) {
    if (!root.IsCa()) return absl::InvalidArgumentError("a root certificate must be a CA");
    if (!X509_STORE_add_cert(store->store.get(), root.x509())) {
      ERR_clear_error();  // the same root twice
    }
  }
  return TrustStore(std::vector<Certificate>(roots.begin(), roots.end()), std::move(store));
}

absl::StatusOr<std::vector<Certificate>> TrustStore::Verify(
    const Certificate& leaf, std::span<const Certificate> intermediates, int64_t now_s) const {
  bssl::UniquePtr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  bssl::UniquePtr<STACK_OF(X509)> untrusted(sk_X509_new_null());
  bool ok = ctx != nullptr && untrusted != nullptr;
  for (size_t i = 0; ok && i < intermediates.size(); ++i) {
    X509_up_ref(intermediates[i].x509());
    bssl::UniquePtr<X509> ref(intermediates[i].x509());
    ok = bssl::PushToStack(untrusted.get(), std::move(ref));
  }
  if (!ok || !X509_STORE_CTX_init(ctx.get(), store_->store.get(), leaf.x509(), untrusted.get())) {
    ERR_clear_error();
    return absl::InternalError("BoringSSL could not set up the chain verification");
  }
  X509_STORE_CTX_set_time(ctx.get(), /*flags=*/0, static_cast<time_t>(now_s));
  if (X509_verify_cert(ctx.get()) != 1) {
    ERR_clear_error();
    const int error = X509_STORE_CTX_get_error(ctx.get());
    return ChainError(Classify(error), error, X509_STORE_CTX_get_error_depth(ctx.get()));
  }
  // The chain holds the very X509 objects passed in (leaf, intermediates, roots): map them back.
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
  std::vector<Certificate> out;
  for (size_t i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
    const X509* x = sk_X509_value(chain, i);
    const Certificate* match = x == leaf.x509() ? &leaf : nullptr;
    for (const Certificate& c : intermediates) {
      if (match == nullptr && c.x509() == x) match = &c;
    }
    for (const Certificate& c : roots_) {
      if (match == nullptr && c.x509() == x) match = &c;
    }
    if (match == nullptr) return absl::InternalError("the verified chain has an unknown member");
    out.push_back(*match);
  }
  if (out.empty()) return absl::InternalError("BoringSSL verified an empty chain");
  return out;
}

// --- Self-signed mode ---

absl::StatusOr<NodeId> SelfSignedNodeId(std::span<const uint8_t> public_key_der,
                                        SelfSignedDigest digest, size_t node_id_length,
                                        uint32_t index) {
  if (node_id_length < kMinNodeIdLength || node_id_length > kMaxNodeIdLength) {
    return absl::InvalidArgumentError(absl::StrCat("Node-ID length ", node_id_length));
  }
  const EVP_MD* md = digest == SelfSignedDigest::kSha1 ? EVP_sha1() : EVP_sha256();
  bssl::ScopedEVP_MD_CTX ctx;
  uint8_t out[EVP_MAX_MD_SIZE];
  const uint8_t prefix[4] = {static_cast<uint8_t>(index >> 24), static_cast<uint8_t>(index >> 16),
                             static_cast<uint8_t>(index >> 8), static_cast<uint8_t>(index)};
  if (!EVP_DigestInit_ex(ctx.get(), md, nullptr) ||
      (index != 0 && !EVP_DigestUpdate(ctx.get(), prefix, sizeof(prefix))) ||
      !EVP_DigestUpdate(ctx.get(), public_key_der.data(), public_key_der.size()) ||
      !EVP_DigestFinal_ex(ctx.get(), out, nullptr)) {
    ERR_clear_error();
    return absl::InternalError("BoringSSL digest failed");
  }
  return NodeId(std::span<const uint8_t>(out, node_id_length));
}

absl::StatusOr<Certificate> CreateSelfSignedCertificate(
    const SigningKey& key, std::span<const NodeId> node_ids, std::string_view user_name,
    std::string_view overlay_name, int64_t not_before_s, int64_t not_after_s, uint64_t serial) {
  bssl::UniquePtr<EVP_PKEY> pkey = ParsePrivate(key.PrivateKeyDer());
  if (pkey == nullptr) return absl::InvalidArgumentError("the key does not export");
  return Build({.subject_key = pkey.get(),
                .issuer_key = pkey.get(),
                .issuer = nullptr,
                .common_name = {},
                .ca = false,
                .node_ids = node_ids,
                .user_name = user_name,
                .overlay_name = overlay_name,
                .not_before_s = not_before_s,
                .not_after_s = not_after_s,
                .serial = serial});
}

}  // namespace p2psip::crypto

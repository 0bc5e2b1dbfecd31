#include "p2psip/link/secure_context.h"

#include <openssl/bytestring.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pool.h>

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "link/secure_io.h"

namespace p2psip::link {
namespace {

constexpr char kCipherList[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384";
constexpr char kGroups[] = "X25519:P-256";
// What a peer may sign its handshake with: our certificates' schemes, SHA-256 or stronger.
constexpr uint16_t kVerifyAlgorithms[] = {
    SSL_SIGN_ECDSA_SECP256R1_SHA256, SSL_SIGN_RSA_PSS_RSAE_SHA256, SSL_SIGN_RSA_PKCS1_SHA256,
    SSL_SIGN_ECDSA_SECP384R1_SHA384, SSL_SIGN_RSA_PSS_RSAE_SHA384, SSL_SIGN_RSA_PKCS1_SHA384,
    SSL_SIGN_RSA_PSS_RSAE_SHA512,    SSL_SIGN_RSA_PKCS1_SHA512,
};
constexpr uint32_t kMinDtlsMtu = 256;  // below this a certificate flight cannot be cut
constexpr uint32_t kMaxDtlsMtu = 65507;

// Process-wide ex_data slot of an SSL_CTX's SecureContext; registered once, then read-only.
int ContextIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

void KeyLogLine(const SSL* ssl, const char* line) {
  const SecureContext* context = SecureContext::FromSslCtx(SSL_get_SSL_CTX(ssl));
  // The callback is installed only on contexts with a key log; the check guards a foreign CTX.
  if (context != nullptr && context->key_log() != nullptr) {
    context->key_log()->Write(line);
  }
}

absl::Status SslError(std::string_view what) {
  const uint32_t error = ERR_get_error();
  ERR_clear_error();
  char text[256];
  ERR_error_string_n(error, text, sizeof(text));
  return absl::InternalError(absl::StrCat("BoringSSL: ", std::string(what), ": ", text));
}

bssl::UniquePtr<EVP_PKEY> PrivateKeyOf(const crypto::SigningKey& key) {
  const std::vector<uint8_t> der = key.PrivateKeyDer();
  CBS cbs;
  CBS_init(&cbs, der.data(), der.size());
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_parse_private_key(&cbs));
  ERR_clear_error();
  return pkey;
}

absl::Status CheckOptions(const SecureContextOptions& options) {
  if (options.transport == SecureTransport::kDatagram &&
      (options.dtls_mtu < kMinDtlsMtu || options.dtls_mtu > kMaxDtlsMtu)) {
    return absl::InvalidArgumentError(absl::StrCat("DTLS MTU ", options.dtls_mtu, " outside [",
                                                   kMinDtlsMtu, ", ", kMaxDtlsMtu, "]"));
  }
  if (options.dtls_initial_timeout_ms == 0) {
    return absl::InvalidArgumentError("DTLS initial timeout of 0 ms");
  }
  return absl::OkStatus();
}

}  // namespace

SecureContext::~SecureContext() = default;

const SecureContext* SecureContext::FromSslCtx(const SSL_CTX* ctx) {
  if (ctx == nullptr) return nullptr;
  return static_cast<const SecureContext*>(SSL_CTX_get_ex_data(ctx, ContextIndex()));
}

absl::StatusOr<std::shared_ptr<const SecureContext>> SecureContext::Create(
    const crypto::SigningKey& key, std::vector<crypto::Certificate> chain,
    std::shared_ptr<const crypto::TrustStore> trust, SecureContextOptions options) {
  if (chain.empty()) return absl::InvalidArgumentError("a (D)TLS context needs a certificate");
  if (trust == nullptr) return absl::InvalidArgumentError("a (D)TLS context needs a trust store");
  if (!std::ranges::equal(key.PublicKeyDer(), chain.front().public_key_der())) {
    return absl::InvalidArgumentError("the key does not match the leaf certificate");
  }
  if (absl::Status s = CheckOptions(options); !s.ok()) return s;
  if (ContextIndex() < 0) return SslError("SSL_CTX_get_ex_new_index");

  std::shared_ptr<SecureContext> context(new SecureContext());
  context->options_ = std::move(options);
  context->chain_ = std::move(chain);
  context->trust_ = std::move(trust);
  const bool dtls = context->options_.transport == SecureTransport::kDatagram;
  const uint16_t version = dtls ? DTLS1_2_VERSION : TLS1_2_VERSION;
  context->ctx_.reset(SSL_CTX_new(dtls ? DTLS_method() : TLS_method()));
  SSL_CTX* ctx = context->ctx_.get();
  if (ctx == nullptr) return SslError("SSL_CTX_new");

  bssl::UniquePtr<EVP_PKEY> pkey = PrivateKeyOf(key);
  if (pkey == nullptr) return absl::InternalError("BoringSSL could not load the private key");
  std::vector<bssl::UniquePtr<CRYPTO_BUFFER>> owned;
  std::vector<CRYPTO_BUFFER*> buffers;
  for (const crypto::Certificate& cert : context->chain_) {
    owned.emplace_back(CRYPTO_BUFFER_new(cert.der().data(), cert.der().size(), nullptr));
    if (owned.back() == nullptr) return SslError("CRYPTO_BUFFER_new");
    buffers.push_back(owned.back().get());
  }
  if (!SSL_CTX_set_chain_and_key(ctx, buffers.data(), buffers.size(), pkey.get(), nullptr)) {
    return SslError("the certificate chain and key");
  }
  // Tells clients which roots we accept, so one holding several identities picks the right one.
  for (const crypto::Certificate& root : context->trust_->roots()) {
    if (!SSL_CTX_add_client_CA(ctx, root.x509())) return SslError("SSL_CTX_add_client_CA");
  }
  if (!SSL_CTX_set_min_proto_version(ctx, version) ||
      !SSL_CTX_set_max_proto_version(ctx, version)) {
    return SslError("the protocol version");
  }
  if (!SSL_CTX_set_strict_cipher_list(ctx, kCipherList)) return SslError("the cipher suites");
  if (!SSL_CTX_set1_curves_list(ctx, kGroups)) return SslError("the groups");
  if (!SSL_CTX_set_verify_algorithm_prefs(ctx, kVerifyAlgorithms, std::size(kVerifyAlgorithms))) {
    return SslError("the signature algorithms");
  }
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_TICKET | SSL_OP_CIPHER_SERVER_PREFERENCE | (dtls ? SSL_OP_NO_QUERY_MTU : 0));
  SSL_CTX_set_current_time_cb(ctx, internal::CurrentTime);
  if (!context->options_.key_log_path.empty()) {
    absl::StatusOr<std::unique_ptr<KeyLog>> log = KeyLog::Open(context->options_.key_log_path);
    if (!log.ok()) return log.status();
    context->key_log_ = *std::move(log);
    SSL_CTX_set_keylog_callback(ctx, KeyLogLine);
  }
  if (!SSL_CTX_set_ex_data(ctx, ContextIndex(), context.get())) {
    return SslError("SSL_CTX_set_ex_data");
  }
  return std::shared_ptr<const SecureContext>(std::move(context));
}

}  // namespace p2psip::link

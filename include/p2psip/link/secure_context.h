// SecureContext: what every (D)TLS session of one node and one transport shares (RFC 6940
// §6.6.1, §11.3; digest §8): the node's key and certificate chain, the overlay's TrustStore,
// the protocol and cipher policy, and the optional key log. It wraps one BoringSSL SSL_CTX.
//
// Created once per node and transport (one for DTLS links, one for TLS links) on the slow path,
// then immutable: sessions on any thread share it through a shared_ptr; a session keeps its
// context alive.
//
// Policy (both transports), and why:
//   - TLS 1.2 / DTLS 1.2 only (min = max): RFC 6940 is specified over TLS 1.2 and DTLS 1.2,
//     and Debian's OpenSSL 3.0 has no DTLS 1.3 (digest §15.17).
//   - Cipher suites, in server preference order:
//       ECDHE-ECDSA-AES128-GCM-SHA256   ECDHE-RSA-AES128-GCM-SHA256
//       ECDHE-ECDSA-AES256-GCM-SHA384   ECDHE-RSA-AES256-GCM-SHA384
//     ECDHE for forward secrecy; AES-GCM because it is an AEAD (no CBC padding/MAC-then-encrypt
//     oracles) and is what the fast path's per-record cost is measured against (AES-NI);
//     ECDSA and RSA because overlay certificates are P-256 or RSA-2048 (crypto::SignatureScheme).
//     AES-128 first: the cheaper record protection at a security level the certificates
//     (128-bit) do not exceed. RFC 6940 mandates no suite (digest §8).
//   - Key exchange groups X25519, P-256; handshake signatures with SHA-256 or stronger (no SHA-1).
//   - Mutual authentication: a server requires a client certificate; every peer chain is
//     verified by the TrustStore at the session's injected time, not by BoringSSL's clock.
//   - No session resumption (no cache, no tickets): each link re-authenticates its peer's
//     certificate against the expected Node-ID and the current time, and the context stays
//     immutable. No renegotiation (BoringSSL's default).
#ifndef P2PSIP_LINK_SECURE_CONTEXT_H_
#define P2PSIP_LINK_SECURE_CONTEXT_H_

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "p2psip/crypto/certificate.h"
#include "p2psip/crypto/signing_key.h"
#include "p2psip/link/key_log.h"

namespace p2psip::link {

enum class SecureTransport : uint8_t {
  kDatagram,  // DTLS 1.2 (RFC 6347) over UDP: one ciphertext datagram in, datagrams out
  kStream,    // TLS 1.2 (RFC 5246) over TCP: a byte stream each way
};

// IPv6's minimum MTU (1280) less the IPv6 and UDP headers: a handshake flight fragmented to it
// passes every path without PMTU discovery.
inline constexpr uint32_t kDefaultDtlsMtu = 1232;

struct SecureContextOptions {
  SecureTransport transport = SecureTransport::kDatagram;
  // Empty: no key log (the default). Otherwise the NSS key log file (see KeyLog).
  std::string key_log_path;
  // DTLS: the largest datagram a handshake flight is cut into (application records are not cut:
  // RELOAD fragments messages itself, RFC 6940 §6.7).
  uint32_t dtls_mtu = kDefaultDtlsMtu;
  // DTLS: the first handshake retransmission timeout; it doubles on each expiry up to 60 s, and
  // the handshake fails after 12 expiries without progress (BoringSSL). RFC 6347 §4.2.4.1
  // recommends 1 s.
  uint32_t dtls_initial_timeout_ms = 1000;
  // DTLS: once the handshake is done, seal and open application data records on the session's
  // exported keys instead of through BoringSSL's record layer (src/link/dtls_records.h; the
  // same records on the wire, several times cheaper). Off: BoringSSL's records throughout.
  bool fast_records = true;
};

class SecureContext {
 public:
  // `key` and `chain` are this node's credentials (leaf first, then any intermediates; the leaf
  // must certify `key`); `trust` holds the overlay's root certificates. Errors: InvalidArgument
  // for an empty chain, a key that does not match the leaf, or bad options; the KeyLog's error
  // if the key log cannot be opened; Internal if BoringSSL refuses the configuration.
  static absl::StatusOr<std::shared_ptr<const SecureContext>> Create(
      const crypto::SigningKey& key, std::vector<crypto::Certificate> chain,
      std::shared_ptr<const crypto::TrustStore> trust, SecureContextOptions options = {});

  SecureContext(const SecureContext&) = delete;
  SecureContext& operator=(const SecureContext&) = delete;
  ~SecureContext();

  SecureTransport transport() const { return options_.transport; }
  const SecureContextOptions& options() const { return options_; }
  const std::vector<crypto::Certificate>& chain() const { return chain_; }
  const crypto::TrustStore& trust() const { return *trust_; }
  // Null when the key log is off. KeyLog::Write is thread-safe, hence non-const access.
  KeyLog* key_log() const { return key_log_.get(); }

  // For SecureSession: the SSL_CTX every session is made from.
  SSL_CTX* ssl_ctx() const { return ctx_.get(); }
  // The context an SSL_CTX belongs to (set at Create; null for a foreign SSL_CTX).
  static const SecureContext* FromSslCtx(const SSL_CTX* ctx);

 private:
  SecureContext() = default;

  SecureContextOptions options_;
  std::vector<crypto::Certificate> chain_;
  std::shared_ptr<const crypto::TrustStore> trust_;
  std::unique_ptr<KeyLog> key_log_;
  bssl::UniquePtr<SSL_CTX> ctx_;
};

}  // namespace p2psip::link

#endif  // P2PSIP_LINK_SECURE_CONTEXT_H_

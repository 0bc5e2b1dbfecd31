// SecureSession: one DTLS 1.2 or TLS 1.2 session of an overlay link (RFC 6940 §6.6.1, §11.3;
// digest §8), sans-I/O: the runtime feeds what the socket received and sends what the session
// hands out; nothing here touches a socket or reads a clock.
//
//   ciphertext in:   OnReceive(one datagram | a chunk of the TCP stream, now_ms)
//   ciphertext out:  TakeOutput()  DTLS: one element per datagram; TLS: consecutive stream bytes
//   plaintext in:    Send(record)  DTLS: one record per framed RELOAD frame (RFC 6940 §6.6.2)
//   plaintext out:   TakeReceived() DTLS: one element per record; TLS: chunks of a stream whose
//                    boundaries mean nothing (the framing header delimits frames)
//   timers (DTLS):   NextTimeout(now_ms) / OnTimeout(now_ms) drive handshake retransmission
//
// Roles (RFC 6940 §6.5.1.1, digest §8): the node that SENT the Attach request is the server and
// requires a client certificate; the other is the client. Both verify the peer's chain against
// the overlay TrustStore at now_ms and, when the caller names the Node-ID it meant to reach,
// that the leaf certificate carries it. A failure says why: failure() and the status (chain
// failures keep the crypto::CertificateError that CertificateErrorOf reads).
//
// DTLS records that fail authentication, replays (anti-replay is always on, RFC 6347 §4.1.2.6)
// and records of a wrong epoch are dropped silently, as RFC 6347 §4.1.2.7 requires; each is
// counted in counters().bad_records_dropped and the session carries on. In TLS any bad record
// is fatal.
//
// A failed handshake may leave the alert that tells the peer why in TakeOutput(): send it.
//
// Not done here, by design: no HelloVerifyRequest cookie exchange (BoringSSL's DTLS server does
// not send one; RELOAD starts DTLS after ICE has checked the peer's address, RFC 6940 §6.5.1,
// and the runtime rate-limits handshakes it accepts), no resumption, no renegotiation.
//
// Time: now_ms is wall-clock milliseconds since 1970 (the simulator may pass its virtual
// clock); certificates are checked at now_ms / 1000. Calls that take no time reuse the last.
//
// Owned by one thread at a time (the runtime may hand an established session to another
// worker); movable, not copyable. Cheap: one BoringSSL SSL object and a few buffers.
#ifndef P2PSIP_LINK_SECURE_SESSION_H_
#define P2PSIP_LINK_SECURE_SESSION_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "p2psip/crypto/certificate.h"
#include "p2psip/ids.h"
#include "p2psip/link/secure_context.h"

namespace p2psip::link {

enum class SecureRole : uint8_t { kServer, kClient };

// Why a handshake (or an established session) failed.
enum class HandshakeFailure : uint8_t {
  kNone,
  kNoPeerCertificate,   // the peer sent no certificate (Unauthenticated)
  kBadPeerCertificate,  // a certificate that does not parse or has an unusable key
  kExpired,             // the chain: crypto::CertificateError, same status code
  kNotYetValid,
  kUnknownCa,  // "untrusted": no chain to the overlay's roots
  kBadSignature,
  kInvalidChain,
  kWrongNodeId,  // a trusted certificate of someone else (PermissionDenied)
  kPeerAlert,    // the peer aborted with a fatal alert, e.g. it rejected our certificate
  kTimeout,      // DTLS: too many retransmissions without progress (DeadlineExceeded)
  kProtocol,     // anything else: malformed or unexpected messages, no common cipher...
};
inline constexpr size_t kHandshakeFailureCount = 12;
std::string_view HandshakeFailureName(HandshakeFailure failure);

// What one session did; add them up per worker with +=.
struct SecureCounters {
  uint64_t handshakes_completed = 0;
  std::array<uint64_t, kHandshakeFailureCount> handshake_failures{};  // by HandshakeFailure
  uint64_t handshake_timeouts_fired = 0;  // DTLS retransmission timer expiries
  uint64_t records_sealed = 0;
  uint64_t records_opened = 0;
  uint64_t bad_records_dropped = 0;  // DTLS: failed authentication, replay, wrong epoch, junk

  uint64_t failures(HandshakeFailure f) const { return handshake_failures[static_cast<size_t>(f)]; }
  SecureCounters& operator+=(const SecureCounters& other);
};

class SecureSession {
 public:
  enum class State : uint8_t { kHandshaking, kEstablished, kClosed, kFailed };

  // A session of `context`'s transport. A client's first flight is ready in TakeOutput() on
  // return. `expected_peer`: the Node-ID the peer's certificate must carry (the Attach target or
  // the AttachReqAns signer); nullopt accepts any trusted certificate (a bootstrap link).
  static absl::StatusOr<SecureSession> Create(std::shared_ptr<const SecureContext> context,
                                              SecureRole role, std::optional<NodeId> expected_peer,
                                              uint64_t now_ms);

  SecureSession(SecureSession&&) noexcept;
  SecureSession& operator=(SecureSession&&) noexcept;
  ~SecureSession();

  // Ciphertext from the peer. OK unless the session has failed (then the failure status,
  // also on every later call); a dropped DTLS record is not a failure.
  absl::Status OnReceive(std::span<const uint8_t> ciphertext, uint64_t now_ms);
  // Seals one record (1..16384 bytes). FailedPrecondition before the handshake completes or
  // after the session ended; InvalidArgument for a bad size.
  absl::Status Send(std::span<const uint8_t> plaintext);
  // Sends close_notify; the session is closed afterwards.
  void Close();

  // DTLS: when OnTimeout is next due (absolute ms, >= now_ms); nullopt when no timer runs
  // (always for TLS).
  std::optional<uint64_t> NextTimeout(uint64_t now_ms) const;
  // Retransmits the last flight if its timer expired at now_ms; fails the session with
  // kTimeout after too many.
  absl::Status OnTimeout(uint64_t now_ms);

  std::vector<std::vector<uint8_t>> TakeOutput();
  std::vector<std::vector<uint8_t>> TakeReceived();
  // The same, appended to *out: the session keeps its own vectors' capacity (the fast path's
  // way; the buffers come from TakeBuffer, see p2psip/buffer_pool.h).
  void TakeOutput(std::vector<std::vector<uint8_t>>* out);
  void TakeReceived(std::vector<std::vector<uint8_t>>* out);
  bool HasOutput() const;

  State state() const;
  bool established() const { return state() == State::kEstablished; }
  HandshakeFailure failure() const;
  // OK while the session is healthy or closed cleanly.
  const absl::Status& status() const;

  // After the handshake: the peer's verified leaf certificate and its Node-IDs.
  const std::optional<crypto::Certificate>& PeerCertificate() const;
  const std::vector<NodeId>& PeerNodeIds() const;
  // The negotiated suite's IETF name; empty before the handshake completes.
  std::string_view CipherSuite() const;
  // DTLS: whether application data records are sealed and opened on the fast path (context
  // option fast_records, once established with an AES-GCM suite).
  bool fast_records() const;
  SecureRole role() const;
  const SecureCounters& counters() const;

 private:
  struct Impl;
  explicit SecureSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;  // never null, except in a moved-from session
};

}  // namespace p2psip::link

#endif  // P2PSIP_LINK_SECURE_SESSION_H_

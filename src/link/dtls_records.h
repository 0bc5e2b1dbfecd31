// DtlsRecords: DTLS 1.2 application-data records sealed and opened without BoringSSL's record
// layer, once a session's handshake is done (the fast path of DESIGN.md §1: the worker that owns
// a link protects its records itself).
//
// BoringSSL's SSL_write/SSL_read cost most of a forwarded message (four records a message
// counting the framing's ACKs, each through the SSL state machine, its BIO and its buffers).
// Here a record is one AEAD call on the session's own keys: the key block is exported after the
// handshake (SSL_generate_key_block, RFC 5246 §6.3: client key, server key, client salt, server
// salt for an AEAD suite), and the sequence numbers continue where BoringSSL's stopped.
//
// Wire format (RFC 6347 §4.1, RFC 5288 §3 for AES-GCM):
//   type(1) version(2, DTLS 1.2 = fe fd) epoch(2) sequence(6) length(2)
//   explicit nonce(8) = epoch ‖ sequence, as BoringSSL writes it · ciphertext · tag(16)
//   nonce = salt(4) ‖ explicit nonce; additional data = epoch ‖ sequence ‖ type ‖ version ‖
//   plaintext length.
// Replays are refused with the sliding window of RFC 6347 §4.1.2.6 (64 records), which moves
// only for records that authenticate. Only AES-128-GCM and AES-256-GCM suites are handled
// (those SecureContext allows); Create fails for anything else, and the session keeps using
// BoringSSL's records.
//
// Records other than application data of the current epoch (alerts, handshake retransmissions)
// are not for this class: the session hands them to BoringSSL, which reads them with the same
// keys. What BoringSSL would write after the switch is limited to those: close_notify is
// sealed here (SealAlert), so that its sequence number follows ours.
#ifndef P2PSIP_LINK_DTLS_RECORDS_H_
#define P2PSIP_LINK_DTLS_RECORDS_H_

#include <openssl/aead.h>
#include <openssl/ssl.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"

namespace p2psip::link::internal {

inline constexpr size_t kDtlsRecordHeader = 13;
inline constexpr size_t kGcmExplicitNonce = 8;
inline constexpr size_t kGcmTag = 16;
inline constexpr uint8_t kContentAlert = 21;
inline constexpr uint8_t kContentApplicationData = 23;

class DtlsRecords {
 public:
  // From an established DTLS 1.2 session `ssl` (the DTLS client when `client`). Unimplemented for a
  // suite other than AES-GCM; Internal if BoringSSL does not give the keys.
  static absl::StatusOr<std::unique_ptr<DtlsRecords>> Create(const SSL* ssl, bool client);

  enum class Open : uint8_t {
    kOpened,    // *plaintext holds the record's content
    kNotMine,   // another content type or epoch: for BoringSSL
    kRejected,  // failed authentication, a replay, too old, a bad length: drop and count
  };
  // One record (header and body, as cut from a datagram).
  Open OpenRecord(std::span<const uint8_t> record, std::vector<uint8_t>* plaintext);
  // Appends one application-data record carrying `plaintext` to *out; false when the sequence
  // numbers of this epoch are spent (2^48).
  bool Seal(std::span<const uint8_t> plaintext, std::vector<uint8_t>* out) {
    return SealRecord(kContentApplicationData, plaintext, out);
  }
  // A warning-level close_notify alert (RFC 5246 §7.2.1).
  bool SealCloseNotify(std::vector<uint8_t>* out) {
    const uint8_t alert[2] = {1, 0};
    return SealRecord(kContentAlert, alert, out);
  }

 private:
  DtlsRecords() = default;
  bool SealRecord(uint8_t type, std::span<const uint8_t> plaintext, std::vector<uint8_t>* out);
  // RFC 6347 §4.1.2.6: whether `seq` is new (not seen, not left of the window).
  bool Fresh(uint64_t seq) const;
  void Mark(uint64_t seq);

  bssl::ScopedEVP_AEAD_CTX seal_;
  bssl::ScopedEVP_AEAD_CTX open_;
  std::array<uint8_t, 4> write_salt_{};
  std::array<uint8_t, 4> read_salt_{};
  uint16_t epoch_ = 0;
  uint64_t write_seq_ = 0;  // the next one
  uint64_t read_max_ = 0;   // the highest authenticated so far
  uint64_t window_ = 0;     // bit i: read_max_ - i was seen
};

}  // namespace p2psip::link::internal

#endif  // P2PSIP_LINK_DTLS_RECORDS_H_

#include "p2psip/link/secure_session.h"

#include <openssl/err.h>
#include <openssl/pool.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "link/dtls_records.h"
#include "link/peer_verification.h"
#include "link/secure_io.h"
#include "p2psip/buffer_pool.h"

namespace p2psip::link {
namespace {

// The largest plaintext of one record (RFC 5246 §6.2.1, RFC 6347 §4.1).
constexpr size_t kMaxRecordPlaintext = 16384;

constexpr std::string_view kFailureNames[kHandshakeFailureCount] = {
    "none",
    "no peer certificate",
    "bad peer certificate",
    "expired certificate",
    "not yet valid",
    "unknown CA",
    "bad signature",
    "invalid chain",
    "wrong Node-ID",
    "peer alert",
    "timeout",
    "protocol error",
};

int SessionIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

std::string_view HandshakeFailureName(HandshakeFailure failure) {
  const auto i = static_cast<size_t>(failure);
  return i < kHandshakeFailureCount ? kFailureNames[i] : "unknown";
}

SecureCounters& SecureCounters::operator+=(const SecureCounters& other) {
  handshakes_completed += other.handshakes_completed;
  for (size_t i = 0; i < kHandshakeFailureCount; ++i) {
    handshake_failures[i] += other.handshake_failures[i];
  }
  handshake_timeouts_fired += other.handshake_timeouts_fired;
  records_sealed += other.records_sealed;
  records_opened += other.records_opened;
  bad_records_dropped += other.bad_records_dropped;
  return *this;
}

struct SecureSession::Impl {
  std::shared_ptr<const SecureContext> context;
  SecureRole role = SecureRole::kClient;
  std::optional<NodeId> expected_peer;
  bool dtls = true;
  internal::SessionIo io;
  bssl::UniquePtr<SSL> ssl;
  uint64_t now_ms = 0;

  State state = State::kHandshaking;
  HandshakeFailure failure = HandshakeFailure::kNone;
  absl::Status status;
  // What the verify callback decided, read when BoringSSL reports the failed handshake.
  HandshakeFailure verify_failure = HandshakeFailure::kNone;
  absl::Status verify_status;

  std::optional<crypto::Certificate> peer_certificate;
  std::vector<NodeId> peer_node_ids;
  std::string cipher;
  std::vector<std::vector<uint8_t>> received;
  SecureCounters counters;
  // DTLS, once established (context option fast_records): application data records are sealed
  // and opened here; BoringSSL keeps the rest (alerts, handshake retransmissions).
  std::unique_ptr<internal::DtlsRecords> fast;
  bool fast_tried = false;

  static ssl_verify_result_t VerifyPeer(SSL* connection, uint8_t* out_alert);
  ssl_verify_result_t Verify(uint8_t* out_alert);
  void Fail(HandshakeFailure why, absl::Status s);
  void FailFromSsl(int ret);
  void Drive();
  void ReadRecords();
  // After the handshake: switch to DtlsRecords when the context asks for it and the suite is
  // AES-GCM (otherwise BoringSSL's records go on).
  void MaybeGoFast();
  // A datagram on the fast path: each record opened here or handed to BoringSSL.
  void ReceiveFast(std::span<const uint8_t> datagram);
};

void SecureSession::Impl::MaybeGoFast() {
  if (!dtls || fast_tried || state != State::kEstablished || !context->options().fast_records) {
    return;
  }
  fast_tried = true;
  absl::StatusOr<std::unique_ptr<internal::DtlsRecords>> records =
      internal::DtlsRecords::Create(ssl.get(), role == SecureRole::kClient);
  if (records.ok()) fast = *std::move(records);
  ERR_clear_error();
}

void SecureSession::Impl::ReceiveFast(std::span<const uint8_t> datagram) {
  while (!datagram.empty() && state == State::kEstablished) {
    const size_t length = datagram.size() < internal::kDtlsRecordHeader
                              ? 0
                              : (size_t{datagram[11]} << 8) | datagram[12];
    if (datagram.size() < internal::kDtlsRecordHeader ||
        datagram.size() - internal::kDtlsRecordHeader < length) {
      ++counters.bad_records_dropped;  // not whole records: the rest is junk
      return;
    }
    const std::span<const uint8_t> record = datagram.first(internal::kDtlsRecordHeader + length);
    datagram = datagram.subspan(record.size());
    std::vector<uint8_t> plaintext = TakeBuffer();
    switch (fast->OpenRecord(record, &plaintext)) {
      case internal::DtlsRecords::Open::kOpened:
        received.push_back(std::move(plaintext));
        ++counters.records_opened;
        break;
      case internal::DtlsRecords::Open::kRejected:
        RecycleBuffer(plaintext);
        ++counters.bad_records_dropped;
        break;
      case internal::DtlsRecords::Open::kNotMine: {
        RecycleBuffer(plaintext);
        // An alert, a handshake retransmission, another epoch: BoringSSL's, as one datagram.
        const uint64_t opened_before = counters.records_opened;
        io.input = record;
        io.input_offset = 0;
        Drive();
        io.input = {};
        if (record[0] == internal::kContentApplicationData &&
            counters.records_opened == opened_before) {
          ++counters.bad_records_dropped;
        }
        break;
      }
    }
  }
}

ssl_verify_result_t SecureSession::Impl::VerifyPeer(SSL* connection, uint8_t* out_alert) {
  auto* impl = static_cast<Impl*>(SSL_get_ex_data(connection, SessionIndex()));
  if (impl == nullptr) {
    *out_alert = SSL_AD_INTERNAL_ERROR;
    return ssl_verify_invalid;
  }
  return impl->Verify(out_alert);
}

ssl_verify_result_t SecureSession::Impl::Verify(uint8_t* out_alert) {
  internal::PeerVerdict verdict =
      internal::VerifyPeerChain(SSL_get0_peer_certificates(ssl.get()), context->trust(),
                                static_cast<int64_t>(now_ms / 1000), expected_peer);
  if (verdict.failure != HandshakeFailure::kNone) {
    verify_failure = verdict.failure;
    verify_status = std::move(verdict.status);
    *out_alert = verdict.alert;
    return ssl_verify_invalid;
  }
  peer_node_ids = verdict.leaf->node_ids();
  peer_certificate = std::move(verdict.leaf);
  return ssl_verify_ok;
}

void SecureSession::Impl::Fail(HandshakeFailure why, absl::Status s) {
  ERR_clear_error();
  if (state == State::kFailed) return;
  if (state == State::kHandshaking) ++counters.handshake_failures[static_cast<size_t>(why)];
  state = State::kFailed;
  failure = why;
  status = std::move(s);
}

void SecureSession::Impl::FailFromSsl(int ret) {
  const int error = SSL_get_error(ssl.get(), ret);
  const char* phase = state == State::kHandshaking ? "handshake" : "session";
  if (verify_failure != HandshakeFailure::kNone) {
    Fail(verify_failure, verify_status);
    return;
  }
  const uint32_t packed = ERR_peek_error();
  const int reason = ERR_GET_LIB(packed) == ERR_LIB_SSL ? ERR_GET_REASON(packed) : 0;
  if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
    Fail(HandshakeFailure::kNoPeerCertificate,
         absl::UnauthenticatedError("the peer sent no certificate (a client must, RFC 6940 "
                                    "§11.3)"));
  } else if (reason >= SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256) {
    Fail(HandshakeFailure::kPeerAlert,
         absl::AbortedError(
             absl::StrCat("the peer aborted the ", phase, ": alert ",
                          SSL_alert_desc_string_long(reason - SSL_AD_REASON_OFFSET))));
  } else {
    char text[256] = "no detail";
    if (packed != 0) ERR_error_string_n(packed, text, sizeof(text));
    Fail(HandshakeFailure::kProtocol,
         absl::InvalidArgumentError(
             absl::StrCat("(D)TLS ", phase, " failed (SSL error ", error, "): ", text)));
  }
}

void SecureSession::Impl::Drive() {
  if (state == State::kHandshaking) {
    const int ret = SSL_do_handshake(ssl.get());
    if (ret != 1) {
      const int error = SSL_get_error(ssl.get(), ret);
      if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) FailFromSsl(ret);
      ERR_clear_error();
      return;
    }
    if (!peer_certificate) {  // cannot happen: verification is mandatory for both roles
      Fail(HandshakeFailure::kNoPeerCertificate,
           absl::UnauthenticatedError("handshake completed without a verified peer"));
      return;
    }
    state = State::kEstablished;
    ++counters.handshakes_completed;
    if (const SSL_CIPHER* c = SSL_get_current_cipher(ssl.get())) {
      cipher = SSL_CIPHER_standard_name(c);
    }
  }
  if (state == State::kEstablished) ReadRecords();
}

void SecureSession::Impl::ReadRecords() {
  // One record's room, per thread rather than per session: a node holds many idle links, and
  // BoringSSL itself frees its buffers between records.
  thread_local uint8_t buffer[kMaxRecordPlaintext];
  while (true) {
    const int n = SSL_read(ssl.get(), buffer, static_cast<int>(sizeof(buffer)));
    if (n > 0) {
      received.push_back(TakeBuffer());
      received.back().assign(buffer, buffer + n);
      ++counters.records_opened;
      continue;
    }
    const int error = SSL_get_error(ssl.get(), n);
    if (error == SSL_ERROR_ZERO_RETURN) {
      state = State::kClosed;  // close_notify
    } else if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
      FailFromSsl(n);
    }
    ERR_clear_error();
    return;
  }
}

SecureSession::SecureSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SecureSession::SecureSession(SecureSession&&) noexcept = default;
SecureSession& SecureSession::operator=(SecureSession&&) noexcept = default;
SecureSession::~SecureSession() = default;

absl::StatusOr<SecureSession> SecureSession::Create(std::shared_ptr<const SecureContext> context,
                                                    SecureRole role,
                                                    std::optional<NodeId> expected_peer,
                                                    uint64_t now_ms) {
  if (context == nullptr) return absl::InvalidArgumentError("a session needs a context");
  if (SessionIndex() < 0) return absl::InternalError("BoringSSL: SSL_get_ex_new_index failed");
  auto impl = std::make_unique<Impl>();
  impl->dtls = context->transport() == SecureTransport::kDatagram;
  impl->io.transport = context->transport();
  impl->role = role;
  impl->expected_peer = std::move(expected_peer);
  impl->now_ms = now_ms;
  impl->ssl.reset(SSL_new(context->ssl_ctx()));
  bssl::UniquePtr<BIO> bio = internal::NewSessionBio(&impl->io);
  if (impl->ssl == nullptr || bio == nullptr ||
      !SSL_set_ex_data(impl->ssl.get(), SessionIndex(), impl.get())) {
    ERR_clear_error();
    return absl::InternalError("BoringSSL could not create a session");
  }
  SSL* ssl = impl->ssl.get();
  SSL_set_bio(ssl, bio.get(), bio.get());  // one reference, owned by the SSL from here
  bio.release();
  if (impl->dtls) {
    SSL_set_mtu(ssl, context->options().dtls_mtu);
    DTLSv1_set_initial_timeout_duration(ssl, context->options().dtls_initial_timeout_ms);
  }
  // The server requests and requires a client certificate (RFC 6940 §6.5.1.1: mutual auth).
  SSL_set_custom_verify(ssl,
                        role == SecureRole::kServer
                            ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                            : SSL_VERIFY_PEER,
                        Impl::VerifyPeer);
  // The key and chain are needed only during the handshake; a long-lived link keeps less.
  SSL_set_shed_handshake_config(ssl, 1);
  if (role == SecureRole::kServer) {
    SSL_set_accept_state(ssl);
  } else {
    SSL_set_connect_state(ssl);
  }
  impl->context = std::move(context);
  if (role == SecureRole::kClient) {
    internal::ClockScope clock(now_ms);
    impl->Drive();
    if (impl->state == State::kFailed) return impl->status;
  }
  return SecureSession(std::move(impl));
}

absl::Status SecureSession::OnReceive(std::span<const uint8_t> ciphertext, uint64_t now_ms) {
  Impl& s = *impl_;
  if (s.state == State::kFailed || s.state == State::kClosed) return s.status;
  s.now_ms = now_ms;
  internal::ClockScope clock(now_ms);
  if (s.fast != nullptr) {
    s.ReceiveFast(ciphertext);
    return s.status;
  }
  const internal::DtlsRecordScan scan =
      s.dtls ? internal::ScanDtlsRecords(ciphertext) : internal::DtlsRecordScan{};
  const uint64_t opened_before = s.counters.records_opened;
  s.io.input = ciphertext;
  s.io.input_offset = 0;
  s.Drive();
  s.io.input = {};
  if (s.dtls) {
    // BoringSSL drops bad records without a word (RFC 6347 §4.1.2.7); what went in as
    // application data and did not come out was dropped.
    const uint64_t opened = s.counters.records_opened - opened_before;
    if (scan.application_data > opened) {
      s.counters.bad_records_dropped += scan.application_data - opened;
    }
    if (scan.malformed) ++s.counters.bad_records_dropped;
  }
  s.MaybeGoFast();
  return s.status;
}

absl::Status SecureSession::Send(std::span<const uint8_t> plaintext) {
  Impl& s = *impl_;
  if (s.state != State::kEstablished) {
    return s.state == State::kFailed
               ? s.status
               : absl::FailedPreconditionError(s.state == State::kClosed
                                                   ? "the session is closed"
                                                   : "the handshake is not done");
  }
  if (plaintext.empty() || plaintext.size() > kMaxRecordPlaintext) {
    return absl::InvalidArgumentError(
        absl::StrCat("a record holds 1..", kMaxRecordPlaintext, " bytes, not ", plaintext.size()));
  }
  if (s.fast != nullptr) {
    std::vector<uint8_t> datagram = TakeBuffer();
    if (!s.fast->Seal(plaintext, &datagram)) {
      s.Fail(HandshakeFailure::kProtocol,
             absl::ResourceExhaustedError("DTLS: this epoch's sequence numbers are spent"));
      return s.status;
    }
    s.io.output.push_back(std::move(datagram));
    ++s.counters.records_sealed;
    return absl::OkStatus();
  }
  internal::ClockScope clock(s.now_ms);
  const int n = SSL_write(s.ssl.get(), plaintext.data(), static_cast<int>(plaintext.size()));
  if (n != static_cast<int>(plaintext.size())) {
    s.FailFromSsl(n);
    return s.status;
  }
  ++s.counters.records_sealed;
  return absl::OkStatus();
}

void SecureSession::Close() {
  Impl& s = *impl_;
  if (s.state == State::kFailed || s.state == State::kClosed) return;
  if (s.fast != nullptr && s.state == State::kEstablished) {
    // Sealed here, so that its sequence number follows the records sent (BoringSSL's own
    // counter stopped at the switch, and the peer would take its alert for a replay).
    std::vector<uint8_t> datagram = TakeBuffer();
    if (s.fast->SealCloseNotify(&datagram)) s.io.output.push_back(std::move(datagram));
    s.state = State::kClosed;
    return;
  }
  internal::ClockScope clock(s.now_ms);
  if (s.state == State::kEstablished) SSL_shutdown(s.ssl.get());
  ERR_clear_error();
  s.state = State::kClosed;
}

std::optional<uint64_t> SecureSession::NextTimeout(uint64_t now_ms) const {
  const Impl& s = *impl_;
  if (!s.dtls || s.state == State::kFailed || s.state == State::kClosed) return std::nullopt;
  internal::ClockScope clock(now_ms);
  timeval left{};
  if (DTLSv1_get_timeout(s.ssl.get(), &left) != 1) return std::nullopt;
  // Rounded up, so that OnTimeout at the returned time finds the timer expired.
  return now_ms + static_cast<uint64_t>(left.tv_sec) * 1000 +
         (static_cast<uint64_t>(left.tv_usec) + 999) / 1000;
}

absl::Status SecureSession::OnTimeout(uint64_t now_ms) {
  Impl& s = *impl_;
  if (!s.dtls || s.state == State::kFailed || s.state == State::kClosed) return s.status;
  s.now_ms = now_ms;
  internal::ClockScope clock(now_ms);
  const int ret = DTLSv1_handle_timeout(s.ssl.get());
  if (ret > 0) ++s.counters.handshake_timeouts_fired;
  if (ret < 0) {
    s.Fail(HandshakeFailure::kTimeout,
           absl::DeadlineExceededError("DTLS handshake: the peer did not answer the "
                                       "retransmitted flights"));
  }
  ERR_clear_error();
  return s.status;
}

std::vector<std::vector<uint8_t>> SecureSession::TakeOutput() {
  return std::exchange(impl_->io.output, {});
}
std::vector<std::vector<uint8_t>> SecureSession::TakeReceived() {
  return std::exchange(impl_->received, {});
}
namespace {
void MoveAll(std::vector<std::vector<uint8_t>>& from, std::vector<std::vector<uint8_t>>* to) {
  for (std::vector<uint8_t>& b : from) to->push_back(std::move(b));
  from.clear();
}
}  // namespace
void SecureSession::TakeOutput(std::vector<std::vector<uint8_t>>* out) {
  MoveAll(impl_->io.output, out);
}
void SecureSession::TakeReceived(std::vector<std::vector<uint8_t>>* out) {
  MoveAll(impl_->received, out);
}
bool SecureSession::HasOutput() const { return !impl_->io.output.empty(); }
SecureSession::State SecureSession::state() const { return impl_->state; }
HandshakeFailure SecureSession::failure() const { return impl_->failure; }
const absl::Status& SecureSession::status() const { return impl_->status; }
const std::optional<crypto::Certificate>& SecureSession::PeerCertificate() const {
  return impl_->peer_certificate;
}
const std::vector<NodeId>& SecureSession::PeerNodeIds() const { return impl_->peer_node_ids; }
std::string_view SecureSession::CipherSuite() const { return impl_->cipher; }
bool SecureSession::fast_records() const { return impl_->fast != nullptr; }
SecureRole SecureSession::role() const { return impl_->role; }
const SecureCounters& SecureSession::counters() const { return impl_->counters; }

}  // namespace p2psip::link

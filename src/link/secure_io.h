// Internal to src/link: how a SecureSession's BoringSSL object meets the sans-I/O world.
//
//   SessionIo    the bytes between the caller and BoringSSL: the ciphertext being fed (read by
//                BoringSSL through a custom BIO) and what BoringSSL wrote (one element per
//                datagram for DTLS: BoringSSL writes each datagram with one BIO_write).
//   ClockScope   BoringSSL's clock (DTLS retransmission timers) set to the caller's now_ms for
//                the duration of one call into BoringSSL.
//   ScanDtlsRecords  counts the records of a datagram, to account for the ones BoringSSL drops.
#ifndef P2PSIP_LINK_SECURE_IO_H_
#define P2PSIP_LINK_SECURE_IO_H_

#include <openssl/ssl.h>

#include <cstdint>
#include <span>
#include <vector>

#include "p2psip/link/secure_context.h"

namespace p2psip::link::internal {

struct SessionIo {
  SecureTransport transport = SecureTransport::kDatagram;
  std::span<const uint8_t> input;  // the datagram or stream chunk being fed; valid during a call
  size_t input_offset = 0;
  std::vector<std::vector<uint8_t>> output;
};

// A BIO reading `io->input` and appending to `io->output`. `io` must outlive the BIO.
bssl::UniquePtr<BIO> NewSessionBio(SessionIo* io);

// BoringSSL's time callback has no argument to find the session by (it is called with a null
// SSL), so the time of the current call travels in a thread-local for exactly the duration of
// the call; scopes nest and restore the outer time.
class ClockScope {
 public:
  explicit ClockScope(uint64_t now_ms);
  ~ClockScope();
  ClockScope(const ClockScope&) = delete;
  ClockScope& operator=(const ClockScope&) = delete;

 private:
  uint64_t saved_ms_;
  bool saved_set_;
};
// For SSL_CTX_set_current_time_cb: the time of the innermost ClockScope (the wall clock outside
// any scope, which only happens if BoringSSL asks outside a SecureSession call).
void CurrentTime(const SSL* ssl, struct timeval* out);

struct DtlsRecordScan {
  size_t application_data = 0;  // records of content type 23
  bool malformed = false;       // bytes that do not form a whole record header and body
};
DtlsRecordScan ScanDtlsRecords(std::span<const uint8_t> datagram);

}  // namespace p2psip::link::internal

#endif  // P2PSIP_LINK_SECURE_IO_H_

#include "link/secure_io.h"

#include <openssl/bio.h>
#include <sys/time.h>

#include <algorithm>
#include <cstring>

#include "p2psip/buffer_pool.h"

namespace p2psip::link::internal {
namespace {

thread_local uint64_t tls_now_ms = 0;
thread_local bool tls_now_set = false;

// RFC 6347 §4.1: type(1) version(2) epoch(2) sequence_number(6) length(2).
constexpr size_t kDtlsHeaderSize = 13;
constexpr uint8_t kApplicationData = 23;

SessionIo* IoOf(BIO* bio) { return static_cast<SessionIo*>(BIO_get_data(bio)); }

int BioRead(BIO* bio, char* out, int length) {
  SessionIo* io = IoOf(bio);
  BIO_clear_retry_flags(bio);
  const size_t left = io->input.size() - io->input_offset;
  if (left == 0 || length <= 0) {
    BIO_set_retry_read(bio);
    return -1;
  }
  size_t n = std::min(left, static_cast<size_t>(length));
  std::memcpy(out, io->input.data() + io->input_offset, n);
  // A datagram is read whole, once: a shorter buffer truncates it (and BoringSSL drops the
  // truncated record), never splits it into two datagrams.
  io->input_offset =
      io->transport == SecureTransport::kDatagram ? io->input.size() : io->input_offset + n;
  return static_cast<int>(n);
}

int BioWrite(BIO* bio, const char* data, int length) {
  SessionIo* io = IoOf(bio);
  BIO_clear_retry_flags(bio);
  if (length <= 0) return 0;
  const auto* p = reinterpret_cast<const uint8_t*>(data);
  if (io->transport == SecureTransport::kStream && !io->output.empty()) {
    io->output.back().insert(io->output.back().end(), p, p + length);
  } else {
    io->output.push_back(TakeBuffer());
    io->output.back().assign(p, p + length);
  }
  return length;
}

long BioCtrl(BIO* bio, int cmd, long /*larg*/, void* /*parg*/) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_PENDING: {
      const SessionIo* io = IoOf(bio);
      return static_cast<long>(io->input.size() - io->input_offset);
    }
    default:
      return 0;  // no MTU queries (SSL_OP_NO_QUERY_MTU), nothing buffered for writing
  }
}

const BIO_METHOD* SessionBioMethod() {
  // Immutable once built; shared by every session of the process.
  static const BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index(), "p2psip-session");
    if (m != nullptr) {
      BIO_meth_set_read(m, BioRead);
      BIO_meth_set_write(m, BioWrite);
      BIO_meth_set_ctrl(m, BioCtrl);
    }
    return m;
  }();
  return method;
}

}  // namespace

bssl::UniquePtr<BIO> NewSessionBio(SessionIo* io) {
  const BIO_METHOD* method = SessionBioMethod();
  if (method == nullptr) return nullptr;
  bssl::UniquePtr<BIO> bio(BIO_new(method));
  if (bio == nullptr) return nullptr;
  BIO_set_data(bio.get(), io);
  BIO_set_init(bio.get(), 1);
  return bio;
}

ClockScope::ClockScope(uint64_t now_ms) : saved_ms_(tls_now_ms), saved_set_(tls_now_set) {
  tls_now_ms = now_ms;
  tls_now_set = true;
}

ClockScope::~ClockScope() {
  tls_now_ms = saved_ms_;
  tls_now_set = saved_set_;
}

void CurrentTime(const SSL* /*ssl*/, struct timeval* out) {
  if (!tls_now_set) {
    gettimeofday(out, nullptr);
    return;
  }
  out->tv_sec = static_cast<time_t>(tls_now_ms / 1000);
  out->tv_usec = static_cast<suseconds_t>((tls_now_ms % 1000) * 1000);
}

DtlsRecordScan ScanDtlsRecords(std::span<const uint8_t> datagram) {
  DtlsRecordScan scan;
  while (!datagram.empty()) {
    if (datagram.size() < kDtlsHeaderSize) {
      scan.malformed = true;
      break;
    }
    const size_t length = (size_t{datagram[11]} << 8) | datagram[12];
    if (datagram.size() - kDtlsHeaderSize < length) {
      scan.malformed = true;
      break;
    }
    if (datagram[0] == kApplicationData) ++scan.application_data;
    datagram = datagram.subspan(kDtlsHeaderSize + length);
  }
  return scan;
}

}  // namespace p2psip::link::internal

// tls_probe: drives one SecureSession over a real kernel socket on 127.0.0.1, so that OpenSSL's
// command-line tools (an independent implementation, run as a separate process) can check our
// DTLS 1.2 / TLS 1.2 links. Used by check_openssl_interop.py.
//
//   tls_probe creds DIR [ecdsa|rsa]
//       Makes an overlay CA and two identities, both certified by it: "probe" (ours) and "peer"
//       (for openssl). Writes ca.pem, {probe,peer}.pem (certificate), {probe,peer}.key (PKCS#8
//       PEM), the DER forms (*.der, *.key.der) and {probe,peer}.nodeid (hex).
//   tls_probe run --role client|server --transport dtls|tls --port N --creds DIR
//                 --send LINE --expect LINE [--timeout-ms N] [--keylog FILE]
//       Connects to (client) or listens on (server) 127.0.0.1:N, runs the handshake expecting
//       the peer's Node-ID, sends LINE + "\n" in one record, and waits for a line equal to the
//       expected one. Prints LISTENING, ESTABLISHED, RECEIVED lines on stdout as it goes; exit 0
//       on success, 1 on a session failure, 2 on timeout, 3 on bad usage or I/O errors.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/base64.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "p2psip/crypto/certificate.h"
#include "p2psip/link/secure_context.h"
#include "p2psip/link/secure_session.h"

namespace {

using namespace p2psip;  // NOLINT(build/namespaces)
using Bytes = std::vector<uint8_t>;

uint64_t WallMs() {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  return uint64_t(tv.tv_sec) * 1000 + uint64_t(tv.tv_usec) / 1000;
}

int Fail(int code, const std::string& why) {
  std::printf("FAILED: %s\n", why.c_str());
  std::fflush(stdout);
  return code;
}

bool WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  return static_cast<bool>(out);
}
std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}
Bytes AsBytes(const std::string& s) { return Bytes(s.begin(), s.end()); }
std::string AsString(std::span<const uint8_t> b) { return std::string(b.begin(), b.end()); }

std::string Pem(const char* label, std::span<const uint8_t> der) {
  size_t length = 0;
  EVP_EncodedLength(&length, der.size());
  std::string b64(length, '\0');
  const size_t n = EVP_EncodeBlock(reinterpret_cast<uint8_t*>(b64.data()), der.data(), der.size());
  b64.resize(n);
  std::string out = std::string("-----BEGIN ") + label + "-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  return out + "-----END " + label + "-----\n";
}

int MakeCreds(const std::string& dir, const std::string& scheme_name) {
  const auto scheme = scheme_name == "rsa" ? crypto::SignatureScheme::kRsa2048Sha256
                                           : crypto::SignatureScheme::kEcdsaP256Sha256;
  const int64_t now = static_cast<int64_t>(WallMs() / 1000);
  auto ca = crypto::CertificateAuthority::Create("p2psip interop CA", scheme, now - 86400,
                                                 now + 7 * 86400);
  if (!ca.ok()) return Fail(3, ca.status().ToString());
  bool ok = WriteFile(dir + "/ca.pem", Pem("CERTIFICATE", ca->root().der())) &&
            WriteFile(dir + "/ca.der", AsString(ca->root().der()));
  const std::map<std::string, uint8_t> who = {{"probe", 0xA1}, {"peer", 0xB2}};
  for (const auto& [name, id_byte] : who) {
    auto key = crypto::SigningKey::Generate(scheme);
    if (!key.ok()) return Fail(3, key.status().ToString());
    const std::vector<NodeId> ids = {NodeId(Bytes(16, id_byte))};
    auto cert = ca->Issue(key->PublicKeyDer(), ids, name + "@interop.example.org",
                          "interop.example.org", now - 3600, now + 86400, id_byte);
    if (!cert.ok()) return Fail(3, cert.status().ToString());
    const Bytes pkcs8 = key->PrivateKeyDer();
    ok = ok && WriteFile(dir + "/" + name + ".pem", Pem("CERTIFICATE", cert->der())) &&
         WriteFile(dir + "/" + name + ".key", Pem("PRIVATE KEY", pkcs8)) &&
         WriteFile(dir + "/" + name + ".der", AsString(cert->der())) &&
         WriteFile(dir + "/" + name + ".key.der", AsString(pkcs8)) &&
         WriteFile(dir + "/" + name + ".nodeid", ids[0].ToHex() + "\n");
  }
  if (!ok) return Fail(3, "cannot write the credentials to " + dir);
  std::printf("CREDS %s %s\n", dir.c_str(), scheme_name.c_str());
  return 0;
}

struct RunArgs {
  std::map<std::string, std::string> flags;
  std::string Get(const std::string& k, const std::string& fallback = "") const {
    auto it = flags.find(k);
    return it == flags.end() ? fallback : it->second;
  }
};

// The socket: for a server, bound and (for TCP) accepted / (for UDP) connected to the first
// sender; for a client, connected. `first` receives a UDP server's first datagram.
int OpenSocket(bool server, bool dtls, int port, uint64_t deadline, Bytes* first) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int fd = ::socket(AF_INET, dtls ? SOCK_DGRAM : SOCK_STREAM, 0);
  if (fd < 0) return -1;
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  if (!server) return ::connect(fd, sa, sizeof(addr)) == 0 ? fd : (::close(fd), -1);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd, sa, sizeof(addr)) != 0 || (!dtls && ::listen(fd, 1) != 0)) {
    ::close(fd);
    return -1;
  }
  std::printf("LISTENING port=%d\n", port);
  std::fflush(stdout);
  pollfd p{fd, POLLIN, 0};
  const uint64_t now = WallMs();
  if (now >= deadline || ::poll(&p, 1, static_cast<int>(deadline - now)) != 1) {
    ::close(fd);
    return -1;
  }
  if (!dtls) {
    const int conn = ::accept(fd, nullptr, nullptr);
    ::close(fd);
    return conn;
  }
  sockaddr_in from{};
  socklen_t from_len = sizeof(from);
  first->resize(65536);
  const ssize_t n = ::recvfrom(fd, first->data(), first->size(), 0,
                               reinterpret_cast<sockaddr*>(&from), &from_len);
  if (n < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&from), from_len) != 0) {
    ::close(fd);
    return -1;
  }
  first->resize(static_cast<size_t>(n));
  return fd;
}

bool Flush(int fd, link::SecureSession& session) {
  for (const Bytes& d : session.TakeOutput()) {
    size_t done = 0;
    while (done < d.size()) {
      const ssize_t n = ::send(fd, d.data() + done, d.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == ECONNREFUSED) break;  // UDP: the peer is not there (yet)
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
  }
  return true;
}

int Run(const RunArgs& args) {
  const bool server = args.Get("--role") == "server";
  const bool dtls = args.Get("--transport", "dtls") == "dtls";
  const std::string dir = args.Get("--creds");
  const int port = std::atoi(args.Get("--port", "0").c_str());
  const std::string send_line = args.Get("--send", "hello from p2psip");
  const std::string expect = args.Get("--expect", "hello from openssl");
  const uint64_t deadline = WallMs() + std::stoull(args.Get("--timeout-ms", "20000"));
  if (dir.empty() || port <= 0) return Fail(3, "usage: run needs --creds and --port");

  const std::string key_der = ReadFile(dir + "/probe.key.der");
  auto key = crypto::SigningKey::FromPrivateKeyDer(AsBytes(key_der));
  auto cert = crypto::Certificate::FromDer(AsBytes(ReadFile(dir + "/probe.der")));
  auto root = crypto::Certificate::FromDer(AsBytes(ReadFile(dir + "/ca.der")));
  std::string peer_hex = ReadFile(dir + "/peer.nodeid");
  while (!peer_hex.empty() && (peer_hex.back() == '\n' || peer_hex.back() == '\r'))
    peer_hex.pop_back();
  const std::optional<NodeId> peer_id = NodeId::FromHex(peer_hex);
  if (!key.ok() || !cert.ok() || !root.ok() || !peer_id)
    return Fail(3, "bad credentials in " + dir);
  auto trust = crypto::TrustStore::Create(std::vector<crypto::Certificate>{*root});
  if (!trust.ok()) return Fail(3, trust.status().ToString());
  link::SecureContextOptions options;
  options.transport = dtls ? link::SecureTransport::kDatagram : link::SecureTransport::kStream;
  options.key_log_path = args.Get("--keylog");
  auto context = link::SecureContext::Create(
      *key, {*cert}, std::make_shared<const crypto::TrustStore>(*std::move(trust)), options);
  if (!context.ok()) return Fail(3, context.status().ToString());

  Bytes first;
  const int fd = OpenSocket(server, dtls, port, deadline, &first);
  if (fd < 0) return Fail(3, std::string("socket: ") + std::strerror(errno));
  auto session = link::SecureSession::Create(
      *context, server ? link::SecureRole::kServer : link::SecureRole::kClient, peer_id, WallMs());
  if (!session.ok()) return Fail(1, session.status().ToString());
  if (!first.empty()) (void)session->OnReceive(first, WallMs());

  bool sent = false, announced = false;
  std::string received;
  Bytes buffer(65536);
  int code = 2;
  while (true) {
    if (!Flush(fd, *session)) {
      code = Fail(3, "send failed");
      break;
    }
    if (session->state() == link::SecureSession::State::kFailed) {
      code = Fail(1, session->status().ToString());
      break;
    }
    if (session->established() && !announced) {
      announced = true;
      std::printf("ESTABLISHED peer=%s suite=%s\n", session->PeerNodeIds().front().ToHex().c_str(),
                  std::string(session->CipherSuite()).c_str());
      std::fflush(stdout);
    }
    if (session->established() && !sent) {
      sent = true;
      if (!session->Send(AsBytes(send_line + "\n")).ok()) {
        code = Fail(1, "send");
        break;
      }
      continue;
    }
    for (const Bytes& r : session->TakeReceived()) received += AsString(r);
    if (size_t eol = received.find('\n'); eol != std::string::npos) {
      std::string line = received.substr(0, eol);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      std::printf("RECEIVED %s\n", line.c_str());
      std::fflush(stdout);
      code = line == expect ? 0 : Fail(1, "unexpected line");
      session->Close();
      (void)Flush(fd, *session);
      break;
    }
    if (session->state() == link::SecureSession::State::kClosed) {
      code = Fail(1, "the peer closed the session first");
      break;
    }
    const uint64_t now = WallMs();
    if (now >= deadline) {
      code = Fail(2, "timeout");
      break;
    }
    uint64_t wake = deadline;
    if (auto due = session->NextTimeout(now)) wake = std::min(wake, *due);
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(wake > now ? wake - now : 0));
    if (ready == 1) {
      const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
      if (n == 0 && !dtls) {
        code = Fail(1, "the peer closed the connection");
        break;
      }
      if (n > 0) (void)session->OnReceive({buffer.data(), static_cast<size_t>(n)}, WallMs());
    } else if (ready == 0) {
      (void)session->OnTimeout(WallMs());
    }
  }
  const auto& c = session->counters();
  std::printf("COUNTERS sealed=%llu opened=%llu dropped=%llu timeouts=%llu\n",
              static_cast<unsigned long long>(c.records_sealed),
              static_cast<unsigned long long>(c.records_opened),
              static_cast<unsigned long long>(c.bad_records_dropped),
              static_cast<unsigned long long>(c.handshake_timeouts_fired));
  std::fflush(stdout);
  ::close(fd);
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "creds" && argc >= 3) return MakeCreds(argv[2], argc >= 4 ? argv[3] : "ecdsa");
  if (command == "run") {
    RunArgs args;
    for (int i = 2; i + 1 < argc; i += 2) args.flags[argv[i]] = argv[i + 1];
    return Run(args);
  }
  std::fprintf(stderr, "usage: %s creds DIR [ecdsa|rsa] | run --role ... (see source)\n", argv[0]);
  return 3;
}

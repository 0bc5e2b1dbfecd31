// The HTTPS server's connection handling on 127.0.0.1: the connection limit, a client that
// never speaks, a peer that is not TLS. Loops are bounded in count and time; nothing asserts
// how fast anything is.
#include "p2psip/bootstrap/https_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <functional>
#include <string>
#include <thread>

#include "p2psip/bootstrap/https_client.h"
#include "p2psip/crypto/server_certificate.h"

namespace p2psip::bootstrap {
namespace {

constexpr char kName[] = "server.test";

// Polls `done` every 10 ms for at most 10 s.
bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

class HttpsServerTest : public ::testing::Test {
 protected:
  void StartServer(size_t max_connections, absl::Duration io_timeout) {
    const int64_t now = std::time(nullptr);
    absl::StatusOr<crypto::CertificateAuthority> ca = crypto::CertificateAuthority::Create(
        "CA", crypto::SignatureScheme::kEcdsaP256Sha256, now - 60, now + 3600);
    absl::StatusOr<crypto::SigningKey> key =
        crypto::SigningKey::Generate(crypto::SignatureScheme::kEcdsaP256Sha256);
    ASSERT_TRUE(ca.ok() && key.ok());
    const std::vector<uint8_t> spki = key->PublicKeyDer();
    const std::vector<std::string> ips = {"127.0.0.1"};
    absl::StatusOr<crypto::Certificate> cert =
        crypto::IssueServerCertificate(*ca, {.subject_public_key_der = spki,
                                             .overlay_name = kName,
                                             .ip_addresses = ips,
                                             .not_before_s = now - 60,
                                             .not_after_s = now + 3600,
                                             .serial = 2});
    ASSERT_TRUE(cert.ok()) << cert.status();
    root_ = ca->root();
    const std::span<const uint8_t> der = cert->der();
    absl::StatusOr<std::unique_ptr<HttpsServer>> server = HttpsServer::Start(
        {.listen_address = "127.0.0.1",
         .port = 0,
         .certificate_der = std::vector<uint8_t>(der.begin(), der.end()),
         .private_key_der = key->PrivateKeyDer(),
         .max_connections = max_connections,
         .io_timeout = io_timeout,
         .limits = {}},
        [](const HttpRequest& r) { return HttpResponse::Make(200, "text/plain", r.target); });
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  absl::StatusOr<HttpResponse> Get(std::string path) {
    HttpsClientOptions o;
    o.roots = {*root_};
    o.accepted_names = {kName};
    o.timeout = absl::Seconds(5);
    HttpRequest r;
    r.method = "GET";
    return HttpsRequest(
        *ParseHttpsUrl("https://127.0.0.1:" + std::to_string(server_->port()) + path), r, o);
  }

  // A plain TCP connection to the server (no TLS).
  int RawConnect() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(server_->port());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    return fd;
  }

  std::optional<crypto::Certificate> root_;
  std::unique_ptr<HttpsServer> server_;
};

TEST_F(HttpsServerTest, AnswersAndRefusesConnectionsBeyondTheLimit) {
  StartServer(/*max_connections=*/1, absl::Seconds(30));
  absl::StatusOr<HttpResponse> ok = Get("/hello");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->body, "/hello");
  ASSERT_TRUE(Eventually([&] { return server_->stats().active == 0; }));

  // A silent client holds the only slot...
  const int silent = RawConnect();
  ASSERT_TRUE(Eventually([&] { return server_->stats().accepted == 2; }));
  absl::StatusOr<HttpResponse> refused = Get("/busy");
  EXPECT_FALSE(refused.ok());
  EXPECT_GE(server_->stats().refused_busy, 1u);
  // ...until it goes away.
  ::close(silent);
  EXPECT_TRUE(Eventually([&] { return Get("/again").ok(); }));
}

TEST_F(HttpsServerTest, DropsASilentClientAfterTheTimeout) {
  StartServer(4, absl::Milliseconds(200));
  const int fd = RawConnect();
  // The server gives up on the handshake and closes: we read end of stream (bounded wait).
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 10000), 1);
  char c;
  EXPECT_LE(::recv(fd, &c, 1, 0), 0);
  ::close(fd);
  EXPECT_TRUE(Eventually([&] { return server_->stats().tls_failures == 1; }));
  EXPECT_TRUE(Get("/still-serving").ok());
}

TEST_F(HttpsServerTest, APeerThatIsNotTlsIsCountedAndClosed) {
  StartServer(4, absl::Seconds(5));
  const int fd = RawConnect();
  const std::string plain = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(fd, plain.data(), plain.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(plain.size()));
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 10000), 1);
  ::close(fd);
  EXPECT_TRUE(Eventually([&] { return server_->stats().tls_failures == 1; }));
  server_->Stop();
  EXPECT_FALSE(Get("/after-stop").ok());
}

}  // namespace
}  // namespace p2psip::bootstrap

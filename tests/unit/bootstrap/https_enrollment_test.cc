// Enrollment over the real HTTPS server on 127.0.0.1 (ephemeral port, in-process threads): fetch
// the configuration, enroll and verify; a wrong password; a client that trusts another root;
// a server name that does not match; the routes' errors; reload of the document; Stop().
#include <gtest/gtest.h>
#include <unistd.h>

#include <ctime>
#include <string>

#include "p2psip/bootstrap/enrollment_client.h"
#include "p2psip/bootstrap/file_util.h"
#include "p2psip/bootstrap/https_client.h"
#include "p2psip/bootstrap/server_directory.h"
#include "temp_dir.h"
#include "test_overlay.h"

namespace p2psip::bootstrap {
namespace {

constexpr char kOverlay[] = "overlay.test";
const absl::Duration kTimeout = absl::Seconds(10);

crypto::Certificate ReadCert(const std::string& path) {
  const std::string der = *ReadFileBounded(path, 1 << 16);
  return *crypto::Certificate::FromDer(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(der.data()), der.size()));
}

class HttpsEnrollmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    ASSERT_TRUE(
        testing::MakeOverlayDirectory(dir_.path(), kOverlay, "https://127.0.0.1:1/enroll").ok());
    OverlayDirectory d{dir_.path()};
    absl::StatusOr<std::unique_ptr<EnrollmentServer>> server =
        EnrollmentServer::Start({.dir = dir_.path(),
                                 .listen_address = "127.0.0.1",
                                 .port = 0,
                                 .max_node_ids = 2,
                                 .io_timeout = absl::Seconds(5),
                                 .on_enroll = [this](const EnrollmentResult& r) {
                                   ++enrollments_;
                                   (void)r;
                                 }});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    root_ = ReadCert(d.CaCert());
    // The real port is known only now: rewrite the document, which the server re-reads.
    port_ = server_->port();
    ASSERT_TRUE(
        WriteFileAtomic(d.Config(), testing::OverlayXml(kOverlay, EnrollUrl(), *root_), 0644).ok());
    UserDatabase users;
    ASSERT_TRUE(users.SetPassword("alice", "alice-pw", 1000).ok());
    ASSERT_TRUE(users.Save(d.Users()).ok());
  }

  std::string EnrollUrl() const { return absl::StrCat("https://127.0.0.1:", port_, "/enroll"); }
  std::string ConfigUrl() const {
    return absl::StrCat("https://127.0.0.1:", port_, "/.well-known/reload-config");
  }
  absl::StatusOr<HttpResponse> Raw(std::string method, std::string path, std::string body = "") {
    HttpRequest r;
    r.method = std::move(method);
    r.body = std::move(body);
    HttpsClientOptions o;
    o.roots = {*root_};
    o.accepted_names = {kOverlay};
    o.timeout = kTimeout;
    return HttpsRequest(*ParseHttpsUrl(absl::StrCat("https://127.0.0.1:", port_, path)),
                        std::move(r), o);
  }

  testing::TempDir dir_;
  std::unique_ptr<EnrollmentServer> server_;
  std::optional<crypto::Certificate> root_;
  uint16_t port_ = 0;
  int enrollments_ = 0;
};

TEST_F(HttpsEnrollmentTest, FetchEnrollVerify) {
  const crypto::Certificate roots[] = {*root_};
  absl::StatusOr<FetchedConfiguration> fetched =
      FetchConfiguration(ConfigUrl(), roots, kOverlay, kTimeout);
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  EXPECT_EQ(fetched->configuration.instance_name, kOverlay);
  ASSERT_EQ(fetched->configuration.enrollment_servers.size(), 1u);
  EXPECT_EQ(fetched->configuration.enrollment_servers[0], EnrollUrl());
  EXPECT_EQ(fetched->document, *ReadFileBounded(OverlayDirectory{dir_.path()}.Config(), 1 << 20));

  absl::StatusOr<crypto::SigningKey> key =
      crypto::SigningKey::Generate(crypto::SignatureScheme::kEcdsaP256Sha256);
  ASSERT_TRUE(key.ok());
  absl::StatusOr<Enrollment> enrolled =
      Enroll(fetched->configuration, *key, {.user = "alice", .password = "alice-pw", .node_ids = 2},
             std::time(nullptr), kTimeout);
  ASSERT_TRUE(enrolled.ok()) << enrolled.status();
  EXPECT_EQ(enrolled->node_ids.size(), 2u);
  EXPECT_EQ(enrolled->certificate.user_name(), "alice");
  EXPECT_EQ(enrollments_, 1);

  // Renewal over the wire: same Node-IDs.
  absl::StatusOr<Enrollment> again =
      Enroll(fetched->configuration, *key, {.user = "alice", .password = "alice-pw", .node_ids = 2},
             std::time(nullptr), kTimeout);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->node_ids, enrolled->node_ids);
  EXPECT_GE(server_->https().stats().requests, 3u);
}

TEST_F(HttpsEnrollmentTest, WrongPasswordIsFailedAuthentication) {
  const crypto::Certificate roots[] = {*root_};
  absl::StatusOr<FetchedConfiguration> fetched =
      FetchConfiguration(ConfigUrl(), roots, "", kTimeout);
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  absl::StatusOr<crypto::SigningKey> key =
      crypto::SigningKey::Generate(crypto::SignatureScheme::kEcdsaP256Sha256);
  absl::StatusOr<Enrollment> enrolled =
      Enroll(fetched->configuration, *key, {.user = "alice", .password = "wrong"},
             std::time(nullptr), kTimeout);
  ASSERT_FALSE(enrolled.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(enrolled.status()));
  EXPECT_NE(enrolled.status().message().find("failed_authentication"), absl::string_view::npos)
      << enrolled.status();
  absl::StatusOr<Enrollment> too_many =
      Enroll(fetched->configuration, *key, {.user = "alice", .password = "alice-pw", .node_ids = 3},
             std::time(nullptr), kTimeout);
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(too_many.status().message().find("Node-IDs_not_available"), absl::string_view::npos);
}

TEST_F(HttpsEnrollmentTest, AClientTrustingAnotherRootRefusesTheServer) {
  absl::StatusOr<crypto::CertificateAuthority> other =
      crypto::CertificateAuthority::Create("other", crypto::SignatureScheme::kEcdsaP256Sha256,
                                           std::time(nullptr) - 60, std::time(nullptr) + 3600);
  ASSERT_TRUE(other.ok());
  const crypto::Certificate roots[] = {other->root()};
  absl::StatusOr<FetchedConfiguration> fetched =
      FetchConfiguration(ConfigUrl(), roots, kOverlay, kTimeout);
  ASSERT_FALSE(fetched.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(fetched.status())) << fetched.status();
  EXPECT_NE(fetched.status().message().find("untrusted"), absl::string_view::npos);
}

TEST_F(HttpsEnrollmentTest, ANameTheCertificateDoesNotCarryIsRefused) {
  HttpsClientOptions o;
  o.roots = {*root_};
  o.accepted_names = {"other.test"};
  HttpRequest r;
  r.method = "GET";
  absl::StatusOr<HttpResponse> response = HttpsRequest(*ParseHttpsUrl(ConfigUrl()), r, o);
  ASSERT_FALSE(response.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(response.status())) << response.status();
  // ...while the overlay name and 127.0.0.1 are both fine.
  o.accepted_names = {"127.0.0.1"};
  EXPECT_TRUE(HttpsRequest(*ParseHttpsUrl(ConfigUrl()), r, o).ok());
}

TEST_F(HttpsEnrollmentTest, RoutesAndLimits) {
  absl::StatusOr<HttpResponse> r = Raw("GET", "/.well-known/reload-config");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(*r->headers.Find("Content-Type"), "application/p2p-overlay+xml");
  EXPECT_EQ(Raw("GET", "/nothing-here")->status, 404);
  EXPECT_EQ(Raw("POST", "/.well-known/reload-config")->status, 405);
  EXPECT_EQ(Raw("GET", "/enroll")->status, 405);
  EXPECT_EQ(Raw("POST", "/enroll", "not multipart")->status, 400);
  EXPECT_EQ(Raw("POST", "/enroll", std::string(HttpLimits{}.max_body_bytes + 1, 'x'))->status, 413);

  // The document is re-read when it changes, and 404 while it is gone.
  const std::string path = OverlayDirectory{dir_.path()}.Config();
  const std::string changed = testing::OverlayXml(kOverlay, "https://127.0.0.1:2/enroll", *root_);
  ASSERT_TRUE(WriteFileAtomic(path, changed, 0644).ok());
  EXPECT_EQ(Raw("GET", "/.well-known/reload-config")->body, changed);
  ASSERT_EQ(::unlink(path.c_str()), 0);
  EXPECT_EQ(Raw("GET", "/.well-known/reload-config")->status, 404);
}

TEST_F(HttpsEnrollmentTest, StopClosesTheListener) {
  EXPECT_TRUE(Raw("GET", "/.well-known/reload-config").ok());
  server_->Stop();
  absl::StatusOr<HttpResponse> after = Raw("GET", "/.well-known/reload-config");
  ASSERT_FALSE(after.ok());
  EXPECT_TRUE(absl::IsUnavailable(after.status())) << after.status();
  server_->Stop();  // idempotent
}

TEST_F(HttpsEnrollmentTest, ReusesItsHttpsCertificateOnRestart) {
  const crypto::Certificate first = server_->https_certificate();
  server_.reset();
  absl::StatusOr<std::unique_ptr<EnrollmentServer>> again =
      EnrollmentServer::Start({.dir = dir_.path(), .listen_address = "127.0.0.1", .port = 0});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->https_certificate(), first);
}

// A port another server holds: Start says so (it used to crash in the half-made server's
// destructor, which p2psipd hit when its HTTPS port was taken).
TEST_F(HttpsEnrollmentTest, APortInUseIsAnErrorNotACrash) {
  absl::StatusOr<std::unique_ptr<EnrollmentServer>> second =
      EnrollmentServer::Start({.dir = dir_.path(), .listen_address = "127.0.0.1", .port = port_});
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(Raw("GET", "/.well-known/reload-config").ok());  // the first still serves
}

}  // namespace
}  // namespace p2psip::bootstrap

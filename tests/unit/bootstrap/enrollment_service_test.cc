// The enrollment service without a network (RFC 6940 §11.3): every outcome and its 403 token,
// renewal with the same Node-IDs, the certificate's contents and chain, and the counters.
#include "p2psip/bootstrap/enrollment_service.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "p2psip/bootstrap/issued_node_ids.h"
#include "p2psip/bootstrap/multipart.h"
#include "p2psip/crypto/csr.h"
#include "temp_dir.h"

namespace p2psip::bootstrap {
namespace {

constexpr int64_t kNow = 1700000000;
constexpr char kOverlay[] = "overlay.example.org";

std::string Str(std::span<const uint8_t> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

class EnrollmentServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    absl::StatusOr<crypto::CertificateAuthority> ca = crypto::CertificateAuthority::Create(
        "CA", crypto::SignatureScheme::kEcdsaP256Sha256, kNow - 86400, kNow + 365 * 86400);
    ASSERT_TRUE(ca.ok());
    root_ = ca->root();
    UserDatabase users;
    ASSERT_TRUE(users.SetPassword("alice@example.org", "alice-pw", 1000).ok());
    ASSERT_TRUE(users.Save(dir_.path() + "/users").ok());
    options_ = {.overlay_name = kOverlay,
                .node_id_length = 16,
                .max_node_ids = 3,
                .validity_s = 7 * 86400,
                .users_path = dir_.path() + "/users",
                .issued_path = dir_.path() + "/issued",
                .now_s = [] { return kNow; }};
    absl::StatusOr<std::unique_ptr<EnrollmentService>> service =
        EnrollmentService::Create(*std::move(ca), options_);
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = *std::move(service);
    key_ = std::make_unique<crypto::SigningKey>(
        *crypto::SigningKey::Generate(crypto::SignatureScheme::kEcdsaP256Sha256));
  }

  HttpRequest Request(std::string user, std::string password, std::string csr,
                      std::string nodeids = "") {
    std::vector<FormPart> parts = {
        {.name = "username", .data = std::move(user)},
        {.name = "password", .data = std::move(password)},
        {.name = "csr", .content_type = "application/pkcs10", .data = std::move(csr)}};
    if (!nodeids.empty()) parts.push_back({.name = "nodeids", .data = std::move(nodeids)});
    const FormData form = BuildFormData(parts);
    HttpRequest r;
    r.method = "POST";
    r.target = "/enroll";
    r.headers.Set("Content-Type", form.content_type);
    r.headers.Set("Accept", "application/pkix-cert");
    r.body = form.body;
    return r;
  }
  std::string Csr(const crypto::SigningKey& key) { return Str(*crypto::CreateCsr(key)); }

  void ExpectRefused(const EnrollmentResult& r, EnrollmentOutcome outcome, const char* token) {
    EXPECT_EQ(r.outcome, outcome) << r.detail;
    EXPECT_EQ(r.response.status, 403);
    EXPECT_EQ(r.response.body, token);
    EXPECT_EQ(*r.response.headers.Find("Content-Type"), "text/plain");
    EXPECT_FALSE(r.cert.has_value());
  }

  testing::TempDir dir_;
  EnrollmentOptions options_;
  std::optional<crypto::Certificate> root_;
  std::unique_ptr<EnrollmentService> service_;
  std::unique_ptr<crypto::SigningKey> key_;
};

TEST_F(EnrollmentServiceTest, IssuesACertificateThatNamesTheUserAndChains) {
  const EnrollmentResult r = service_->Enroll(Request("alice@example.org", "alice-pw", Csr(*key_)));
  ASSERT_EQ(r.outcome, EnrollmentOutcome::kIssued) << r.detail;
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(*r.response.headers.Find("Content-Type"), "application/pkix-cert");
  absl::StatusOr<crypto::Certificate> cert = crypto::Certificate::FromDer(std::span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(r.response.body.data()), r.response.body.size()));
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_EQ(cert->user_name(), "alice@example.org");
  ASSERT_EQ(cert->node_ids().size(), 1u);
  EXPECT_EQ(cert->node_ids(), r.node_ids);
  EXPECT_EQ(cert->node_ids()[0].size(), 16u);
  EXPECT_TRUE(std::ranges::equal(cert->public_key_der(), key_->PublicKeyDer()));
  EXPECT_LE(cert->not_before(), kNow);
  EXPECT_EQ(cert->not_after(), kNow + 7 * 86400);
  EXPECT_FALSE(cert->IsCa());
  const crypto::Certificate roots[] = {*root_};
  absl::StatusOr<crypto::TrustStore> store = crypto::TrustStore::Create(roots);
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE(store->Verify(*cert, {}, kNow).ok());
  EXPECT_EQ(service_->counters()[static_cast<size_t>(EnrollmentOutcome::kIssued)], 1u);
}

TEST_F(EnrollmentServiceTest, RenewalReissuesTheSameNodeIdsEvenAfterARestart) {
  const EnrollmentResult first =
      service_->Enroll(Request("alice@example.org", "alice-pw", Csr(*key_), "2"));
  ASSERT_EQ(first.outcome, EnrollmentOutcome::kIssued) << first.detail;
  ASSERT_EQ(first.node_ids.size(), 2u);
  EXPECT_NE(first.node_ids[0], first.node_ids[1]);
  // A new key, a new service over the same files.
  absl::StatusOr<crypto::SigningKey> other =
      crypto::SigningKey::Generate(crypto::SignatureScheme::kRsa2048Sha256);
  ASSERT_TRUE(other.ok());
  absl::StatusOr<crypto::CertificateAuthority> ca2 = crypto::CertificateAuthority::Create(
      "CA2", crypto::SignatureScheme::kEcdsaP256Sha256, kNow - 86400, kNow + 86400);
  std::unique_ptr<EnrollmentService> restarted =
      *EnrollmentService::Create(*std::move(ca2), options_);
  const EnrollmentResult again =
      restarted->Enroll(Request("alice@example.org", "alice-pw", Csr(*other), "2"));
  ASSERT_EQ(again.outcome, EnrollmentOutcome::kIssued) << again.detail;
  EXPECT_EQ(again.node_ids, first.node_ids);
  EXPECT_EQ(again.cert->node_ids(), first.node_ids);
  const EnrollmentResult one =
      restarted->Enroll(Request("alice@example.org", "alice-pw", Csr(*other)));
  ASSERT_EQ(one.outcome, EnrollmentOutcome::kIssued);
  EXPECT_EQ(one.node_ids, std::vector<NodeId>{first.node_ids[0]});
}

TEST_F(EnrollmentServiceTest, EachRefusalHasItsToken) {
  const std::string csr = Csr(*key_);
  ExpectRefused(service_->Enroll(Request("alice@example.org", "wrong", csr)),
                EnrollmentOutcome::kFailedAuthentication, "failed_authentication");
  ExpectRefused(service_->Enroll(Request("mallory@example.org", "alice-pw", csr)),
                EnrollmentOutcome::kFailedAuthentication, "failed_authentication");
  ExpectRefused(service_->Enroll(Request("", "", csr)), EnrollmentOutcome::kFailedAuthentication,
                "failed_authentication");
  ExpectRefused(service_->Enroll(Request("bad name", "alice-pw", csr)),
                EnrollmentOutcome::kUsernameNotAvailable, "username_not_available");
  for (const char* n : {"4", "0", "x", "-1", "99999999999"}) {
    SCOPED_TRACE(n);
    ExpectRefused(service_->Enroll(Request("alice@example.org", "alice-pw", csr, n)),
                  EnrollmentOutcome::kNodeIdsNotAvailable, "Node-IDs_not_available");
  }
  ExpectRefused(service_->Enroll(Request("alice@example.org", "alice-pw", "not a CSR")),
                EnrollmentOutcome::kBadCsr, "bad_CSR");
  std::string tampered = csr;
  tampered.back() ^= 1;
  ExpectRefused(service_->Enroll(Request("alice@example.org", "alice-pw", tampered)),
                EnrollmentOutcome::kBadCsr, "bad_CSR");
  ExpectRefused(service_->Enroll(Request("alice@example.org", "alice-pw", "")),
                EnrollmentOutcome::kBadCsr, "bad_CSR");
  // Authentication comes first: a bad CSR with a wrong password says failed_authentication.
  ExpectRefused(service_->Enroll(Request("alice@example.org", "nope", "junk")),
                EnrollmentOutcome::kFailedAuthentication, "failed_authentication");

  const auto counters = service_->counters();
  EXPECT_EQ(counters[static_cast<size_t>(EnrollmentOutcome::kFailedAuthentication)], 4u);
  EXPECT_EQ(counters[static_cast<size_t>(EnrollmentOutcome::kUsernameNotAvailable)], 1u);
  EXPECT_EQ(counters[static_cast<size_t>(EnrollmentOutcome::kNodeIdsNotAvailable)], 5u);
  EXPECT_EQ(counters[static_cast<size_t>(EnrollmentOutcome::kBadCsr)], 3u);
  EXPECT_EQ(counters[static_cast<size_t>(EnrollmentOutcome::kIssued)], 0u);
}

TEST_F(EnrollmentServiceTest, NotMultipartIsBadRequest) {
  HttpRequest r;
  r.method = "POST";
  r.target = "/enroll";
  r.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  r.body = "username=alice&password=x";
  EnrollmentResult result = service_->Enroll(r);
  EXPECT_EQ(result.outcome, EnrollmentOutcome::kBadRequest);
  EXPECT_EQ(result.response.status, 400);
  r.headers.Set("Content-Type", "multipart/form-data; boundary=zz");
  r.body = "--zz\r\nbroken";
  EXPECT_EQ(service_->Enroll(r).response.status, 400);
}

TEST_F(EnrollmentServiceTest, PicksUpUsersAddedWhileRunning) {
  const std::string csr = Csr(*key_);
  ExpectRefused(service_->Enroll(Request("bob", "bob-pw", csr)),
                EnrollmentOutcome::kFailedAuthentication, "failed_authentication");
  UserDatabase users = *UserDatabase::Load(options_.users_path);
  ASSERT_TRUE(users.SetPassword("bob", "bob-pw", 1000).ok());
  ASSERT_TRUE(users.Save(options_.users_path).ok());
  const EnrollmentResult r = service_->Enroll(Request("bob", "bob-pw", csr));
  EXPECT_EQ(r.outcome, EnrollmentOutcome::kIssued) << r.detail;
  EXPECT_EQ(r.cert->user_name(), "bob");
}

// Node-IDs recorded by another writer while the service runs (p2psip enroll-user --provision):
// the provisioned user keeps them when it enrolls, and the service's next save keeps them.
TEST_F(EnrollmentServiceTest, PicksUpNodeIdsIssuedByAnotherWriterWhileRunning) {
  ASSERT_EQ(service_->Enroll(Request("alice@example.org", "alice-pw", Csr(*key_))).outcome,
            EnrollmentOutcome::kIssued);
  IssuedNodeIds issued = *IssuedNodeIds::Load(options_.issued_path);
  bool added = false;
  const std::vector<NodeId> carol = *issued.Assign("carol@example.org", 1, 16, &added);
  ASSERT_TRUE(added);
  ASSERT_TRUE(issued.Save(options_.issued_path).ok());

  UserDatabase users = *UserDatabase::Load(options_.users_path);
  ASSERT_TRUE(users.SetPassword("carol@example.org", "carol-pw", 1000).ok());
  ASSERT_TRUE(users.SetPassword("dave@example.org", "dave-pw", 1000).ok());
  ASSERT_TRUE(users.Save(options_.users_path).ok());
  const EnrollmentResult r = service_->Enroll(Request("carol@example.org", "carol-pw", Csr(*key_)));
  ASSERT_EQ(r.outcome, EnrollmentOutcome::kIssued) << r.detail;
  EXPECT_EQ(r.node_ids, carol);
  ASSERT_EQ(service_->Enroll(Request("dave@example.org", "dave-pw", Csr(*key_))).outcome,
            EnrollmentOutcome::kIssued);
  const IssuedNodeIds after = *IssuedNodeIds::Load(options_.issued_path);
  ASSERT_NE(after.Find("carol@example.org"), nullptr);
  EXPECT_EQ(*after.Find("carol@example.org"), carol);
  EXPECT_NE(after.Find("alice@example.org"), nullptr);
  EXPECT_NE(after.Find("dave@example.org"), nullptr);
}

TEST(EnrollmentServiceCreateTest, RefusesBadOptions) {
  testing::TempDir dir;
  auto make = [&](EnrollmentOptions o) {
    absl::StatusOr<crypto::CertificateAuthority> ca = crypto::CertificateAuthority::Create(
        "CA", crypto::SignatureScheme::kEcdsaP256Sha256, kNow, kNow + 86400);
    return EnrollmentService::Create(*std::move(ca), std::move(o)).ok();
  };
  const EnrollmentOptions good = {.overlay_name = kOverlay,
                                  .users_path = dir.path() + "/u",
                                  .issued_path = dir.path() + "/i",
                                  .now_s = [] { return kNow; }};
  EXPECT_TRUE(make(good));
  EnrollmentOptions o = good;
  o.overlay_name = "";
  EXPECT_FALSE(make(o));
  o = good;
  o.node_id_length = 21;
  EXPECT_FALSE(make(o));
  o = good;
  o.max_node_ids = 0;
  EXPECT_FALSE(make(o));
  o = good;
  o.validity_s = 0;
  EXPECT_FALSE(make(o));
  o = good;
  o.now_s = nullptr;
  EXPECT_FALSE(make(o));
}

}  // namespace
}  // namespace p2psip::bootstrap

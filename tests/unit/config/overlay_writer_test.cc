// The document writer: what it writes parses into the values it was given, validates with the
// built-in grammar and with xmllint, and re-signing with a new sequence keeps it valid.
#include "p2psip/config/overlay_writer.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "p2psip/config/config_signature.h"
#include "p2psip/config/overlay_apply.h"
#include "p2psip/config/overlay_directory.h"
#include "signing_fixture.h"
#include "test_files.h"

namespace p2psip::config {
namespace {

using testing::Id;
using testing::TestOverlay;
using testing::Write;

// A temporary directory, removed with everything in it when the test ends (also on failure).
class TempDir {
 public:
  TempDir() {
    char templ[] = "/tmp/p2psip-config-XXXXXX";
    const char* made = ::mkdtemp(templ);
    EXPECT_NE(made, nullptr);
    path_ = made != nullptr ? made : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class OverlayWriterTest : public ::testing::Test {
 protected:
  void SetUp() override { signer_ = overlay_.Signer(Id(0xA1)); }
  TestOverlay overlay_;
  std::unique_ptr<core::CertificateSigner> signer_;
};

TEST_F(OverlayWriterTest, OutputParsesIntoTheSpec) {
  OverlaySpec spec = overlay_.Spec(42, {Id(0xA1)}, {Id(0xA1), Id(0xB2)});
  spec.self_signed_permitted = true;
  spec.max_message_size = 6000;
  spec.initial_ttl = 50;
  spec.overlay_reliability_timer_ms = 2500;
  spec.chord_update_interval_s = 300;
  spec.chord_ping_interval_s = 900;
  spec.chord_reactive = false;
  spec.node_id_length = 16;
  const std::string doc = Write(spec, *signer_);
  absl::StatusOr<OverlayDocument> parsed = ParseOverlayDocument(doc);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << doc;
  ASSERT_EQ(parsed->configurations.size(), 1u);
  const OverlayConfiguration& c = parsed->configurations[0];
  EXPECT_EQ(c.instance_name, testing::kOverlayName);
  EXPECT_EQ(c.sequence, 42);
  EXPECT_EQ(c.expiration, testing::kNow + 30 * testing::kDay);
  ASSERT_EQ(c.root_certs.size(), 1u);
  EXPECT_TRUE(std::equal(c.root_certs[0].begin(), c.root_certs[0].end(),
                         overlay_.ca.root().der().begin(), overlay_.ca.root().der().end()));
  EXPECT_EQ(c.enrollment_servers, std::vector<std::string>{"https://127.0.0.1:6084/enroll"});
  EXPECT_TRUE(c.self_signed_permitted);
  EXPECT_EQ(c.self_signed_digest, "sha256");
  ASSERT_EQ(c.bootstrap_nodes.size(), 2u);
  EXPECT_EQ(c.bootstrap_nodes[0].address, "127.0.0.1");
  EXPECT_EQ(c.bootstrap_nodes[1].address, "::1");
  EXPECT_EQ(c.bootstrap_nodes[1].port, 6085);
  EXPECT_EQ(c.max_message_size, 6000u);
  EXPECT_EQ(c.initial_ttl, 50);
  EXPECT_EQ(c.overlay_reliability_timer_ms, 2500u);
  EXPECT_EQ(c.chord_update_interval_s, 300u);
  EXPECT_EQ(c.chord_ping_interval_s, 900u);
  EXPECT_FALSE(c.chord_reactive);
  EXPECT_EQ(c.configuration_signers, std::vector<std::string>{Id(0xA1).ToHex()});
  EXPECT_EQ(c.kind_signers, (std::vector<std::string>{Id(0xA1).ToHex(), Id(0xB2).ToHex()}));
  EXPECT_TRUE(c.warnings.empty());
  EXPECT_TRUE(CheckSupported(c).ok());
}

TEST_F(OverlayWriterTest, BuiltinKindsFollowTheRegistry) {
  const std::string doc = Write(overlay_.Spec(0, {Id(0xA1)}, {Id(0xA1)}), *signer_);
  absl::StatusOr<OverlayDocument> parsed = ParseOverlayDocument(doc);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const OverlayConfiguration& c = parsed->configurations[0];
  ASSERT_EQ(c.required_kinds.size(), 4u);
  // RFC 7904: SIP-REGISTRATION is a dictionary under USER-NODE-MATCH.
  EXPECT_EQ(c.required_kinds[0].definition.name, "SIP-REGISTRATION");
  EXPECT_EQ(c.required_kinds[0].data_model, "DICTIONARY");
  EXPECT_EQ(c.required_kinds[0].access_control, "USER-NODE-MATCH");
  EXPECT_EQ(c.required_kinds[1].access_control, "NODE-MULTIPLE");
  EXPECT_EQ(c.required_kinds[1].definition.max_node_multiple, 20u);
  EXPECT_EQ(c.required_kinds[2].definition.id, 3u);
  EXPECT_EQ(c.required_kinds[3].definition.id, 0x10u);
  for (const RequiredKind& k : c.required_kinds) {
    EXPECT_TRUE(k.registered) << k.line;
    EXPECT_TRUE(k.signature.has_value()) << k.line;
  }
  absl::StatusOr<core::storage::KindRegistry> kinds = KindsOf(c);
  ASSERT_TRUE(kinds.ok()) << kinds.status();
  EXPECT_EQ(kinds->Find(1)->max_count, 10u);
}

TEST_F(OverlayWriterTest, ValidatesWithXmllint) {
  ASSERT_EQ(std::system("xmllint --version >/dev/null 2>&1"), 0)
      << "xmllint is missing: run deploy/install-deps.sh (package libxml2-utils)";
  TempDir dir;
  const std::string file = dir.path() + "/overlay.relo";
  ASSERT_TRUE(
      WriteFileAtomically(file, Write(overlay_.Spec(3, {Id(0xA1)}, {Id(0xA1)}), *signer_), 0644)
          .ok());
  const std::string command = "xmllint --noout --nonet --relaxng '" + testing::GrammarPath() +
                              "' '" + file + "' >/dev/null 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  // And xmllint does reject a broken one, so the check above can fail.
  ASSERT_TRUE(
      WriteFileAtomically(file, "<overlay xmlns=\"urn:ietf:params:xml:ns:p2p:config-base\"/>", 0644)
          .ok());
  EXPECT_NE(std::system(command.c_str()), 0);
}

TEST_F(OverlayWriterTest, ResignWithSequence) {
  const std::string doc = Write(overlay_.Spec(65534, {Id(0xA1)}, {Id(0xA1)}), *signer_);
  absl::StatusOr<std::string> next = ResignWithSequence(doc, testing::kOverlayName, 0, *signer_);
  ASSERT_TRUE(next.ok()) << next.status();
  absl::StatusOr<OverlayDocument> parsed = ParseOverlayDocument(*next);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->configurations[0].sequence, 0);
  EXPECT_TRUE(VerifyDocumentSignatures(*next, *parsed, *signer_).ok());
  // Only the start tag and the signature changed: the kinds are byte-for-byte the same.
  const std::string_view old_kinds = std::string_view(doc).substr(
      doc.find("<required-kinds>"), doc.find("</required-kinds>") - doc.find("<required-kinds>"));
  EXPECT_NE(next->find(old_kinds), std::string::npos);
  EXPECT_EQ(next->find("sequence=\"65534\""), std::string::npos);
  EXPECT_EQ(ResignWithSequence(doc, "nope.example", 1, *signer_).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(OverlayWriterTest, RefusesWhatTheRfcForbids) {
  OverlaySpec spec = overlay_.Spec(0, {Id(0xA1)}, {Id(0xA1)});
  spec.sequence = 65535;
  EXPECT_FALSE(WriteOverlayDocument(spec, *signer_).ok());
  spec = overlay_.Spec(0, {Id(0xA1)}, {Id(0xA1)});
  spec.overlay_reliability_timer_ms = 199;
  EXPECT_FALSE(WriteOverlayDocument(spec, *signer_).ok());
  spec = overlay_.Spec(0, {Id(0xA1)}, {Id(0xA1)});
  spec.instance_name = "";
  EXPECT_FALSE(WriteOverlayDocument(spec, *signer_).ok());
  spec = overlay_.Spec(0, {Id(0xA1)}, {Id(0xA1)});
  spec.enrollment_servers = {std::string("https://x/\x01")};
  EXPECT_FALSE(WriteOverlayDocument(spec, *signer_).ok());
  // Markup in values is escaped, not written raw.
  spec = overlay_.Spec(0, {Id(0xA1)}, {Id(0xA1)});
  spec.instance_name = "a&b<c>.example";
  absl::StatusOr<std::string> doc = WriteOverlayDocument(spec, *signer_);
  ASSERT_TRUE(doc.ok());
  absl::StatusOr<OverlayDocument> parsed = ParseOverlayDocument(*doc);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->configurations[0].instance_name, "a&b<c>.example");
}

TEST(Rfc3339Test, Formats) {
  EXPECT_EQ(Rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(Rfc3339(1700000000), "2023-11-14T22:13:20Z");
}

TEST(ParseBootstrapTest, Forms) {
  absl::StatusOr<OverlaySpec::Bootstrap> v4 = ParseBootstrap("127.0.0.1:7000");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->address, "127.0.0.1");
  EXPECT_EQ(v4->port, 7000);
  absl::StatusOr<OverlaySpec::Bootstrap> v6 = ParseBootstrap("[::1]:7001");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->address, "::1");
  EXPECT_EQ(v6->port, 7001);
  EXPECT_EQ(ParseBootstrap("::1")->port, kDefaultBootstrapPort);
  EXPECT_EQ(ParseBootstrap("127.0.0.1")->port, kDefaultBootstrapPort);
  EXPECT_FALSE(ParseBootstrap("example.org:6084").ok());
  EXPECT_FALSE(ParseBootstrap("127.0.0.1:0").ok());
  EXPECT_FALSE(ParseBootstrap("127.0.0.1:70000").ok());
  EXPECT_FALSE(ParseBootstrap("[::1").ok());
}

TEST(WriteFileAtomicallyTest, ModeAndContent) {
  TempDir dir;
  const std::string path = dir.path() + "/key.der";
  const mode_t old_mask = ::umask(0);  // the mode must not depend on the umask
  ASSERT_TRUE(WriteFileAtomically(path, "secret", 0600).ok());
  ::umask(old_mask);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(ReadWholeFile(path).value_or(""), "secret");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  EXPECT_FALSE(WriteFileAtomically(dir.path() + "/missing/x", "y", 0644).ok());
}

TEST(InitOverlayDirectoryTest, CreatesLayoutAndRefusesNonEmpty) {
  TempDir dir;
  OverlayInitOptions options;
  options.name = "test.example";
  options.dir = dir.path() + "/overlay";
  options.now_s = testing::kNow;
  absl::StatusOr<OverlayInitResult> made = InitOverlayDirectory(options);
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_EQ(made->files.size(), 6u);
  absl::StatusOr<std::string> doc = ReadWholeFile(options.dir + "/overlay.relo");
  ASSERT_TRUE(doc.ok());
  absl::StatusOr<OverlayDocument> parsed = ParseOverlayDocument(*doc);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const OverlayConfiguration& c = parsed->configurations[0];
  EXPECT_EQ(c.enrollment_servers[0], kDefaultEnrollmentUrl);
  EXPECT_EQ(c.bootstrap_nodes[0].address, "127.0.0.1");
  EXPECT_EQ(c.configuration_signers[0], made->signer_id.ToHex());
  absl::StatusOr<std::vector<uint8_t>> root = ReadCertificateFile(options.dir + "/ca/root.pem");
  ASSERT_TRUE(root.ok()) << root.status();
  absl::StatusOr<std::vector<uint8_t>> der = ReadCertificateFile(options.dir + "/ca/root.der");
  ASSERT_TRUE(der.ok()) << der.status();
  EXPECT_EQ(*root, *der);
  absl::StatusOr<crypto::Certificate> root_cert = crypto::Certificate::FromDer(*root);
  ASSERT_TRUE(root_cert.ok()) << root_cert.status();
  absl::StatusOr<std::unique_ptr<core::Signer>> verifier =
      MakeVerifier({*root_cert}, [] { return testing::kNow; });
  ASSERT_TRUE(verifier.ok());
  EXPECT_TRUE(VerifyDocumentSignatures(*doc, *parsed, **verifier).ok());

  EXPECT_EQ(InitOverlayDirectory(options).status().code(), absl::StatusCode::kFailedPrecondition);
  absl::StatusOr<uint16_t> bumped = BumpOverlayDirectory(options.dir, testing::kNow);
  ASSERT_TRUE(bumped.ok()) << bumped.status();
  EXPECT_EQ(*bumped, 1);
}

}  // namespace
}  // namespace p2psip::config

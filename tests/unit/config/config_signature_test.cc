// Signatures of configuration and kind blocks (digest §9.4, §15.2): round trip, exact-byte
// coverage, authorisation, trust and the distinct failures.
#include "p2psip/config/config_signature.h"

#include <string>

#include "gtest/gtest.h"
#include "p2psip/config/overlay_document.h"
#include "signing_fixture.h"

namespace p2psip::config {
namespace {

using testing::Id;
using testing::TestOverlay;
using testing::Write;

class ConfigSignatureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    signer_ = overlay_.Signer(Id(0xA1));
    doc_ = Write(overlay_.Spec(7, {Id(0xA1)}, {Id(0xA1)}), *signer_);
  }

  // Every signature of `text`; the status of the first failure.
  absl::Status VerifyAll(const std::string& text) {
    absl::StatusOr<OverlayDocument> parsed = ParseOverlayDocument(text);
    if (!parsed.ok()) return parsed.status();
    return VerifyDocumentSignatures(text, *parsed, *signer_).status();
  }

  static std::string Replace(std::string text, const std::string& from, const std::string& to) {
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return text;
  }

  TestOverlay overlay_;
  std::unique_ptr<core::CertificateSigner> signer_;
  std::string doc_;
};

TEST_F(ConfigSignatureTest, RoundTripConfigurationAndKinds) {
  absl::StatusOr<OverlayDocument> parsed = ParseOverlayDocument(doc_);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  absl::StatusOr<DocumentSignatures> all = VerifyDocumentSignatures(doc_, *parsed, *signer_);
  ASSERT_TRUE(all.ok()) << all.status();
  // The configuration and the four built-in kinds.
  ASSERT_EQ(all->verified.size(), 5u);
  for (const DocumentSignatures::Entry& e : all->verified) EXPECT_EQ(e.signer, Id(0xA1)) << e.what;

  const OverlayConfiguration& c = parsed->configurations[0];
  absl::StatusOr<core::SignerInfo> config_signer =
      VerifyConfigurationSignature(doc_, c, c.configuration_signers, *signer_);
  ASSERT_TRUE(config_signer.ok()) << config_signer.status();
  EXPECT_EQ(config_signer->node_id, Id(0xA1));
  ASSERT_EQ(c.required_kinds.size(), 4u);
  for (const RequiredKind& k : c.required_kinds) {
    EXPECT_TRUE(VerifyKindSignature(doc_, k, c.kind_signers, *signer_).ok()) << k.line;
  }
}

TEST_F(ConfigSignatureTest, RsaRoundTrip) {
  TestOverlay rsa(crypto::SignatureScheme::kRsa2048Sha256);
  std::unique_ptr<core::CertificateSigner> signer = rsa.Signer(Id(0x52));
  const std::string doc = Write(rsa.Spec(1, {Id(0x52)}, {Id(0x52)}), *signer);
  absl::StatusOr<OverlayDocument> parsed = ParseOverlayDocument(doc);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(VerifyDocumentSignatures(doc, *parsed, *signer).ok());
}

TEST_F(ConfigSignatureTest, SignedElementsAreWhatTheyCover) {
  absl::StatusOr<OverlayDocument> parsed = ParseOverlayDocument(doc_);
  ASSERT_TRUE(parsed.ok());
  const OverlayConfiguration& c = parsed->configurations[0];
  const std::string_view text = c.bytes.Of(doc_);
  EXPECT_TRUE(text.starts_with("<configuration "));
  EXPECT_TRUE(text.ends_with("</configuration>"));
  const std::string_view kind = c.required_kinds[0].bytes.Of(doc_);
  EXPECT_TRUE(kind.starts_with("<kind name=\"SIP-REGISTRATION\">"));
  EXPECT_TRUE(kind.ends_with("</kind>"));
  // A signature made now over the same bytes decodes to the same kind of block.
  const std::string element = SignConfigurationText(text, *signer_);
  EXPECT_TRUE(element.starts_with("<signature>\n"));
  EXPECT_TRUE(element.ends_with("</signature>"));
}

TEST_F(ConfigSignatureTest, OneChangedByteInConfigurationBreaksIt) {
  ASSERT_TRUE(VerifyAll(doc_).ok());
  // White space only: the document means the same, the bytes differ.
  const std::string spaced =
      Replace(doc_, "<node-id-length>16</node-id-length>", "<node-id-length>16 </node-id-length>");
  absl::Status s = VerifyAll(spaced);
  EXPECT_EQ(SignatureFailureOf(s), SignatureFailure::kBadSignature) << s;
  const std::string indented = Replace(doc_, "\n    <topology-plugin>", "\n     <topology-plugin>");
  EXPECT_EQ(SignatureFailureOf(VerifyAll(indented)), SignatureFailure::kBadSignature);
  const std::string value = Replace(doc_, "<initial-ttl>100<", "<initial-ttl>101<");
  EXPECT_EQ(SignatureFailureOf(VerifyAll(value)), SignatureFailure::kBadSignature);
}

TEST_F(ConfigSignatureTest, OneChangedByteInKindBreaksKindSignature) {
  const std::string changed =
      Replace(doc_, "<max-count>10</max-count>", "<max-count>11</max-count>");
  absl::StatusOr<OverlayDocument> parsed = ParseOverlayDocument(changed);
  ASSERT_TRUE(parsed.ok());
  const OverlayConfiguration& c = parsed->configurations[0];
  absl::Status kind_status =
      VerifyKindSignature(changed, c.required_kinds[0], c.kind_signers, *signer_).status();
  EXPECT_EQ(SignatureFailureOf(kind_status), SignatureFailure::kBadSignature) << kind_status;
  EXPECT_TRUE(VerifyKindSignature(changed, c.required_kinds[1], c.kind_signers, *signer_).ok());
  // The kind is inside the configuration, so its signature breaks too.
  EXPECT_EQ(
      SignatureFailureOf(
          VerifyConfigurationSignature(changed, c, c.configuration_signers, *signer_).status()),
      SignatureFailure::kBadSignature);
}

TEST_F(ConfigSignatureTest, SignerNotListedIsNotAuthorised) {
  std::unique_ptr<core::CertificateSigner> other = overlay_.Signer(Id(0xB2));
  const std::string doc = Write(overlay_.Spec(7, {Id(0xA1)}, {Id(0xA1)}), *other);
  absl::Status s = VerifyAll(doc);
  EXPECT_EQ(SignatureFailureOf(s), SignatureFailure::kNotAuthorized) << s;
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(ConfigSignatureTest, CertificateFromAnotherCaIsRejected) {
  TestOverlay stranger(crypto::SignatureScheme::kEcdsaP256Sha256, "another CA");
  // Same Node-ID as the listed signer, but certified by a CA this overlay does not trust.
  std::unique_ptr<core::CertificateSigner> impostor = stranger.Signer(Id(0xA1));
  const std::string doc = Write(overlay_.Spec(7, {Id(0xA1)}, {Id(0xA1)}), *impostor);
  absl::Status s = VerifyAll(doc);
  EXPECT_EQ(SignatureFailureOf(s), SignatureFailure::kBadSignature) << s;
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(ConfigSignatureTest, MissingSignature) {
  const size_t begin = doc_.find("<signature>");
  const size_t end = doc_.find("</signature>");
  ASSERT_NE(begin, std::string::npos);
  std::string unsigned_doc = doc_;
  unsigned_doc.erase(begin, end + std::string("</signature>").size() - begin);
  absl::Status s = VerifyAll(unsigned_doc);
  EXPECT_EQ(SignatureFailureOf(s), SignatureFailure::kMissing) << s;
}

TEST_F(ConfigSignatureTest, MalformedBlob) {
  const size_t begin = doc_.find("<signature>") + std::string("<signature>").size();
  const size_t end = doc_.find("</signature>");
  std::string junk = doc_;
  junk.replace(begin, end - begin, "AAECAwQF");  // six bytes: not a SecurityBlock
  absl::Status s = VerifyAll(junk);
  EXPECT_EQ(SignatureFailureOf(s), SignatureFailure::kMalformed) << s;
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  // The four failures are told apart by their payload; other statuses carry none.
  EXPECT_EQ(SignatureFailureOf(absl::InvalidArgumentError("x")), std::nullopt);
}

TEST_F(ConfigSignatureTest, VerifierWithOnlyTheRoot) {
  absl::StatusOr<std::unique_ptr<core::Signer>> verifier =
      MakeVerifier({overlay_.ca.root()}, [] { return testing::kNow; });
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  absl::StatusOr<OverlayDocument> parsed = ParseOverlayDocument(doc_);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(VerifyDocumentSignatures(doc_, *parsed, **verifier).ok());
  TestOverlay stranger(crypto::SignatureScheme::kEcdsaP256Sha256, "another CA");
  absl::StatusOr<std::unique_ptr<core::Signer>> wrong =
      MakeVerifier({stranger.ca.root()}, [] { return testing::kNow; });
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(SignatureFailureOf(VerifyDocumentSignatures(doc_, *parsed, **wrong).status()),
            SignatureFailure::kBadSignature);
}

TEST(Base64Test, Rfc4648Vectors) {
  auto b = [](std::string_view s) {
    return Base64(std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  };
  EXPECT_EQ(b(""), "");
  EXPECT_EQ(b("f"), "Zg==");
  EXPECT_EQ(b("fo"), "Zm8=");
  EXPECT_EQ(b("foobar"), "Zm9vYmFy");
}

}  // namespace
}  // namespace p2psip::config

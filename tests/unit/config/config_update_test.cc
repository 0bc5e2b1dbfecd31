// ConfigUpdate rules (RFC 6940 §11.1; digest §9.4): newer and signed by a configuration-signer
// of the current configuration is adopted; anything else is rejected with the reason; kinds
// of a dropped kind-signer are reported for dropping; a configuration the node cannot meet makes
// it leave.
#include "p2psip/config/config_update.h"

#include <string>

#include "gtest/gtest.h"
#include "p2psip/config/config_signature.h"
#include "signing_fixture.h"

namespace p2psip::config {
namespace {

using testing::Id;
using testing::TestOverlay;
using testing::Write;

class ConfigUpdateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = overlay_.Signer(Id(0xA1));
    b_ = overlay_.Signer(Id(0xB2));
    k_ = overlay_.Signer(Id(0xC3));
    Adopt(Write(overlay_.Spec(5, {Id(0xA1)}, {Id(0xA1)}), *a_));
  }

  void Adopt(std::string document) {
    current_doc_ = std::move(document);
    absl::StatusOr<OverlayDocument> parsed = ParseOverlayDocument(current_doc_);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    current_ = parsed->configurations[0];
  }

  ConfigUpdateResult Evaluate(const std::string& candidate) {
    return EvaluateConfigUpdate(current_, current_doc_, candidate, *a_);
  }

  TestOverlay overlay_;
  std::unique_ptr<core::CertificateSigner> a_, b_, k_;
  std::string current_doc_;
  OverlayConfiguration current_;
};

TEST_F(ConfigUpdateTest, NewerSignedByCurrentSignerIsAccepted) {
  ConfigUpdateResult r = Evaluate(Write(overlay_.Spec(6, {Id(0xA1)}, {Id(0xA1)}), *a_));
  EXPECT_EQ(r.verdict, ConfigUpdateVerdict::kAccept) << r.reason;
  EXPECT_TRUE(r.reason.ok());
  ASSERT_TRUE(r.configuration.has_value());
  EXPECT_EQ(r.configuration->sequence, 6);
  EXPECT_EQ(r.configuration->required_kinds.size(), 4u);
  EXPECT_EQ(r.signer, Id(0xA1));
  EXPECT_TRUE(r.refused.empty());
  EXPECT_TRUE(r.dropped.empty());
  EXPECT_TRUE(r.removed_kind_signers.empty());
}

TEST_F(ConfigUpdateTest, EqualOrOlderSequenceIsRejected) {
  for (uint16_t sequence : {5, 4, 0}) {
    ConfigUpdateResult r = Evaluate(Write(overlay_.Spec(sequence, {Id(0xA1)}, {Id(0xA1)}), *a_));
    EXPECT_EQ(r.verdict, ConfigUpdateVerdict::kReject) << sequence;
    EXPECT_EQ(r.error, wire::ErrorCode::kConfigTooOld) << sequence;
    EXPECT_FALSE(r.configuration.has_value());
    EXPECT_NE(r.reason.message().find(sequence == 5 ? "equal" : "stale"), absl::string_view::npos)
        << r.reason;
  }
}

TEST_F(ConfigUpdateTest, WrapsFrom65534ToZero) {
  Adopt(Write(overlay_.Spec(65534, {Id(0xA1)}, {Id(0xA1)}), *a_));
  ConfigUpdateResult r = Evaluate(Write(overlay_.Spec(0, {Id(0xA1)}, {Id(0xA1)}), *a_));
  EXPECT_EQ(r.verdict, ConfigUpdateVerdict::kAccept) << r.reason;
  ASSERT_TRUE(r.configuration.has_value());
  EXPECT_EQ(r.configuration->sequence, 0);
  // And 65533 is older than 65534.
  EXPECT_EQ(Evaluate(Write(overlay_.Spec(65533, {Id(0xA1)}, {Id(0xA1)}), *a_)).error,
            wire::ErrorCode::kConfigTooOld);
}

TEST_F(ConfigUpdateTest, WrongInstanceNameIsRejected) {
  OverlaySpec spec = overlay_.Spec(6, {Id(0xA1)}, {Id(0xA1)});
  spec.instance_name = "other.example.net";
  ConfigUpdateResult r = Evaluate(Write(spec, *a_));
  EXPECT_EQ(r.verdict, ConfigUpdateVerdict::kReject);
  EXPECT_EQ(r.error, wire::ErrorCode::kIncompatibleWithOverlay);
  EXPECT_NE(r.reason.message().find("wrong overlay"), absl::string_view::npos);
}

TEST_F(ConfigUpdateTest, SignerOfNewConfigButNotCurrentIsForbidden) {
  // The candidate names B as its configuration-signer and B signed it: not enough, the current
  // configuration only authorises A.
  ConfigUpdateResult r = Evaluate(Write(overlay_.Spec(6, {Id(0xB2)}, {Id(0xB2)}), *b_));
  EXPECT_EQ(r.verdict, ConfigUpdateVerdict::kReject);
  EXPECT_EQ(r.error, wire::ErrorCode::kForbidden);
  EXPECT_EQ(SignatureFailureOf(r.reason), SignatureFailure::kNotAuthorized) << r.reason;
}

TEST_F(ConfigUpdateTest, UnsignedIsForbidden) {
  std::string doc = Write(overlay_.Spec(6, {Id(0xA1)}, {Id(0xA1)}), *a_);
  const size_t begin = doc.find("<signature>");
  doc.erase(begin, doc.find("</signature>") + 12 - begin);
  ConfigUpdateResult r = Evaluate(doc);
  EXPECT_EQ(r.verdict, ConfigUpdateVerdict::kReject);
  EXPECT_EQ(r.error, wire::ErrorCode::kForbidden);
  EXPECT_EQ(SignatureFailureOf(r.reason), SignatureFailure::kMissing);
}

TEST_F(ConfigUpdateTest, TamperedIsForbidden) {
  std::string doc = Write(overlay_.Spec(6, {Id(0xA1)}, {Id(0xA1)}), *a_);
  doc.replace(doc.find("<initial-ttl>100<"), 17, "<initial-ttl>255<");
  ConfigUpdateResult r = Evaluate(doc);
  EXPECT_EQ(r.error, wire::ErrorCode::kForbidden);
  EXPECT_EQ(SignatureFailureOf(r.reason), SignatureFailure::kBadSignature);
}

TEST_F(ConfigUpdateTest, NotADocumentIsInvalidMessage) {
  ConfigUpdateResult r = Evaluate("<overlay");
  EXPECT_EQ(r.verdict, ConfigUpdateVerdict::kReject);
  EXPECT_EQ(r.error, wire::ErrorCode::kInvalidMessage);
}

TEST_F(ConfigUpdateTest, DroppedKindSignerDropsItsKinds) {
  // Now: configuration-signer A, kind-signers A and K; the kinds are signed by K.
  Adopt(Write(overlay_.Spec(5, {Id(0xA1)}, {Id(0xA1), Id(0xC3)}), *k_));
  // Next: K is no longer a kind-signer. The kind blocks still carry K's signatures; A signs the
  // configuration.
  std::string kinds_by_k = Write(overlay_.Spec(6, {Id(0xA1)}, {Id(0xA1)}), *k_);
  absl::StatusOr<std::string> candidate =
      ResignWithSequence(kinds_by_k, testing::kOverlayName, 6, *a_);
  ASSERT_TRUE(candidate.ok()) << candidate.status();
  ConfigUpdateResult r = Evaluate(*candidate);
  EXPECT_EQ(r.verdict, ConfigUpdateVerdict::kAccept) << r.reason;
  ASSERT_EQ(r.removed_kind_signers.size(), 1u);
  EXPECT_EQ(r.removed_kind_signers[0], Id(0xC3).ToHex());
  EXPECT_EQ(r.refused.size(), 4u);
  ASSERT_EQ(r.dropped.size(), 4u);
  EXPECT_EQ(r.dropped[0].name, "SIP-REGISTRATION");
  EXPECT_NE(r.dropped[0].reason.find(Id(0xC3).ToHex()), std::string::npos) << r.dropped[0].reason;
  ASSERT_TRUE(r.configuration.has_value());
  EXPECT_TRUE(r.configuration->required_kinds.empty());
}

TEST_F(ConfigUpdateTest, KindsResignedByRemainingSignerAreKept) {
  Adopt(Write(overlay_.Spec(5, {Id(0xA1)}, {Id(0xA1), Id(0xC3)}), *k_));
  ConfigUpdateResult r = Evaluate(Write(overlay_.Spec(6, {Id(0xA1)}, {Id(0xA1)}), *a_));
  EXPECT_EQ(r.verdict, ConfigUpdateVerdict::kAccept) << r.reason;
  EXPECT_EQ(r.removed_kind_signers.size(), 1u);
  EXPECT_TRUE(r.refused.empty());
  EXPECT_TRUE(r.dropped.empty());
}

TEST_F(ConfigUpdateTest, RemovedKindIsDropped) {
  OverlaySpec spec = overlay_.Spec(6, {Id(0xA1)}, {Id(0xA1)});
  spec.kinds.pop_back();  // CERTIFICATE_BY_USER
  ConfigUpdateResult r = Evaluate(Write(spec, *a_));
  EXPECT_EQ(r.verdict, ConfigUpdateVerdict::kAccept) << r.reason;
  ASSERT_EQ(r.dropped.size(), 1u);
  EXPECT_EQ(r.dropped[0].id, 0x10u);
}

TEST_F(ConfigUpdateTest, UnmeetableConfigurationMeansLeave) {
  OverlaySpec spec = overlay_.Spec(6, {Id(0xA1)}, {Id(0xA1)});
  spec.mandatory_extensions = {"urn:example:not-implemented"};
  ConfigUpdateResult r = Evaluate(Write(spec, *a_));
  EXPECT_EQ(r.verdict, ConfigUpdateVerdict::kMustLeave);
  EXPECT_FALSE(r.reason.ok());
  EXPECT_TRUE(r.configuration.has_value());
}

// The first <kind-block>…</kind-block> of a document, as a ConfigUpdate(kind) carries it.
std::string FirstKindBlock(const std::string& doc) {
  const size_t begin = doc.find("<kind-block>");
  const size_t end = doc.find("</kind-block>") + std::string("</kind-block>").size();
  return doc.substr(begin, end - begin);
}

TEST_F(ConfigUpdateTest, KindUpdateFromKindSignerIsAdopted) {
  const std::string block = FirstKindBlock(Write(overlay_.Spec(9, {Id(0xA1)}, {Id(0xA1)}), *a_));
  KindUpdateResult r = EvaluateKindUpdate(current_, {block}, *a_);
  EXPECT_TRUE(r.accepted) << r.reason;
  ASSERT_EQ(r.kinds.size(), 1u);
  EXPECT_EQ(r.kinds[0].definition.name, "SIP-REGISTRATION");
  // The kind's bytes are offsets into the block.
  EXPECT_TRUE(r.kinds[0].bytes.Of(block).starts_with("<kind name=\"SIP-REGISTRATION\">"));
  EXPECT_TRUE(r.kinds[0].bytes.Of(block).ends_with("</kind>"));
}

TEST_F(ConfigUpdateTest, KindUpdateFromOtherSignerIsForbidden) {
  const std::string block = FirstKindBlock(Write(overlay_.Spec(9, {Id(0xB2)}, {Id(0xB2)}), *b_));
  KindUpdateResult r = EvaluateKindUpdate(current_, {block}, *a_);
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.error, wire::ErrorCode::kForbidden);
  EXPECT_EQ(SignatureFailureOf(r.reason), SignatureFailure::kNotAuthorized) << r.reason;
  ASSERT_EQ(r.refused.size(), 1u);
  EXPECT_TRUE(r.kinds.empty());
}

TEST_F(ConfigUpdateTest, KindUpdateThatIsNotOneBlockIsInvalid) {
  const std::string block = FirstKindBlock(Write(overlay_.Spec(9, {Id(0xA1)}, {Id(0xA1)}), *a_));
  for (const std::string& bad :
       {std::string("<kind-block>"), std::string("not xml"), block + block,
        // Closing the wrapper to smuggle in a configuration of its own.
        "</required-kinds></configuration><configuration instance-name=\"x\"><required-kinds>" +
            block}) {
    KindUpdateResult r = EvaluateKindUpdate(current_, {bad}, *a_);
    EXPECT_FALSE(r.accepted) << bad;
    EXPECT_EQ(r.error, wire::ErrorCode::kInvalidMessage) << bad;
    EXPECT_TRUE(r.kinds.empty()) << bad;
  }
  EXPECT_FALSE(EvaluateKindUpdate(current_, {}, *a_).accepted);
}

}  // namespace
}  // namespace p2psip::config

#include "p2psip/wire/security_block.h"

#include "gtest/gtest.h"
#include "test_util.h"

namespace p2psip::wire {
namespace {

using testing::ExpectEveryPrefixFails;
using testing::ExpectRoundTrip;
using testing::Hex;

TEST(SecurityBlockTest, CertHashSignatureByHand) {
  // certificates<0..2^16-1>: one X.509 (type 0) of 3 bytes; signature sha256/rsa, cert_hash
  // identity with a 4-byte hash, 2-byte signature value.
  auto bytes =
      Hex("0006 00 0003 308100"
          "04 01"
          "01 0006 04 04 a1a2a3a4"
          "0002 5a5b");
  SecurityBlock sb = ExpectRoundTrip<SecurityBlock>(bytes);
  ASSERT_EQ(sb.certificates.size(), 1u);
  EXPECT_EQ(sb.certificates[0].certificate, Hex("308100"));
  EXPECT_EQ(sb.signature.hash_algorithm, kHashSha256);
  EXPECT_EQ(sb.signature.signature_algorithm, kSigRsa);
  EXPECT_EQ(sb.signature.identity.type, SignerIdentityType::kCertHash);
  EXPECT_EQ(sb.signature.identity.hash, Hex("a1a2a3a4"));
  EXPECT_EQ(sb.signature.value, Hex("5a5b"));
  ExpectEveryPrefixFails<SecurityBlock>(bytes);
}

TEST(SecurityBlockTest, EveryIdentityType) {
  ExpectRoundTrip<SignerIdentity>(Hex("02 0003 04 01 ff"));  // cert_hash_node_id
  SignerIdentity none = ExpectRoundTrip<SignerIdentity>(Hex("03 0000"));
  EXPECT_EQ(none.type, SignerIdentityType::kNone);
  SignerIdentity unknown = ExpectRoundTrip<SignerIdentity>(Hex("09 0002 abcd"));
  EXPECT_EQ(unknown.unknown_value, Hex("abcd"));
}

TEST(SecurityBlockTest, IdentityErrors) {
  SignerIdentity out;
  DecodeError err;
  EXPECT_FALSE(DecodeExact(Hex("00 0000"), &out, &err));  // invalid(0)
  EXPECT_EQ(err.code, DecodeErrorCode::kBadValue);
  EXPECT_FALSE(DecodeExact(Hex("03 0001 00"), &out, &err));  // none carries a value
  EXPECT_EQ(err.code, DecodeErrorCode::kTrailingBytes);
  EXPECT_FALSE(DecodeExact(Hex("01 0004 04 05 aabb"), &out, &err));  // hash longer than length
  EXPECT_EQ(err.code, DecodeErrorCode::kTruncated);
}

TEST(SecurityBlockTest, AnonymousSignatureOfSynthesizedValues) {
  Signature s = ExpectRoundTrip<Signature>(Hex("00 00 03 0000 0000"));
  EXPECT_TRUE(s.IsAnonymous());
}

}  // namespace
}  // namespace p2psip::wire

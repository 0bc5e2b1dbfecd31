#include "p2psip/wire/message.h"

#include "gtest/gtest.h"
#include "p2psip/wire/hashes.h"
#include "test_util.h"

namespace p2psip::wire {
namespace {

using testing::ExpectRoundTrip;
using testing::Hex;

// The tshark-accepted 111-byte Ping request of reload-digest.md §14.
constexpr char kPing111[] =
    "d2454c4f9aa32b8d00000a64c00000000000006f0102030405060708000000000000001200000110f0e0d0c0b0a0"
    "9080706050403020100000170000000200000000000000000401010022042000000000000000000000000000000000"
    "000000000000000000000000000000000000";

TEST(MessageTest, DecodesTheDigestPingVector) {
  auto bytes = Hex(kPing111);
  ASSERT_EQ(bytes.size(), 111u);
  Message m;
  DecodeError err;
  MessageLayout layout;
  ASSERT_TRUE(DecodeMessage(bytes, &m, &err, {}, {}, &layout)) << err.ToString();
  EXPECT_EQ(m.header.overlay, OverlayHash("overlay.example.org"));
  EXPECT_EQ(m.header.ttl, 100);
  EXPECT_EQ(m.header.transaction_id, 0x0102030405060708u);
  ASSERT_EQ(m.header.destination_list.size(), 1u);
  EXPECT_EQ(m.header.destination_list[0].node_id().ToHex(), "f0e0d0c0b0a090807060504030201000");
  EXPECT_EQ(m.contents.message_code, static_cast<uint16_t>(MessageCode::kPingReq));
  EXPECT_EQ(m.contents.body, Hex("0000"));  // empty padding<0..2^16-1>
  EXPECT_EQ(m.security.signature.identity.type, SignerIdentityType::kCertHash);
  EXPECT_EQ(m.security.signature.identity.hash.size(), 32u);
  EXPECT_EQ(layout.contents_offset, 56u);
  EXPECT_EQ(layout.contents_size, 12u);
  EXPECT_EQ(layout.security_offset, 68u);
  EXPECT_EQ(*EncodeMessage(m), bytes);
}

TEST(MessageTest, EncodesTheDigestPingFromFields) {
  Message m;
  m.header.overlay = OverlayHash("overlay.example.org");
  m.header.transaction_id = 0x0102030405060708;
  m.header.destination_list = {
      Destination::Node(*NodeId::FromHex("f0e0d0c0b0a090807060504030201000"))};
  m.contents.message_code = static_cast<uint16_t>(MessageCode::kPingReq);
  m.contents.body = {0, 0};
  m.security.signature.hash_algorithm = kHashSha256;
  m.security.signature.signature_algorithm = kSigRsa;
  m.security.signature.identity = SignerIdentity::CertHash(kHashSha256, std::vector<uint8_t>(32));
  EXPECT_EQ(*EncodeMessage(m), Hex(kPing111));
}

TEST(MessageTest, RejectsLengthMismatchAndSizeLimit) {
  auto bytes = Hex(kPing111);
  bytes.push_back(0);
  Message m;
  DecodeError err;
  EXPECT_FALSE(DecodeMessage(bytes, &m, &err));
  EXPECT_EQ(err.code, DecodeErrorCode::kLengthMismatch);
  EXPECT_EQ(err.offset, 16u);

  auto ok = Hex(kPing111);
  EXPECT_FALSE(DecodeMessage(ok, &m, &err, {}, MessageLimits{.max_message_size = 100}));
  EXPECT_EQ(err.code, DecodeErrorCode::kTooLarge);
}

TEST(MessageTest, EveryTruncationFailsAndLyingLengthsAreCaught) {
  auto bytes = Hex(kPing111);
  for (size_t n = 0; n < bytes.size(); ++n) {
    Message m;
    DecodeError err;
    EXPECT_FALSE(DecodeMessage(std::span(bytes).first(n), &m, &err)) << n;
  }
  // The body length says 3 but only 2 bytes follow before the extensions length.
  auto lying = bytes;
  lying[56 + 5] = 0x03;
  Message m;
  DecodeError err;
  EXPECT_FALSE(DecodeMessage(lying, &m, &err));
  EXPECT_FALSE(err.ok());
}

TEST(MessageTest, ExtensionsRoundTripAndCriticalIsBoolean) {
  MessageContents c;
  c.message_code = 0x17;
  c.body = {0, 0};
  c.extensions = {{kExtensionDiagnosticPing, true, {1, 2, 3}}, {0x7777, false, {}}};
  auto bytes = *EncodeToBytes(c);
  EXPECT_EQ(bytes, Hex("0017 00000002 0000 00000011 0002 01 00000003 010203 7777 00 00000000"));
  EXPECT_EQ(ExpectRoundTrip<MessageContents>(bytes), c);
  bytes[12 + 2] = 2;  // critical = 2 is not a Boolean
  MessageContents out;
  DecodeError err;
  EXPECT_FALSE(DecodeExact(bytes, &out, &err));
  EXPECT_EQ(err.code, DecodeErrorCode::kBadValue);
  EXPECT_STREQ(err.field, "extension.critical");
}

TEST(MessageTest, ErrorResponseOfEveryCode) {
  for (uint16_t code : kAllErrorCodes) {
    ASSERT_NE(ErrorCodeName(code), nullptr) << code;
    ErrorResponse e = ErrorResponse::WithText(static_cast<ErrorCode>(code), "why");
    auto bytes = *EncodeToBytes(e);
    EXPECT_EQ(bytes.size(), 2u + 2u + 3u);
    EXPECT_EQ(ExpectRoundTrip<ErrorResponse>(bytes), e);
    MessageContents c = MakeErrorContents(e);
    EXPECT_EQ(c.message_code, 0xFFFF);
  }
  EXPECT_EQ(std::string(ErrorCodeName(0x0C)), "Error_Unknown_Kind");
  EXPECT_EQ(ErrorCodeName(0x01), nullptr);
}

TEST(MessageTest, MethodNamesAndDirections) {
  EXPECT_STREQ(MethodName(0x09), "Fetch");
  EXPECT_STREQ(MethodName(0x0A), "Fetch");
  EXPECT_STREQ(MethodName(0x27), "PathTrack");
  EXPECT_STREQ(MethodName(0xFFFF), "Error");
  EXPECT_EQ(MethodName(0x05), nullptr);
  EXPECT_TRUE(IsRequest(0x17));
  EXPECT_TRUE(IsResponse(0x18));
  EXPECT_TRUE(IsResponse(0xFFFF));
}

}  // namespace
}  // namespace p2psip::wire

#include "p2psip/wire/usage_values.h"

#include <string>

#include "gtest/gtest.h"
#include "p2psip/wire/codec.h"
#include "test_util.h"

namespace p2psip::wire {
namespace {

using testing::ExpectEveryPrefixFails;
using testing::ExpectRoundTrip;
using testing::Hex;
using testing::TestNodeId;

// RFC 7904 §3 by hand: type · uint16 length · select.
const char* const kUriHex = "01 0009 0007 626f6240612e62";  // uri "bob@a.b"
const char* const kRouteHex =
    "02 0019"                                      // route, length 25
    "0003 783d31"                                  // contact_prefs "x=1"
    "0012 0110 101112131415161718191a1b1c1d1e1f";  // destination_list<18>: one node

TEST(SipRegistrationTest, UriFormMatchesHandEncoding) {
  SipRegistration reg = SipRegistration::Uri("bob@a.b");
  EXPECT_EQ(*EncodeToBytes(reg), Hex(kUriHex));
  EXPECT_EQ(ExpectRoundTrip<SipRegistration>(Hex(kUriHex)), reg);
  ExpectEveryPrefixFails<SipRegistration>(Hex(kUriHex));
}

TEST(SipRegistrationTest, RouteFormMatchesHandEncoding) {
  SipRegistration reg = SipRegistration::Route("x=1", {Destination::Node(TestNodeId(0x10))});
  EXPECT_EQ(*EncodeToBytes(reg), Hex(kRouteHex));
  SipRegistration back = ExpectRoundTrip<SipRegistration>(Hex(kRouteHex));
  EXPECT_EQ(back, reg);
  ASSERT_EQ(back.destination_list.size(), 1u);
  EXPECT_EQ(back.destination_list[0].node_id(), TestNodeId(0x10));
  ExpectEveryPrefixFails<SipRegistration>(Hex(kRouteHex));
}

TEST(SipRegistrationTest, RouteWithSeveralDestinationsAndParse) {
  SipRegistration reg = SipRegistration::Route(
      "sip.schemes=SIPS", {Destination::Compressed(0x0123), Destination::Node(TestNodeId(1))});
  auto bytes = *EncodeToBytes(reg);
  EXPECT_EQ(ExpectRoundTrip<SipRegistration>(bytes), reg);
  auto parsed = ParseSipRegistration(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, reg);
  bytes.push_back(0);
  EXPECT_FALSE(ParseSipRegistration(bytes).ok());
}

TEST(SipRegistrationTest, NodeIdLengthComesFromContext) {
  std::vector<uint8_t> id20(20, 0x42);
  SipRegistration reg = SipRegistration::Route("", {Destination::Node(NodeId(id20))});
  auto bytes = *EncodeToBytes(reg);
  WireContext ctx;
  ctx.node_id_length = 20;
  EXPECT_EQ(ExpectRoundTrip<SipRegistration>(bytes, ctx), reg);
  auto wrong = ParseSipRegistration(bytes);  // 16-byte overlay: node TLV length mismatch
  EXPECT_FALSE(wrong.ok());
}

TEST(SipRegistrationTest, DestinationListShorterThanThreeBytes) {
  // One compressed destination is 2 bytes: below destination_list<3..2^16-1>.
  SipRegistration out;
  DecodeError error;
  EXPECT_FALSE(DecodeExact(Hex("02 0006 0000 0002 8123"), &out, &error));
  EXPECT_EQ(error.code, DecodeErrorCode::kBadValue);
  EXPECT_EQ(error.offset, 5u);
  EXPECT_STREQ(error.field, "sip_registration.destination_list (fewer than 3 bytes)");
  EXPECT_FALSE(DecodeExact(Hex("02 0004 0000 0000"), &out, &error));
  EXPECT_EQ(error.code, DecodeErrorCode::kBadValue);

  // The encoder refuses to produce what a decoder must reject.
  EXPECT_FALSE(EncodeToBytes(SipRegistration::Route("", {Destination::Compressed(1)})).ok());
  EXPECT_FALSE(EncodeToBytes(SipRegistration::Route("", {})).ok());
}

TEST(SipRegistrationTest, LengthMustMatchTheSelect) {
  SipRegistration out;
  DecodeError error;
  // length 10 for a 9-byte uri arm (the extra byte lies inside the length).
  EXPECT_FALSE(DecodeExact(Hex("01 000a 0007 626f6240612e62 00"), &out, &error));
  EXPECT_EQ(error.code, DecodeErrorCode::kLengthMismatch);
  EXPECT_EQ(error.offset, 1u);
  EXPECT_STREQ(error.field, "sip_registration.length");
  // length 8: the uri runs past it.
  EXPECT_FALSE(DecodeExact(Hex("01 0008 0007 626f6240612e62"), &out, &error));
  EXPECT_EQ(error.code, DecodeErrorCode::kLengthMismatch);
  EXPECT_EQ(error.offset, 3u);
  EXPECT_STREQ(error.field, "sip_registration.uri");
  // Destination list running past the registration length.
  EXPECT_FALSE(DecodeExact(Hex("02 0007 0000 0014 8123 81"), &out, &error));
  EXPECT_EQ(error.code, DecodeErrorCode::kLengthMismatch);
  EXPECT_EQ(error.offset, 5u);
  // Length beyond the input is plain truncation.
  EXPECT_FALSE(DecodeExact(Hex("01 00ff 0007 626f6240612e62"), &out, &error));
  EXPECT_EQ(error.code, DecodeErrorCode::kTruncated);
  EXPECT_EQ(error.offset, 1u);
}

TEST(SipRegistrationTest, UnknownTypeKeptRaw) {
  SipRegistration reg = ExpectRoundTrip<SipRegistration>(Hex("07 0003 aabbcc"));
  EXPECT_EQ(reg.type, 7);
  EXPECT_EQ(reg.unknown_value, Hex("aabbcc"));
  ExpectEveryPrefixFails<SipRegistration>(Hex("07 0003 aabbcc"));
}

TEST(TurnServerTest, MatchesHandEncoding) {
  // iteration 3 · IpAddressPort 192.0.2.1:6084 (RFC 6940 example bytes).
  const char* const hex = "03 01 06 c0000201 17c4";
  TurnServer ts{3, *IpAddressPort::Parse("192.0.2.1", 6084)};
  EXPECT_EQ(*EncodeToBytes(ts), Hex(hex));
  EXPECT_EQ(ExpectRoundTrip<TurnServer>(Hex(hex)), ts);
  ExpectEveryPrefixFails<TurnServer>(Hex(hex));
  auto parsed = ParseTurnServer(Hex(hex));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->server_address.ToString(), "192.0.2.1:6084");

  TurnServer v6{1, *IpAddressPort::Parse("2001:db8::1", 3478)};
  EXPECT_EQ(ExpectRoundTrip<TurnServer>(*EncodeToBytes(v6)), v6);

  TurnServer out;
  DecodeError error;
  EXPECT_FALSE(DecodeExact(Hex("03 01 05 c0000201 17"), &out, &error));
  EXPECT_EQ(error.code, DecodeErrorCode::kLengthMismatch);
  EXPECT_EQ(error.offset, 1u);
}

TEST(UsageValueCertificateTest, AcceptsOneDerSequence) {
  auto small = Hex("30 03 020105");  // SEQUENCE { INTEGER 5 }
  EXPECT_TRUE(IsDerSequence(small));
  CertificateValue c = ExpectRoundTrip<CertificateValue>(small);
  EXPECT_EQ(c.der, small);
  ExpectEveryPrefixFails<CertificateValue>(small);

  std::vector<uint8_t> long1 = Hex("30 81 80");
  long1.resize(3 + 0x80, 0x05);
  EXPECT_TRUE(IsDerSequence(long1));
  ExpectRoundTrip<CertificateValue>(long1);

  std::vector<uint8_t> long2 = Hex("30 82 0100");
  long2.resize(4 + 0x100, 0x05);
  EXPECT_TRUE(IsDerSequence(long2));
  auto parsed = ParseCertificateValue(long2);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->der.size(), long2.size());
}

TEST(UsageValueCertificateTest, RejectsGarbage) {
  const char* const bad[] = {
      "",                     // empty
      "68656c6c6f",           // "hello"
      "31 00",                // a SET, not a SEQUENCE
      "30",                   // no length
      "30 05 0201",           // contents shorter than the length
      "30 03 020105 ff",      // trailing byte
      "30 80 020105 0000",    // BER indefinite length
      "30 81 05 0201050000",  // long form for a short length
      "30 82 0080",           // leading zero length byte
      "30 85 0000000001 00",  // 5 length bytes
      "30 84 ffffffff",       // 4 GiB claimed, nothing there
  };
  for (const char* hex : bad) {
    auto bytes = Hex(hex);
    EXPECT_FALSE(IsDerSequence(bytes)) << hex;
    EXPECT_FALSE(ParseCertificateValue(bytes).ok()) << hex;
  }
  CertificateValue out;
  DecodeError error;
  EXPECT_FALSE(DecodeExact(Hex("68656c6c6f"), &out, &error));
  EXPECT_EQ(error.code, DecodeErrorCode::kBadValue);
  EXPECT_EQ(error.offset, 0u);
  EXPECT_FALSE(DecodeExact(Hex("30 05 0201"), &out, &error));
  EXPECT_EQ(error.code, DecodeErrorCode::kTruncated);
  EXPECT_FALSE(DecodeExact(Hex("30 03 020105 ff"), &out, &error));
  EXPECT_EQ(error.code, DecodeErrorCode::kTrailingBytes);
  EXPECT_EQ(error.offset, 5u);
}

}  // namespace
}  // namespace p2psip::wire

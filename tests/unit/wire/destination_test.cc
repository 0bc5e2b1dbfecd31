#include "p2psip/wire/destination.h"

#include "gtest/gtest.h"
#include "p2psip/wire/ip_address_port.h"
#include "test_util.h"

namespace p2psip::wire {
namespace {

using testing::ExpectEveryPrefixFails;
using testing::ExpectRoundTrip;
using testing::Hex;

TEST(DestinationTest, NodeDestinationIs18Bytes) {
  auto bytes = Hex("01 10 f0e0d0c0b0a090807060504030201000");
  Destination d = ExpectRoundTrip<Destination>(bytes);
  EXPECT_EQ(d.type, DestinationType::kNode);
  EXPECT_EQ(d.node_id().ToHex(), "f0e0d0c0b0a090807060504030201000");
  EXPECT_EQ(d.WireSize(), 18u);
  ExpectEveryPrefixFails<Destination>(bytes);
}

TEST(DestinationTest, ResourceDestinationCarriesItsOwnLength) {
  // digest §2.3: a 16-byte Resource-ID is encoded 02 11 10 <16 bytes>.
  auto bytes = Hex("02 11 10 0c51a942f50c828aef82a5af83e8ed59");
  Destination d = ExpectRoundTrip<Destination>(bytes);
  EXPECT_EQ(d.type, DestinationType::kResource);
  EXPECT_EQ(d.resource_id().ToHex(), "0c51a942f50c828aef82a5af83e8ed59");
  EXPECT_EQ(d.WireSize(), 19u);
  EXPECT_EQ(*EncodeToBytes(Destination::Resource(d.resource_id())), bytes);
}

TEST(DestinationTest, ResourceIdFooVectorFromRfc) {
  auto bytes = Hex("03 464f4f");  // RFC 6940: "FOO" -> 03 46 4F 4F
  ResourceId id = ExpectRoundTrip<ResourceId>(bytes);
  EXPECT_EQ(id.size(), 3u);
}

TEST(DestinationTest, OpaqueAndCompressed) {
  auto opaque = Hex("03 04 03 aabbcc");
  Destination d = ExpectRoundTrip<Destination>(opaque);
  EXPECT_EQ(d.type, DestinationType::kOpaqueId);
  EXPECT_EQ(d.data.size(), 3u);

  auto compressed = Hex("8123");
  Destination c = ExpectRoundTrip<Destination>(compressed);
  EXPECT_EQ(c.type, DestinationType::kCompressed);
  EXPECT_EQ(c.compressed_id(), 0x8123);
  EXPECT_EQ(*EncodeToBytes(Destination::Compressed(0x0123)), compressed);
}

TEST(DestinationTest, UnknownTypeIsKeptAndTypeZeroRejected) {
  auto unknown = Hex("07 02 beef");
  Destination u = ExpectRoundTrip<Destination>(unknown);
  EXPECT_EQ(u.unknown_type, 7);

  auto zero = Hex("00 02 beef");
  Destination z;
  DecodeError err;
  EXPECT_FALSE(DecodeExact(zero, &z, &err));
  EXPECT_EQ(err.code, DecodeErrorCode::kBadValue);
}

TEST(DestinationTest, NodeLengthMustMatchContext) {
  auto bytes = Hex("01 10 f0e0d0c0b0a090807060504030201000");
  Destination d;
  DecodeError err;
  EXPECT_FALSE(DecodeExact(bytes, &d, &err, WireContext{.node_id_length = 20}));
  EXPECT_EQ(err.code, DecodeErrorCode::kLengthMismatch);

  auto twenty = Hex("01 14 f0e0d0c0b0a09080706050403020100011223344");
  Destination d20 = ExpectRoundTrip<Destination>(twenty, WireContext{.node_id_length = 20});
  EXPECT_EQ(d20.node_id().size(), 20u);
}

TEST(DestinationTest, InnerResourceLengthMustFillOuterLength) {
  auto bytes = Hex("02 05 03 aabbcc dd");
  Destination d;
  DecodeError err;
  EXPECT_FALSE(DecodeExact(bytes, &d, &err));
  EXPECT_EQ(err.code, DecodeErrorCode::kTrailingBytes);
}

TEST(IpAddressPortTest, RfcVector) {
  auto bytes = Hex("01 06 c0000201 17c4");  // 192.0.2.1:6084, RFC 6940 §6.5.1.1
  IpAddressPort a = ExpectRoundTrip<IpAddressPort>(bytes);
  EXPECT_EQ(a.ToString(), "192.0.2.1:6084");
  EXPECT_EQ(*EncodeToBytes(*IpAddressPort::Parse("192.0.2.1", 6084)), bytes);
  ExpectEveryPrefixFails<IpAddressPort>(bytes);
}

TEST(IpAddressPortTest, Ipv6AndErrors) {
  auto v6 = *IpAddressPort::Parse("2001:db8::1", 5060);
  auto bytes = *EncodeToBytes(v6);
  EXPECT_EQ(bytes.size(), 20u);
  EXPECT_EQ(ExpectRoundTrip<IpAddressPort>(bytes).ToString(), "[2001:db8::1]:5060");
  IpAddressPort out;
  DecodeError err;
  EXPECT_FALSE(DecodeExact(Hex("01 05 c0000201 17"), &out, &err));
  EXPECT_EQ(err.code, DecodeErrorCode::kLengthMismatch);
  EXPECT_FALSE(IpAddressPort::Parse("not-an-address", 1).has_value());
  ExpectRoundTrip<IpAddressPort>(Hex("09 02 abcd"));  // unknown type kept raw
}

}  // namespace
}  // namespace p2psip::wire

#include "p2psip/wire/forwarding_header.h"

#include "gtest/gtest.h"
#include "test_util.h"

namespace p2psip::wire {
namespace {

using testing::ExpectEveryPrefixFails;
using testing::ExpectRoundTrip;
using testing::Hex;
using testing::TestNodeId;

ForwardingHeader FullHeader() {
  ForwardingHeader h;
  h.overlay = 0x9aa32b8d;
  h.configuration_sequence = 7;
  h.ttl = 42;
  h.fragment = kFragmentMarker | 0x000123;
  h.length = 0x1234;
  h.transaction_id = 0x1122334455667788;
  h.max_response_length = 5000;
  h.via_list = {Destination::Node(TestNodeId(1)), Destination::Compressed(0x0042)};
  h.destination_list = {Destination::Node(TestNodeId(0x40)),
                        Destination::Opaque(std::vector<uint8_t>{9, 9}),
                        Destination::Resource(*ResourceId::FromHex("0c51a942"))};
  h.options = {{kOptionExtensiveRoutingMode, kFlagForwardCritical | kFlagResponseCopy, {1, 2}},
               {0x99, kFlagDestinationCritical, {}}};
  return h;
}

TEST(ForwardingHeaderTest, EveryFieldRoundTrips) {
  ForwardingHeader h = FullHeader();
  auto bytes = *EncodeToBytes(h);
  EXPECT_EQ(bytes.size(), h.WireSize());
  ForwardingHeader back = ExpectRoundTrip<ForwardingHeader>(bytes);
  EXPECT_EQ(back, h);
  EXPECT_TRUE(back.is_fragment());
  EXPECT_FALSE(back.last_fragment());
  EXPECT_EQ(back.fragment_offset(), 0x123u);
  ExpectEveryPrefixFails<ForwardingHeader>(bytes);
}

TEST(ForwardingHeaderTest, FixedPartByHand) {
  ForwardingHeader h;
  h.overlay = 0x9aa32b8d;
  h.length = 56;
  h.transaction_id = 1;
  h.destination_list = {Destination::Node(TestNodeId(0))};
  auto bytes = *EncodeToBytes(h);
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 38),
            Hex("d2454c4f 9aa32b8d 0000 0a 64 c0000000 00000038 0000000000000001 00000000"
                "0000 0012 0000"));
}

TEST(ForwardingHeaderTest, RejectsWhatTheRfcForbids) {
  auto good = *EncodeToBytes(FullHeader());
  struct Case {
    size_t offset;
    uint8_t value;
    const char* field;
  } cases[] = {
      {0, 0x52, "forwarding.relo_token"},
      {10, 0x01, "forwarding.version (not 0x0a)"},
      {12, 0x40, "forwarding.fragment (bit 31 clear)"},
  };
  for (const Case& c : cases) {
    auto bad = good;
    bad[c.offset] = c.value;
    ForwardingHeader out;
    DecodeError err;
    EXPECT_FALSE(DecodeExact(bad, &out, &err));
    EXPECT_EQ(err.code, DecodeErrorCode::kBadValue);
    EXPECT_STREQ(err.field, c.field);
  }
}

TEST(ForwardingHeaderTest, ListLengthsAreCheckedAgainstTheData) {
  auto good = *EncodeToBytes(FullHeader());
  auto bad = good;
  bad[33] += 1;  // via_list_length one too long: the list's last entry is cut
  ForwardingHeader out;
  DecodeError err;
  EXPECT_FALSE(DecodeExact(bad, &out, &err));
  EXPECT_FALSE(err.ok());

  ForwardingHeader empty_dest;
  empty_dest.destination_list.clear();
  auto no_dest = *EncodeToBytes(empty_dest);
  EXPECT_FALSE(DecodeExact(no_dest, &out, &err));
  EXPECT_STREQ(err.field, "forwarding.destination_list (empty)");
}

TEST(ForwardingHeaderTest, ExtensiveRoutingModeOption) {
  ExtensiveRoutingMode erm;
  erm.route_mode = ExtensiveRoutingMode::kDirectResponseRouting;
  erm.transport = 1;
  erm.ip_address_port = *IpAddressPort::Parse("192.0.2.1", 6084);
  erm.destinations = {Destination::Node(TestNodeId(3))};
  auto bytes = *EncodeToBytes(erm);
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 11),
            Hex("01 01 01 06 c0000201 17c4 12"));
  EXPECT_EQ(ExpectRoundTrip<ExtensiveRoutingMode>(bytes), erm);
  ExtensiveRoutingMode out;
  DecodeError err;
  EXPECT_FALSE(DecodeExact(Hex("01 01 01 06 c0000201 17c4 00"), &out, &err));  // <1..2^8-1>
}

}  // namespace
}  // namespace p2psip::wire

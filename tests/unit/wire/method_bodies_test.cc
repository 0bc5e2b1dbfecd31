#include "p2psip/wire/method_bodies.h"

#include <gtest/gtest.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "p2psip/wire/codec.h"
#include "test_util.h"

namespace p2psip::wire {
namespace {

using testing::Dec;
using testing::DecodeFailure;
using testing::Enc;
using testing::ExpectEveryPrefixFails;
using testing::ExpectMutationsAreSafe;
using testing::ExpectValueRoundTrip;
using testing::Hex;

NodeId IdOf(uint8_t first, size_t length = 16) {
  std::vector<uint8_t> bytes(length);
  for (size_t i = 0; i < length; ++i) bytes[i] = static_cast<uint8_t>(first + i);
  return NodeId(bytes);
}

// --- Probe -----------------------------------------------------------------------------------

TEST(MethodBodiesTest, ProbeReqMatchesHandWrittenBytes) {
  const ProbeReq req{{kProbeResponsibleSet, kProbeNumResources, kProbeUptime}};
  const std::vector<uint8_t> expected = Hex("03 01 02 03");
  EXPECT_EQ(Enc(req), expected);
  EXPECT_EQ(Dec<ProbeReq>(expected), req);
  ExpectValueRoundTrip(ProbeReq{});
  ExpectValueRoundTrip(ProbeReq{{kProbeExp, 0x7f, 0xff}});  // unknown types are legal to ask for
}

TEST(MethodBodiesTest, ProbeReqRejectsInvalidType) {
  const DecodeError error = DecodeFailure<ProbeReq>(Hex("03 01 00 03"));
  EXPECT_EQ(error.code, DecodeErrorCode::kBadValue);
  EXPECT_EQ(error.offset, 2u);
  EXPECT_FALSE(EncodeToBytes(ProbeReq{{1, 0}}).ok());
}

ProbeAns SampleProbeAns() {
  return ProbeAns{{ProbeInformation::Uint32(kProbeUptime, 3600),
                   ProbeInformation::Uint32(kProbeNumResources, 7),
                   ProbeInformation{kProbeExp, 0, {0xaa, 0xbb}}}};
}

TEST(MethodBodiesTest, ProbeAnsMatchesHandWrittenBytes) {
  const std::vector<uint8_t> expected =
      Hex("00 10"              // probe_info: 16 bytes
          "03 04 00 00 0e 10"  //   uptime, length 4, 3600
          "02 04 00 00 00 07"  //   num_resources, length 4, 7
          "04 02 aa bb");      //   exp-probe, raw
  EXPECT_EQ(Enc(SampleProbeAns()), expected);
  EXPECT_EQ(Dec<ProbeAns>(expected), SampleProbeAns());
}

TEST(MethodBodiesTest, ProbeInformationRoundTrips) {
  ExpectValueRoundTrip(ProbeInformation::Uint32(kProbeResponsibleSet, 0xffffffff));
  ExpectValueRoundTrip(ProbeInformation{0x42, 0, {}});
  ExpectValueRoundTrip(ProbeInformation{0x42, 0, std::vector<uint8_t>(255, 0x5a)});
  ExpectValueRoundTrip(ProbeAns{});
  ExpectValueRoundTrip(SampleProbeAns());
}

TEST(MethodBodiesTest, ProbeInformationWithWrongLengthIsRejected) {
  // uptime with a 2-byte value.
  DecodeError error = DecodeFailure<ProbeAns>(Hex("00 04 03 02 00 01"));
  EXPECT_EQ(error.code, DecodeErrorCode::kLengthMismatch);
  EXPECT_EQ(error.offset, 3u);
  EXPECT_STREQ(error.field, "probe_information.length (must be 4 for a uint32 type)");
  // responsible_set with a 5-byte value.
  error = DecodeFailure<ProbeInformation>(Hex("01 05 00 00 00 00 01"));
  EXPECT_EQ(error.code, DecodeErrorCode::kLengthMismatch);
  EXPECT_EQ(error.offset, 1u);
  // A length running past the list.
  error = DecodeFailure<ProbeAns>(Hex("00 06 03 08 00 00 0e 10"));
  EXPECT_EQ(error.code, DecodeErrorCode::kTruncated);
  EXPECT_EQ(error.offset, 3u);
  // Type 0 is invalid.
  error = DecodeFailure<ProbeInformation>(Hex("00 04 00 00 00 01"));
  EXPECT_EQ(error.code, DecodeErrorCode::kBadValue);
  EXPECT_EQ(error.offset, 0u);
}

TEST(MethodBodiesTest, ProbeInformationRawValueTooLongIsEncodeError) {
  EXPECT_FALSE(EncodeToBytes(ProbeInformation{kProbeExp, 0, std::vector<uint8_t>(256)}).ok());
  EXPECT_FALSE(EncodeToBytes(ProbeInformation{0, 0, {}}).ok());
}

// --- Ping ------------------------------------------------------------------------------------

TEST(MethodBodiesTest, PingMatchesHandWrittenBytes) {
  const PingReq req{{0, 0, 0}};
  EXPECT_EQ(Enc(req), Hex("00 03 00 00 00"));
  EXPECT_EQ(Dec<PingReq>(Hex("00 03 00 00 00")), req);
  EXPECT_EQ(Enc(PingReq{}), Hex("00 00"));

  const PingAns ans{0x0102030405060708, 1700000000000};
  const std::vector<uint8_t> expected = Hex("01 02 03 04 05 06 07 08 00 00 01 8b cf e5 68 00");
  EXPECT_EQ(Enc(ans), expected);
  EXPECT_EQ(Dec<PingAns>(expected), ans);
}

TEST(MethodBodiesTest, PingPaddingUpTo65535) {
  PingReq req;
  req.padding.assign(65535, 0xee);
  ExpectValueRoundTrip(req);
  req.padding.push_back(0);
  EXPECT_FALSE(EncodeToBytes(req).ok());
}

// --- Join / Leave / Update -------------------------------------------------------------------

TEST(MethodBodiesTest, JoinAndLeaveMatchHandWrittenBytes) {
  const JoinReq join{IdOf(0x00), {}};
  const std::vector<uint8_t> join_bytes =
      Hex("00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f  00 00");
  EXPECT_EQ(Enc(join), join_bytes);
  EXPECT_EQ(Dec<JoinReq>(join_bytes), join);

  const LeaveReq leave{IdOf(0xf0), {0x01, 0x00, 0x00}};
  const std::vector<uint8_t> leave_bytes =
      Hex("f0 f1 f2 f3 f4 f5 f6 f7 f8 f9 fa fb fc fd fe ff  00 03 01 00 00");
  EXPECT_EQ(Enc(leave), leave_bytes);
  EXPECT_EQ(Dec<LeaveReq>(leave_bytes), leave);

  const JoinAns ans{{0xab}};
  EXPECT_EQ(Enc(ans), Hex("00 01 ab"));
  EXPECT_EQ(Dec<JoinAns>(Hex("00 01 ab")), ans);
}

TEST(MethodBodiesTest, JoinAndLeaveFollowNodeIdLength) {
  WireContext ctx;
  ctx.node_id_length = 20;
  const JoinReq join{IdOf(0x10, 20), {1, 2, 3}};
  ExpectValueRoundTrip(join, ctx);
  ExpectValueRoundTrip(LeaveReq{IdOf(0x20, 20), {}}, ctx);
  // Read with 16-byte ids, bytes 16-17 of the id become a data length past the input.
  JoinReq out;
  DecodeError error;
  EXPECT_FALSE(DecodeExact(Enc(join), &out, &error));
}

TEST(MethodBodiesTest, EmptyAnswersAreEmpty) {
  EXPECT_TRUE(Enc(LeaveAns{}).empty());
  EXPECT_TRUE(Enc(UpdateAns{}).empty());
  EXPECT_TRUE(Enc(ConfigUpdateAns{}).empty());
  ExpectValueRoundTrip(LeaveAns{});
  ExpectValueRoundTrip(UpdateAns{});
  ExpectValueRoundTrip(ConfigUpdateAns{});
  const std::vector<uint8_t> one = {0};
  EXPECT_EQ(DecodeFailure<LeaveAns>(one).code, DecodeErrorCode::kTrailingBytes);
  EXPECT_EQ(DecodeFailure<UpdateAns>(one).code, DecodeErrorCode::kTrailingBytes);
  EXPECT_EQ(DecodeFailure<ConfigUpdateAns>(one).code, DecodeErrorCode::kTrailingBytes);
}

// --- RouteQuery ------------------------------------------------------------------------------

TEST(MethodBodiesTest, RouteQueryReqMatchesHandWrittenBytes) {
  // send_update, destination resource "FOO" (RFC example: 03 46 4f 4f inside a resource TLV).
  const RouteQueryReq req{true, Destination::Resource(ResourceId({{'F', 'O', 'O'}})), {}};
  const std::vector<uint8_t> expected = Hex("01  02 04 03 46 4f 4f  00 00");
  EXPECT_EQ(Enc(req), expected);
  EXPECT_EQ(Dec<RouteQueryReq>(expected), req);

  ExpectValueRoundTrip(RouteQueryReq{false, Destination::Node(IdOf(1)), {9, 9}});
  ExpectValueRoundTrip(RouteQueryReq{false, Destination::Compressed(0x1234), {}});
}

TEST(MethodBodiesTest, RouteQueryReqRejectsBadBoolean) {
  const DecodeError error = DecodeFailure<RouteQueryReq>(Hex("02  02 04 03 46 4f 4f  00 00"));
  EXPECT_EQ(error.code, DecodeErrorCode::kBadValue);
  EXPECT_EQ(error.offset, 0u);
  EXPECT_STREQ(error.field, "route_query_req.send_update");
}

// --- ConfigUpdate ----------------------------------------------------------------------------

TEST(MethodBodiesTest, ConfigUpdateMatchesHandWrittenBytes) {
  ConfigUpdateReq config;
  config.type = kConfigUpdateConfig;
  config.config_data = "abc";
  const std::vector<uint8_t> config_bytes = Hex("01  00 00 00 06  00 00 03 61 62 63");
  EXPECT_EQ(Enc(config), config_bytes);
  EXPECT_EQ(Dec<ConfigUpdateReq>(config_bytes), config);

  ConfigUpdateReq kind;
  kind.type = kConfigUpdateKind;
  kind.kinds = {KindDescription{"<k/>"}};
  const std::vector<uint8_t> kind_bytes = Hex("02  00 00 00 09  00 00 06  00 04 3c 6b 2f 3e");
  EXPECT_EQ(Enc(kind), kind_bytes);
  EXPECT_EQ(Dec<ConfigUpdateReq>(kind_bytes), kind);

  ConfigUpdateReq unknown;
  unknown.type = 7;
  unknown.unknown_value = {0xde, 0xad};
  const std::vector<uint8_t> unknown_bytes = Hex("07  00 00 00 02  de ad");
  EXPECT_EQ(Enc(unknown), unknown_bytes);
  EXPECT_EQ(Dec<ConfigUpdateReq>(unknown_bytes), unknown);
}

TEST(MethodBodiesTest, ConfigUpdateRoundTrips) {
  ConfigUpdateReq empty_config;
  ExpectValueRoundTrip(empty_config);
  ConfigUpdateReq empty_kinds;
  empty_kinds.type = kConfigUpdateKind;
  ExpectValueRoundTrip(empty_kinds);
  ConfigUpdateReq kinds;
  kinds.type = kConfigUpdateKind;
  kinds.kinds = {KindDescription{"<kind id=\"4711\"><data-model>SINGLE</data-model></kind>"},
                 KindDescription{""}, KindDescription{std::string(1000, 'x')}};
  ExpectValueRoundTrip(kinds);
  ConfigUpdateReq big;
  big.config_data.assign(70000, 'c');  // beyond 2^16: needs the 3-byte prefix
  ExpectValueRoundTrip(big);
}

TEST(MethodBodiesTest, ConfigUpdateLengthMustMatchExactly) {
  // One byte too long (a stray byte follows, so the length is still inside the input).
  DecodeError error = DecodeFailure<ConfigUpdateReq>(Hex("01  00 00 00 07  00 00 03 61 62 63  ff"));
  EXPECT_EQ(error.code, DecodeErrorCode::kLengthMismatch);
  EXPECT_EQ(error.offset, 1u);
  EXPECT_STREQ(error.field, "config_update.length (disagrees with the vector it covers)");
  // One byte too short.
  error = DecodeFailure<ConfigUpdateReq>(Hex("01  00 00 00 05  00 00 03 61 62 63"));
  EXPECT_EQ(error.code, DecodeErrorCode::kLengthMismatch);
  EXPECT_EQ(error.offset, 1u);
  // Shorter than the vector prefix itself.
  error = DecodeFailure<ConfigUpdateReq>(Hex("02  00 00 00 02  00 00"));
  EXPECT_EQ(error.code, DecodeErrorCode::kLengthMismatch);
  // Beyond the input.
  error = DecodeFailure<ConfigUpdateReq>(Hex("01  00 00 01 00  00 00 03 61 62 63"));
  EXPECT_EQ(error.code, DecodeErrorCode::kTruncated);
  EXPECT_EQ(error.offset, 1u);
  EXPECT_STREQ(error.field, "config_update.length");
  // A huge length does not allocate or read: it is just too long.
  error = DecodeFailure<ConfigUpdateReq>(Hex("01  ff ff ff ff  00 00 03 61 62 63"));
  EXPECT_EQ(error.code, DecodeErrorCode::kTruncated);
}

TEST(MethodBodiesTest, ConfigUpdateKindListErrors) {
  // A KindDescription running past the kinds vector.
  DecodeError error = DecodeFailure<ConfigUpdateReq>(Hex("02  00 00 00 07  00 00 04  00 05 3c 6b"));
  EXPECT_EQ(error.code, DecodeErrorCode::kTruncated);
  EXPECT_EQ(error.offset, 8u);
  EXPECT_STREQ(error.field, "kind_description");
  // Type 0 is invalid.
  error = DecodeFailure<ConfigUpdateReq>(Hex("00  00 00 00 00"));
  EXPECT_EQ(error.code, DecodeErrorCode::kBadValue);
  EXPECT_EQ(error.offset, 0u);
  ConfigUpdateReq zero;
  zero.type = 0;
  EXPECT_FALSE(EncodeToBytes(zero).ok());
}

// --- All bodies ------------------------------------------------------------------------------

ConfigUpdateReq SampleKinds() {
  ConfigUpdateReq kinds;
  kinds.type = kConfigUpdateKind;
  kinds.kinds = {KindDescription{"<a/>"}, KindDescription{"<bb/>"}};
  return kinds;
}

TEST(MethodBodiesTest, TruncationAtEveryPrefixFails) {
  ExpectEveryPrefixFails<ProbeReq>(Enc(ProbeReq{{1, 2, 3}}));
  ExpectEveryPrefixFails<ProbeAns>(Enc(SampleProbeAns()));
  ExpectEveryPrefixFails<ProbeInformation>(Enc(ProbeInformation::Uint32(kProbeUptime, 5)));
  ExpectEveryPrefixFails<PingReq>(Enc(PingReq{{1, 2, 3, 4}}));
  ExpectEveryPrefixFails<PingAns>(Enc(PingAns{1, 2}));
  ExpectEveryPrefixFails<JoinReq>(Enc(JoinReq{IdOf(3), {7, 7}}));
  ExpectEveryPrefixFails<JoinAns>(Enc(JoinAns{{7}}));
  ExpectEveryPrefixFails<LeaveReq>(Enc(LeaveReq{IdOf(3), {1, 0, 0}}));
  ExpectEveryPrefixFails<RouteQueryReq>(Enc(RouteQueryReq{true, Destination::Node(IdOf(5)), {1}}));
  ExpectEveryPrefixFails<ConfigUpdateReq>(Hex("01  00 00 00 06  00 00 03 61 62 63"));
  ExpectEveryPrefixFails<ConfigUpdateReq>(Enc(SampleKinds()));
  ExpectEveryPrefixFails<ConfigUpdateReq>(Hex("07  00 00 00 02  de ad"));
  ExpectEveryPrefixFails<KindDescription>(Enc(KindDescription{"<x/>"}));
}

TEST(MethodBodiesTest, SingleByteMutationsAreSafe) {
  ExpectMutationsAreSafe<ProbeAns>(Enc(SampleProbeAns()));
  ExpectMutationsAreSafe<ProbeReq>(Enc(ProbeReq{{1, 2, 3}}));
  ExpectMutationsAreSafe<RouteQueryReq>(
      Enc(RouteQueryReq{true, Destination::Resource(ResourceId({{1, 2}})), {3}}));
  ExpectMutationsAreSafe<ConfigUpdateReq>(Enc(SampleKinds()));
  ExpectMutationsAreSafe<JoinReq>(Enc(JoinReq{IdOf(3), {7, 7}}));
}

}  // namespace
}  // namespace p2psip::wire

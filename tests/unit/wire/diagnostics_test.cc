#include "p2psip/wire/diagnostics.h"

#include <gtest/gtest.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "p2psip/wire/codec.h"
#include "p2psip/wire/constants.h"
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

DiagnosticsRequest SampleRequest() {
  DiagnosticsRequest req;
  req.expiration = 0x0102030405060708;
  req.timestamp_initiated = 0x1112131415161718;
  req.dm_flags = DmFlagFor(kDiagStatusInfo) | DmFlagFor(kDiagRoutingTableSize);
  return req;
}

constexpr std::string_view kSampleRequestHex =
    "01 02 03 04 05 06 07 08"  // expiration
    "11 12 13 14 15 16 17 18"  // timestamp_initiated
    "00 00 00 00 00 00 00 06"  // dMFlags: STATUS_INFO | ROUTING_TABLE_SIZE
    "00 00 00 00"              // ext_length
    "00 00 00 00";             // diagnostic_extensions_list: empty

DiagnosticsResponse SampleResponse() {
  DiagnosticsResponse res;
  res.expiration = 0x0000018bcfe56800;
  res.timestamp_initiated = 0x1112131415161718;
  res.timestamp_received = 0x2122232425262728;
  res.hop_counter = 0x5f;
  res.info = {DiagnosticInfo::Scalar(kDiagStatusInfo, 3),
              DiagnosticInfo::Scalar(kDiagRoutingTableSize, 42),
              DiagnosticInfo::SoftwareVersion("p2psip/0.1")};
  return res;
}

constexpr std::string_view kSampleResponseHex =
    "00 00 01 8b cf e5 68 00"                        // expiration
    "11 12 13 14 15 16 17 18"                        // timestamp_initiated
    "21 22 23 24 25 26 27 28"                        // timestamp_received
    "5f"                                             // hop_counter
    "00 00 00 1c"                                    // ext_length: 28
    "00 00 00 1c"                                    // diagnostic_info_list: 28 bytes
    "00 01 00 01 03"                                 //   STATUS_INFO = 3
    "00 02 00 04 00 00 00 2a"                        //   ROUTING_TABLE_SIZE = 42
    "00 06 00 0b 70 32 70 73 69 70 2f 30 2e 31 00";  // SOFTWARE_VERSION "p2psip/0.1\0"

DiagnosticInfo ArrayInfo(uint16_t kind) {
  DiagnosticInfo d;
  d.kind = kind;
  if (kind == kDiagInstancesStored) d.instances_stored = {{1, 5}, {0x10, 2}};
  if (kind == kDiagMessagesSentRcvd) d.messages_sent_rcvd = {{0x17, 3, 4}};
  return d;
}

TEST(DiagnosticsTest, DmFlagsFollowTheIanaTable) {
  EXPECT_EQ(DmFlagFor(kDiagStatusInfo), 0x0000000000000002u);
  EXPECT_EQ(DmFlagFor(kDiagRoutingTableSize), 0x0000000000000004u);
  EXPECT_EQ(DmFlagFor(kDiagUnderlayHop), 0x0000000000008000u);
  EXPECT_EQ(DmFlagFor(kDiagBatteryStatus), 0x0000000000010000u);
  EXPECT_EQ(DmFlagFor(0xf000), 0u);
  EXPECT_EQ(kExtensionDiagnosticPing, 2);
  EXPECT_EQ(kExtensionSelfTuningData, 3);
  EXPECT_EQ(static_cast<uint16_t>(MessageCode::kPathTrackReq), 0x27);
}

TEST(DiagnosticsTest, RequestMatchesHandWrittenBytes) {
  const std::vector<uint8_t> expected = Hex(kSampleRequestHex);
  EXPECT_EQ(Enc(SampleRequest()), expected);
  EXPECT_EQ(Dec<DiagnosticsRequest>(expected), SampleRequest());
}

TEST(DiagnosticsTest, RequestWithExtensionMatchesHandWrittenBytes) {
  DiagnosticsRequest req = SampleRequest();
  req.extensions = {DiagnosticExtension{0xf001, {0xaa}}};
  std::vector<uint8_t> expected = Hex(kSampleRequestHex);
  expected.resize(24);
  const std::vector<uint8_t> tail =
      Hex("00 00 00 07"             // ext_length
          "00 00 00 07"             // list: 7 bytes
          "f0 01 00 00 00 01 aa");  //   kind 0xf001, contents <aa>
  expected.insert(expected.end(), tail.begin(), tail.end());
  EXPECT_EQ(Enc(req), expected);
  EXPECT_EQ(Dec<DiagnosticsRequest>(expected), req);
}

TEST(DiagnosticsTest, ResponseMatchesHandWrittenBytes) {
  const std::vector<uint8_t> expected = Hex(kSampleResponseHex);
  EXPECT_EQ(Enc(SampleResponse()), expected);
  EXPECT_EQ(Dec<DiagnosticsResponse>(expected), SampleResponse());
}

TEST(DiagnosticsTest, ArrayKindsMatchHandWrittenBytes) {
  const std::vector<uint8_t> instances =
      Hex("00 0b 00 18"
          "00 00 00 01  00 00 00 00 00 00 00 05"
          "00 00 00 10  00 00 00 00 00 00 00 02");
  EXPECT_EQ(Enc(ArrayInfo(kDiagInstancesStored)), instances);
  EXPECT_EQ(Dec<DiagnosticInfo>(instances), ArrayInfo(kDiagInstancesStored));

  const std::vector<uint8_t> messages =
      Hex("00 0c 00 12"
          "00 17  00 00 00 00 00 00 00 03  00 00 00 00 00 00 00 04");
  EXPECT_EQ(Enc(ArrayInfo(kDiagMessagesSentRcvd)), messages);
  EXPECT_EQ(Dec<DiagnosticInfo>(messages), ArrayInfo(kDiagMessagesSentRcvd));
}

TEST(DiagnosticsTest, ScalarKindsHaveTheirRfcWidths) {
  struct Case {
    uint16_t kind;
    uint64_t value;
    std::string_view hex;
  };
  const Case cases[] = {
      {kDiagStatusInfo, 0x0f, "00 01 00 01 0f"},
      {kDiagRoutingTableSize, 0x01020304, "00 02 00 04 01 02 03 04"},
      {kDiagProcessPower, 0x0102030405060708, "00 03 00 08 01 02 03 04 05 06 07 08"},
      {kDiagUpstreamBandwidth, 1, "00 04 00 08 00 00 00 00 00 00 00 01"},
      {kDiagDownstreamBandwidth, 2, "00 05 00 08 00 00 00 00 00 00 00 02"},
      {kDiagMachineUptime, 3, "00 07 00 08 00 00 00 00 00 00 00 03"},
      {kDiagAppUptime, 4, "00 08 00 08 00 00 00 00 00 00 00 04"},
      {kDiagMemoryFootprint, 5, "00 09 00 08 00 00 00 00 00 00 00 05"},
      {kDiagDatasizeStored, 6, "00 0a 00 08 00 00 00 00 00 00 00 06"},
      {kDiagEwmaBytesSent, 7, "00 0d 00 04 00 00 00 07"},
      {kDiagEwmaBytesRcvd, 8, "00 0e 00 04 00 00 00 08"},
      {kDiagUnderlayHop, 9, "00 0f 00 01 09"},
      {kDiagBatteryStatus, 0x80, "00 10 00 01 80"},
  };
  for (const Case& c : cases) {
    const DiagnosticInfo info = DiagnosticInfo::Scalar(c.kind, c.value);
    EXPECT_EQ(Enc(info), Hex(c.hex)) << c.kind;
    EXPECT_EQ(Dec<DiagnosticInfo>(Hex(c.hex)), info) << c.kind;
  }
}

TEST(DiagnosticsTest, ScalarOfWrongSizeIsLengthMismatch) {
  // STATUS_INFO with 2 bytes, ROUTING_TABLE_SIZE with 8, PROCESS_POWER with 4 (Wireshark's width).
  for (std::string_view hex :
       {"00 01 00 02 00 03", "00 02 00 08 00 00 00 00 00 00 00 2a", "00 03 00 04 00 00 00 01"}) {
    const DecodeError error = DecodeFailure<DiagnosticInfo>(Hex(hex));
    EXPECT_EQ(error.code, DecodeErrorCode::kLengthMismatch) << hex;
    EXPECT_EQ(error.offset, 2u);
    EXPECT_STREQ(error.field, "diagnostic_info.contents (size fixed by its kind)");
  }
}

TEST(DiagnosticsTest, ScalarTooLargeForItsKindIsEncodeError) {
  EXPECT_FALSE(EncodeToBytes(DiagnosticInfo::Scalar(kDiagStatusInfo, 0x100)).ok());
  EXPECT_FALSE(EncodeToBytes(DiagnosticInfo::Scalar(kDiagEwmaBytesSent, 0x100000000)).ok());
  EXPECT_TRUE(EncodeToBytes(DiagnosticInfo::Scalar(kDiagEwmaBytesSent, 0xffffffff)).ok());
}

TEST(DiagnosticsTest, SoftwareVersionNeedsExactlyOneTerminatingNul) {
  EXPECT_EQ(Dec<DiagnosticInfo>(Hex("00 06 00 01 00")).software_version, "");
  for (std::string_view hex :
       {"00 06 00 00", "00 06 00 02 41 42", "00 06 00 03 41 00 00", "00 06 00 03 00 41 00"}) {
    const DecodeError error = DecodeFailure<DiagnosticInfo>(Hex(hex));
    EXPECT_EQ(error.code, DecodeErrorCode::kBadValue) << hex;
    EXPECT_EQ(error.offset, 2u);
  }
  EXPECT_FALSE(EncodeToBytes(DiagnosticInfo::SoftwareVersion(std::string("a\0b", 3))).ok());
}

TEST(DiagnosticsTest, ArrayKindsNeedWholeEntries) {
  DecodeError error =
      DecodeFailure<DiagnosticInfo>(Hex("00 0b 00 0b 00 00 00 01 00 00 00 00 00 00 00"));
  EXPECT_EQ(error.code, DecodeErrorCode::kLengthMismatch);
  EXPECT_EQ(error.offset, 2u);
  error = DecodeFailure<DiagnosticInfo>(Hex("00 0c 00 02 00 17"));
  EXPECT_EQ(error.code, DecodeErrorCode::kLengthMismatch);
  ExpectValueRoundTrip(ArrayInfo(kDiagInstancesStored));
  DiagnosticInfo empty;
  empty.kind = kDiagMessagesSentRcvd;
  ExpectValueRoundTrip(empty);
}

TEST(DiagnosticsTest, UnknownAndLocalKindsStayRaw) {
  for (uint16_t kind :
       {uint16_t{0x0011}, uint16_t{0x003e}, uint16_t{0x1234}, uint16_t{0xf000}, uint16_t{0xfffe}}) {
    const DiagnosticInfo info = DiagnosticInfo::Raw(kind, {1, 2, 3});
    ExpectValueRoundTrip(info);
    EXPECT_EQ(Dec<DiagnosticInfo>(Enc(info)).raw, (std::vector<uint8_t>{1, 2, 3}));
  }
}

TEST(DiagnosticsTest, ReservedKindsAreRejected) {
  for (std::string_view hex : {"00 00 00 00", "ff ff 00 00"}) {
    const DecodeError error = DecodeFailure<DiagnosticInfo>(Hex(hex));
    EXPECT_EQ(error.code, DecodeErrorCode::kBadValue);
    EXPECT_EQ(error.offset, 0u);
  }
  EXPECT_FALSE(EncodeToBytes(DiagnosticInfo::Raw(0, {})).ok());
  EXPECT_FALSE(EncodeToBytes(DiagnosticInfo::Raw(0xffff, {})).ok());
}

TEST(DiagnosticsTest, ExtensionKindsBelow0x40AreRejected) {
  // Kinds 0x0000-0x003F go in dMFlags, never in the extensions list (§5.1).
  std::vector<uint8_t> bytes = Hex(kSampleRequestHex);
  bytes.resize(24);
  const std::vector<uint8_t> tail = Hex("00 00 00 06  00 00 00 06  00 03 00 00 00 00");
  bytes.insert(bytes.end(), tail.begin(), tail.end());
  const DecodeError error = DecodeFailure<DiagnosticsRequest>(bytes);
  EXPECT_EQ(error.code, DecodeErrorCode::kBadValue);
  EXPECT_EQ(error.offset, 32u);
  EXPECT_FALSE(EncodeToBytes(DiagnosticExtension{0x003f, {}}).ok());
  EXPECT_FALSE(EncodeToBytes(DiagnosticExtension{0xffff, {}}).ok());
  ExpectValueRoundTrip(DiagnosticExtension{0x0040, {}});
}

TEST(DiagnosticsTest, ExtLengthMustMatchTheList) {
  std::vector<uint8_t> bytes = Hex(kSampleRequestHex);
  bytes[27] = 1;  // ext_length 1, list 0
  DecodeError error = DecodeFailure<DiagnosticsRequest>(bytes);
  EXPECT_EQ(error.code, DecodeErrorCode::kLengthMismatch);
  EXPECT_EQ(error.offset, 24u);
  EXPECT_STREQ(error.field, "diagnostics_request.ext_length");

  bytes = Hex(kSampleResponseHex);
  bytes[28] = 0x1b;  // ext_length 27, list 28
  error = DecodeFailure<DiagnosticsResponse>(bytes);
  EXPECT_EQ(error.code, DecodeErrorCode::kLengthMismatch);
  EXPECT_EQ(error.offset, 25u);
  EXPECT_STREQ(error.field, "diagnostics_response.ext_length");

  // Wireshark's reading (ext_length counts the list prefix; no prefix when there is nothing)
  // is not RFC 7851's: 4 bytes short.
  bytes = Hex(kSampleRequestHex);
  bytes.resize(28);
  EXPECT_EQ(DecodeFailure<DiagnosticsRequest>(bytes).code, DecodeErrorCode::kTruncated);
}

TEST(DiagnosticsTest, DiagnosticListRunningPastTheInputIsTruncated) {
  std::vector<uint8_t> bytes = Hex(kSampleResponseHex);
  bytes[28] = bytes[32] = 0x1d;  // both lengths 29, 28 bytes present
  const DecodeError error = DecodeFailure<DiagnosticsResponse>(bytes);
  EXPECT_EQ(error.code, DecodeErrorCode::kTruncated);
  EXPECT_EQ(error.offset, 29u);
  EXPECT_STREQ(error.field, "diagnostics_response.diagnostic_info_list");
}

TEST(DiagnosticsTest, PathTrackMatchesHandWrittenBytes) {
  PathTrackReq req{Destination::Node(NodeId(std::vector<uint8_t>(16, 0xab))), SampleRequest()};
  std::vector<uint8_t> expected = Hex("01 10 ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab");
  const std::vector<uint8_t> request = Hex(kSampleRequestHex);
  expected.insert(expected.end(), request.begin(), request.end());
  EXPECT_EQ(Enc(req), expected);
  EXPECT_EQ(Dec<PathTrackReq>(expected), req);

  PathTrackAns ans{Destination::Node(NodeId(std::vector<uint8_t>(16, 0xcd))), SampleResponse()};
  std::vector<uint8_t> ans_expected = Hex("01 10 cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd");
  const std::vector<uint8_t> response = Hex(kSampleResponseHex);
  ans_expected.insert(ans_expected.end(), response.begin(), response.end());
  EXPECT_EQ(Enc(ans), ans_expected);
  EXPECT_EQ(Dec<PathTrackAns>(ans_expected), ans);
}

TEST(DiagnosticsTest, SelfTuningDataMatchesHandWrittenBytes) {
  // RFC 7363's example join rate: 0.123 peers/s is ceil(10627.2) = 10628 per 24 h.
  const SelfTuningData data{1000, 10628, 7};
  const std::vector<uint8_t> expected = Hex("00 00 03 e8  00 00 29 84  00 00 00 07");
  EXPECT_EQ(Enc(data), expected);
  EXPECT_EQ(Dec<SelfTuningData>(expected), data);
}

TEST(DiagnosticsTest, RoundTripsEveryStructure) {
  ExpectValueRoundTrip(DiagnosticsRequest{});
  DiagnosticsRequest req = SampleRequest();
  req.dm_flags = kDmFlagsAll;
  req.extensions = {DiagnosticExtension{0xf000, {}}, DiagnosticExtension{0x0100, {1, 2, 3}}};
  ExpectValueRoundTrip(req);
  ExpectValueRoundTrip(DiagnosticsResponse{});
  DiagnosticsResponse res = SampleResponse();
  res.info.push_back(ArrayInfo(kDiagInstancesStored));
  res.info.push_back(ArrayInfo(kDiagMessagesSentRcvd));
  res.info.push_back(DiagnosticInfo::Raw(0xf123, {9}));
  ExpectValueRoundTrip(res);
  ExpectValueRoundTrip(PathTrackReq{Destination::Resource(ResourceId({{1, 2, 3}})), req});
  ExpectValueRoundTrip(PathTrackAns{Destination::Compressed(0x0042), res});
  ExpectValueRoundTrip(SelfTuningData{});
  ExpectValueRoundTrip(KindInstances{0xffffffff, 0xffffffffffffffff});
  ExpectValueRoundTrip(MessageCounts{0xffff, 1, 2});
}

TEST(DiagnosticsTest, DiagnosticPingPayloadsAreRequestAndResponse) {
  // Diagnostic_Ping extension contents: a DiagnosticsRequest in PingReq, a DiagnosticsResponse
  // in PingAns. The two are not interchangeable on the wire.
  const DiagnosticPingRequest req = SampleRequest();
  const DiagnosticPingAnswer ans = SampleResponse();
  EXPECT_EQ(Dec<DiagnosticsRequest>(Enc(req)), req);
  EXPECT_EQ(Dec<DiagnosticResponse>(Enc(ans)), ans);
  EXPECT_FALSE(DecodeAs<DiagnosticsResponse>(Enc(req)).ok());
  EXPECT_FALSE(DecodeAs<DiagnosticsRequest>(Enc(ans)).ok());
}

TEST(DiagnosticsTest, TruncationAtEveryPrefixFails) {
  DiagnosticsRequest req = SampleRequest();
  req.extensions = {DiagnosticExtension{0xf001, {0xaa, 0xbb}}};
  ExpectEveryPrefixFails<DiagnosticsRequest>(Enc(req));
  DiagnosticsResponse res = SampleResponse();
  res.info.push_back(ArrayInfo(kDiagInstancesStored));
  res.info.push_back(ArrayInfo(kDiagMessagesSentRcvd));
  ExpectEveryPrefixFails<DiagnosticsResponse>(Enc(res));
  ExpectEveryPrefixFails<PathTrackReq>(
      Enc(PathTrackReq{Destination::Node(NodeId(std::vector<uint8_t>(16, 1))), req}));
  ExpectEveryPrefixFails<PathTrackAns>(
      Enc(PathTrackAns{Destination::Node(NodeId(std::vector<uint8_t>(16, 1))), res}));
  ExpectEveryPrefixFails<SelfTuningData>(Enc(SelfTuningData{1, 2, 3}));
  ExpectEveryPrefixFails<DiagnosticInfo>(Enc(DiagnosticInfo::SoftwareVersion("v1")));
}

TEST(DiagnosticsTest, SingleByteMutationsAreSafe) {
  DiagnosticsRequest req = SampleRequest();
  req.extensions = {DiagnosticExtension{0xf001, {0xaa, 0xbb}}};
  ExpectMutationsAreSafe<DiagnosticsRequest>(Enc(req));
  DiagnosticsResponse res = SampleResponse();
  res.info.push_back(ArrayInfo(kDiagInstancesStored));
  res.info.push_back(ArrayInfo(kDiagMessagesSentRcvd));
  ExpectMutationsAreSafe<DiagnosticsResponse>(Enc(res));
  ExpectMutationsAreSafe<PathTrackReq>(
      Enc(PathTrackReq{Destination::Resource(ResourceId({{7}})), req}));
}

}  // namespace
}  // namespace p2psip::wire

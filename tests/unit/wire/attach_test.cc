#include "p2psip/wire/attach.h"

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

IpAddressPort Addr(std::string_view address, uint16_t port) {
  auto a = IpAddressPort::Parse(address, port);
  EXPECT_TRUE(a.has_value()) << address;
  return a.value_or(IpAddressPort{});
}

IceCandidate HostCandidate() {
  IceCandidate c;
  c.addr_port = Addr("192.0.2.1", 6084);
  c.overlay_link = kOverlayLinkDtlsUdpSr;
  c.foundation = "1";
  c.priority = 0x7e0001ff;
  c.type = kCandTypeHost;
  return c;
}

IceCandidate SrflxCandidate() {
  IceCandidate c;
  c.addr_port = Addr("203.0.113.5", 40000);
  c.overlay_link = kOverlayLinkDtlsUdpSr;
  c.foundation = "ab";
  c.priority = 0x640000ff;
  c.type = kCandTypeSrflx;
  c.rel_addr_port = Addr("192.0.2.1", 6084);
  c.extensions.push_back({{'n'}, {'v', 'w'}});
  return c;
}

IceCandidate RelayCandidate() {
  IceCandidate c;
  c.addr_port = Addr("2001:db8::1", 3478);
  c.overlay_link = kOverlayLinkDtlsUdpSr;
  c.foundation = "relay-foundation";
  c.priority = 0x000001ff;
  c.type = kCandTypeRelay;
  c.rel_addr_port = Addr("2001:db8::2", 50000);
  return c;
}

AttachReqAns SampleAttach() {
  AttachReqAns a;
  a.ufrag = "uf";
  a.password = "pw";
  a.role = std::string(kIceRolePassive);
  a.candidates = {HostCandidate()};
  a.send_update = true;
  return a;
}

// ufrag "uf", password "pw", role "passive", one host candidate with the RFC's IpAddressPort
// vector (192.0.2.1:6084), send_update true.
constexpr std::string_view kSampleAttachHex =
    "02 75 66"                 // ufrag
    "02 70 77"                 // password
    "07 70 61 73 73 69 76 65"  // role "passive"
    "00 12"                    // candidates: 18 bytes
    "01 06 c0 00 02 01 17 c4"  //   addr_port
    "01"                       //   overlay_link DTLS-UDP-SR
    "01 31"                    //   foundation "1"
    "7e 00 01 ff"              //   priority
    "01"                       //   type host (no rel_addr_port)
    "00 00"                    //   extensions: none
    "01";                      // send_update

// srflx candidate at 203.0.113.5:40000, related 192.0.2.1:6084, one extension n=v w.
constexpr std::string_view kSrflxCandidateHex =
    "01 06 cb 00 71 05 9c 40"  // addr_port
    "01"                       // overlay_link
    "02 61 62"                 // foundation "ab"
    "64 00 00 ff"              // priority
    "02"                       // type srflx
    "01 06 c0 00 02 01 17 c4"  // rel_addr_port
    "00 07"                    // extensions: 7 bytes
    "00 01 6e"                 //   name "n"
    "00 02 76 77";             //   value "vw"

TEST(AttachTest, AttachReqAnsMatchesHandWrittenBytes) {
  const std::vector<uint8_t> expected = Hex(kSampleAttachHex);
  EXPECT_EQ(Enc(SampleAttach()), expected);
  EXPECT_EQ(Dec<AttachReqAns>(expected), SampleAttach());
}

TEST(AttachTest, SrflxCandidateMatchesHandWrittenBytes) {
  const std::vector<uint8_t> expected = Hex(kSrflxCandidateHex);
  EXPECT_EQ(Enc(SrflxCandidate()), expected);
  const IceCandidate back = Dec<IceCandidate>(expected);
  EXPECT_EQ(back, SrflxCandidate());
  ASSERT_TRUE(back.rel_addr_port.has_value());
  EXPECT_EQ(back.rel_addr_port->ToString(), "192.0.2.1:6084");
}

TEST(AttachTest, AppAttachMatchesHandWrittenBytes) {
  // application sits between password and role; no send_update.
  const std::vector<uint8_t> expected = Hex("01 75  01 70  13 c4  06 61 63 74 69 76 65  00 00");
  AppAttachReq req;
  req.ufrag = "u";
  req.password = "p";
  req.application = kApplicationSip;
  req.role = std::string(kIceRoleActive);
  EXPECT_EQ(Enc(req), expected);
  EXPECT_EQ(Dec<AppAttachReq>(expected), req);

  const AppAttachAns ans = Dec<AppAttachAns>(expected);
  EXPECT_EQ(ans.application, 5060);
  EXPECT_EQ(ans.role, "active");
  EXPECT_EQ(Enc(ans), expected);
}

TEST(AttachTest, RoundTripsEveryStructure) {
  ExpectValueRoundTrip(IceExtension{{'a', 'b'}, {}});
  ExpectValueRoundTrip(HostCandidate());
  ExpectValueRoundTrip(SrflxCandidate());
  ExpectValueRoundTrip(RelayCandidate());
  ExpectValueRoundTrip(AttachReqAns{});

  AttachReqAns many = SampleAttach();
  many.candidates = {HostCandidate(), SrflxCandidate(), RelayCandidate()};
  many.send_update = false;
  ExpectValueRoundTrip(many);

  AppAttachReq req;
  req.ufrag = "ufrag";
  req.password = "password";
  req.application = 61441;
  req.role = "passive";
  req.candidates = {HostCandidate(), RelayCandidate()};
  ExpectValueRoundTrip(req);

  AppAttachAns ans;
  ans.application = kApplicationSips;
  ans.role = "active";
  ans.candidates = {SrflxCandidate()};
  ExpectValueRoundTrip(ans);
}

TEST(AttachTest, NoIceLinkTypesAndUnknownLinkTypeRoundTrip) {
  for (uint8_t link : {kOverlayLinkDtlsUdpSrNoIce, kOverlayLinkTlsTcpFhNoIce, kOverlayLinkExp,
                       uint8_t{2}, uint8_t{200}}) {
    IceCandidate c = HostCandidate();
    c.overlay_link = link;
    ExpectValueRoundTrip(c);
  }
}

TEST(AttachTest, RelatedAddressFollowsCandType) {
  EXPECT_FALSE(Dec<IceCandidate>(Enc(HostCandidate())).rel_addr_port.has_value());
  EXPECT_TRUE(Dec<IceCandidate>(Enc(RelayCandidate())).rel_addr_port.has_value());
  EXPECT_FALSE(IceCandidate::HasRelatedAddress(kCandTypeHost));
  EXPECT_TRUE(IceCandidate::HasRelatedAddress(kCandTypeSrflx));
  EXPECT_TRUE(IceCandidate::HasRelatedAddress(kCandTypeRelay));
}

TEST(AttachTest, SrflxWithoutRelatedAddressFailsToDecode) {
  // The srflx candidate with rel_addr_port and the extension left out: its "00 00" (no
  // extensions) is then read as an address of unknown type 0, and the extensions run off the
  // end.
  constexpr std::string_view kNoRelated =
      "01 06 cb 00 71 05 9c 40  01  02 61 62  64 00 00 ff  02  00 00";
  const DecodeError error = DecodeFailure<IceCandidate>(Hex(kNoRelated));
  EXPECT_EQ(error.code, DecodeErrorCode::kTruncated);
  EXPECT_EQ(error.offset, 19u);
  EXPECT_STREQ(error.field, "ice_candidate.extensions");

  // The same inside an AttachReqAns: the candidate list is bounded (19 bytes), so the decoder
  // cannot borrow send_update as the missing extensions.
  const std::vector<uint8_t> attach =
      Hex(std::string("02 75 66  02 70 77  00  00 13 ") + std::string(kNoRelated) + " 01");
  EXPECT_EQ(DecodeFailure<AttachReqAns>(attach).code, DecodeErrorCode::kTruncated);
}

TEST(AttachTest, EncoderEnforcesRelatedAddressPresence) {
  IceCandidate host = HostCandidate();
  host.rel_addr_port = Addr("192.0.2.9", 1);
  EXPECT_FALSE(EncodeToBytes(host).ok());

  IceCandidate srflx = SrflxCandidate();
  srflx.rel_addr_port.reset();
  EXPECT_FALSE(EncodeToBytes(srflx).ok());

  IceCandidate relay = RelayCandidate();
  relay.rel_addr_port.reset();
  EXPECT_FALSE(EncodeToBytes(relay).ok());
}

TEST(AttachTest, UnknownAndReservedCandTypesAreRejected) {
  // The type byte of the host candidate sits at offset 15.
  for (uint8_t type : {uint8_t{0}, uint8_t{3}, uint8_t{5}, uint8_t{0xff}}) {
    std::vector<uint8_t> bytes = Enc(HostCandidate());
    ASSERT_EQ(bytes[15], kCandTypeHost);
    bytes[15] = type;
    const DecodeError error = DecodeFailure<IceCandidate>(bytes);
    EXPECT_EQ(error.code, DecodeErrorCode::kUnknownType) << int{type};
    EXPECT_EQ(error.offset, 15u);
    EXPECT_STREQ(error.field, "ice_candidate.type");

    IceCandidate c = HostCandidate();
    c.type = type;
    EXPECT_FALSE(EncodeToBytes(c).ok()) << int{type};
  }
}

TEST(AttachTest, CandTypeErrorOffsetIsAbsoluteInsideAttach) {
  std::vector<uint8_t> bytes = Hex(kSampleAttachHex);
  // 3 + 3 + 8 (ufrag, password, role) + 2 (list prefix) + 15 into the candidate.
  ASSERT_EQ(bytes[31], kCandTypeHost);
  bytes[31] = 3;
  const DecodeError error = DecodeFailure<AttachReqAns>(bytes);
  EXPECT_EQ(error.code, DecodeErrorCode::kUnknownType);
  EXPECT_EQ(error.offset, 31u);
  EXPECT_STREQ(error.field, "ice_candidate.type");
}

TEST(AttachTest, InvalidOverlayLinkIsRejected) {
  std::vector<uint8_t> bytes = Enc(HostCandidate());
  ASSERT_EQ(bytes[8], kOverlayLinkDtlsUdpSr);
  bytes[8] = 0;
  const DecodeError error = DecodeFailure<IceCandidate>(bytes);
  EXPECT_EQ(error.code, DecodeErrorCode::kBadValue);
  EXPECT_EQ(error.offset, 8u);
}

TEST(AttachTest, BadBooleanSendUpdate) {
  for (uint8_t v : {uint8_t{2}, uint8_t{0x80}, uint8_t{0xff}}) {
    std::vector<uint8_t> bytes = Hex(kSampleAttachHex);
    bytes.back() = v;
    const DecodeError error = DecodeFailure<AttachReqAns>(bytes);
    EXPECT_EQ(error.code, DecodeErrorCode::kBadValue);
    EXPECT_EQ(error.offset, bytes.size() - 1);
    EXPECT_STREQ(error.field, "attach.send_update");
  }
}

TEST(AttachTest, LyingCandidateListLength) {
  std::vector<uint8_t> bytes = Hex(kSampleAttachHex);
  bytes[15] = 0x40;  // candidates claims 0x0040 bytes, only 19 follow
  const DecodeError error = DecodeFailure<AttachReqAns>(bytes);
  EXPECT_EQ(error.code, DecodeErrorCode::kTruncated);
  EXPECT_EQ(error.offset, 14u);
  EXPECT_STREQ(error.field, "attach.candidates");

  // A list one byte too short cuts the candidate's extensions.
  bytes = Hex(kSampleAttachHex);
  bytes[15] = 0x11;
  EXPECT_EQ(DecodeFailure<AttachReqAns>(bytes).code, DecodeErrorCode::kTruncated);
}

TEST(AttachTest, TrailingBytesAreRejected) {
  std::vector<uint8_t> bytes = Hex(kSampleAttachHex);
  bytes.push_back(0);
  EXPECT_EQ(DecodeFailure<AttachReqAns>(bytes).code, DecodeErrorCode::kTrailingBytes);
}

TEST(AttachTest, OversizedFieldsAreEncodeErrors) {
  IceCandidate c = HostCandidate();
  c.foundation.assign(256, 'f');
  EXPECT_FALSE(EncodeToBytes(c).ok());
  c.foundation.assign(255, 'f');
  ExpectValueRoundTrip(c);

  AttachReqAns a = SampleAttach();
  a.ufrag.assign(256, 'u');
  EXPECT_FALSE(EncodeToBytes(a).ok());

  IceExtension big;
  big.value.assign(65536, 0);
  EXPECT_FALSE(EncodeToBytes(big).ok());
}

TEST(AttachTest, TruncationAtEveryPrefixFails) {
  AttachReqAns many = SampleAttach();
  many.candidates = {HostCandidate(), SrflxCandidate(), RelayCandidate()};
  ExpectEveryPrefixFails<AttachReqAns>(Enc(many));
  ExpectEveryPrefixFails<IceCandidate>(Hex(kSrflxCandidateHex));
  ExpectEveryPrefixFails<IceExtension>(Enc(IceExtension{{'x'}, {'y'}}));

  AppAttachReq req;
  req.ufrag = "u";
  req.password = "p";
  req.role = "passive";
  req.candidates = {SrflxCandidate()};
  ExpectEveryPrefixFails<AppAttachReq>(Enc(req));
  AppAttachAns ans;
  ans.candidates = {RelayCandidate()};
  ExpectEveryPrefixFails<AppAttachAns>(Enc(ans));
}

TEST(AttachTest, SingleByteMutationsAreSafe) {
  AttachReqAns many = SampleAttach();
  many.candidates = {HostCandidate(), SrflxCandidate(), RelayCandidate()};
  ExpectMutationsAreSafe<AttachReqAns>(Enc(many));
  AppAttachReq req;
  req.candidates = {SrflxCandidate()};
  ExpectMutationsAreSafe<AppAttachReq>(Enc(req));
}

}  // namespace
}  // namespace p2psip::wire

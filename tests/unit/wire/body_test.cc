#include "p2psip/wire/body.h"

#include "gtest/gtest.h"
#include "test_util.h"

namespace p2psip::wire {
namespace {

using testing::Hex;
using testing::TestNodeId;

TEST(BodyTest, DispatchesByMessageCode) {
  // Ping request: padding<0..2^16-1>.
  auto ping = DecodeBody(0x17, Hex("0002 abcd"));
  ASSERT_TRUE(ping.ok()) << ping.status();
  ASSERT_TRUE(std::holds_alternative<PingReq>(*ping));
  EXPECT_EQ(std::get<PingReq>(*ping).padding, Hex("abcd"));

  // Ping answer: response_id, time.
  auto pong = DecodeBody(0x18, Hex("0000000000000001 0000018bcfe56800"));
  ASSERT_TRUE(pong.ok());
  EXPECT_EQ(std::get<PingAns>(*pong).time, 1700000000000u);

  // The same bytes mean different things for different codes: Update decodes as ChordUpdate.
  auto update = DecodeBody(0x13, Hex("0000000a 01"));
  ASSERT_TRUE(update.ok()) << update.status();
  EXPECT_EQ(std::get<ChordUpdate>(*update).type, kChordUpdatePeerReady);

  auto error = DecodeBody(0xFFFF, Hex("000c 0003 616263"));
  ASSERT_TRUE(error.ok());
  EXPECT_EQ(std::get<ErrorResponse>(*error).error_code, 0x0C);
}

TEST(BodyTest, UnknownCodesAndTrailingBytesAreErrors) {
  for (uint16_t code : {0x05, 0x0B, 0x1B, 0x1F, 0x29, 0x7FFF, 0x8000}) {
    Body b;
    DecodeError err;
    EXPECT_FALSE(DecodeBody(code, {}, &b, &err)) << code;
    EXPECT_EQ(err.code, DecodeErrorCode::kUnknownType);
  }
  Body b;
  DecodeError err;
  EXPECT_FALSE(DecodeBody(0x17, Hex("0000 ff"), &b, &err));
  EXPECT_EQ(err.code, DecodeErrorCode::kTrailingBytes);
  EXPECT_EQ(err.offset, 2u);
}

TEST(BodyTest, EveryAssignedCodeHasABodyThatRoundTrips) {
  // The minimal valid body of each method, built by hand from the RFC layouts.
  const std::vector<std::pair<uint16_t, std::string>> minimal = {
      {0x01, "00"},                // ProbeReq: requested_info<0..2^8-1>
      {0x02, "0000"},              // ProbeAns: probe_info<0..2^16-1>
      {0x03, "00 00 00 0000 00"},  // AttachReqAns
      {0x04, "00 00 00 0000 01"},
      {0x07, "00 00 00000000"},  // StoreReq: resource, replica_number, kind_data
      {0x08, "0000"},            // StoreAns
      {0x09, "00 0000"},         // FetchReq
      {0x0A, "00000000"},        // FetchAns
      {0x0D, "00 00"},           // FindReq
      {0x0E, "0000"},            // FindAns
      {0x0F, "000102030405060708090a0b0c0d0e0f 0000"},         // JoinReq
      {0x10, "0000"},                                          // JoinAns
      {0x11, "000102030405060708090a0b0c0d0e0f 0000"},         // LeaveReq
      {0x12, ""},                                              // LeaveAns
      {0x13, "00000001 01"},                                   // ChordUpdate peer_ready
      {0x14, ""},                                              // UpdateAns
      {0x15, "00 0110000102030405060708090a0b0c0d0e0f 0000"},  // RouteQueryReq
      {0x16, "000102030405060708090a0b0c0d0e0f"},              // ChordRouteQueryAns
      {0x17, "0000"},
      {0x18, "0000000000000000 0000000000000000"},
      {0x19, "00 0000"},             // StatReq
      {0x1A, "00000000"},            // StatAns
      {0x1D, "00 00 13c4 00 0000"},  // AppAttachReq (application 5060)
      {0x1E, "00 00 13c4 00 0000"},
      {0x22, ""},             // ConfigUpdateAns
      {0x23, "010203"},       // exp_a: opaque
      {0xFFFF, "0014 0000"},  // ErrorResponse
  };
  for (const auto& [code, hex] : minimal) {
    auto bytes = Hex(hex);
    auto body = DecodeBody(code, bytes);
    ASSERT_TRUE(body.ok()) << "code " << code << ": " << body.status();
    auto contents = MakeContents(code, *body);
    ASSERT_TRUE(contents.ok());
    EXPECT_EQ(contents->body, bytes) << "code " << code;
  }
}

TEST(BodyTest, AllMessageCodesNameAMethod) {
  size_t n = 0;
  for (uint16_t code : AllMessageCodes()) {
    EXPECT_NE(MethodName(code), nullptr) << code;
    ++n;
  }
  EXPECT_EQ(n, 33u);  // 16 methods x (request, answer) + Error
}

TEST(BodyTest, StructuredErrorInfo) {
  ErrorResponse unknown = MakeUnknownKindError({0xF0000001, 7});
  EXPECT_EQ(unknown.error_code, 0x0C);
  EXPECT_EQ(unknown.error_info, Hex("08 f0000001 00000007"));
  std::vector<uint32_t> kinds;
  DecodeError err;
  ASSERT_TRUE(DecodeUnknownKinds(unknown, &kinds, &err));
  EXPECT_EQ(kinds, (std::vector<uint32_t>{0xF0000001, 7}));
  unknown.error_info = Hex("03 000000");
  EXPECT_FALSE(DecodeUnknownKinds(unknown, &kinds, &err));

  StoreAns current{{{kKindSipRegistration, 9, {TestNodeId(1)}}}};
  ErrorResponse too_low = MakeGenerationCounterTooLowError(current);
  EXPECT_EQ(too_low.error_code, 0x05);
  // The replica lists are emptied (RFC 6940 §7.4.1.2).
  EXPECT_EQ(too_low.error_info, Hex("000e 00000001 0000000000000009 0000"));
  StoreAns back;
  ASSERT_TRUE(DecodeGenerationCounterTooLow(too_low, &back, &err));
  EXPECT_EQ(back.kind_responses[0].generation_counter, 9u);
  EXPECT_TRUE(back.kind_responses[0].replicas.empty());
}

}  // namespace
}  // namespace p2psip::wire

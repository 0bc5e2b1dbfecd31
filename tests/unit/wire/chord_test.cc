#include "p2psip/wire/chord.h"

#include <gtest/gtest.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "p2psip/wire/codec.h"
#include "p2psip/wire/method_bodies.h"
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

NodeId Filled(uint8_t byte, size_t length = 16) {
  return NodeId(std::vector<uint8_t>(length, byte));
}

std::string Repeat(std::string_view hex_byte, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += std::string(hex_byte) + " ";
  return out;
}

const NodeId kA = Filled(0x11);
const NodeId kB = Filled(0x22);
const NodeId kC = Filled(0x33);
const NodeId kD = Filled(0x44);

TEST(ChordTest, PeerReadyMatchesHandWrittenBytes) {
  const std::vector<uint8_t> expected = Hex("00 00 0e 10  01");
  EXPECT_EQ(Enc(ChordUpdate::PeerReady(3600)), expected);
  EXPECT_EQ(Dec<ChordUpdate>(expected), ChordUpdate::PeerReady(3600));
}

TEST(ChordTest, NeighborsAndFullMatchHandWrittenBytes) {
  const ChordUpdate neighbors = ChordUpdate::Neighbors(1, {kA}, {kB, kC});
  const std::vector<uint8_t> neighbors_bytes = Hex("00 00 00 01  02  00 10 " + Repeat("11", 16) +
                                                   " 00 20 " + Repeat("22", 16) + Repeat("33", 16));
  EXPECT_EQ(Enc(neighbors), neighbors_bytes);
  EXPECT_EQ(Dec<ChordUpdate>(neighbors_bytes), neighbors);

  const ChordUpdate full = ChordUpdate::Full(0xffffffff, {kA}, {kB, kC}, {kD});
  std::vector<uint8_t> full_bytes = neighbors_bytes;
  full_bytes[0] = full_bytes[1] = full_bytes[2] = full_bytes[3] = 0xff;
  full_bytes[4] = kChordUpdateFull;
  const std::vector<uint8_t> fingers = Hex("00 10 " + Repeat("44", 16));
  full_bytes.insert(full_bytes.end(), fingers.begin(), fingers.end());
  EXPECT_EQ(Enc(full), full_bytes);
  EXPECT_EQ(Dec<ChordUpdate>(full_bytes), full);
}

TEST(ChordTest, LeaveDataMatchesHandWrittenBytes) {
  const std::vector<uint8_t> succ = Hex("01  00 20 " + Repeat("22", 16) + Repeat("33", 16));
  EXPECT_EQ(Enc(ChordLeaveData::FromSucc({kB, kC})), succ);
  EXPECT_EQ(Dec<ChordLeaveData>(succ), ChordLeaveData::FromSucc({kB, kC}));

  const std::vector<uint8_t> pred = Hex("02  00 10 " + Repeat("11", 16));
  EXPECT_EQ(Enc(ChordLeaveData::FromPred({kA})), pred);
  EXPECT_EQ(Dec<ChordLeaveData>(pred), ChordLeaveData::FromPred({kA}));
}

TEST(ChordTest, RouteQueryAnsIsABareNodeId) {
  const std::vector<uint8_t> expected = Hex(Repeat("44", 16));
  EXPECT_EQ(Enc(ChordRouteQueryAns{kD}), expected);
  EXPECT_EQ(Dec<ChordRouteQueryAns>(expected), ChordRouteQueryAns{kD});
}

TEST(ChordTest, RoundTripsEveryStructure) {
  ExpectValueRoundTrip(ChordUpdate::PeerReady(0));
  ExpectValueRoundTrip(ChordUpdate::Neighbors(7, {}, {}));
  ExpectValueRoundTrip(ChordUpdate::Neighbors(7, {kA, kB, kC}, {kD}));
  ExpectValueRoundTrip(ChordUpdate::Full(9, {}, {}, {}));
  ExpectValueRoundTrip(ChordUpdate::Full(9, {kA}, {kB}, {kA, kB, kC, kD}));
  ExpectValueRoundTrip(ChordLeaveData::FromSucc({}));
  ExpectValueRoundTrip(ChordLeaveData::FromPred({kA, kB}));
  ExpectValueRoundTrip(ChordRouteQueryAns{kB});
}

TEST(ChordTest, TwentyByteNodeIds) {
  WireContext ctx;
  ctx.node_id_length = 20;
  const NodeId a = Filled(0xa0, 20);
  const NodeId b = Filled(0xb0, 20);
  ExpectValueRoundTrip(ChordUpdate::Full(1, {a}, {b}, {a, b}), ctx);
  ExpectValueRoundTrip(ChordLeaveData::FromPred({a, b}), ctx);
  ExpectValueRoundTrip(ChordRouteQueryAns{a}, ctx);
  // 40 bytes of 20-byte ids are not a whole number of 16-byte ids.
  const DecodeError error = DecodeFailure<ChordLeaveData>(Enc(ChordLeaveData::FromPred({a, b})));
  EXPECT_EQ(error.code, DecodeErrorCode::kLengthMismatch);
  EXPECT_EQ(error.offset, 1u);
  EXPECT_STREQ(error.field, "chord_leave.predecessors");
}

TEST(ChordTest, LeaveDataInsideLeaveReq) {
  // CHORD-RELOAD puts ChordLeaveData in LeaveReq.overlay_specific_data (§10.9).
  LeaveReq leave{kA, Enc(ChordLeaveData::FromSucc({kB}))};
  const LeaveReq back = Dec<LeaveReq>(Enc(leave));
  EXPECT_EQ(Dec<ChordLeaveData>(back.overlay_specific_data), ChordLeaveData::FromSucc({kB}));
}

TEST(ChordTest, UnknownUpdateTypeIsRejected) {
  for (uint8_t type : {uint8_t{0}, uint8_t{4}, uint8_t{0xff}}) {
    std::vector<uint8_t> bytes = Enc(ChordUpdate::PeerReady(5));
    bytes[4] = type;
    const DecodeError error = DecodeFailure<ChordUpdate>(bytes);
    EXPECT_EQ(error.code, DecodeErrorCode::kUnknownType) << int{type};
    EXPECT_EQ(error.offset, 4u);
    EXPECT_STREQ(error.field, "chord_update.type");
    ChordUpdate u = ChordUpdate::PeerReady(5);
    u.type = type;
    EXPECT_FALSE(EncodeToBytes(u).ok());
  }
}

TEST(ChordTest, UnknownLeaveTypeIsRejected) {
  for (uint8_t type : {uint8_t{0}, uint8_t{3}, uint8_t{0x80}}) {
    std::vector<uint8_t> bytes = Enc(ChordLeaveData::FromSucc({kB}));
    bytes[0] = type;
    const DecodeError error = DecodeFailure<ChordLeaveData>(bytes);
    EXPECT_EQ(error.code, DecodeErrorCode::kUnknownType) << int{type};
    EXPECT_EQ(error.offset, 0u);
    EXPECT_STREQ(error.field, "chord_leave.type");
    ChordLeaveData l;
    l.type = type;
    EXPECT_FALSE(EncodeToBytes(l).ok());
  }
}

TEST(ChordTest, PartialNodeIdInListIsLengthMismatch) {
  // predecessors claims 17 bytes.
  std::vector<uint8_t> bytes = Enc(ChordUpdate::Neighbors(1, {kA}, {}));
  bytes[6] = 0x11;
  bytes.insert(bytes.begin() + 7 + 16, 0x99);
  const DecodeError error = DecodeFailure<ChordUpdate>(bytes);
  EXPECT_EQ(error.code, DecodeErrorCode::kLengthMismatch);
  EXPECT_EQ(error.offset, 5u);
  EXPECT_STREQ(error.field, "chord_update.predecessors");
}

TEST(ChordTest, ListRunningPastTheBodyIsTruncated) {
  std::vector<uint8_t> bytes = Enc(ChordUpdate::Neighbors(1, {kA}, {kB}));
  bytes[24] = 0x20;  // successors claims two ids, one is there
  const DecodeError error = DecodeFailure<ChordUpdate>(bytes);
  EXPECT_EQ(error.code, DecodeErrorCode::kTruncated);
  EXPECT_EQ(error.offset, 23u);
  EXPECT_STREQ(error.field, "chord_update.successors");
}

TEST(ChordTest, NeighborsIsNotFull) {
  // A neighbors update followed by a fingers list leaves trailing bytes: the type decides.
  std::vector<uint8_t> bytes = Enc(ChordUpdate::Full(1, {kA}, {kB}, {kC}));
  bytes[4] = kChordUpdateNeighbors;
  EXPECT_EQ(DecodeFailure<ChordUpdate>(bytes).code, DecodeErrorCode::kTrailingBytes);
}

TEST(ChordTest, EncoderRejectsListsTheTypeDoesNotCarry) {
  ChordUpdate ready = ChordUpdate::PeerReady(1);
  ready.successors = {kA};
  EXPECT_FALSE(EncodeToBytes(ready).ok());
  ChordUpdate neighbors = ChordUpdate::Neighbors(1, {kA}, {kB});
  neighbors.fingers = {kC};
  EXPECT_FALSE(EncodeToBytes(neighbors).ok());
  ChordLeaveData succ = ChordLeaveData::FromSucc({kA});
  succ.predecessors = {kB};
  EXPECT_FALSE(EncodeToBytes(succ).ok());
  ChordLeaveData pred = ChordLeaveData::FromPred({kA});
  pred.successors = {kB};
  EXPECT_FALSE(EncodeToBytes(pred).ok());
}

TEST(ChordTest, BadNodeIdLengthInContextFailsCleanly) {
  WireContext ctx;
  ctx.node_id_length = 0;
  const DecodeError error = DecodeFailure<ChordLeaveData>(Enc(ChordLeaveData::FromSucc({kA})), ctx);
  EXPECT_EQ(error.code, DecodeErrorCode::kBadValue);
  EXPECT_EQ(DecodeFailure<ChordRouteQueryAns>(Enc(ChordRouteQueryAns{kA}), ctx).code,
            DecodeErrorCode::kBadValue);
}

TEST(ChordTest, TruncationAtEveryPrefixFails) {
  ExpectEveryPrefixFails<ChordUpdate>(Enc(ChordUpdate::PeerReady(1)));
  ExpectEveryPrefixFails<ChordUpdate>(Enc(ChordUpdate::Neighbors(1, {kA}, {kB, kC})));
  ExpectEveryPrefixFails<ChordUpdate>(Enc(ChordUpdate::Full(1, {kA}, {kB}, {kC, kD})));
  ExpectEveryPrefixFails<ChordLeaveData>(Enc(ChordLeaveData::FromSucc({kA, kB})));
  ExpectEveryPrefixFails<ChordLeaveData>(Enc(ChordLeaveData::FromPred({kC})));
  ExpectEveryPrefixFails<ChordRouteQueryAns>(Enc(ChordRouteQueryAns{kD}));
}

TEST(ChordTest, SingleByteMutationsAreSafe) {
  ExpectMutationsAreSafe<ChordUpdate>(Enc(ChordUpdate::Full(1, {kA}, {kB}, {kC, kD})));
  ExpectMutationsAreSafe<ChordLeaveData>(Enc(ChordLeaveData::FromSucc({kA, kB})));
}

}  // namespace
}  // namespace p2psip::wire

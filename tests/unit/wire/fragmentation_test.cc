#include "p2psip/wire/fragmentation.h"

#include <algorithm>
#include <random>

#include "gtest/gtest.h"
#include "p2psip/wire/forwarding_view.h"
#include "p2psip/wire/message.h"
#include "test_util.h"

namespace p2psip::wire {
namespace {

using testing::TestNodeId;

std::vector<uint8_t> BigMessage(uint64_t txid, size_t body_size) {
  Message m;
  m.header.overlay = 1;
  m.header.transaction_id = txid;
  m.header.destination_list = {Destination::Node(TestNodeId(0x10))};
  m.contents.message_code = 0x07;
  m.contents.body.resize(body_size);
  for (size_t i = 0; i < body_size; ++i) m.contents.body[i] = static_cast<uint8_t>(i * 7);
  return *EncodeMessage(m);
}

TEST(FragmentationTest, SplitsIntoEqualPiecesWithFullHeaders) {
  auto msg = BigMessage(1, 3000);
  auto frags = FragmentMessage(msg, 1000);
  ASSERT_TRUE(frags.ok()) << frags.status();
  ASSERT_EQ(frags->size(), 4u);
  size_t offset = 0;
  for (size_t i = 0; i < frags->size(); ++i) {
    auto& f = (*frags)[i];
    EXPECT_LE(f.size(), 1000u - kFragmentViaAllowance);
    ForwardingView v;
    ASSERT_EQ(ForwardingView::Parse(f.data(), f.size(), &v), ViewError::kOk);
    EXPECT_EQ(v.fragment() & kFragmentOffsetMask, offset);
    EXPECT_EQ((v.fragment() & kLastFragment) != 0, i + 1 == frags->size());
    EXPECT_EQ(v.transaction_id(), 1u);
    offset += f.size() - v.header_size();
  }
  EXPECT_EQ(offset, msg.size() - 56);
}

TEST(FragmentationTest, ReassemblesInAnyOrderAndIgnoresDuplicates) {
  auto msg = BigMessage(2, 4000);
  auto frags = *FragmentMessage(msg, 1200);
  std::mt19937 rng(7);
  std::shuffle(frags.begin(), frags.end(), rng);
  Reassembler r;
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < frags.size(); ++i) {
    EXPECT_EQ(r.Add(frags[i], 1000, &out), Reassembler::Result::kPending);
    EXPECT_EQ(r.Add(frags[i], 1000, &out), Reassembler::Result::kPending);  // duplicate
  }
  EXPECT_EQ(r.Add(frags.back(), 1000, &out), Reassembler::Result::kComplete);
  EXPECT_EQ(out, msg);
  EXPECT_EQ(r.buffered_messages(), 0u);
  EXPECT_EQ(r.buffered_bytes(), 0u);
  auto decoded = DecodeMessage(out, {}, MessageLimits{.max_message_size = 10000});
  EXPECT_TRUE(decoded.ok()) << decoded.status();
}

TEST(FragmentationTest, PartialMessagesExpireAfter15Seconds) {
  auto frags = *FragmentMessage(BigMessage(3, 3000), 1000);
  Reassembler r;
  std::vector<uint8_t> out;
  EXPECT_EQ(r.Add(frags[0], 0, &out), Reassembler::Result::kPending);
  r.Expire(14999);
  EXPECT_EQ(r.buffered_messages(), 1u);
  r.Expire(15000);
  EXPECT_EQ(r.buffered_messages(), 0u);
  EXPECT_EQ(r.counters().expired, 1u);
  // The rest arriving late cannot complete the message.
  for (size_t i = 1; i < frags.size(); ++i) {
    EXPECT_NE(r.Add(frags[i], 15001, &out), Reassembler::Result::kComplete);
  }
}

TEST(FragmentationTest, MemoryIsBounded) {
  Reassembler r(
      ReassemblyLimits{.max_message_size = 5000, .max_buffers = 2, .max_total_bytes = 1800});
  std::vector<uint8_t> out;
  auto a = *FragmentMessage(BigMessage(10, 3000), 1000);
  auto b = *FragmentMessage(BigMessage(11, 3000), 1000);
  auto c = *FragmentMessage(BigMessage(12, 3000), 1000);
  EXPECT_EQ(r.Add(a[0], 0, &out), Reassembler::Result::kPending);
  EXPECT_EQ(r.Add(b[0], 0, &out), Reassembler::Result::kPending);
  EXPECT_EQ(r.Add(c[0], 0, &out), Reassembler::Result::kDropped);  // third buffer
  EXPECT_EQ(r.counters().dropped_no_memory, 1u);
  EXPECT_EQ(r.Add(a[1], 0, &out), Reassembler::Result::kDropped);  // byte budget
  EXPECT_LE(r.buffered_bytes(), 1800u);

  Reassembler small(ReassemblyLimits{.max_message_size = 2000});
  auto big = *FragmentMessage(BigMessage(13, 3000), 1000);
  Reassembler::Result last = Reassembler::Result::kPending;
  for (auto& f : big) last = small.Add(f, 0, &out);
  EXPECT_EQ(last, Reassembler::Result::kDropped);
  EXPECT_GE(small.counters().dropped_too_large, 1u);
}

TEST(FragmentationTest, OverlappingInconsistentFragmentsAreDropped) {
  auto frags = *FragmentMessage(BigMessage(20, 3000), 1000);
  auto evil = frags[1];
  evil[evil.size() - 1] ^= 0xFF;  // same offset, different bytes
  Reassembler r;
  std::vector<uint8_t> out;
  EXPECT_EQ(r.Add(frags[1], 0, &out), Reassembler::Result::kPending);
  EXPECT_EQ(r.Add(evil, 0, &out), Reassembler::Result::kDropped);
  EXPECT_EQ(r.counters().dropped_malformed, 1u);
}

TEST(FragmentationTest, SmallMessagesAndTinyMtus) {
  auto msg = BigMessage(30, 100);
  auto one = FragmentMessage(msg, 1500);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0], msg);
  // 300 bytes minus the allowance cannot carry 56 header bytes and 256 body bytes.
  EXPECT_FALSE(FragmentMessage(BigMessage(31, 3000), 300).ok());
  Reassembler r;
  std::vector<uint8_t> out;
  EXPECT_EQ(r.Add(msg, 0, &out), Reassembler::Result::kComplete);  // unfragmented passes
  EXPECT_EQ(out, msg);
  std::vector<uint8_t> garbage(10, 0xAA);
  EXPECT_EQ(r.Add(garbage, 0, &out), Reassembler::Result::kDropped);
}

}  // namespace
}  // namespace p2psip::wire

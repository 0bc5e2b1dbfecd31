#include "p2psip/wire/framing.h"

#include "gtest/gtest.h"
#include "test_util.h"

namespace p2psip::wire {
namespace {

using testing::Hex;

TEST(FramingTest, DataFrameByHand) {
  auto frame = Hex("80 00000007 000003 aabbcc");
  FrameView f;
  DecodeError err;
  ASSERT_TRUE(DecodeFrame(frame, &f, &err)) << err.ToString();
  EXPECT_EQ(f.type, kFrameData);
  EXPECT_EQ(f.sequence, 7u);
  EXPECT_EQ(std::vector<uint8_t>(f.message.begin(), f.message.end()), Hex("aabbcc"));

  std::vector<uint8_t> out;
  ByteWriter w(&out);
  EncodeDataFrame(w, 7, Hex("aabbcc"));
  EXPECT_EQ(out, frame);
}

TEST(FramingTest, AckFrameByHand) {
  auto frame = Hex("81 00000010 80000001");
  FrameView f;
  DecodeError err;
  ASSERT_TRUE(DecodeFrame(frame, &f, &err));
  EXPECT_EQ(f.type, kFrameAck);
  EXPECT_EQ(f.sequence, 16u);
  EXPECT_EQ(f.received, 0x80000001u);
  std::vector<uint8_t> out;
  ByteWriter w(&out);
  EncodeAckFrame(w, 16, 0x80000001);
  EXPECT_EQ(out, frame);
}

TEST(FramingTest, Errors) {
  FrameView f;
  DecodeError err;
  EXPECT_FALSE(DecodeFrame(Hex("82 00000000"), &f, &err));
  EXPECT_EQ(err.code, DecodeErrorCode::kUnknownType);
  EXPECT_FALSE(DecodeFrame(Hex("80 00000000 000004 aabbcc"), &f, &err));
  EXPECT_EQ(err.code, DecodeErrorCode::kTruncated);
  EXPECT_FALSE(DecodeFrame(Hex("81 00000000 00000000 00"), &f, &err));
  EXPECT_EQ(err.code, DecodeErrorCode::kTrailingBytes);
  auto valid = Hex("80 00000001 000002 abcd");
  for (size_t n = 0; n < valid.size(); ++n) {
    EXPECT_FALSE(DecodeFrame(std::span(valid).first(n), &f, &err)) << n;
  }
}

TEST(ReceiveWindowTest, BitmaskLsbIsPreviousSequence) {
  ReceiveWindow w;
  EXPECT_EQ(w.OnData(0), 0u);
  EXPECT_EQ(w.OnData(1), 0x1u);  // 0 arrived: bit N-M-1 = 0
  EXPECT_EQ(w.OnData(2), 0x3u);
  EXPECT_EQ(w.OnData(5), 0x1Cu);  // 4, 3 missing; 2,1,0 at bits 2,3,4
  EXPECT_TRUE(w.Seen(2));
  EXPECT_FALSE(w.Seen(3));
}

TEST(ReceiveWindowTest, OutOfOrderAndOldFrames) {
  ReceiveWindow w;
  w.OnData(10);
  w.OnData(12);
  // 11 arrives late: 10 is at bit 0; 12 is newer and not part of 11's mask.
  EXPECT_EQ(w.OnData(11), 0x1u);
  EXPECT_TRUE(w.Seen(11));
  // After a jump of more than 32, earlier frames fall out of the mask.
  EXPECT_EQ(w.OnData(100), 0u);
  EXPECT_EQ(w.OnData(132), 0x80000000u);  // 100 = N-32 is the MSB
}

TEST(ReceiveWindowTest, ReceivedMaskCountsFramesThatArrivedLater) {
  ReceiveWindow w;
  EXPECT_EQ(w.ReceivedMask(7), 0u);  // nothing recorded yet
  w.OnData(10);
  EXPECT_EQ(w.OnData(12), 0x2u);  // 11 missing, 10 at bit 1
  EXPECT_EQ(w.ReceivedMask(12), 0x2u);
  w.OnData(11);  // late: an ACK of 12 now covers it too
  EXPECT_EQ(w.ReceivedMask(12), 0x3u);
  EXPECT_EQ(w.ReceivedMask(11), 0x1u);  // same as OnData(11) returned
  EXPECT_EQ(w.ReceivedMask(13), 0u);    // ahead of every recorded frame
  w.OnData(40);
  EXPECT_EQ(w.ReceivedMask(16), 0x38u);  // 12, 11, 10 at bits 3, 4, 5; 13-15 never arrived
  w.OnData(100);
  EXPECT_EQ(w.ReceivedMask(12), 0u);  // 88 behind: beyond the 64 remembered
}

TEST(ReceiveWindowTest, SequenceWraps) {
  ReceiveWindow w;
  w.OnData(0xFFFFFFFEu);
  w.OnData(0xFFFFFFFFu);
  EXPECT_EQ(w.OnData(0), 0x3u);
}

}  // namespace
}  // namespace p2psip::wire

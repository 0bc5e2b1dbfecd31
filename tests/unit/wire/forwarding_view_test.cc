#include "p2psip/wire/forwarding_view.h"

#include "gtest/gtest.h"
#include "p2psip/wire/message.h"
#include "test_util.h"

namespace p2psip::wire {
namespace {

using testing::TestNodeId;

Message PingTo(std::vector<Destination> dests) {
  Message m;
  m.header.overlay = 0x9aa32b8d;
  m.header.transaction_id = 0xabcdef;
  m.header.destination_list = std::move(dests);
  m.contents.message_code = 0x17;
  m.contents.body = std::vector<uint8_t>(300, 0x5a);
  m.security.signature.identity = SignerIdentity::None();
  return m;
}

// The message placed after `headroom` spare bytes, as in an mbuf.
struct Buffer {
  std::vector<uint8_t> storage;
  size_t headroom;
  uint8_t* start() { return storage.data() + headroom; }
};
Buffer WithHeadroom(const std::vector<uint8_t>& msg, size_t headroom) {
  Buffer b{std::vector<uint8_t>(headroom), headroom};
  b.storage.insert(b.storage.end(), msg.begin(), msg.end());
  return b;
}

TEST(ForwardingViewTest, ReadsTheFixedHeaderAndFirstDestination) {
  auto bytes = *EncodeMessage(PingTo({Destination::Node(TestNodeId(0x10))}));
  ForwardingView v;
  ASSERT_EQ(ForwardingView::Parse(bytes.data(), bytes.size(), &v), ViewError::kOk);
  EXPECT_EQ(v.overlay(), 0x9aa32b8du);
  EXPECT_EQ(v.ttl(), 100);
  EXPECT_EQ(v.transaction_id(), 0xabcdefu);
  EXPECT_EQ(v.first_destination().type, DestinationType::kNode);
  EXPECT_EQ(NodeId(v.first_destination().id), TestNodeId(0x10));
  EXPECT_EQ(v.header_size(), 38u + 18u);
}

TEST(ForwardingViewTest, ForwardingStepMatchesTheFullCodec) {
  Message m = PingTo({Destination::Node(TestNodeId(0x10))});
  auto bytes = *EncodeMessage(m);
  Buffer buf = WithHeadroom(bytes, 64);
  ForwardingView v;
  ASSERT_EQ(ForwardingView::Parse(buf.start(), bytes.size(), &v), ViewError::kOk);
  ASSERT_TRUE(v.DecrementTtl());
  ASSERT_TRUE(v.AppendVia(TestNodeId(0x77), buf.headroom));
  ASSERT_TRUE(v.AppendVia(TestNodeId(0x88), buf.headroom - 18));

  // What the full decoder sees is exactly the edited message.
  m.header.ttl = 99;
  m.header.via_list = {Destination::Node(TestNodeId(0x77)), Destination::Node(TestNodeId(0x88))};
  auto expected = *EncodeMessage(m);
  EXPECT_EQ(std::vector<uint8_t>(v.data(), v.data() + v.size()), expected);
  auto decoded = DecodeMessage(std::span<const uint8_t>(v.data(), v.size()));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->header.via_list.size(), 2u);
}

TEST(ForwardingViewTest, AppendViaNeedsHeadroomAndTtlStopsAtZero) {
  Message m = PingTo({Destination::Node(TestNodeId(0x10))});
  m.header.ttl = 0;
  auto bytes = *EncodeMessage(m);
  ForwardingView v;
  ASSERT_EQ(ForwardingView::Parse(bytes.data(), bytes.size(), &v), ViewError::kOk);
  EXPECT_FALSE(v.DecrementTtl());
  EXPECT_EQ(v.ttl(), 0);
  EXPECT_FALSE(v.AppendVia(TestNodeId(1), 17));
  EXPECT_EQ(v.via_list_length(), 0);
}

TEST(ForwardingViewTest, PopFirstDestination) {
  Message m = PingTo({Destination::Node(TestNodeId(0x10)),
                      Destination::Resource(*ResourceId::FromHex("0c51a942"))});
  m.header.via_list = {Destination::Node(TestNodeId(0x30))};
  auto bytes = *EncodeMessage(m);
  ForwardingView v;
  ASSERT_EQ(ForwardingView::Parse(bytes.data(), bytes.size(), &v), ViewError::kOk);
  ASSERT_TRUE(v.PopFirstDestination());
  EXPECT_EQ(v.first_destination().type, DestinationType::kResource);
  EXPECT_FALSE(v.PopFirstDestination());  // never pops the last entry

  m.header.destination_list.erase(m.header.destination_list.begin());
  EXPECT_EQ(std::vector<uint8_t>(v.data(), v.data() + v.size()), *EncodeMessage(m));
}

TEST(ForwardingViewTest, RejectsBadHeaders) {
  auto good = *EncodeMessage(PingTo({Destination::Node(TestNodeId(0x10))}));
  struct Case {
    size_t offset;
    uint8_t value;
    ViewError expected;
  } cases[] = {
      {0, 0x00, ViewError::kBadToken},          {10, 0x01, ViewError::kBadVersion},
      {12, 0x40, ViewError::kUnmarkedFragment}, {19, 0x00, ViewError::kLengthMismatch},
      {35, 0x00, ViewError::kEmptyDestination}, {39, 0x05, ViewError::kBadDestination},
  };
  for (const Case& c : cases) {
    auto bad = good;
    bad[c.offset] = c.value;
    ForwardingView v;
    EXPECT_EQ(ForwardingView::Parse(bad.data(), bad.size(), &v), c.expected)
        << ViewErrorName(c.expected);
  }
  for (size_t n = 0; n < 38; ++n) {
    ForwardingView v;
    EXPECT_EQ(ForwardingView::Parse(good.data(), n, &v), ViewError::kTruncated);
  }
}

}  // namespace
}  // namespace p2psip::wire

// NetStack: the kernel-bypass ports' Ethernet/ARP/IPv4/UDP/ICMP stack, on plain byte arrays.
// Two stacks talk to each other here; tests/dpdk checks the same stack against the kernel's.
#include "p2psip/port/net_stack.h"

#include <algorithm>
#include <cstring>
#include <span>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace p2psip::port {
namespace {

constexpr MacAddress kMacA = {0x02, 0, 0, 0, 0, 0x0a};
constexpr MacAddress kMacB = {0x02, 0, 0, 0, 0, 0x0b};

Endpoint Ep(const char* text) { return *Endpoint::Parse(text); }

NetStackOptions Options(const MacAddress& mac, const char* local) {
  NetStackOptions o;
  o.mac = mac;
  o.local = Ep(local);
  o.prefix_length = 24;
  return o;
}

uint32_t Ip(const char* text) {
  const Endpoint e = *Endpoint::Parse(text, 1);
  return uint32_t{e.address[0]} << 24 | uint32_t{e.address[1]} << 16 | uint32_t{e.address[2]} << 8 |
         e.address[3];
}

// A frame carrying `payload` from `from` (a NetStack) to `to`, as the DPDK port builds it.
std::vector<uint8_t> UdpFrame(NetStack& from, const MacAddress& next_hop, const Endpoint& to,
                              std::string_view payload) {
  std::vector<uint8_t> frame(NetStack::kUdpHeadroom + payload.size());
  std::memcpy(frame.data() + NetStack::kUdpHeadroom, payload.data(), payload.size());
  from.WriteUdpHeaders(next_hop, to, {frame.data() + NetStack::kUdpHeadroom, payload.size()},
                       {frame.data(), NetStack::kUdpHeadroom});
  return frame;
}

struct Received {
  NetStack::RxVerdict verdict;
  RxDatagram datagram;
  std::vector<uint8_t> reply;
};

Received Deliver(NetStack& stack, std::span<const uint8_t> frame) {
  Received r;
  r.reply.resize(2048);
  size_t len = 0;
  r.verdict = stack.Receive(frame, &r.datagram, r.reply, &len);
  r.reply.resize(len);
  return r;
}

TEST(NetStackTest, MayReplyAdmitsArpIcmpAndIcmpv6Only) {
  std::vector<uint8_t> f(64, 0);
  const auto ether = [&f](uint16_t type) {
    f[12] = static_cast<uint8_t>(type >> 8);
    f[13] = static_cast<uint8_t>(type);
  };
  ether(0x0806);
  EXPECT_TRUE(NetStack::MayReply(f));  // ARP
  ether(0x0800);
  f[23] = 1;
  EXPECT_TRUE(NetStack::MayReply(f));  // ICMP
  f[23] = 17;
  EXPECT_FALSE(NetStack::MayReply(f));  // UDP: the stack delivers or hands on, never answers
  ether(0x86dd);
  f[20] = 58;
  EXPECT_TRUE(NetStack::MayReply(f));  // ICMPv6
  f[20] = 17;
  EXPECT_FALSE(NetStack::MayReply(f));
  ether(0x0800);
  f[23] = 1;
  EXPECT_FALSE(NetStack::MayReply(std::span(f).first(23)));  // cut before the protocol
  EXPECT_FALSE(NetStack::MayReply(std::span(f).first(10)));
}

TEST(NetStackTest, ArpResolvesThenDatagramsFlowBothWays) {
  NetStack a(Options(kMacA, "198.18.0.1:6084"));
  NetStack b(Options(kMacB, "198.18.0.2:6084"));
  const Endpoint to_b = Ep("198.18.0.2:6084");

  MacAddress mac;
  ASSERT_EQ(a.Resolve(to_b, &mac), NetStack::TxVerdict::kResolve);
  ASSERT_TRUE(a.ResolutionDue(to_b, 1'000));
  EXPECT_FALSE(a.ResolutionDue(to_b, 2'000)) << "one request per arp_retry_ns";
  std::vector<uint8_t> request(NetStack::kMinFrame);
  ASSERT_EQ(a.WriteArpRequest(to_b, request), NetStack::kMinFrame);
  EXPECT_THAT(std::vector<uint8_t>(request.begin(), request.begin() + 6), testing::Each(0xff));

  Received answer = Deliver(b, request);
  ASSERT_EQ(answer.verdict, NetStack::RxVerdict::kReply);
  EXPECT_EQ(b.counters().rx_arp_requests, 1u);
  EXPECT_EQ(b.Neighbour(Ip("198.18.0.1")), kMacA) << "the asker is learnt";
  EXPECT_EQ(Deliver(a, answer.reply).verdict, NetStack::RxVerdict::kException)
      << "ARP replies go on to the kernel too";
  ASSERT_EQ(a.Resolve(to_b, &mac), NetStack::TxVerdict::kReady);
  EXPECT_EQ(mac, kMacB);

  std::vector<uint8_t> frame = UdpFrame(a, mac, to_b, "hello over the fast path");
  Received got = Deliver(b, frame);
  ASSERT_EQ(got.verdict, NetStack::RxVerdict::kDatagram);
  EXPECT_EQ(got.datagram.from, Ep("198.18.0.1:6084"));
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(got.datagram.data.data()),
                             got.datagram.data.size()),
            "hello over the fast path");
  EXPECT_EQ(b.counters().rx_datagrams, 1u);
}

TEST(NetStackTest, ChecksumsAreVerified) {
  NetStack a(Options(kMacA, "198.18.0.1:6084"));
  NetStack b(Options(kMacB, "198.18.0.2:6084"));
  std::vector<uint8_t> frame = UdpFrame(a, kMacB, Ep("198.18.0.2:6084"), "payload!");
  // The IPv4 header checksum covers its 20 bytes; the UDP one the pseudo-header and payload.
  EXPECT_EQ(ChecksumFold(ChecksumAdd(0, {frame.data() + 14, 20})), 0);
  std::vector<uint8_t> bad_payload = frame;
  bad_payload.back() ^= 0x01;
  EXPECT_EQ(Deliver(b, bad_payload).verdict, NetStack::RxVerdict::kDrop);
  std::vector<uint8_t> bad_header = frame;
  bad_header[14 + 8] ^= 0x10;  // TTL
  EXPECT_EQ(Deliver(b, bad_header).verdict, NetStack::RxVerdict::kDrop);
  EXPECT_EQ(b.counters().rx_bad_checksum, 2u);
  // A zero UDP checksum means "none" over IPv4 and is accepted.
  std::vector<uint8_t> no_sum = frame;
  no_sum[14 + 20 + 6] = no_sum[14 + 20 + 7] = 0;
  EXPECT_EQ(Deliver(b, no_sum).verdict, NetStack::RxVerdict::kDatagram);
}

TEST(NetStackTest, HeadersFromAPayloadSumAreTheSame) {
  // The DPDK port sums the payload while copying it (ChecksumCopy) and passes the sum.
  NetStack a(Options(kMacA, "198.18.0.1:6084"));
  NetStack b(Options(kMacB, "198.18.0.2:6084"));
  const Endpoint to = Ep("198.18.0.2:6084");
  for (size_t n : {0, 1, 63, 64, 65, 801, 1400}) {
    std::string payload(n, 'x');
    for (size_t i = 0; i < n; ++i) payload[i] = static_cast<char>(i * 7 + n);
    const std::vector<uint8_t> expected = UdpFrame(a, kMacB, to, payload);
    std::vector<uint8_t> frame(NetStack::kUdpHeadroom + n);
    const uint32_t sum = ChecksumCopy(frame.data() + NetStack::kUdpHeadroom,
                                      {reinterpret_cast<const uint8_t*>(payload.data()), n}, 0);
    a.WriteUdpHeaders(kMacB, to, n, sum, {frame.data(), NetStack::kUdpHeadroom});
    EXPECT_EQ(frame, expected) << n;
    EXPECT_EQ(Deliver(b, frame).verdict, NetStack::RxVerdict::kDatagram) << n;
  }
  EXPECT_EQ(b.counters().rx_bad_checksum, 0u);
}

// What a NIC does with an offloaded frame (DPDK's convention): the IPv4 header checksum over
// the header; the UDP one over the UDP header and payload, the field's pseudo-header sum included.
void CompleteAsADeviceWould(std::vector<uint8_t>& frame, size_t l3_len) {
  uint8_t* ip = frame.data() + 14;
  if (l3_len == 20) {
    const uint16_t ip_sum = ChecksumFold(ChecksumAdd(0, {ip, 20}));
    ip[10] = static_cast<uint8_t>(ip_sum >> 8);
    ip[11] = static_cast<uint8_t>(ip_sum);
  }
  uint8_t* udp = ip + l3_len;
  uint16_t sum = ChecksumFold(ChecksumAdd(0, {udp, frame.size() - 14 - l3_len}));
  if (sum == 0) sum = 0xffff;
  udp[6] = static_cast<uint8_t>(sum >> 8);
  udp[7] = static_cast<uint8_t>(sum);
}

TEST(NetStackTest, OffloadedHeadersAreWhatTheDeviceCompletes) {
  NetStack a(Options(kMacA, "198.18.0.1:6084"));
  NetStack b(Options(kMacB, "198.18.0.2:6084"));
  const Endpoint to = Ep("198.18.0.2:6084");
  for (size_t n : {0, 1, 2, 17, 800, 1401}) {
    std::string payload(n, 'x');
    for (size_t i = 0; i < n; ++i) payload[i] = static_cast<char>(i * 13 + n);
    const std::vector<uint8_t> software = UdpFrame(a, kMacB, to, payload);
    std::vector<uint8_t> frame(NetStack::kUdpHeadroom + n);
    std::memcpy(frame.data() + NetStack::kUdpHeadroom, payload.data(), n);
    a.WriteUdpHeadersForOffload(kMacB, to, n, {frame.data(), NetStack::kUdpHeadroom});
    EXPECT_EQ(frame[14 + 10], 0);  // the IPv4 header checksum: the device's
    EXPECT_EQ(frame[14 + 11], 0);
    EXPECT_NE(frame, software) << "the checksums are not complete yet";
    CompleteAsADeviceWould(frame, 20);
    EXPECT_EQ(frame, software) << n;
  }
}

TEST(NetStackTest, TrustsAUdpChecksumTheDeviceVerified) {
  NetStack a(Options(kMacA, "198.18.0.1:6084"));
  NetStack b(Options(kMacB, "198.18.0.2:6084"));
  std::vector<uint8_t> frame = UdpFrame(a, kMacB, Ep("198.18.0.2:6084"), "payload!");
  frame.back() ^= 0x01;  // a wrong UDP checksum the device would have caught
  RxDatagram d;
  std::vector<uint8_t> reply(128);
  size_t len = 0;
  EXPECT_EQ(b.Receive(frame, &d, reply, &len), NetStack::RxVerdict::kDrop);
  EXPECT_EQ(b.Receive(frame, &d, reply, &len, NetStack::UdpChecksum::kVerifiedByDevice),
            NetStack::RxVerdict::kDatagram);
  // The IPv4 header checksum is still the stack's to check.
  frame[14 + 8] ^= 0x10;
  EXPECT_EQ(b.Receive(frame, &d, reply, &len, NetStack::UdpChecksum::kVerifiedByDevice),
            NetStack::RxVerdict::kDrop);
  EXPECT_EQ(b.counters().rx_bad_checksum, 2u);
}

TEST(NetStackTest, AnswersIcmpEcho) {
  NetStack b(Options(kMacB, "198.18.0.2:6084"));
  // An echo request from 198.18.0.1: IPv4 header, then type 8, code 0, checksum, id, seq, data.
  std::vector<uint8_t> frame = {
      0x02, 0,    0,    0,    0,    0x0b, 0x02, 0,    0,   0,   0,   0x0a, 0x08, 0x00, 0x45, 0,  0,
      36,   0x12, 0x34, 0x40, 0,    64,   1,    0,    0,   198, 18,  0,    1,    198,  18,   0,  2,
      8,    0,    0,    0,    0x00, 0x07, 0x00, 0x01, 'p', 'i', 'n', 'g',  '-',  'd',  'a',  't'};
  uint16_t ip_sum = ChecksumFold(ChecksumAdd(0, {frame.data() + 14, 20}));
  frame[24] = static_cast<uint8_t>(ip_sum >> 8);
  frame[25] = static_cast<uint8_t>(ip_sum);
  uint16_t icmp_sum = ChecksumFold(ChecksumAdd(0, {frame.data() + 34, 16}));
  frame[36] = static_cast<uint8_t>(icmp_sum >> 8);
  frame[37] = static_cast<uint8_t>(icmp_sum);

  Received r = Deliver(b, frame);
  ASSERT_EQ(r.verdict, NetStack::RxVerdict::kReply);
  ASSERT_EQ(r.reply.size(), NetStack::kMinFrame);  // 50 bytes padded to the minimum
  EXPECT_EQ(MacAddress({r.reply[0], r.reply[1], r.reply[2], r.reply[3], r.reply[4], r.reply[5]}),
            kMacA);
  const uint8_t* ip = r.reply.data() + 14;
  EXPECT_EQ(ChecksumFold(ChecksumAdd(0, {ip, 20})), 0);
  EXPECT_EQ(std::vector<uint8_t>(ip + 12, ip + 20),
            (std::vector<uint8_t>{198, 18, 0, 2, 198, 18, 0, 1}));
  const uint8_t* icmp = ip + 20;
  EXPECT_EQ(icmp[0], 0) << "echo reply";
  EXPECT_EQ(ChecksumFold(ChecksumAdd(0, {icmp, 16})), 0);
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(icmp + 8), 8), "ping-dat");
  EXPECT_EQ(b.counters().rx_icmp_echo, 1u);
}

TEST(NetStackTest, HandsTheKernelWhatIsNotTheNodes) {
  NetStack a(Options(kMacA, "198.18.0.1:6084"));
  NetStack b(Options(kMacB, "198.18.0.2:6084"));
  // UDP to another port of the node's address: the kernel's (it answers port unreachable).
  std::vector<uint8_t> other_port = UdpFrame(a, kMacB, Ep("198.18.0.2:5060"), "SIP");
  EXPECT_EQ(Deliver(b, other_port).verdict, NetStack::RxVerdict::kException);
  // TCP (protocol 6) to the node's address.
  std::vector<uint8_t> tcp = UdpFrame(a, kMacB, Ep("198.18.0.2:6084"), "not really tcp");
  tcp[14 + 9] = 6;
  EXPECT_EQ(Deliver(b, tcp).verdict, NetStack::RxVerdict::kException);
  // IPv6 and other EtherTypes.
  std::vector<uint8_t> ipv6 = other_port;
  ipv6[12] = 0x86;
  ipv6[13] = 0xdd;
  EXPECT_EQ(Deliver(b, ipv6).verdict, NetStack::RxVerdict::kException);
  EXPECT_EQ(b.counters().rx_exception, 3u);
  // Unicast to another host's MAC or IPv4 address: dropped.
  std::vector<uint8_t> other_mac = UdpFrame(a, kMacA, Ep("198.18.0.2:6084"), "x");
  EXPECT_EQ(Deliver(b, other_mac).verdict, NetStack::RxVerdict::kDrop);
  std::vector<uint8_t> other_ip = UdpFrame(a, kMacB, Ep("198.18.0.3:6084"), "x");
  EXPECT_EQ(Deliver(b, other_ip).verdict, NetStack::RxVerdict::kDrop);
  EXPECT_EQ(b.counters().rx_not_for_us, 2u);
}

TEST(NetStackTest, MalformedFramesAndFragmentsAreDroppedAndCounted) {
  NetStack a(Options(kMacA, "198.18.0.1:6084"));
  NetStack b(Options(kMacB, "198.18.0.2:6084"));
  std::vector<uint8_t> good = UdpFrame(a, kMacB, Ep("198.18.0.2:6084"), "0123456789");
  for (size_t cut : {0, 5, 14, 20, 33, 34, 41}) {
    SCOPED_TRACE(cut);
    EXPECT_EQ(Deliver(b, {good.data(), cut}).verdict, NetStack::RxVerdict::kDrop);
  }
  std::vector<uint8_t> long_udp = good;
  long_udp[14 + 20 + 5] += 1;  // UDP length past the IP payload
  EXPECT_EQ(Deliver(b, long_udp).verdict, NetStack::RxVerdict::kDrop);
  EXPECT_EQ(b.counters().rx_malformed, 8u);

  std::vector<uint8_t> fragment = good;
  fragment[14 + 6] = 0x20;  // more fragments
  uint16_t sum = 0;
  fragment[14 + 10] = fragment[14 + 11] = 0;
  sum = ChecksumFold(ChecksumAdd(0, {fragment.data() + 14, 20}));
  fragment[14 + 10] = static_cast<uint8_t>(sum >> 8);
  fragment[14 + 11] = static_cast<uint8_t>(sum);
  EXPECT_EQ(Deliver(b, fragment).verdict, NetStack::RxVerdict::kDrop);
  EXPECT_EQ(b.counters().rx_fragments, 1u);
  EXPECT_EQ(Deliver(b, good).verdict, NetStack::RxVerdict::kDatagram) << "still receiving";
}

TEST(NetStackTest, RoutesOnLinkOrThroughTheGateway) {
  NetStackOptions o = Options(kMacA, "198.18.0.1:6084");
  NetStack no_gateway(o);
  MacAddress mac;
  EXPECT_EQ(no_gateway.Resolve(Ep("198.19.5.5:6084"), &mac), NetStack::TxVerdict::kUnroutable);
  EXPECT_EQ(no_gateway.Resolve(Ep("[::1]:6084"), &mac), NetStack::TxVerdict::kUnroutable);
  EXPECT_EQ(no_gateway.Resolve(Ep("198.18.0.1:6084"), &mac), NetStack::TxVerdict::kUnroutable)
      << "not to itself";
  EXPECT_EQ(no_gateway.counters().tx_unroutable, 3u);

  o.gateway = Ep("198.18.0.254:0");
  NetStack routed(o);
  routed.Learn(Ip("198.18.0.254"), kMacB);
  ASSERT_EQ(routed.Resolve(Ep("198.19.5.5:6084"), &mac), NetStack::TxVerdict::kReady);
  EXPECT_EQ(mac, kMacB) << "off-link peers go to the gateway's MAC";
}

TEST(NetStackTest, NeighbourCacheIsBounded) {
  NetStackOptions o = Options(kMacA, "198.18.0.1:6084");
  o.neighbour_capacity = 2;
  NetStack a(o);
  a.Learn(Ip("198.18.0.2"), kMacB);
  a.Learn(Ip("198.18.0.3"), kMacB);
  a.Learn(Ip("198.18.0.4"), kMacB);
  EXPECT_EQ(a.neighbour_count(), 2u);
  EXPECT_EQ(a.counters().neighbour_cache_full, 1u);
  a.Learn(Ip("198.18.0.2"), kMacA);  // refreshing a known one still works
  EXPECT_EQ(a.Neighbour(Ip("198.18.0.2")), kMacA);
}

TEST(NetStackTest, ReportsNewAndChangedNeighboursOnce) {
  NetStack a(Options(kMacA, "198.18.0.1:6084"));
  a.Learn(Ip("198.18.0.2"), kMacB);
  a.Learn(Ip("198.18.0.2"), kMacB);  // a refresh: not news
  a.Learn(Ip("198.18.0.3"), kMacB);
  std::span<const NetStack::Learnt> news = a.TakeLearnt();
  ASSERT_EQ(news.size(), 2u);
  EXPECT_EQ(news[0].address, Ep("198.18.0.2:0"));
  EXPECT_EQ(news[1].address, Ep("198.18.0.3:0"));
  EXPECT_TRUE(a.TakeLearnt().empty());
  a.Learn(Ip("198.18.0.2"), kMacA);  // moved to another MAC: news again
  news = a.TakeLearnt();
  ASSERT_EQ(news.size(), 1u);
  EXPECT_EQ(news[0].mac, kMacA);
}

TEST(NetStackTest, ArpRequestsForOthersRefreshButDoNotLearn) {
  NetStack b(Options(kMacB, "198.18.0.2:6084"));
  NetStack c(Options(kMacA, "198.18.0.1:6084"));
  std::vector<uint8_t> request(NetStack::kMinFrame);
  ASSERT_TRUE(c.ResolutionDue(Ep("198.18.0.9:1"), 0));
  ASSERT_EQ(c.WriteArpRequest(Ep("198.18.0.9:1"), request), NetStack::kMinFrame);
  EXPECT_EQ(Deliver(b, request).verdict, NetStack::RxVerdict::kDrop);
  EXPECT_FALSE(b.Neighbour(Ip("198.18.0.1")).has_value());
}

TEST(NetStackTest, ParsesAndPrintsMacs) {
  EXPECT_EQ(ParseMac("02:00:00:00:00:0A"), (MacAddress{2, 0, 0, 0, 0, 0x0a}));
  EXPECT_EQ(MacToString({2, 0, 0, 0xab, 0, 1}), "02:00:00:ab:00:01");
  EXPECT_FALSE(ParseMac("02:00:00:00:00").has_value());
  EXPECT_FALSE(ParseMac("02:00:00:00:00:0g").has_value());
}

}  // namespace
}  // namespace p2psip::port

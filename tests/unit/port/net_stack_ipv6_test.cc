// NetStack over IPv6: neighbour discovery (RFC 4861), ICMPv6 echo, UDP/IPv6, on plain byte
// arrays. The frames fed to the stack are built here by hand, and every checksum the stack
// writes is recomputed here with an independent sum (Checksum6), not the stack's helpers.
// Addresses come from 2001:2::/48 (RFC 5180, benchmarking); nothing is sent anywhere.
#include <arpa/inet.h>

#include <cstring>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "p2psip/port/net_stack.h"

namespace p2psip::port {
namespace {

using Bytes = std::vector<uint8_t>;
using Address = std::array<uint8_t, 16>;

constexpr MacAddress kMacA = {0x02, 0, 0, 0, 0, 0x0a};
constexpr MacAddress kMacB = {0x02, 0, 0, 0, 0, 0x0b};
constexpr size_t kEth = 14;
constexpr size_t kIp6 = 40;

Endpoint Ep(const char* text) { return *Endpoint::Parse(text); }

Address Ip6(const char* text) {
  Address a{};
  EXPECT_EQ(inet_pton(AF_INET6, text, a.data()), 1) << text;
  return a;
}

const Address kA = Ip6("2001:2::1");
const Address kB = Ip6("2001:2::2");
const Address kALinkLocal = Ip6("fe80::ff:fe00:a");  // from 02:00:00:00:00:0a
const Address kBLinkLocal = Ip6("fe80::ff:fe00:b");
const Address kBSolicited = Ip6("ff02::1:ff00:2");
const Address kUnspecified{};

NetStackOptions Options(const MacAddress& mac, const char* local) {
  NetStackOptions o;
  o.mac = mac;
  o.local = Ep(local);
  o.prefix_length = 64;
  return o;
}

// The ICMPv6/UDP checksum over the RFC 8200 §8.1 pseudo-header, written apart from the stack's
// ChecksumAdd/ChecksumFold: 0 when `body` carries a right checksum.
uint16_t Checksum6(const Address& src, const Address& dst, uint8_t next, const Bytes& body) {
  Bytes all(src.begin(), src.end());
  all.insert(all.end(), dst.begin(), dst.end());
  const uint32_t len = static_cast<uint32_t>(body.size());
  for (int shift : {24, 16, 8, 0}) all.push_back(static_cast<uint8_t>(len >> shift));
  all.insert(all.end(), {0, 0, 0, next});
  all.insert(all.end(), body.begin(), body.end());
  if (all.size() % 2 != 0) all.push_back(0);
  uint64_t sum = 0;
  for (size_t i = 0; i < all.size(); i += 2) sum += (uint32_t{all[i]} << 8) | all[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

MacAddress MacOf(const Address& multicast) {
  return {0x33, 0x33, multicast[12], multicast[13], multicast[14], multicast[15]};
}

// Ethernet + IPv6 + `body`; for ICMPv6 (58) the checksum at body[2..3] is filled in.
Bytes Frame(const MacAddress& dst_mac, const MacAddress& src_mac, const Address& src,
            const Address& dst, uint8_t next, uint8_t hop_limit, Bytes body) {
  if (next == 58) {
    body[2] = body[3] = 0;
    const uint16_t sum = Checksum6(src, dst, next, body);
    body[2] = static_cast<uint8_t>(sum >> 8);
    body[3] = static_cast<uint8_t>(sum);
  }
  Bytes f(dst_mac.begin(), dst_mac.end());
  f.insert(f.end(), src_mac.begin(), src_mac.end());
  f.insert(f.end(), {0x86, 0xdd, 0x60, 0, 0, 0, static_cast<uint8_t>(body.size() >> 8),
                     static_cast<uint8_t>(body.size()), next, hop_limit});
  f.insert(f.end(), src.begin(), src.end());
  f.insert(f.end(), dst.begin(), dst.end());
  f.insert(f.end(), body.begin(), body.end());
  return f;
}

// An NS or NA body: type, code, checksum, flags/reserved, target, then `options`.
Bytes Nd(uint8_t type, const Address& target, Bytes options, uint8_t flags = 0) {
  Bytes b = {type, 0, 0, 0, flags, 0, 0, 0};
  b.insert(b.end(), target.begin(), target.end());
  b.insert(b.end(), options.begin(), options.end());
  return b;
}
Bytes LinkLayer(uint8_t type, const MacAddress& mac) {
  Bytes o = {type, 1};
  o.insert(o.end(), mac.begin(), mac.end());
  return o;
}

// An NS from A (its SLLA option) for `target`, to `dst`.
Bytes Solicitation(const Address& src, const Address& dst, const MacAddress& dst_mac,
                   const Address& target, uint8_t hop_limit = 255) {
  return Frame(dst_mac, kMacA, src, dst, 58, hop_limit, Nd(135, target, LinkLayer(1, kMacA)));
}

struct Received {
  NetStack::RxVerdict verdict;
  RxDatagram datagram;
  Bytes reply;
};

Received Deliver(NetStack& stack, std::span<const uint8_t> frame, size_t room = 2048) {
  Received r;
  r.reply.resize(room);
  size_t len = 0;
  r.verdict = stack.Receive(frame, &r.datagram, r.reply, &len);
  r.reply.resize(len);
  return r;
}

uint64_t Outcomes(const NetStackCounters& c) {
  return c.rx_datagrams + c.rx_arp_requests + c.rx_icmp_echo + c.rx_neighbor_solicitations +
         c.rx_icmp6_echo + c.rx_nd_invalid + c.rx_exception + c.rx_not_for_us + c.rx_malformed +
         c.rx_bad_checksum + c.rx_fragments + c.rx_ipv6_extension + c.rx_reply_too_large;
}

// The parts of an IPv6 frame the stack wrote, checked against the independent checksum.
struct Parsed {
  MacAddress dst_mac, src_mac;
  uint16_t type;
  uint8_t next, hop_limit;
  Address src, dst;
  Bytes body;
};
Parsed Parse(const Bytes& f) {
  Parsed p{};
  EXPECT_GE(f.size(), kEth + kIp6);
  if (f.size() < kEth + kIp6) return p;
  std::memcpy(p.dst_mac.data(), f.data(), 6);
  std::memcpy(p.src_mac.data(), f.data() + 6, 6);
  p.type = static_cast<uint16_t>(f[12] << 8 | f[13]);
  EXPECT_EQ(f[14] >> 4, 6);
  const size_t len = size_t{f[18]} << 8 | f[19];
  EXPECT_LE(kEth + kIp6 + len, f.size());
  p.next = f[20];
  p.hop_limit = f[21];
  std::memcpy(p.src.data(), f.data() + 22, 16);
  std::memcpy(p.dst.data(), f.data() + 38, 16);
  p.body.assign(f.begin() + kEth + kIp6, f.begin() + kEth + kIp6 + len);
  EXPECT_EQ(Checksum6(p.src, p.dst, p.next, p.body), 0) << "checksum as an outsider sums it";
  return p;
}

TEST(NetStackIpv6Test, AnswersAUnicastSolicitationAndLearnsTheSolicitor) {
  NetStack b(Options(kMacB, "[2001:2::2]:6084"));
  Received r = Deliver(b, Solicitation(kA, kB, kMacB, kB));
  ASSERT_EQ(r.verdict, NetStack::RxVerdict::kReply);
  const Parsed na = Parse(r.reply);
  EXPECT_EQ(na.dst_mac, kMacA);
  EXPECT_EQ(na.src_mac, kMacB);
  EXPECT_EQ(na.type, 0x86dd);
  EXPECT_EQ(na.next, 58);
  EXPECT_EQ(na.hop_limit, 255);
  EXPECT_EQ(na.src, kB);
  EXPECT_EQ(na.dst, kA);
  ASSERT_EQ(na.body.size(), 32u);
  EXPECT_EQ(na.body[0], 136);
  EXPECT_EQ(na.body[1], 0);
  EXPECT_EQ(na.body[4], 0x60) << "Solicited and Override, not Router";
  EXPECT_TRUE(std::equal(kB.begin(), kB.end(), na.body.begin() + 8));
  EXPECT_EQ(Bytes(na.body.begin() + 24, na.body.end()), LinkLayer(2, kMacB));
  EXPECT_EQ(b.Neighbour(Ep("[2001:2::1]:0")), kMacA);
  EXPECT_EQ(b.counters().rx_neighbor_solicitations, 1u);
}

TEST(NetStackIpv6Test, AnswersOnItsSolicitedNodeAddressAndForItsLinkLocalAddress) {
  NetStack b(Options(kMacB, "[2001:2::2]:6084"));
  EXPECT_EQ(b.link_local(), kBLinkLocal);
  Received r = Deliver(b, Solicitation(kA, kBSolicited, MacOf(kBSolicited), kB));
  ASSERT_EQ(r.verdict, NetStack::RxVerdict::kReply);
  EXPECT_EQ(Parse(r.reply).dst, kA) << "answered unicast";

  const Address ll_group = Ip6("ff02::1:ff00:b");
  r = Deliver(b, Solicitation(kALinkLocal, ll_group, MacOf(ll_group), kBLinkLocal));
  ASSERT_EQ(r.verdict, NetStack::RxVerdict::kReply);
  const Parsed na = Parse(r.reply);
  EXPECT_EQ(na.src, kBLinkLocal);
  EXPECT_EQ(na.dst, kALinkLocal);
  EXPECT_TRUE(std::equal(kBLinkLocal.begin(), kBLinkLocal.end(), na.body.begin() + 8));
  EXPECT_EQ(b.Neighbour(Ep("[fe80::ff:fe00:a]:0")), kMacA);

  // Another host's address, though on the same solicited-node group: not the node's to answer.
  EXPECT_EQ(
      Deliver(b, Solicitation(kA, kBSolicited, MacOf(kBSolicited), Ip6("2001:2::9:2"))).verdict,
      NetStack::RxVerdict::kDrop);
  EXPECT_EQ(b.counters().rx_not_for_us, 1u);
  EXPECT_EQ(b.counters().rx_neighbor_solicitations, 2u);
}

TEST(NetStackIpv6Test, DefendsItsAddressAgainstADadProbeWithoutLearningTheProber) {
  NetStack b(Options(kMacB, "[2001:2::2]:6084"));
  const Bytes probe =
      Frame(MacOf(kBSolicited), kMacA, kUnspecified, kBSolicited, 58, 255, Nd(135, kB, {}));
  Received r = Deliver(b, probe);
  ASSERT_EQ(r.verdict, NetStack::RxVerdict::kReply);
  const Parsed na = Parse(r.reply);
  EXPECT_EQ(na.dst, Ip6("ff02::1")) << "to all-nodes (RFC 4861 §7.2.4)";
  EXPECT_EQ(na.dst_mac, (MacAddress{0x33, 0x33, 0, 0, 0, 1}));
  EXPECT_EQ(na.src, kB);
  EXPECT_EQ(na.body[4], 0x20) << "Override only: not solicited";
  EXPECT_EQ(b.neighbour_count(), 0u) << "the prober is not learnt";

  // A probe with a source link-layer option, or to a unicast address, is invalid.
  EXPECT_EQ(Deliver(b, Frame(MacOf(kBSolicited), kMacA, kUnspecified, kBSolicited, 58, 255,
                             Nd(135, kB, LinkLayer(1, kMacA))))
                .verdict,
            NetStack::RxVerdict::kDrop);
  EXPECT_EQ(Deliver(b, Frame(kMacB, kMacA, kUnspecified, kB, 58, 255, Nd(135, kB, {}))).verdict,
            NetStack::RxVerdict::kDrop);
  EXPECT_EQ(b.counters().rx_nd_invalid, 2u);
  EXPECT_EQ(b.neighbour_count(), 0u);
}

TEST(NetStackIpv6Test, LearnsFromAdvertisementsAndHandsThemOn) {
  NetStack b(Options(kMacB, "[2001:2::2]:6084"));
  const Bytes na = Frame(kMacB, kMacA, kA, kB, 58, 255, Nd(136, kA, LinkLayer(2, kMacA), 0x60));
  EXPECT_EQ(Deliver(b, na).verdict, NetStack::RxVerdict::kException);
  EXPECT_EQ(b.Neighbour(Ep("[2001:2::1]:0")), kMacA);
  EXPECT_EQ(b.counters().rx_neighbor_advertisements, 1u);
  EXPECT_EQ(b.counters().rx_exception, 1u) << "the kernel learns it too";
  ASSERT_EQ(b.TakeLearnt().size(), 1u);

  // An unsolicited one to all-nodes moves the neighbour; Solicited set there is invalid.
  const Address all = Ip6("ff02::1");
  const MacAddress moved = {0x02, 0, 0, 0, 0, 0x0c};
  EXPECT_EQ(
      Deliver(b, Frame(MacOf(all), moved, kA, all, 58, 255, Nd(136, kA, LinkLayer(2, moved), 0x20)))
          .verdict,
      NetStack::RxVerdict::kException);
  EXPECT_EQ(b.Neighbour(Ep("[2001:2::1]:0")), moved);
  EXPECT_EQ(
      Deliver(b, Frame(MacOf(all), kMacA, kA, all, 58, 255, Nd(136, kA, LinkLayer(2, kMacA), 0x60)))
          .verdict,
      NetStack::RxVerdict::kDrop);
  EXPECT_EQ(b.counters().rx_nd_invalid, 1u);
  EXPECT_EQ(b.Neighbour(Ep("[2001:2::1]:0")), moved);
}

TEST(NetStackIpv6Test, DropsInvalidSolicitationsWithTheRightCounter) {
  NetStack b(Options(kMacB, "[2001:2::2]:6084"));
  // Forwarded by a router (hop limit below 255).
  EXPECT_EQ(Deliver(b, Solicitation(kA, kB, kMacB, kB, 254)).verdict, NetStack::RxVerdict::kDrop);
  EXPECT_EQ(b.counters().rx_nd_invalid, 1u);
  // Code not 0, a multicast target, an option of length 0.
  Bytes body = Nd(135, kB, LinkLayer(1, kMacA));
  body[1] = 1;
  EXPECT_EQ(Deliver(b, Frame(kMacB, kMacA, kA, kB, 58, 255, body)).verdict,
            NetStack::RxVerdict::kDrop);
  EXPECT_EQ(Deliver(b, Solicitation(kA, kB, kMacB, kBSolicited)).verdict,
            NetStack::RxVerdict::kDrop);
  body = Nd(135, kB, {1, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(Deliver(b, Frame(kMacB, kMacA, kA, kB, 58, 255, body)).verdict,
            NetStack::RxVerdict::kDrop);
  // An option running past the message.
  body = Nd(135, kB, {1, 2, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(Deliver(b, Frame(kMacB, kMacA, kA, kB, 58, 255, body)).verdict,
            NetStack::RxVerdict::kDrop);
  EXPECT_EQ(b.counters().rx_nd_invalid, 5u);

  // A wrong checksum.
  Bytes bad = Solicitation(kA, kB, kMacB, kB);
  bad[kEth + kIp6 + 30] ^= 0x01;  // in the option
  EXPECT_EQ(Deliver(b, bad).verdict, NetStack::RxVerdict::kDrop);
  EXPECT_EQ(b.counters().rx_bad_checksum, 1u);

  // Truncated: shorter than 24 bytes of ICMPv6, or a payload length past the frame.
  Bytes short_body = Nd(135, kB, {});
  short_body.resize(20);
  const Bytes short_ns = Frame(kMacB, kMacA, kA, kB, 58, 255, short_body);
  EXPECT_EQ(Deliver(b, short_ns).verdict, NetStack::RxVerdict::kDrop);
  const Bytes good = Solicitation(kA, kB, kMacB, kB);
  EXPECT_EQ(Deliver(b, {good.data(), good.size() - 1}).verdict, NetStack::RxVerdict::kDrop);
  for (size_t cut : {14, 30, 53}) {
    EXPECT_EQ(Deliver(b, {good.data(), cut}).verdict, NetStack::RxVerdict::kDrop);
  }
  EXPECT_EQ(b.counters().rx_malformed, 5u);
  EXPECT_EQ(b.counters().rx_neighbor_solicitations, 0u);
  EXPECT_EQ(b.neighbour_count(), 0u) << "nothing learnt from an invalid solicitation";
  // A reply that does not fit.
  EXPECT_EQ(Deliver(b, good, 60).verdict, NetStack::RxVerdict::kDrop);
  EXPECT_EQ(b.counters().rx_reply_too_large, 1u);
  EXPECT_EQ(Outcomes(b.counters()), b.counters().rx_frames);
}

TEST(NetStackIpv6Test, AnswersEchoRequests) {
  NetStack b(Options(kMacB, "[2001:2::2]:6084"));
  const Bytes request_body = {128, 0, 0, 0, 0x12, 0x34, 0x00, 0x07, 'p', 'i', 'n', 'g', '6', '!'};
  Received r = Deliver(b, Frame(kMacB, kMacA, kA, kB, 58, 64, request_body));
  ASSERT_EQ(r.verdict, NetStack::RxVerdict::kReply);
  ASSERT_EQ(r.reply.size(), kEth + kIp6 + request_body.size());
  const Parsed reply = Parse(r.reply);
  EXPECT_EQ(reply.dst_mac, kMacA);
  EXPECT_EQ(reply.src_mac, kMacB);
  EXPECT_EQ(reply.src, kB);
  EXPECT_EQ(reply.dst, kA);
  EXPECT_EQ(reply.hop_limit, 64);
  EXPECT_EQ(reply.body[0], 129) << "echo reply";
  EXPECT_EQ(reply.body[1], 0);
  EXPECT_EQ(Bytes(reply.body.begin() + 4, reply.body.end()),
            Bytes(request_body.begin() + 4, request_body.end()))
      << "identifier, sequence and data mirrored";
  EXPECT_EQ(b.counters().rx_icmp6_echo, 1u);

  Bytes bad = Frame(kMacB, kMacA, kA, kB, 58, 64, request_body);
  bad.back() ^= 0x40;
  EXPECT_EQ(Deliver(b, bad).verdict, NetStack::RxVerdict::kDrop);
  EXPECT_EQ(b.counters().rx_bad_checksum, 1u);
  EXPECT_EQ(Deliver(b, Frame(kMacB, kMacA, kA, kB, 58, 64, request_body), 64).verdict,
            NetStack::RxVerdict::kDrop);
  EXPECT_EQ(b.counters().rx_reply_too_large, 1u);
}

TEST(NetStackIpv6Test, ReceivesUdpWithAMandatoryChecksum) {
  NetStack a(Options(kMacA, "[2001:2::1]:6084"));
  NetStack b(Options(kMacB, "[2001:2::2]:6084"));
  ASSERT_EQ(a.udp_headroom(), NetStack::kUdp6Headroom);
  const std::string payload = "hello over IPv6";
  Bytes frame(a.udp_headroom() + payload.size());
  std::memcpy(frame.data() + a.udp_headroom(), payload.data(), payload.size());
  a.WriteUdpHeaders(kMacB, Ep("[2001:2::2]:6084"),
                    {frame.data() + a.udp_headroom(), payload.size()},
                    {frame.data(), a.udp_headroom()});
  Received got = Deliver(b, frame);
  ASSERT_EQ(got.verdict, NetStack::RxVerdict::kDatagram);
  EXPECT_EQ(got.datagram.from, Ep("[2001:2::1]:6084"));
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(got.datagram.data.data()),
                             got.datagram.data.size()),
            payload);
  EXPECT_EQ(b.Neighbour(Ep("[2001:2::1]:0")), kMacA) << "gleaned";

  Bytes bad = frame;
  bad.back() ^= 0x01;
  EXPECT_EQ(Deliver(b, bad).verdict, NetStack::RxVerdict::kDrop);
  Bytes zero = frame;
  zero[kEth + kIp6 + 6] = zero[kEth + kIp6 + 7] = 0;  // "no checksum": not allowed over IPv6
  EXPECT_EQ(Deliver(b, zero).verdict, NetStack::RxVerdict::kDrop);
  EXPECT_EQ(b.counters().rx_bad_checksum, 2u);
  EXPECT_EQ(b.counters().rx_datagrams, 1u);

  // To another port, or to the link-local address: the kernel's.
  Bytes other_port = frame;
  other_port[kEth + kIp6 + 3] ^= 0x01;
  EXPECT_EQ(Deliver(b, other_port).verdict, NetStack::RxVerdict::kException);
  Bytes to_link_local = frame;
  std::memcpy(to_link_local.data() + kEth + 24, kBLinkLocal.data(), 16);
  EXPECT_EQ(Deliver(b, to_link_local).verdict, NetStack::RxVerdict::kException);
  EXPECT_EQ(Outcomes(b.counters()), b.counters().rx_frames);
}

TEST(NetStackIpv6Test, OffloadedHeadersAndDeviceVerifiedChecksums) {
  NetStack a(Options(kMacA, "[2001:2::1]:6084"));
  NetStack b(Options(kMacB, "[2001:2::2]:6084"));
  const std::string payload = "offloaded over IPv6, odd length";
  const size_t h = a.udp_headroom();
  Bytes software(h + payload.size()), offloaded(h + payload.size());
  std::memcpy(software.data() + h, payload.data(), payload.size());
  std::memcpy(offloaded.data() + h, payload.data(), payload.size());
  a.WriteUdpHeaders(kMacB, Ep("[2001:2::2]:6084"), {software.data() + h, payload.size()},
                    {software.data(), h});
  a.WriteUdpHeadersForOffload(kMacB, Ep("[2001:2::2]:6084"), payload.size(), {offloaded.data(), h});
  // The device sums the UDP header (the field holding the pseudo-header's sum) and payload.
  uint8_t* udp = offloaded.data() + kEth + kIp6;
  uint16_t sum = ChecksumFold(ChecksumAdd(0, {udp, 8 + payload.size()}));
  if (sum == 0) sum = 0xffff;
  udp[6] = static_cast<uint8_t>(sum >> 8);
  udp[7] = static_cast<uint8_t>(sum);
  EXPECT_EQ(offloaded, software);

  // A device's "checked, right" is trusted, but a zero checksum is refused even so.
  Bytes bad = software;
  bad.back() ^= 0x01;
  RxDatagram d;
  Bytes reply(128);
  size_t len = 0;
  EXPECT_EQ(b.Receive(bad, &d, reply, &len, NetStack::UdpChecksum::kVerifiedByDevice),
            NetStack::RxVerdict::kDatagram);
  Bytes zero = software;
  zero[kEth + kIp6 + 6] = zero[kEth + kIp6 + 7] = 0;
  EXPECT_EQ(b.Receive(zero, &d, reply, &len, NetStack::UdpChecksum::kVerifiedByDevice),
            NetStack::RxVerdict::kDrop);
}

TEST(NetStackIpv6Test, WritesUdpHeadersAnOutsiderAgreesWith) {
  NetStack a(Options(kMacA, "[2001:2::1]:6084"));
  for (const std::string payload : {"", "odd", "an even payload!"}) {
    SCOPED_TRACE(payload);
    Bytes frame(a.udp_headroom() + payload.size());
    std::memcpy(frame.data() + a.udp_headroom(), payload.data(), payload.size());
    a.WriteUdpHeaders(kMacB, Ep("[2001:2::2]:5000"),
                      {frame.data() + a.udp_headroom(), payload.size()},
                      {frame.data(), a.udp_headroom()});
    const Parsed p = Parse(frame);
    EXPECT_EQ(p.type, 0x86dd);
    EXPECT_EQ(p.dst_mac, kMacB);
    EXPECT_EQ(p.next, 17);
    EXPECT_EQ(p.hop_limit, 64);
    EXPECT_EQ(p.src, kA);
    EXPECT_EQ(p.dst, kB);
    ASSERT_EQ(p.body.size(), 8 + payload.size());
    EXPECT_EQ(p.body[0] << 8 | p.body[1], 6084);
    EXPECT_EQ(p.body[2] << 8 | p.body[3], 5000);
    EXPECT_EQ(size_t(p.body[4] << 8 | p.body[5]), 8 + payload.size());
    EXPECT_NE(p.body[6] << 8 | p.body[7], 0) << "never zero over IPv6";
  }
}

TEST(NetStackIpv6Test, ResolvesWithASolicitationThenSends) {
  NetStack a(Options(kMacA, "[2001:2::1]:6084"));
  NetStack b(Options(kMacB, "[2001:2::2]:6084"));
  const Endpoint to_b = Ep("[2001:2::2]:6084");
  MacAddress mac;
  ASSERT_EQ(a.Resolve(to_b, &mac), NetStack::TxVerdict::kResolve);
  ASSERT_TRUE(a.ResolutionDue(to_b, 1'000));
  EXPECT_FALSE(a.ResolutionDue(to_b, 2'000)) << "one solicitation per arp_retry_ns";
  EXPECT_TRUE(a.ResolutionDue(to_b, 1'000 + a.options().arp_retry_ns));
  Bytes ns(NetStack::kMinResolutionFrame);
  EXPECT_EQ(a.WriteResolutionRequest(to_b, {ns.data(), 85}), 0u) << "too small";
  ASSERT_EQ(a.WriteResolutionRequest(to_b, ns), 86u);
  EXPECT_EQ(a.WriteArpRequest(to_b, ns), 0u) << "no ARP from an IPv6 node";
  EXPECT_EQ(a.counters().tx_neighbor_solicitations, 1u);
  const Parsed p = Parse(ns);
  EXPECT_EQ(p.dst_mac, (MacAddress{0x33, 0x33, 0xff, 0, 0, 2}));
  EXPECT_EQ(p.dst, kBSolicited);
  EXPECT_EQ(p.src, kA);
  EXPECT_EQ(p.hop_limit, 255);
  EXPECT_EQ(p.body[0], 135);
  EXPECT_EQ(Bytes(p.body.begin() + 24, p.body.end()), LinkLayer(1, kMacA));

  Received na = Deliver(b, ns);
  ASSERT_EQ(na.verdict, NetStack::RxVerdict::kReply);
  EXPECT_EQ(b.Neighbour(Ep("[2001:2::1]:0")), kMacA);
  EXPECT_EQ(Deliver(a, na.reply).verdict, NetStack::RxVerdict::kException);
  ASSERT_EQ(a.Resolve(to_b, &mac), NetStack::TxVerdict::kReady);
  EXPECT_EQ(mac, kMacB);
  EXPECT_FALSE(a.ResolutionDue(to_b, 5'000'000'000)) << "resolved";
}

TEST(NetStackIpv6Test, RoutesOnLinkByPrefixOrThroughTheGateway) {
  NetStackOptions o = Options(kMacA, "[2001:2::1]:6084");
  NetStack no_gateway(o);
  MacAddress mac;
  EXPECT_EQ(no_gateway.Resolve(Ep("[2001:2::99]:1"), &mac), NetStack::TxVerdict::kResolve);
  EXPECT_EQ(no_gateway.Resolve(Ep("[fe80::1]:1"), &mac), NetStack::TxVerdict::kResolve)
      << "link-local is on-link";
  for (const char* unroutable :
       {"[2001:2:0:1::5]:1", "198.18.0.2:1", "[ff02::1]:1", "[::]:1", "[2001:2::1]:1"}) {
    EXPECT_EQ(no_gateway.Resolve(Ep(unroutable), &mac), NetStack::TxVerdict::kUnroutable)
        << unroutable;
  }
  // A link-local neighbour is solicited from the link-local address.
  Bytes ns(NetStack::kMinResolutionFrame);
  ASSERT_EQ(no_gateway.WriteNeighborSolicitation(Ep("[fe80::1]:1"), ns), 86u);
  EXPECT_EQ(Parse(ns).src, kALinkLocal);

  o.prefix_length = 63;  // 2001:2:0:1::/64 is inside 2001:2::/63
  EXPECT_EQ(NetStack(o).Resolve(Ep("[2001:2:0:1::5]:1"), &mac), NetStack::TxVerdict::kResolve);
  o.prefix_length = 64;
  o.gateway = Ep("[2001:2::fe]:0");
  NetStack routed(o);
  routed.Learn(Ep("[2001:2::fe]:0"), kMacB);
  ASSERT_EQ(routed.Resolve(Ep("[2001:2:0:1::5]:6084"), &mac), NetStack::TxVerdict::kReady);
  EXPECT_EQ(mac, kMacB) << "off-link peers go to the gateway's MAC";
  ASSERT_TRUE(routed.ResolutionDue(Ep("[2001:2::7]:1"), 0));
  ASSERT_EQ(routed.WriteResolutionRequest(Ep("[2001:2::7]:1"), ns), 86u);
}

TEST(NetStackIpv6Test, HandsTheKernelWhatIsNotTheNodesAndDropsExtensionHeaders) {
  NetStack b(Options(kMacB, "[2001:2::2]:6084"));
  const Address all = Ip6("ff02::1");
  // A router advertisement to all-nodes, a redirect, TCP, MLD (hop-by-hop, to a group).
  EXPECT_EQ(Deliver(b, Frame(MacOf(all), kMacA, kALinkLocal, all, 58, 255,
                             {134, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}))
                .verdict,
            NetStack::RxVerdict::kException);
  EXPECT_EQ(Deliver(b, Frame(kMacB, kMacA, kALinkLocal, kB, 58, 255, Nd(137, kA, {}))).verdict,
            NetStack::RxVerdict::kException);
  EXPECT_EQ(Deliver(b, Frame(kMacB, kMacA, kA, kB, 6, 64, Bytes(20, 0))).verdict,
            NetStack::RxVerdict::kException);
  const Address mld = Ip6("ff02::16");
  EXPECT_EQ(Deliver(b, Frame(MacOf(mld), kMacA, kALinkLocal, mld, 0, 1, Bytes(8, 0))).verdict,
            NetStack::RxVerdict::kException);
  // One family per stack: ARP and IPv4 go to the kernel of an IPv6 node.
  Bytes arp = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x0a, 0x08, 0x06};
  arp.resize(60);
  EXPECT_EQ(Deliver(b, arp).verdict, NetStack::RxVerdict::kException);
  EXPECT_EQ(b.counters().rx_exception, 5u);
  // Extension headers and fragments to the node: dropped and counted.
  EXPECT_EQ(Deliver(b, Frame(kMacB, kMacA, kA, kB, 0, 64, Bytes(16, 0))).verdict,
            NetStack::RxVerdict::kDrop);
  EXPECT_EQ(Deliver(b, Frame(kMacB, kMacA, kA, kB, 60, 64, Bytes(16, 0))).verdict,
            NetStack::RxVerdict::kDrop);
  EXPECT_EQ(b.counters().rx_ipv6_extension, 2u);
  EXPECT_EQ(Deliver(b, Frame(kMacB, kMacA, kA, kB, 44, 64, Bytes(16, 0))).verdict,
            NetStack::RxVerdict::kDrop);
  EXPECT_EQ(b.counters().rx_fragments, 1u);
  // Another host's unicast, and a multicast source.
  EXPECT_EQ(Deliver(b, Frame(kMacB, kMacA, kA, Ip6("2001:2::3"), 17, 64, Bytes(8, 0))).verdict,
            NetStack::RxVerdict::kDrop);
  EXPECT_EQ(b.counters().rx_not_for_us, 1u);
  EXPECT_EQ(Deliver(b, Frame(kMacB, kMacA, all, kB, 17, 64, Bytes(8, 0))).verdict,
            NetStack::RxVerdict::kDrop);
  EXPECT_EQ(b.counters().rx_malformed, 1u);
  EXPECT_EQ(Outcomes(b.counters()), b.counters().rx_frames);
}

}  // namespace
}  // namespace p2psip::port

// DpdkPort on ring-backed ethdevs (rte_eth_from_rings) inside one process: two ports whose
// rings are crossed talk to each other (ARP, then UDP both ways), and a port whose rings the
// test holds is fed hand-made frames (ICMP echo, TCP for the exception path, garbage) while the
// test reads what it sends. Every mbuf is accounted for: the mempools are full again once the
// ports are gone. tests/dpdk/check_veth.py checks the same port against the kernel on a veth.
#include "p2psip/port/dpdk_port.h"

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "port/dpdk/eal.h"

namespace p2psip::port {
namespace {

Endpoint Ep(const char* text) { return *Endpoint::Parse(text); }

int g_serial = 0;

// An ethdev made of rings: `rx` are the rings it receives from, `tx` those it sends into.
std::string RingDevice(std::vector<rte_ring*> rx, std::vector<rte_ring*> tx) {
  const std::string name = "ringdev" + std::to_string(g_serial++);
  const int id = rte_eth_from_rings(name.c_str(), rx.data(), static_cast<unsigned>(rx.size()),
                                    tx.data(), static_cast<unsigned>(tx.size()), 0);
  EXPECT_GE(id, 0) << "rte_eth_from_rings: " << rte_strerror(rte_errno);
  char actual[RTE_ETH_NAME_MAX_LEN] = {};
  EXPECT_EQ(rte_eth_dev_get_name_by_port(static_cast<uint16_t>(id), actual), 0);
  return actual;  // "net_ring_<name>"
}

rte_ring* Ring() {
  const std::string name = "ring" + std::to_string(g_serial++);
  rte_ring* r = rte_ring_create(name.c_str(), 1024, 0, 0);
  EXPECT_NE(r, nullptr);
  return r;
}

DpdkPortOptions Options(const std::string& device, const char* local, uint8_t mac_last) {
  DpdkPortOptions o;
  o.device = device;
  o.stack.local = Ep(local);
  o.stack.mac = {0x02, 0, 0, 0, 0, mac_last};
  o.mbufs_per_queue = 511;
  o.rx_descriptors = 128;
  o.tx_descriptors = 128;
  return o;
}

std::string Str(absl::string_view v) { return std::string(v); }

std::string Text(std::span<const uint8_t> data) {
  return std::string(reinterpret_cast<const char*>(data.data()), data.size());
}

// Polls `port` until it delivers a datagram (or `turns` bursts pass).
std::vector<std::pair<Endpoint, std::string>> Poll(DpdkPort& port, int turns,
                                                   DpdkPort* other = nullptr) {
  std::vector<std::pair<Endpoint, std::string>> got;
  RxDatagram rx[32];
  for (int i = 0; i < turns && got.empty(); ++i) {
    const size_t n = port.RxBurst(rx);
    for (size_t k = 0; k < n; ++k) got.emplace_back(rx[k].from, Text(rx[k].data));
    if (other != nullptr) (void)other->RxBurst(rx);  // lets the other side answer ARP
  }
  return got;
}

TEST(DpdkPortTest, TwoPortsResolveEachOtherAndExchangeDatagrams) {
  rte_ring* a_to_b = Ring();
  rte_ring* b_to_a = Ring();
  auto a = DpdkPort::CreateGroup(Options(RingDevice({b_to_a}, {a_to_b}), "198.18.0.1:6084", 1), 1);
  auto b = DpdkPort::CreateGroup(Options(RingDevice({a_to_b}, {b_to_a}), "198.18.0.2:6084", 2), 1);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  DpdkPort& pa = *(*a)[0];
  DpdkPort& pb = *(*b)[0];
  EXPECT_EQ(pa.wait_fd(), -1);
  EXPECT_EQ(pa.local_endpoint(), Ep("198.18.0.1:6084"));

  const std::string first = "first datagram, held while ARP resolves";
  TxDatagram d{Ep("198.18.0.2:6084"),
               {reinterpret_cast<const uint8_t*>(first.data()), first.size()}};
  ASSERT_EQ(pa.TxBurst({&d, 1}), 1u) << "held, not dropped";
  EXPECT_EQ(pa.pending(), 1u);
  EXPECT_EQ(pa.stack().counters().tx_arp_requests, 1u);

  // b answers the ARP request; a learns and sends the held datagram; b receives it.
  auto got = Poll(pb, 10, &pa);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, Ep("198.18.0.1:6084"));
  EXPECT_EQ(got[0].second, first);
  EXPECT_EQ(pa.pending(), 0u);
  EXPECT_EQ(pb.stats().tx_replies, 1u) << "one ARP reply";

  // b answers at once: it gleaned a's MAC from the datagram.
  std::vector<std::string> burst;
  std::vector<TxDatagram> out;
  for (int i = 0; i < 20; ++i) burst.push_back("reply " + std::to_string(i));
  for (const std::string& s : burst) {
    out.push_back({Ep("198.18.0.1:6084"), {reinterpret_cast<const uint8_t*>(s.data()), s.size()}});
  }
  ASSERT_EQ(pb.TxBurst(out), 20u);
  EXPECT_EQ(pb.pending(), 0u);
  EXPECT_EQ(pb.stack().counters().tx_arp_requests, 0u);
  RxDatagram rx[32];
  size_t n = 0;
  for (int i = 0; i < 10 && n == 0; ++i) n = pa.RxBurst(rx);
  ASSERT_EQ(n, 20u);
  for (size_t i = 0; i < n; ++i) EXPECT_EQ(Text(rx[i].data), burst[i]);
  EXPECT_EQ(pa.counters().rx_datagrams, 20u);
  EXPECT_EQ(pb.counters().tx_datagrams, 20u);
  EXPECT_EQ(pb.counters().tx_bytes, 20u * 7 + 10 * 1);  // "reply 0".."reply 19"
}

// The same over IPv6 (2001:2::/48, RFC 5180; in-process rings only): a Neighbor Solicitation
// instead of ARP, the held datagram sent on the Neighbor Advertisement, then both ways.
TEST(DpdkPortTest, TwoIpv6PortsResolveEachOtherByNeighbourDiscovery) {
  rte_ring* a_to_b = Ring();
  rte_ring* b_to_a = Ring();
  DpdkPortOptions oa = Options(RingDevice({b_to_a}, {a_to_b}), "[2001:2::1]:6084", 1);
  DpdkPortOptions ob = Options(RingDevice({a_to_b}, {b_to_a}), "[2001:2::2]:6084", 2);
  oa.stack.prefix_length = ob.stack.prefix_length = 64;
  auto a = DpdkPort::CreateGroup(oa, 1);
  auto b = DpdkPort::CreateGroup(ob, 1);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  DpdkPort& pa = *(*a)[0];
  DpdkPort& pb = *(*b)[0];
  EXPECT_EQ(pa.local_endpoint(), Ep("[2001:2::1]:6084"));

  const std::string first = "first datagram, held while ND resolves";
  TxDatagram d{Ep("[2001:2::2]:6084"),
               {reinterpret_cast<const uint8_t*>(first.data()), first.size()}};
  ASSERT_EQ(pa.TxBurst({&d, 1}), 1u) << "held, not dropped";
  EXPECT_EQ(pa.pending(), 1u);
  EXPECT_EQ(pa.stack().counters().tx_neighbor_solicitations, 1u);
  EXPECT_EQ(pa.stack().counters().tx_arp_requests, 0u);

  auto got = Poll(pb, 10, &pa);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].first, Ep("[2001:2::1]:6084"));
  EXPECT_EQ(got[0].second, first);
  EXPECT_EQ(pa.pending(), 0u);
  EXPECT_EQ(pb.stack().counters().rx_neighbor_solicitations, 1u);
  EXPECT_EQ(pa.stack().counters().rx_neighbor_advertisements, 1u);
  EXPECT_EQ(pb.stats().tx_replies, 1u) << "one Neighbor Advertisement";
  EXPECT_EQ(pa.stats().exception_dropped, 1u) << "the NA, for a kernel there is none of";

  std::vector<std::string> burst;
  std::vector<TxDatagram> out;
  for (int i = 0; i < 20; ++i) burst.push_back("reply " + std::to_string(i));
  for (const std::string& s : burst) {
    out.push_back({Ep("[2001:2::1]:6084"), {reinterpret_cast<const uint8_t*>(s.data()), s.size()}});
  }
  ASSERT_EQ(pb.TxBurst(out), 20u);
  EXPECT_EQ(pb.pending(), 0u) << "b gleaned a's MAC (and learnt it from the NS)";
  EXPECT_EQ(pb.stack().counters().tx_neighbor_solicitations, 0u);
  RxDatagram rx[32];
  size_t n = 0;
  for (int i = 0; i < 10 && n == 0; ++i) n = pa.RxBurst(rx);
  ASSERT_EQ(n, 20u);
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(Text(rx[i].data), burst[i]);
    EXPECT_EQ(rx[i].from, Ep("[2001:2::2]:6084"));
  }
  EXPECT_EQ(pb.counters().tx_bytes, 20u * 7 + 10 * 1) << "payload bytes, not the IPv6 headers";
  EXPECT_EQ(pa.stack().counters().rx_bad_checksum + pb.stack().counters().rx_bad_checksum, 0u);
}

TEST(DpdkPortTest, UnansweredArpDropsTheHeldDatagramAfterTheTimeout) {
  rte_ring* out = Ring();
  rte_ring* in = Ring();
  DpdkPortOptions o = Options(RingDevice({in}, {out}), "198.18.0.1:6084", 1);
  o.pending_timeout_ns = 50'000'000;
  o.max_pending = 2;
  auto port = DpdkPort::CreateGroup(o, 1);
  ASSERT_TRUE(port.ok()) << port.status();
  DpdkPort& p = *(*port)[0];
  const std::string s = "to nobody";
  std::vector<TxDatagram> three(
      3, TxDatagram{Ep("198.18.0.9:6084"), {reinterpret_cast<const uint8_t*>(s.data()), s.size()}});
  EXPECT_EQ(p.TxBurst(three), 2u) << "max_pending 2: the third is dropped";
  EXPECT_EQ(p.stats().tx_unresolved, 1u);
  RxDatagram rx[8];
  for (int i = 0; i < 200 && p.pending() > 0; ++i) {
    (void)p.RxBurst(rx);
    usleep(1000);
  }
  EXPECT_EQ(p.pending(), 0u);
  EXPECT_EQ(p.stats().tx_unresolved, 3u);
  EXPECT_GE(p.stack().counters().tx_arp_requests, 1u);
  // What went out is ARP requests only, broadcast.
  void* frame = nullptr;
  size_t arps = 0;
  while (rte_ring_dequeue(out, &frame) == 0) {
    auto* m = static_cast<rte_mbuf*>(frame);
    EXPECT_EQ(rte_pktmbuf_mtod_offset(m, uint8_t*, 12)[1], 0x06);
    ++arps;
    rte_pktmbuf_free(m);
  }
  EXPECT_EQ(arps, p.stack().counters().tx_arp_requests);
}

// Hand-made frames into a port, through rings the test holds.
class RawPortTest : public testing::Test {
 protected:
  void SetUp() override {
    pool_ = rte_pktmbuf_pool_create(("raw" + std::to_string(g_serial++)).c_str(), 255, 0, 0,
                                    RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ASSERT_NE(pool_, nullptr);
    wire_in_ = Ring();
    wire_out_ = Ring();
    kernel_in_ = Ring();
    kernel_out_ = Ring();
    DpdkPortOptions o = Options(RingDevice({wire_in_}, {wire_out_}), local_, 2);
    o.stack.prefix_length = prefix_length_;
    o.exception_device = RingDevice({kernel_in_}, {kernel_out_});
    o.configure_exception_interface = false;  // a ring, not a net_tap: no kernel interface
    auto group = DpdkPort::CreateGroup(o, 1);
    ASSERT_TRUE(group.ok()) << group.status();
    port_ = std::move((*group)[0]);
  }
  void TearDown() override {
    port_.reset();
    for (rte_ring* r : {wire_in_, wire_out_, kernel_in_, kernel_out_}) {
      void* m = nullptr;
      while (rte_ring_dequeue(r, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    }
    EXPECT_EQ(rte_mempool_avail_count(pool_), 255u) << "an mbuf of the test's pool leaked";
    rte_mempool_free(pool_);
  }

  void Inject(rte_ring* ring, const std::vector<uint8_t>& frame) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    ASSERT_NE(m, nullptr);
    std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size())), frame.data(),
                frame.size());
    ASSERT_EQ(rte_ring_enqueue(ring, m), 0);
  }
  std::vector<std::vector<uint8_t>> Drain(rte_ring* ring) {
    std::vector<std::vector<uint8_t>> frames;
    void* p = nullptr;
    while (rte_ring_dequeue(ring, &p) == 0) {
      auto* m = static_cast<rte_mbuf*>(p);
      const uint8_t* d = rte_pktmbuf_mtod(m, const uint8_t*);
      frames.emplace_back(d, d + m->data_len);
      rte_pktmbuf_free(m);
    }
    return frames;
  }

  const char* local_ = "198.18.0.2:6084";
  uint8_t prefix_length_ = 24;
  rte_mempool* pool_ = nullptr;
  rte_ring* wire_in_ = nullptr;
  rte_ring* wire_out_ = nullptr;
  rte_ring* kernel_in_ = nullptr;
  rte_ring* kernel_out_ = nullptr;
  std::unique_ptr<DpdkPort> port_;
};

// A frame from 02:..:0a / 198.18.0.1 to the port (02:..:02 / 198.18.0.2), IPv4 protocol
// `protocol` with `body`, header checksum right.
std::vector<uint8_t> Ipv4Frame(uint8_t protocol, std::vector<uint8_t> body) {
  std::vector<uint8_t> f = {0x02, 0,    0,    0,  0, 0x02, 0x02, 0,  0,    0, 0,  0x0a,
                            0x08, 0x00, 0x45, 0,  0, 0,    0,    1,  0x40, 0, 64, protocol,
                            0,    0,    198,  18, 0, 1,    198,  18, 0,    2};
  const size_t total = 20 + body.size();
  f[16] = static_cast<uint8_t>(total >> 8);
  f[17] = static_cast<uint8_t>(total);
  const uint16_t sum = ChecksumFold(ChecksumAdd(0, {f.data() + 14, 20}));
  f[24] = static_cast<uint8_t>(sum >> 8);
  f[25] = static_cast<uint8_t>(sum);
  f.insert(f.end(), body.begin(), body.end());
  return f;
}

TEST_F(RawPortTest, AnswersPingSendsTcpToTheKernelAndTheKernelsFramesToTheWire) {
  std::vector<uint8_t> echo = {8, 0, 0, 0, 0, 1, 0, 1, 'a', 'b', 'c', 'd'};
  const uint16_t sum = ChecksumFold(ChecksumAdd(0, echo));
  echo[2] = static_cast<uint8_t>(sum >> 8);
  echo[3] = static_cast<uint8_t>(sum);
  Inject(wire_in_, Ipv4Frame(1, echo));
  Inject(wire_in_, Ipv4Frame(6, std::vector<uint8_t>(20, 0)));  // a TCP segment
  Inject(wire_in_, {1, 2, 3});                                  // garbage
  Inject(kernel_in_, std::vector<uint8_t>(60, 0x42));           // the kernel sends something

  RxDatagram rx[8];
  EXPECT_EQ(port_->RxBurst(rx), 0u);
  auto to_wire = Drain(wire_out_);
  ASSERT_EQ(to_wire.size(), 2u) << "the kernel's frame and the echo reply";
  EXPECT_EQ(to_wire[0], std::vector<uint8_t>(60, 0x42));
  EXPECT_EQ(to_wire[1][14 + 9], 1);
  EXPECT_EQ(to_wire[1][14 + 20], 0) << "ICMP echo reply";
  auto to_kernel = Drain(kernel_out_);
  ASSERT_EQ(to_kernel.size(), 1u);
  EXPECT_EQ(to_kernel[0][14 + 9], 6) << "the TCP segment, unchanged";
  EXPECT_EQ(port_->stats().exception_to_kernel, 1u);
  EXPECT_EQ(port_->stats().exception_from_kernel, 1u);
  EXPECT_EQ(port_->stack().counters().rx_malformed, 1u);
  EXPECT_EQ(port_->stack().counters().rx_icmp_echo, 1u);
}

// The port with an IPv6 address (2001:2::2/64, MAC 02:..:02).
class RawIpv6PortTest : public RawPortTest {
 protected:
  RawIpv6PortTest() {
    local_ = "[2001:2::2]:6084";
    prefix_length_ = 64;
  }
};

// Ethernet + IPv6 from 02:..:0a / 2001:2::1 to `dst_mac` / `dst`, ICMPv6 `body` with its
// checksum filled in.
std::vector<uint8_t> Icmp6Frame(const std::array<uint8_t, 6>& dst_mac, const Endpoint& dst,
                                uint8_t hop_limit, std::vector<uint8_t> body) {
  const Endpoint src = Ep("[2001:2::1]:0");
  std::vector<uint8_t> pseudo(src.address.begin(), src.address.end());
  pseudo.insert(pseudo.end(), dst.address.begin(), dst.address.end());
  pseudo.insert(pseudo.end(), {0, 0, static_cast<uint8_t>(body.size() >> 8),
                               static_cast<uint8_t>(body.size()), 0, 0, 0, 58});
  const uint16_t sum = ChecksumFold(ChecksumAdd(ChecksumAdd(0, pseudo), body));
  body[2] = static_cast<uint8_t>(sum >> 8);
  body[3] = static_cast<uint8_t>(sum);
  std::vector<uint8_t> f(dst_mac.begin(), dst_mac.end());
  f.insert(f.end(), {0x02, 0, 0, 0, 0, 0x0a, 0x86, 0xdd, 0x60, 0, 0, 0,
                     static_cast<uint8_t>(body.size() >> 8), static_cast<uint8_t>(body.size()), 58,
                     hop_limit});
  f.insert(f.end(), src.address.begin(), src.address.end());
  f.insert(f.end(), dst.address.begin(), dst.address.end());
  f.insert(f.end(), body.begin(), body.end());
  return f;
}

TEST_F(RawIpv6PortTest, AnswersSolicitationsAndPingAndSendsRouterAdvertisementsToTheKernel) {
  NetStackOptions peer_options;
  peer_options.mac = {0x02, 0, 0, 0, 0, 0x0a};
  peer_options.local = Ep("[2001:2::1]:6084");
  peer_options.prefix_length = 64;
  NetStack peer(peer_options);
  std::vector<uint8_t> ns(NetStack::kMinResolutionFrame);
  ASSERT_EQ(peer.WriteNeighborSolicitation(Ep("[2001:2::2]:6084"), ns), 86u);
  Inject(wire_in_, ns);
  Inject(wire_in_, Icmp6Frame({0x02, 0, 0, 0, 0, 0x02}, Ep("[2001:2::2]:0"), 64,
                              {128, 0, 0, 0, 0, 1, 0, 1, 'a', 'b', 'c', 'd'}));
  const Endpoint all_nodes = Ep("[ff02::1]:0");
  Inject(wire_in_, Icmp6Frame({0x33, 0x33, 0, 0, 0, 1}, all_nodes, 255,
                              {134, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  std::vector<uint8_t> arp = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02,
                              0,    0,    0,    0,    0x0a, 0x08, 0x06};
  arp.resize(60);
  Inject(wire_in_, arp);

  RxDatagram rx[8];
  EXPECT_EQ(port_->RxBurst(rx), 0u);
  auto to_wire = Drain(wire_out_);
  ASSERT_EQ(to_wire.size(), 2u) << "the Neighbor Advertisement and the echo reply";
  EXPECT_EQ(to_wire[0][14 + 40], 136);
  EXPECT_EQ(to_wire[1][14 + 40], 129);
  // The peer takes the advertisement: the port's answer is valid ND.
  RxDatagram unused;
  std::vector<uint8_t> room(128);
  size_t len = 0;
  EXPECT_EQ(peer.Receive(to_wire[0], &unused, room, &len), NetStack::RxVerdict::kException);
  EXPECT_EQ(peer.Neighbour(Ep("[2001:2::2]:0")), (MacAddress{0x02, 0, 0, 0, 0, 0x02}));
  auto to_kernel = Drain(kernel_out_);
  ASSERT_EQ(to_kernel.size(), 2u) << "the router advertisement and the ARP request";
  EXPECT_EQ(to_kernel[0][14 + 40], 134);
  EXPECT_EQ(to_kernel[1][13], 0x06);
  EXPECT_EQ(port_->stats().tx_replies, 2u);
  EXPECT_EQ(port_->stack().counters().rx_icmp6_echo, 1u);
  EXPECT_EQ(port_->stack().counters().rx_neighbor_solicitations, 1u);
}

TEST_F(RawPortTest, DeliveredPayloadsStayValidUntilTheNextBurst) {
  NetStackOptions peer_options;
  peer_options.mac = {0x02, 0, 0, 0, 0, 0x0a};
  peer_options.local = Ep("198.18.0.1:7000");
  NetStack peer(peer_options);
  for (int i = 0; i < 3; ++i) {
    const std::string payload = "datagram " + std::to_string(i);
    std::vector<uint8_t> frame(NetStack::kUdpHeadroom + payload.size());
    std::memcpy(frame.data() + NetStack::kUdpHeadroom, payload.data(), payload.size());
    peer.WriteUdpHeaders({0x02, 0, 0, 0, 0, 2}, Ep("198.18.0.2:6084"),
                         {frame.data() + NetStack::kUdpHeadroom, payload.size()},
                         {frame.data(), NetStack::kUdpHeadroom});
    Inject(wire_in_, frame);
  }
  RxDatagram rx[8];
  ASSERT_EQ(port_->RxBurst(rx), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Text(rx[i].data), "datagram " + std::to_string(i));
    EXPECT_EQ(rx[i].from, Ep("198.18.0.1:7000"));
  }
  EXPECT_EQ(port_->RxBurst(rx), 0u);  // frees the previous burst's mbufs (TearDown checks)
}

TEST(DpdkPortTest, AGroupHasOneQueuePairPerPortEachUsedByItsOwnThread) {
  rte_ring* a_to_b[2] = {Ring(), Ring()};
  rte_ring* b_to_a[2] = {Ring(), Ring()};
  auto a = DpdkPort::CreateGroup(
      Options(RingDevice({b_to_a[0], b_to_a[1]}, {a_to_b[0], a_to_b[1]}), "198.18.0.1:6084", 1), 2);
  auto b = DpdkPort::CreateGroup(
      Options(RingDevice({a_to_b[0], a_to_b[1]}, {b_to_a[0], b_to_a[1]}), "198.18.0.2:6084", 2), 2);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(a->size(), 2u);
  // Queue q of one device feeds queue q of the other; each pair runs on a thread of its own.
  std::vector<std::thread> threads;
  std::vector<std::string> got(2);
  for (uint16_t q = 0; q < 2; ++q) {
    threads.emplace_back([&, q] {
      DpdkPort& pa = *(*a)[q];
      DpdkPort& pb = *(*b)[q];
      pa.mutable_stack().Learn(0xc6120002, {0x02, 0, 0, 0, 0, 2});
      const std::string text = "queue " + std::to_string(q);
      TxDatagram d{Ep("198.18.0.2:6084"),
                   {reinterpret_cast<const uint8_t*>(text.data()), text.size()}};
      if (pa.TxBurst({&d, 1}) != 1) return;
      RxDatagram rx[4];
      for (int i = 0; i < 100 && got[q].empty(); ++i) {
        if (pb.RxBurst(rx) == 1) got[q] = Text(rx[0].data);
      }
      EXPECT_NE(rte_lcore_id(), LCORE_ID_ANY) << "the port registered its thread";
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(got[0], "queue 0");
  EXPECT_EQ(got[1], "queue 1");
  EXPECT_EQ((*a)[0]->queue(), 0);
  EXPECT_EQ((*a)[1]->queue(), 1);
}

// A group of two queues at `local`; a neighbour at `peer` answers queue 1's ARP request (or
// Neighbor Solicitation) on queue 0.
void NeighbourLearntOnOneQueueReachesTheOther(const char* local, const char* peer_address,
                                              uint8_t prefix_length) {
  // The test holds both queues' rings; the ARP reply comes back on queue 0 while the datagram
  // waiting for it sits on queue 1, as when a device hashes ARP to one queue.
  rte_ring* in[2] = {Ring(), Ring()};
  rte_ring* out[2] = {Ring(), Ring()};
  rte_mempool* pool = rte_pktmbuf_pool_create(("nb" + std::to_string(g_serial++)).c_str(), 63, 0, 0,
                                              RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  ASSERT_NE(pool, nullptr);
  {
    DpdkPortOptions o = Options(RingDevice({in[0], in[1]}, {out[0], out[1]}), local, 2);
    o.stack.prefix_length = prefix_length;
    auto group = DpdkPort::CreateGroup(o, 2);
    ASSERT_TRUE(group.ok()) << group.status();
    DpdkPort& q0 = *(*group)[0];
    DpdkPort& q1 = *(*group)[1];
    const std::string text = "waits on queue 1";
    TxDatagram d{Ep(peer_address), {reinterpret_cast<const uint8_t*>(text.data()), text.size()}};
    ASSERT_EQ(q1.TxBurst({&d, 1}), 1u);
    ASSERT_EQ(q1.pending(), 1u);
    void* p = nullptr;
    ASSERT_EQ(rte_ring_dequeue(out[1], &p), 0) << "queue 1 sent an ARP request (NS)";
    auto* request = static_cast<rte_mbuf*>(p);
    // The neighbour answers; its reply arrives on queue 0.
    NetStackOptions peer_options;
    peer_options.mac = {0x02, 0, 0, 0, 0, 0x09};
    peer_options.local = Ep(peer_address);
    peer_options.prefix_length = prefix_length;
    NetStack peer(peer_options);
    RxDatagram unused;
    std::vector<uint8_t> reply(128);
    size_t reply_len = 0;
    ASSERT_EQ(peer.Receive({rte_pktmbuf_mtod(request, const uint8_t*), request->data_len}, &unused,
                           reply, &reply_len),
              NetStack::RxVerdict::kReply);
    rte_pktmbuf_free(request);
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(reply_len)), reply.data(), reply_len);
    ASSERT_EQ(rte_ring_enqueue(in[0], m), 0);
    RxDatagram rx[4];
    EXPECT_EQ(q0.RxBurst(rx), 0u);
    EXPECT_TRUE(q0.stack().Neighbour(Ep(peer_address)).has_value());
    EXPECT_EQ(q1.RxBurst(rx), 0u);  // learns from queue 0, sends what waited
    EXPECT_EQ(q1.pending(), 0u);
    EXPECT_EQ(q1.counters().tx_datagrams, 1u);
    ASSERT_EQ(rte_ring_dequeue(out[1], &p), 0) << "the datagram, on queue 1";
    auto* sent = static_cast<rte_mbuf*>(p);
    EXPECT_EQ(rte_pktmbuf_mtod(sent, uint8_t*)[5], 0x09) << "to the MAC queue 0 learnt";
    rte_pktmbuf_free(sent);
  }
  EXPECT_EQ(rte_mempool_avail_count(pool), 63u);
  rte_mempool_free(pool);
}

TEST(DpdkPortTest, ANeighbourOneQueueLearnsReachesTheOthers) {
  NeighbourLearntOnOneQueueReachesTheOther("198.18.0.2:6084", "198.18.0.9:6084", 24);
}

TEST(DpdkPortTest, AnIpv6NeighbourOneQueueLearnsReachesTheOthers) {
  NeighbourLearntOnOneQueueReachesTheOther("[2001:2::2]:6084", "[2001:2::9]:6084", 64);
}

TEST(DpdkPortCreateTest, RefusesWhatItCannotDo) {
  rte_ring* r = Ring();
  const std::string dev = RingDevice({r}, {r});
  auto missing = DpdkPort::CreateGroup(Options("no_such_device", "198.18.0.1:6084", 1), 1);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(Str(missing.status().message()), testing::HasSubstr("not found"));
  EXPECT_THAT(Str(missing.status().message()), testing::HasSubstr(dev));  // lists the known ones
  DpdkPortOptions mixed = Options(dev, "[2001:2::1]:6084", 1);
  mixed.stack.gateway = Ep("198.18.0.254:0");
  auto mixed_families = DpdkPort::CreateGroup(mixed, 1);
  ASSERT_FALSE(mixed_families.ok());
  EXPECT_THAT(Str(mixed_families.status().message()), testing::HasSubstr("family"));
  DpdkPortOptions tap6 = Options(dev, "[2001:2::1]:6084", 1);
  tap6.exception_device = "net_tap_that_is_never_opened";
  auto ipv6_tap = DpdkPort::CreateGroup(tap6, 1);
  ASSERT_FALSE(ipv6_tap.ok());
  EXPECT_THAT(Str(ipv6_tap.status().message()),
              testing::HasSubstr("configure_exception_interface"));
  auto no_port = DpdkPort::CreateGroup(Options(dev, "198.18.0.1:0", 1), 1);
  EXPECT_FALSE(no_port.ok());
  auto too_many = DpdkPort::CreateGroup(Options(dev, "198.18.0.1:6084", 1), 4);
  ASSERT_FALSE(too_many.ok());
  EXPECT_THAT(Str(too_many.status().message()), testing::HasSubstr("queues"));
}

}  // namespace
}  // namespace p2psip::port

// The EAL lives for the whole process (DPDK allows one); without it no test can run, so its
// failure fails the binary instead of skipping the tests.
int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  const std::string prefix = "p2psip-port-test-" + std::to_string(getpid());
  auto eal = p2psip::port::dpdk::Eal::Init(
      {"dpdk_port_test", "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry", "-m", "256",
       "--file-prefix=" + prefix, "--log-level=lib.eal:warning"});
  if (!eal.ok()) {
    std::fprintf(stderr, "dpdk_port_test: %s\n", eal.status().ToString().c_str());
    return 1;
  }
  (*eal)->RemoveRuntimeDirOnExit();
  const int rc = RUN_ALL_TESTS();
  // The ports of the tests are gone; rings and pools go with the EAL.
  eal->reset();
  return rc;
}

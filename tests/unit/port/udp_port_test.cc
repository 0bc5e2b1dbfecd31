// The kernel socket port on loopback (127.0.0.1 and ::1): bursts both ways, ephemeral ports,
// SO_REUSEPORT groups, truncation, refused datagrams and errors that must not stop the port.
// Every wait is bounded (poll with a deadline); sockets close with their UdpPort.
#include "p2psip/port/udp_port.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace p2psip::port {
namespace {

using ::testing::HasSubstr;

constexpr auto kDeadline = std::chrono::seconds(5);

struct Received {
  size_t socket = 0;  // index of the receiving port
  Endpoint from;
  std::vector<uint8_t> data;
};

Endpoint Loopback(Endpoint::Family family, uint16_t port = 0) {
  return *Endpoint::Parse(family == Endpoint::Family::kIpv4 ? "127.0.0.1" : "[::1]", port);
}

std::unique_ptr<UdpPort> MakePort(UdpPortOptions options) {
  absl::StatusOr<std::unique_ptr<UdpPort>> port = UdpPort::Create(options);
  EXPECT_TRUE(port.ok()) << port.status();
  return port.ok() ? *std::move(port) : nullptr;
}

std::vector<uint8_t> Payload(uint32_t a, uint32_t b, size_t size = 16) {
  std::vector<uint8_t> out(size, static_cast<uint8_t>(a ^ b));
  for (int i = 0; i < 4; ++i) {
    out[i] = static_cast<uint8_t>(a >> (8 * i));
    out[4 + i] = static_cast<uint8_t>(b >> (8 * i));
  }
  return out;
}

// Polls the ports and copies what they receive until `want` datagrams have arrived or the
// deadline passes.
std::vector<Received> ReceiveFrom(const std::vector<UdpPort*>& ports, size_t want) {
  std::vector<Received> got;
  std::vector<pollfd> fds;
  for (UdpPort* p : ports) fds.push_back(pollfd{p->wait_fd(), POLLIN, 0});
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  RxDatagram burst[32];
  while (got.size() < want && std::chrono::steady_clock::now() < deadline) {
    if (poll(fds.data(), fds.size(), 20) <= 0) continue;
    for (size_t i = 0; i < ports.size(); ++i) {
      const size_t n = ports[i]->RxBurst(burst);
      for (size_t k = 0; k < n; ++k) {
        got.push_back({i, burst[k].from, {burst[k].data.begin(), burst[k].data.end()}});
      }
    }
  }
  return got;
}

std::vector<Received> Receive(UdpPort& port, size_t want) { return ReceiveFrom({&port}, want); }

class UdpPortTest : public ::testing::TestWithParam<Endpoint::Family> {
 protected:
  UdpPortOptions Options() const {
    UdpPortOptions o;
    o.bind = Loopback(GetParam());
    return o;
  }
};

TEST_P(UdpPortTest, BindsAnEphemeralPort) {
  auto a = MakePort(Options());
  auto b = MakePort(Options());
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->local_endpoint().port, 0);
  EXPECT_NE(a->local_endpoint().port, b->local_endpoint().port);
  EXPECT_EQ(a->local_endpoint().family, GetParam());
  EXPECT_EQ(a->local_endpoint().address, Loopback(GetParam()).address);
  EXPECT_GE(a->wait_fd(), 0);
}

TEST_P(UdpPortTest, BurstsBothWays) {
  auto a = MakePort(Options());
  auto b = MakePort(Options());
  ASSERT_TRUE(a && b);
  for (auto [from, to] : {std::pair(a.get(), b.get()), std::pair(b.get(), a.get())}) {
    std::vector<std::vector<uint8_t>> payloads;
    std::vector<TxDatagram> tx;
    for (uint32_t i = 0; i < 32; ++i) payloads.push_back(Payload(i, from->local_endpoint().port));
    for (const auto& p : payloads) tx.push_back({to->local_endpoint(), p});
    EXPECT_EQ(from->TxBurst(tx), 32u);
    EXPECT_EQ(from->stats().tx_syscalls, 1u) << "one sendmmsg for a burst of 32";
    std::vector<Received> got = Receive(*to, 32);
    ASSERT_EQ(got.size(), 32u);
    for (size_t i = 0; i < got.size(); ++i) {  // one socket pair on loopback keeps order
      EXPECT_EQ(got[i].from, from->local_endpoint());
      EXPECT_EQ(got[i].data, payloads[i]);
    }
    EXPECT_EQ(from->counters().tx_datagrams, 32u);
    EXPECT_EQ(from->counters().tx_bytes, 32u * 16);
    EXPECT_EQ(to->counters().rx_datagrams, 32u);
    EXPECT_EQ(to->counters().rx_bytes, 32u * 16);
    EXPECT_LT(to->stats().rx_syscalls, 32u + 1) << "recvmmsg reads more than one per call";
  }
}

TEST_P(UdpPortTest, SplitsALongBurstIntoSendmmsgCalls) {
  UdpPortOptions o = Options();
  o.burst_size = 8;
  auto a = MakePort(o);
  auto b = MakePort(o);
  ASSERT_TRUE(a && b);
  std::vector<std::vector<uint8_t>> payloads;
  std::vector<TxDatagram> tx;
  for (uint32_t i = 0; i < 20; ++i) payloads.push_back(Payload(i, 7));
  for (const auto& p : payloads) tx.push_back({b->local_endpoint(), p});
  EXPECT_EQ(a->TxBurst(tx), 20u);
  EXPECT_EQ(a->stats().tx_syscalls, 3u);
  std::vector<Received> got = Receive(*b, 20);
  ASSERT_EQ(got.size(), 20u);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].data, payloads[i]);
}

TEST_P(UdpPortTest, ReportsTheAddressInUse) {
  auto a = MakePort(Options());
  ASSERT_TRUE(a);
  UdpPortOptions o = Options();
  o.bind = a->local_endpoint();
  absl::StatusOr<std::unique_ptr<UdpPort>> b = UdpPort::Create(o);
  ASSERT_FALSE(b.ok());
  EXPECT_THAT(std::string(b.status().message()),
              HasSubstr("bind " + a->local_endpoint().ToString() + ": Address already in use"));
}

TEST_P(UdpPortTest, AGroupDoesNotShareItsAddressWithASecondGroup) {
  // SO_REUSEPORT lets sockets of one user share an address; a second node started on the
  // address of a running one must fail instead of splitting its traffic.
  absl::StatusOr<std::vector<std::unique_ptr<UdpPort>>> first = UdpPort::CreateGroup(Options(), 2);
  ASSERT_TRUE(first.ok()) << first.status();
  UdpPortOptions o = Options();
  o.bind = (*first)[0]->local_endpoint();
  for (size_t n : {1, 2}) {
    absl::StatusOr<std::vector<std::unique_ptr<UdpPort>>> second = UdpPort::CreateGroup(o, n);
    ASSERT_FALSE(second.ok()) << n;
    EXPECT_THAT(std::string(second.status().message()), HasSubstr("Address already in use"));
    EXPECT_THAT(std::string(second.status().message()), HasSubstr("another node"));
  }
  // Once the first group is gone the address is free again.
  first->clear();
  EXPECT_TRUE(UdpPort::CreateGroup(o, 2).ok());
}

TEST_P(UdpPortTest, RejectsBadOptions) {
  UdpPortOptions o = Options();
  o.burst_size = 0;
  EXPECT_EQ(UdpPort::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
  o = Options();
  o.rx_buffer_size = 0;
  EXPECT_EQ(UdpPort::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(UdpPort::CreateGroup(Options(), 0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_P(UdpPortTest, DropsAndCountsTruncatedDatagrams) {
  UdpPortOptions o = Options();
  o.rx_buffer_size = 64;
  auto a = MakePort(Options());
  auto b = MakePort(o);
  ASSERT_TRUE(a && b);
  const std::vector<uint8_t> big = Payload(1, 1, 65);
  const std::vector<uint8_t> fits = Payload(2, 2, 64);
  const TxDatagram tx[] = {{b->local_endpoint(), big}, {b->local_endpoint(), fits}};
  EXPECT_EQ(a->TxBurst(tx), 2u);
  std::vector<Received> got = Receive(*b, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data, fits);
  EXPECT_EQ(b->counters().rx_truncated, 1u);
  EXPECT_EQ(b->counters().rx_datagrams, 1u);
}

TEST_P(UdpPortTest, SendingToAClosedPortIsNotFatal) {
  auto a = MakePort(Options());
  auto b = MakePort(Options());
  ASSERT_TRUE(a && b);
  Endpoint closed;
  {
    auto gone = MakePort(Options());
    ASSERT_TRUE(gone);
    closed = gone->local_endpoint();
  }  // closed: the kernel answers with ICMP port unreachable
  const std::vector<uint8_t> p = Payload(3, 3);
  for (int round = 0; round < 3; ++round) {
    const TxDatagram tx[] = {{closed, p}, {closed, p}, {b->local_endpoint(), p}};
    // Unconnected socket without IP_RECVERR: the kernel takes the datagrams and ignores the
    // ICMP errors, so neither this send nor a later one fails.
    EXPECT_EQ(a->TxBurst(tx), 3u);
    EXPECT_EQ(Receive(*b, 1).size(), 1u);
  }
  RxDatagram burst[4];
  EXPECT_EQ(a->RxBurst(burst), 0u);
  EXPECT_EQ(a->counters().tx_datagrams, 9u);
  EXPECT_EQ(a->counters().tx_dropped, 0u);
  EXPECT_EQ(a->counters().rx_errors, 0u);
  EXPECT_EQ(b->counters().rx_datagrams, 3u);
}

TEST_P(UdpPortTest, SkipsARefusedDatagramAndSendsTheRest) {
  auto a = MakePort(Options());
  auto b = MakePort(Options());
  ASSERT_TRUE(a && b);
  const std::vector<uint8_t> ok1 = Payload(1, 0);
  const std::vector<uint8_t> ok2 = Payload(2, 0);
  const std::vector<uint8_t> too_big(70000, 0xAB);  // over the 64 KiB UDP limit: EMSGSIZE
  const Endpoint other_family = Loopback(
      GetParam() == Endpoint::Family::kIpv4 ? Endpoint::Family::kIpv6 : Endpoint::Family::kIpv4,
      b->local_endpoint().port);
  const TxDatagram tx[] = {{b->local_endpoint(), ok1},
                           {b->local_endpoint(), too_big},
                           {other_family, ok1},
                           {b->local_endpoint(), ok2}};
  EXPECT_EQ(a->TxBurst(tx), 2u);
  EXPECT_EQ(a->stats().tx_errors, 2u);
  EXPECT_EQ(a->counters().tx_dropped, 2u);
  EXPECT_EQ(a->counters().tx_datagrams, 2u);
  EXPECT_EQ(a->stats().last_tx_errno, EMSGSIZE);  // the family check runs before sendmmsg
  std::vector<Received> got = Receive(*b, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].data, ok1);
  EXPECT_EQ(got[1].data, ok2);
  // And the port still works afterwards.
  const TxDatagram again[] = {{b->local_endpoint(), ok2}};
  EXPECT_EQ(a->TxBurst(again), 1u);
  EXPECT_EQ(Receive(*b, 1).size(), 1u);
}

TEST_P(UdpPortTest, ReusePortGroupSpreadsPeersAndLosesNothing) {
  constexpr size_t kSockets = 4;
  constexpr uint32_t kClients = 64;
  constexpr uint32_t kPerClient = 4;
  absl::StatusOr<std::vector<std::unique_ptr<UdpPort>>> group =
      UdpPort::CreateGroup(Options(), kSockets);
  ASSERT_TRUE(group.ok()) << group.status();
  ASSERT_EQ(group->size(), kSockets);
  const Endpoint server = (*group)[0]->local_endpoint();
  EXPECT_NE(server.port, 0);
  std::vector<UdpPort*> servers;
  for (const auto& p : *group) {
    EXPECT_EQ(p->local_endpoint(), server);
    servers.push_back(p.get());
  }

  std::vector<std::unique_ptr<UdpPort>> clients;
  std::map<Endpoint, uint32_t, bool (*)(const Endpoint&, const Endpoint&)> client_of(
      [](const Endpoint& x, const Endpoint& y) { return x.ToString() < y.ToString(); });
  for (uint32_t c = 0; c < kClients; ++c) {
    clients.push_back(MakePort(Options()));
    ASSERT_TRUE(clients.back());
    client_of[clients.back()->local_endpoint()] = c;
    std::vector<std::vector<uint8_t>> payloads;
    std::vector<TxDatagram> tx;
    for (uint32_t k = 0; k < kPerClient; ++k) payloads.push_back(Payload(c, k));
    for (const auto& p : payloads) tx.push_back({server, p});
    ASSERT_EQ(clients.back()->TxBurst(tx), kPerClient);
  }

  std::vector<Received> got = ReceiveFrom(servers, kClients * kPerClient);
  ASSERT_EQ(got.size(), kClients * kPerClient);
  std::map<uint32_t, std::set<size_t>> sockets_of_client;
  std::set<std::pair<uint32_t, uint32_t>> seen;
  std::set<size_t> used;
  for (const Received& r : got) {
    ASSERT_TRUE(client_of.contains(r.from)) << r.from.ToString();
    const uint32_t c = client_of[r.from];
    EXPECT_EQ(r.data[0] | r.data[1] << 8 | r.data[2] << 16 | r.data[3] << 24, c);
    seen.insert({c, r.data[4]});
    sockets_of_client[c].insert(r.socket);
    used.insert(r.socket);
  }
  EXPECT_EQ(seen.size(), kClients * kPerClient) << "each datagram exactly once";
  for (const auto& [c, sockets] : sockets_of_client) {
    EXPECT_EQ(sockets.size(), 1u) << "the 4-tuple hash keeps client " << c << " on one socket";
  }
  EXPECT_GE(used.size(), 2u) << "64 peers all hashed to one of 4 sockets";
}

std::string FamilyName(const ::testing::TestParamInfo<Endpoint::Family>& info) {
  return info.param == Endpoint::Family::kIpv4 ? "Ipv4" : "Ipv6";
}

INSTANTIATE_TEST_SUITE_P(Loopback, UdpPortTest,
                         ::testing::Values(Endpoint::Family::kIpv4, Endpoint::Family::kIpv6),
                         FamilyName);

}  // namespace
}  // namespace p2psip::port

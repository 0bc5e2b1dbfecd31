// Flow steering: FlowOwner's values and spread, and a real SO_REUSEPORT group on loopback
// (127.0.0.1 and ::1) whose classic BPF program delivers every datagram to socket
// FlowOwner(source, n). Every wait is bounded (poll with a deadline); sockets close with their
// owners.
#include "p2psip/port/flow_steering.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "p2psip/port/udp_port.h"
#include "port/kernel/reuseport_steering.h"

namespace p2psip::port {
namespace {

using ::testing::HasSubstr;

constexpr auto kDeadline = std::chrono::seconds(5);

Endpoint At(const char* text) {
  std::optional<Endpoint> e = Endpoint::Parse(text);
  EXPECT_TRUE(e.has_value()) << text;
  return e.value_or(Endpoint{});
}

TEST(FlowOwnerTest, KnownValues) {
  // Computed independently (Python) from the formula in flow_steering.h: the BPF program and any
  // other port that steers (DPDK RSS) must agree with these.
  struct Case {
    const char* remote;
    uint32_t workers;
    uint32_t owner;
  };
  const Case cases[] = {
      {"127.0.0.1:5000", 4, 2}, {"127.0.0.1:5001", 4, 2},          {"127.0.0.1:5002", 4, 1},
      {"127.0.0.1:5003", 4, 1}, {"127.0.0.1:6084", 4, 0},          {"127.0.0.2:6084", 4, 0},
      {"127.0.0.1:6084", 3, 0}, {"127.0.0.1:6084", 7, 6},          {"198.51.100.10:6084", 16, 13},
      {"0.0.0.1:6084", 4, 3},   {"255.255.255.255:1", 4, 0},       {"0.0.0.0:0", 4, 0},
      {"[::1]:6084", 4, 3},     {"[2001:db8::7f00:1]:5002", 4, 1},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(FlowOwner(At(c.remote), c.workers), c.owner) << c.remote << " / " << c.workers;
  }
}

TEST(FlowOwnerTest, IPv6UsesTheLast32BitsOfTheAddress) {
  EXPECT_EQ(FlowSteeringAddressBits(At("[2001:db8::c633:640a]:1")), 0xc633640au);
  EXPECT_EQ(FlowSteeringAddressBits(At("198.51.100.10:1")), 0xc633640au);
  for (uint32_t workers : {2u, 3u, 4u, 16u}) {
    EXPECT_EQ(FlowOwner(At("[2001:db8:1::c633:640a]:6084"), workers),
              FlowOwner(At("198.51.100.10:6084"), workers));
  }
}

TEST(FlowOwnerTest, OneWorkerOwnsEverything) {
  for (const char* r : {"127.0.0.1:5000", "[::1]:6084", "198.18.2.3:65535"}) {
    EXPECT_EQ(FlowOwner(At(r), 1), 0u);
    EXPECT_EQ(FlowOwner(At(r), 0), 0u);
  }
}

// Counts owners over `remotes` and expects each of `workers` to get within 20% of its share.
void ExpectEvenSpread(const std::vector<Endpoint>& remotes, uint32_t workers) {
  std::vector<size_t> count(workers);
  for (const Endpoint& r : remotes) {
    const uint32_t owner = FlowOwner(r, workers);
    ASSERT_LT(owner, workers);
    ++count[owner];
  }
  const double share = static_cast<double>(remotes.size()) / workers;
  for (uint32_t w = 0; w < workers; ++w) {
    EXPECT_GT(count[w], 0.8 * share) << "worker " << w << " of " << workers;
    EXPECT_LT(count[w], 1.2 * share) << "worker " << w << " of " << workers;
  }
}

TEST(FlowOwnerTest, SpreadsPortsOfOneAddress) {
  std::vector<Endpoint> remotes;
  for (uint32_t port = 32768; port < 32768 + 4096; ++port) {
    Endpoint e = At("127.0.0.1");
    e.port = static_cast<uint16_t>(port);
    remotes.push_back(e);
  }
  for (uint32_t workers : {2u, 3u, 4u, 8u, 12u, 16u}) ExpectEvenSpread(remotes, workers);
}

TEST(FlowOwnerTest, SpreadsAddressesOnOnePort) {
  // Low bits (one subnet) and high bits only (the first two bytes; never sent to): the fold in
  // FlowOwner is what spreads the second set over a power-of-two number of workers.
  std::vector<Endpoint> subnet;
  std::vector<Endpoint> high;
  for (uint32_t i = 0; i < 4096; ++i) {
    Endpoint low = At("198.18.0.0:6084");
    low.address[2] = static_cast<uint8_t>(i >> 8);
    low.address[3] = static_cast<uint8_t>(i);
    subnet.push_back(low);
    Endpoint top = At("127.0.0.1:6084");
    top.address[0] = static_cast<uint8_t>(i >> 6);
    top.address[1] = static_cast<uint8_t>(i << 2);
    high.push_back(top);
  }
  for (uint32_t workers : {2u, 4u, 6u, 8u, 16u}) {
    ExpectEvenSpread(subnet, workers);
    ExpectEvenSpread(high, workers);
  }
}

// --- a real group on loopback ---

struct Arrival {
  size_t socket = 0;
  Endpoint from;
};

// Polls the group until `want` datagrams have arrived or the deadline passes.
std::vector<Arrival> Collect(const std::vector<std::unique_ptr<UdpPort>>& group, size_t want) {
  std::vector<Arrival> got;
  std::vector<pollfd> fds;
  for (const auto& p : group) fds.push_back(pollfd{p->wait_fd(), POLLIN, 0});
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  RxDatagram burst[32];
  while (got.size() < want && std::chrono::steady_clock::now() < deadline) {
    if (poll(fds.data(), fds.size(), 20) <= 0) continue;
    for (size_t i = 0; i < group.size(); ++i) {
      const size_t n = group[i]->RxBurst(burst);
      for (size_t k = 0; k < n; ++k) got.push_back({i, burst[k].from});
    }
  }
  return got;
}

std::unique_ptr<UdpPort> Client(const Endpoint& bind) {
  UdpPortOptions o;
  o.bind = bind;
  o.socket_buffer_bytes = 0;
  absl::StatusOr<std::unique_ptr<UdpPort>> port = UdpPort::Create(o);
  EXPECT_TRUE(port.ok()) << port.status();
  return port.ok() ? *std::move(port) : nullptr;
}

// Sends `per_client` datagrams from each client to the group of `n` sockets on `server_address`
// and expects each at socket FlowOwner(source, n), every socket used.
void ExpectSteered(const char* server_address, const std::vector<Endpoint>& client_binds,
                   uint32_t n) {
  UdpPortOptions o;
  o.bind = At(server_address);
  absl::StatusOr<std::vector<std::unique_ptr<UdpPort>>> group = UdpPort::CreateGroup(o, n);
  ASSERT_TRUE(group.ok()) << group.status();
  ASSERT_EQ(group->size(), n);
  const Endpoint server = (*group)[0]->local_endpoint();

  constexpr size_t kPerClient = 3;
  std::vector<std::unique_ptr<UdpPort>> clients;
  const uint8_t payload[] = {1, 2, 3, 4};
  for (const Endpoint& bind : client_binds) {
    clients.push_back(Client(bind));
    ASSERT_TRUE(clients.back());
    std::vector<TxDatagram> tx(kPerClient, TxDatagram{server, payload});
    ASSERT_EQ(clients.back()->TxBurst(tx), kPerClient);
  }
  const size_t want = clients.size() * kPerClient;
  std::vector<Arrival> got = Collect(*group, want);
  ASSERT_EQ(got.size(), want);
  std::set<size_t> used;
  size_t misplaced = 0;
  for (const Arrival& a : got) {
    const uint32_t owner = FlowOwner(a.from, n);
    if (a.socket != owner) ++misplaced;
    EXPECT_EQ(a.socket, owner) << a.from.ToString() << " of " << n;
    used.insert(a.socket);
  }
  EXPECT_EQ(misplaced, 0u);
  EXPECT_EQ(used.size(), n) << "some socket received nothing";
}

TEST(ReuseportSteeringTest, Ipv4GroupDeliversToTheFlowOwner) {
  // 64 clients on 127.0.0.1..127.0.0.16 (the whole 127/8 is loopback), ephemeral ports.
  std::vector<Endpoint> binds;
  for (int i = 0; i < 64; ++i) {
    Endpoint e = At("127.0.0.1");
    e.address[3] = static_cast<uint8_t>(1 + i % 16);
    binds.push_back(e);
  }
  ExpectSteered("127.0.0.1", binds, 4);
  ExpectSteered("127.0.0.1", binds, 3);
}

TEST(ReuseportSteeringTest, Ipv6GroupDeliversToTheFlowOwner) {
  UdpPortOptions probe;
  probe.bind = At("[::1]");
  if (!UdpPort::Create(probe).ok()) GTEST_SKIP() << "no ::1 on this machine";
  std::vector<Endpoint> binds(64, At("[::1]"));
  ExpectSteered("[::1]", binds, 4);
}

TEST(ReuseportSteeringTest, Ipv4OptionsMoveTheUdpHeader) {
  // The IPv4 program finds the UDP header through the IHL: a client that sends with IP options
  // (four no-ops: a 24-byte header) must be steered as well.
  UdpPortOptions o;
  o.bind = At("127.0.0.1");
  absl::StatusOr<std::vector<std::unique_ptr<UdpPort>>> group = UdpPort::CreateGroup(o, 4);
  ASSERT_TRUE(group.ok()) << group.status();
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons((*group)[0]->local_endpoint().port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  constexpr int kClients = 32;
  std::vector<int> fds;
  for (int i = 0; i < kClients; ++i) {
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    fds.push_back(fd);
    const uint8_t options[] = {IPOPT_NOP, IPOPT_NOP, IPOPT_NOP, IPOPT_NOP};
    ASSERT_EQ(setsockopt(fd, IPPROTO_IP, IP_OPTIONS, options, sizeof(options)), 0);
    const char byte = 'x';
    ASSERT_EQ(sendto(fd, &byte, 1, 0, reinterpret_cast<const sockaddr*>(&to), sizeof(to)), 1);
  }
  std::vector<Arrival> got = Collect(*group, kClients);
  for (int fd : fds) close(fd);
  ASSERT_EQ(got.size(), static_cast<size_t>(kClients));
  for (const Arrival& a : got) EXPECT_EQ(a.socket, FlowOwner(a.from, 4)) << a.from.ToString();
}

TEST(ReuseportSteeringTest, GroupOfOneNeedsNoProgram) {
  UdpPortOptions o;
  o.bind = At("127.0.0.1");
  absl::StatusOr<std::vector<std::unique_ptr<UdpPort>>> group = UdpPort::CreateGroup(o, 1);
  ASSERT_TRUE(group.ok()) << group.status();
  EXPECT_EQ(group->size(), 1u);
}

TEST(ReuseportSteeringTest, AttachingWithoutAGroupIsAClearError) {
  // What CreateGroup reports when the kernel refuses the program: here, a socket bound without
  // SO_REUSEPORT, which the kernel refuses with EINVAL.
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
  absl::Status status = kernel::AttachReuseportSteering(fd, Endpoint::Family::kIpv4, 4);
  close(fd);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("SO_ATTACH_REUSEPORT_CBPF"));
  EXPECT_EQ(kernel::AttachReuseportSteering(3, Endpoint::Family::kIpv4, 1).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ReuseportSteeringTest, ProgramEndsWithTheModuloAndReturnsA) {
  for (Endpoint::Family family : {Endpoint::Family::kIpv4, Endpoint::Family::kIpv6}) {
    std::vector<sock_filter> p = kernel::ReuseportSteeringProgram(family, 5);
    ASSERT_GE(p.size(), 2u);
    EXPECT_EQ(p[p.size() - 2].code, BPF_ALU | BPF_MOD | BPF_K);
    EXPECT_EQ(p[p.size() - 2].k, 5u);
    EXPECT_EQ(p.back().code, BPF_RET | BPF_A);
  }
}

}  // namespace
}  // namespace p2psip::port

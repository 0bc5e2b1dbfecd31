// The in-memory port: delivery, the eventfd, drops (unknown destination, full queue), loss,
// the capture hook, and several sending threads.
#include "p2psip/port/memory_port.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

namespace p2psip::port {
namespace {

Endpoint At(const char* text) { return *Endpoint::Parse(text); }

std::unique_ptr<MemoryPort> AttachOrDie(MemoryNetwork& net, const Endpoint& e) {
  absl::StatusOr<std::unique_ptr<MemoryPort>> port = net.Attach(e);
  EXPECT_TRUE(port.ok()) << port.status();
  return port.ok() ? *std::move(port) : nullptr;
}

bool Readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

std::vector<uint8_t> Bytes(uint32_t v) {
  return {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 24)};
}

uint32_t Value(std::span<const uint8_t> b) {
  return b.size() == 4 ? b[0] | b[1] << 8 | b[2] << 16 | static_cast<uint32_t>(b[3]) << 24
                       : 0xFFFFFFFF;
}

TEST(MemoryPortTest, AttachAssignsEphemeralPortsAndRefusesDuplicates) {
  MemoryNetwork net;
  auto a = AttachOrDie(net, At("198.18.0.1"));
  auto b = AttachOrDie(net, At("198.18.0.1"));
  ASSERT_TRUE(a && b);
  EXPECT_GE(a->local_endpoint().port, 49152);
  EXPECT_NE(a->local_endpoint().port, b->local_endpoint().port);
  auto fixed = AttachOrDie(net, At("[2001:db8::1]:6084"));
  ASSERT_TRUE(fixed);
  EXPECT_EQ(fixed->local_endpoint(), At("[2001:db8::1]:6084"));
  EXPECT_EQ(net.Attach(At("[2001:db8::1]:6084")).status().code(), absl::StatusCode::kAlreadyExists);
  fixed.reset();  // detaches: the endpoint is free again
  EXPECT_TRUE(net.Attach(At("[2001:db8::1]:6084")).ok());
}

TEST(MemoryPortTest, DeliversBurstsAndSignalsTheEventFd) {
  MemoryNetwork net;
  auto a = AttachOrDie(net, At("198.18.0.1:1000"));
  auto b = AttachOrDie(net, At("198.18.0.2:2000"));
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(Readable(b->wait_fd()));
  std::vector<std::vector<uint8_t>> payloads;
  std::vector<TxDatagram> tx;
  for (uint32_t i = 0; i < 10; ++i) payloads.push_back(Bytes(i));
  for (const auto& p : payloads) tx.push_back({b->local_endpoint(), p});
  EXPECT_EQ(a->TxBurst(tx), 10u);
  EXPECT_TRUE(Readable(b->wait_fd()));
  EXPECT_EQ(b->queued(), 10u);

  RxDatagram rx[4];
  uint32_t next = 0;
  while (size_t n = b->RxBurst(rx)) {
    for (size_t i = 0; i < n; ++i) {
      EXPECT_EQ(rx[i].from, a->local_endpoint());
      EXPECT_EQ(Value(rx[i].data), next++);
    }
    EXPECT_EQ(Readable(b->wait_fd()), next < 10) << "readable exactly while something waits";
  }
  EXPECT_EQ(next, 10u);
  EXPECT_EQ(a->counters().tx_datagrams, 10u);
  EXPECT_EQ(a->counters().tx_bytes, 40u);
  EXPECT_EQ(b->counters().rx_datagrams, 10u);
  EXPECT_EQ(b->counters().rx_bytes, 40u);
  EXPECT_EQ(net.stats().delivered, 10u);
  // Readable again for the next datagram.
  const TxDatagram one[] = {{b->local_endpoint(), payloads[0]}};
  EXPECT_EQ(a->TxBurst(one), 1u);
  EXPECT_TRUE(Readable(b->wait_fd()));
}

TEST(MemoryPortTest, DropsUnknownDestinationsAndFullQueues) {
  MemoryNetwork net({.queue_capacity = 4});
  auto a = AttachOrDie(net, At("198.18.0.1:1"));
  auto b = AttachOrDie(net, At("198.18.0.2:2"));
  ASSERT_TRUE(a && b);
  const std::vector<uint8_t> p = Bytes(7);
  const TxDatagram nowhere[] = {{At("198.18.0.3:3"), p}, {At("198.18.0.2:3"), p}};
  EXPECT_EQ(a->TxBurst(nowhere), 0u);
  std::vector<TxDatagram> six(6, TxDatagram{b->local_endpoint(), p});
  EXPECT_EQ(a->TxBurst(six), 4u);
  EXPECT_EQ(a->counters().tx_dropped, 4u);
  EXPECT_EQ(a->counters().tx_datagrams, 4u);
  const MemoryNetworkStats s = net.stats();
  EXPECT_EQ(s.dropped_unknown, 2u);
  EXPECT_EQ(s.dropped_full, 2u);
  EXPECT_EQ(s.delivered, 4u);
  RxDatagram rx[8];
  EXPECT_EQ(b->RxBurst(rx), 4u);
}

TEST(MemoryPortTest, LosesTheRequestedShareReproducibly) {
  auto run = [](uint64_t seed) {
    MemoryNetwork net({.queue_capacity = 2048, .loss = 0.25, .seed = seed});
    auto a = AttachOrDie(net, At("198.18.0.1:1"));
    auto b = AttachOrDie(net, At("198.18.0.2:2"));
    const std::vector<uint8_t> p = Bytes(1);
    std::vector<TxDatagram> tx(1000, TxDatagram{b->local_endpoint(), p});
    EXPECT_EQ(a->TxBurst(tx), 1000u) << "lost datagrams were accepted, as on a real network";
    EXPECT_EQ(net.stats().lost + net.stats().delivered, 1000u);
    EXPECT_EQ(b->queued(), net.stats().delivered);
    return net.stats().lost;
  };
  const uint64_t lost = run(42);
  EXPECT_GT(lost, 150u);
  EXPECT_LT(lost, 350u);
  EXPECT_EQ(run(42), lost);
}

TEST(MemoryPortTest, CaptureHookSeesEveryDatagram) {
  MemoryNetwork net;
  struct Seen {
    Endpoint from, to;
    std::vector<uint8_t> data;
  };
  std::vector<Seen> seen;
  net.SetCaptureHook([&](const Endpoint& from, const Endpoint& to, std::span<const uint8_t> d) {
    seen.push_back({from, to, {d.begin(), d.end()}});
  });
  auto a = AttachOrDie(net, At("198.18.0.1:1"));
  auto b = AttachOrDie(net, At("198.18.0.2:2"));
  ASSERT_TRUE(a && b);
  const std::vector<uint8_t> p1 = Bytes(1), p2 = Bytes(2);
  const TxDatagram tx[] = {{b->local_endpoint(), p1}, {At("198.18.9.9:9"), p2}};
  a->TxBurst(tx);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].from, a->local_endpoint());
  EXPECT_EQ(seen[0].to, b->local_endpoint());
  EXPECT_EQ(seen[0].data, p1);
  EXPECT_EQ(seen[1].to, At("198.18.9.9:9"));  // seen even though it is dropped
  EXPECT_EQ(seen[1].data, p2);
}

TEST(MemoryPortTest, SeveralSendersLoseNothingWhenTheyRetry) {
  constexpr uint32_t kSenders = 3;
  constexpr uint32_t kEach = 20000;
  MemoryNetwork net({.queue_capacity = 64});
  auto sink = AttachOrDie(net, At("198.18.0.100:1"));
  ASSERT_TRUE(sink);
  std::vector<std::unique_ptr<MemoryPort>> senders;
  for (uint32_t s = 0; s < kSenders; ++s) {
    senders.push_back(AttachOrDie(net, At("198.18.0.1")));
    ASSERT_TRUE(senders.back());
  }
  std::atomic<bool> gave_up = false;
  std::vector<std::thread> threads;
  for (uint32_t s = 0; s < kSenders; ++s) {
    threads.emplace_back([&, s] {
      for (uint32_t i = 0; i < kEach && !gave_up; ++i) {
        const std::vector<uint8_t> p = Bytes(s << 24 | i);
        const TxDatagram d[] = {{sink->local_endpoint(), p}};
        // A full queue drops; retry a bounded number of times, as a link layer would.
        int tries = 0;
        while (senders[s]->TxBurst(d) == 0 && ++tries < 1000000) std::this_thread::yield();
        if (tries == 1000000) gave_up = true;
      }
    });
  }
  std::vector<uint32_t> next(kSenders, 0);
  uint64_t total = 0;
  RxDatagram rx[32];
  pollfd p{sink->wait_fd(), POLLIN, 0};
  for (int idle = 0; total < kSenders * kEach && idle < 500 && !gave_up;) {
    if (poll(&p, 1, 10) <= 0) {
      ++idle;
      continue;
    }
    idle = 0;
    const size_t n = sink->RxBurst(rx);
    for (size_t i = 0; i < n; ++i) {
      const uint32_t v = Value(rx[i].data);
      const uint32_t s = v >> 24;
      if (s >= kSenders) {  // no ASSERT here: the threads must be joined first
        ADD_FAILURE() << "unknown sender " << s;
        gave_up = true;
        break;
      }
      EXPECT_EQ(rx[i].from, senders[s]->local_endpoint());
      EXPECT_EQ(v & 0xFFFFFF, next[s]++) << "per-sender order";
    }
    total += n;
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(gave_up);
  EXPECT_EQ(total, uint64_t{kSenders} * kEach);
}

}  // namespace
}  // namespace p2psip::port

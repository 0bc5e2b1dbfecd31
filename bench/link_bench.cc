// The overlay link layer's reliability (p2psip::link): two FramedLinks joined by a simulated
// channel on a virtual clock.
//   BM_LinkThroughput/<sender>/<one-way delay µs>/<loss ‰>
//       A sends 200-byte messages to B as fast as its sender allows (its queue kept full); the
//       channel delays every frame by d (FIFO) and drops each one, DATA or ACK, with
//       probability p (seeded mt19937_64). Counters: vmsg_per_s = messages acknowledged per
//       second of VIRTUAL time (the link's throughput), retx_per_msg, given_up. The links live
//       for the whole run, so slow start is amortised. sender 0 = stop-and-wait (RFC 6940
//       §6.6.3.2 example), 1 = windowed (cap 64 messages).
//   BM_LinkCpu/<sender>
//       the REAL CPU cost of the FramedLink machinery per message, no channel: Send, DATA
//       encode, receive + ACK at B, ACK decode and processing at A (the windowed sender in
//       bursts of 32 messages). cpu_per_msg (seconds, CPU time) is the figure.
// Run 3 repetitions and quote the medians:
//   link_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <utility>
#include <vector>

#include "benchmark/benchmark.h"
#include "p2psip/link/framed_link.h"

namespace p2psip::link {
namespace {

constexpr size_t kMessageSize = 200;
constexpr size_t kQueue = 256;

std::unique_ptr<FramedLink> MakeLink(int sender) {
  FramedLinkOptions o;
  o.sender = sender == 0 ? SenderKind::kStopAndWait : SenderKind::kWindowed;
  o.queue_capacity = kQueue;
  o.report_deliveries = true;
  auto l = FramedLink::Create(o);
  if (!l.ok()) std::abort();
  return *std::move(l);
}

// One direction of the channel: FIFO (constant delay), buffers reused.
class Pipe {
 public:
  Pipe(uint64_t delay_us, double loss, std::mt19937_64* rng)
      : delay_us_(delay_us), loss_(loss), rng_(rng) {}

  void Carry(FramedLink& from, uint64_t now) {
    from.FlushAck();  // what arrived since the last Carry is one burst
    while (from.HasOutput()) {
      if (loss_ == 0 || coin_(*rng_) >= loss_) {
        std::vector<uint8_t> buf;
        if (!spare_.empty()) {
          buf = std::move(spare_.back());
          spare_.pop_back();
        }
        buf.assign(from.FrontFrame().begin(), from.FrontFrame().end());
        queue_.emplace_back(now + delay_us_, std::move(buf));
      }
      from.PopFrame();
    }
  }
  uint64_t NextArrival() const { return queue_.empty() ? kNever : queue_.front().first; }
  // Hands every frame due at `now` to `to`.
  void Deliver(FramedLink& to, uint64_t now) {
    while (!queue_.empty() && queue_.front().first <= now) {
      (void)to.OnReceive(queue_.front().second, now);
      spare_.push_back(std::move(queue_.front().second));
      queue_.pop_front();
    }
  }

 private:
  uint64_t delay_us_;
  double loss_;
  std::mt19937_64* rng_;
  std::uniform_real_distribution<double> coin_{0, 1};
  std::deque<std::pair<uint64_t, std::vector<uint8_t>>> queue_;
  std::vector<std::vector<uint8_t>> spare_;
};

void BM_LinkThroughput(benchmark::State& state) {
  const int sender = static_cast<int>(state.range(0));
  const uint64_t delay_us = static_cast<uint64_t>(state.range(1));
  const double loss = static_cast<double>(state.range(2)) / 1000;
  std::mt19937_64 rng(42);
  auto a = MakeLink(sender);
  auto b = MakeLink(sender);
  Pipe ab(delay_us, loss, &rng), ba(delay_us, loss, &rng);
  const std::vector<uint8_t> message(kMessageSize, 0x5a);
  uint64_t now = 0, delivered = 0, given_up = 0;
  constexpr uint64_t kPerIteration = 200;
  for (auto _ : state) {
    const uint64_t target = delivered + kPerIteration;
    while (delivered < target) {
      while (a->messages_held() < kQueue) (void)a->Send(message, now);
      ab.Carry(*a, now);
      ba.Carry(*b, now);
      const uint64_t next =
          std::min({ab.NextArrival(), ba.NextArrival(), a->NextDeadline(), b->NextDeadline()});
      if (next == kNever) std::abort();  // a backlogged sender always has something pending
      now = std::max(now, next);
      ab.Deliver(*b, now);
      ba.Deliver(*a, now);
      if (a->NextDeadline() <= now) a->OnTimer(now);
      if (b->NextDeadline() <= now) b->OnTimer(now);
      LinkEvent e;
      while (a->PollEvent(&e)) {
        if (e.type == LinkEvent::Type::kDelivered) ++delivered;
        if (e.type == LinkEvent::Type::kGivenUp) ++given_up;
      }
    }
  }
  const SenderCounters& c = a->sender().counters();
  state.counters["vmsg_per_s"] = static_cast<double>(delivered) / (static_cast<double>(now) / 1e6);
  state.counters["retx_per_msg"] =
      static_cast<double>(c.retransmissions) / static_cast<double>(c.messages_sent);
  state.counters["given_up"] = static_cast<double>(given_up);
  state.counters["virtual_s"] = static_cast<double>(now) / 1e6;
  state.SetItemsProcessed(static_cast<int64_t>(delivered));
}
BENCHMARK(BM_LinkThroughput)
    ->ArgNames({"sender", "delay_us", "loss_permille"})
    ->ArgsProduct({{0, 1}, {100, 1000, 20000}, {0, 10}});

void BM_LinkCpu(benchmark::State& state) {
  const int sender = static_cast<int>(state.range(0));
  const size_t burst = sender == 0 ? 1 : 32;
  auto a = MakeLink(sender);
  auto b = MakeLink(sender);
  const std::vector<uint8_t> message(kMessageSize, 0x5a);
  uint64_t now = 0, messages = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < burst; ++i) (void)a->Send(message, now);
    while (a->HasOutput()) {  // until the burst is through (slow start may need rounds)
      while (a->HasOutput()) {
        (void)b->OnReceive(a->FrontFrame(), now);
        a->PopFrame();
      }
      now += 100;
      b->FlushAck();  // one ACK for the burst
      while (b->HasOutput()) {
        (void)a->OnReceive(b->FrontFrame(), now);
        b->PopFrame();
      }
    }
    LinkEvent e;
    while (a->PollEvent(&e)) messages += e.type == LinkEvent::Type::kDelivered;
    now += 10'000;  // past stop-and-wait's 10 ms pause; no timer is due
    a->OnTimer(now);
  }
  if (messages != burst * state.iterations()) state.SkipWithError("messages were not all acked");
  state.SetItemsProcessed(static_cast<int64_t>(messages));
  // CPU seconds per message (printed with its SI prefix, e.g. 190n = 190 ns).
  state.counters["cpu_per_msg"] = benchmark::Counter(
      static_cast<double>(messages), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_LinkCpu)->ArgName("sender")->Arg(0)->Arg(1);

}  // namespace
}  // namespace p2psip::link

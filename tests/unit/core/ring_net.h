// RingNet: a ring of core::Nodes for tests. Every message is delivered in order with no
// latency; a Connect makes a link at once; timers run on a virtual clock. Shared by the tests
// that need a real CHORD-RELOAD ring without sockets.
#ifndef P2PSIP_TESTS_UNIT_CORE_RING_NET_H_
#define P2PSIP_TESTS_UNIT_CORE_RING_NET_H_

#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"
#include "p2psip/core/node.h"
#include "p2psip/wire/ip_address_port.h"

namespace p2psip::core::testing {

constexpr uint64_t kStart = 1'700'000'000'000;  // ms since 1970: expirations are wall clock
constexpr uint64_t kUpdateMs = 2000;
constexpr uint16_t kPort = 20000;

// A ring of Nodes. Every message is delivered in order with no latency; a Connect makes a link
// at once (both ends up after the messages already in flight); timers run on a virtual clock.
class RingNet {
 public:
  struct Peer {
    std::unique_ptr<SimulationSigner> signer;
    std::unique_ptr<SplitMix64> rng;
    std::unique_ptr<Node> node;
    absl::flat_hash_map<LinkId, std::pair<int, LinkId>> links;  // -> (peer, its link id)
    LinkId next_link = 1;
    std::vector<Outbox::Result> results;
  };

  // Builds a ring of `n` peers, each joining through the first, and lets it settle.
  explicit RingNet(int n, uint64_t seed = 7) : ids_(seed) {
    for (int i = 0; i < n; ++i) {
      Add(i == 0);
      node(i).Start(now, &out_);
      Drain(i);
      Advance(now + 3000);
    }
    Advance(now + 4 * kUpdateMs);
  }

  Node& node(int i) { return *peers_[i]->node; }
  int size() const { return static_cast<int>(peers_.size()); }
  int IndexOf(const NodeId& id) const {
    for (int i = 0; i < size(); ++i) {
      if (peers_[i]->node->id() == id) return i;
    }
    return -1;
  }

  // Runs until node `i` has the result of request `id`, and returns it.
  std::optional<Outbox::Result> Await(int i, uint64_t id) {
    Drain(i);
    Run();
    for (int step = 0; step < 100; ++step) {
      auto& results = peers_[i]->results;
      for (auto it = results.begin(); it != results.end(); ++it) {
        if (it->request_id == id) {
          Outbox::Result r = std::move(*it);
          results.erase(it);
          return r;
        }
      }
      Advance(now + 1000);
    }
    return std::nullopt;
  }

  // Runs the timers due up to `until`, delivering everything they cause.
  void Advance(uint64_t until) {
    Run();
    for (int step = 0; step < 100000; ++step) {
      uint64_t next = until + 1;
      for (const auto& p : peers_) next = std::min(next, p->node->NextDeadline());
      if (next > until) break;
      now = std::max(now, next);
      for (int i = 0; i < size(); ++i) {
        if (node(i).NextDeadline() <= now) {
          node(i).OnTimer(now, &out_);
          Drain(i);
        }
      }
      Run();
    }
    now = until;
  }

  // Node `i` stops answering and sending without its links going down (a process that
  // hangs, or a link layer that has not noticed yet): messages to and from it vanish.
  void Silence(int i) { silent_.insert(i); }
  // Whether node `i` has a link to node `j`.
  bool Linked(int i, int j) const {
    for (const auto& [l, end] : peers_[i]->links) {
      if (end.first == j) return true;
    }
    return false;
  }

  Outbox out_;
  uint64_t now = kStart;

 private:
  struct Event {
    enum Kind { kDeliver, kLinkUp, kLinkDown } kind;
    int to;
    LinkId link;
    int from;
    std::vector<uint8_t> bytes;
  };

  void Add(bool first) {
    NodeConfig c;
    std::vector<uint8_t> id(16);
    for (int k = 0; k < 2; ++k) {
      const uint64_t r = ids_.Next64();
      for (int b = 0; b < 8; ++b) id[8 * k + b] = static_cast<uint8_t>(r >> (56 - 8 * b));
    }
    c.id = NodeId(id);
    c.address = Address(size());
    c.first_node = first;
    if (!first) c.bootstrap = {Address(0)};
    c.update_interval_ms = kUpdateMs;
    c.finger_refresh_ms = 2 * kUpdateMs;
    c.partition_check_ms = 0;
    auto p = std::make_unique<Peer>();
    p->signer = std::make_unique<SimulationSigner>(c.id);
    p->rng = std::make_unique<SplitMix64>(ids_.Next64());
    p->node = std::make_unique<Node>(c, p->signer.get(), p->rng.get());
    peers_.push_back(std::move(p));
  }

  static wire::IpAddressPort Address(int i) {
    return *wire::IpAddressPort::Parse("127.0.0.1", static_cast<uint16_t>(kPort + i));
  }

  void Drain(int i) {
    Peer& p = *peers_[i];
    for (auto& s : out_.sends) {
      auto it = p.links.find(s.link);
      if (it == p.links.end()) continue;
      queue_.push_back(
          {Event::kDeliver, it->second.first, it->second.second, i, std::move(s.message)});
    }
    for (const auto& c : out_.connects) {
      const int t = c.address.port - kPort;
      if (t < 0 || t >= size() || t == i) continue;
      bool exists = false;
      for (const auto& [l, end] : p.links) exists |= end.first == t;
      if (exists) continue;
      const LinkId mine = p.next_link++, theirs = peers_[t]->next_link++;
      p.links[mine] = {t, theirs};
      peers_[t]->links[theirs] = {i, mine};
      queue_.push_back({Event::kLinkUp, i, mine, t, {}});
      queue_.push_back({Event::kLinkUp, t, theirs, i, {}});
    }
    for (LinkId l : out_.closes) {
      auto it = p.links.find(l);
      if (it == p.links.end()) continue;
      const auto [peer, remote] = it->second;
      p.links.erase(it);
      peers_[peer]->links.erase(remote);
      queue_.push_back({Event::kLinkDown, i, l, peer, {}});
      queue_.push_back({Event::kLinkDown, peer, remote, i, {}});
    }
    for (auto& r : out_.results) p.results.push_back(std::move(r));
    out_.clear();
  }

  void Run() {
    for (int guard = 0; guard < 1000000 && !queue_.empty(); ++guard) {
      Event e = std::move(queue_.front());
      queue_.pop_front();
      switch (e.kind) {
        case Event::kDeliver:
          if (silent_.contains(e.to) || silent_.contains(e.from)) continue;  // black-holed
          node(e.to).OnMessage(e.link, e.bytes, now, &out_);
          break;
        case Event::kLinkUp:
          node(e.to).OnLinkUp(e.link, node(e.from).id(), now, &out_);
          break;
        case Event::kLinkDown:
          node(e.to).OnLinkDown(e.link, now, &out_);
          break;
      }
      Drain(e.to);
    }
    ASSERT_TRUE(queue_.empty()) << "messages still in flight after a million deliveries";
  }

  SplitMix64 ids_;
  std::vector<std::unique_ptr<Peer>> peers_;
  std::deque<Event> queue_;
  absl::flat_hash_set<int> silent_;
};

}  // namespace p2psip::core::testing

#endif  // P2PSIP_TESTS_UNIT_CORE_RING_NET_H_

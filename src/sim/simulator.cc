#include "sim/simulator.h"

#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/link_table.h"
#include "p2psip/core/node.h"
#include "p2psip/wire/body.h"
#include "p2psip/wire/codec.h"
#include "p2psip/wire/hashes.h"
#include "p2psip/wire/usage_values.h"

namespace p2psip::sim {
namespace {

using core::LinkId;
using core::RingId;

constexpr uint64_t kNever = UINT64_MAX;
constexpr uint32_t kAnyNode = UINT32_MAX;  // a lookup whose origin is drawn when it happens

size_t RssBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages_total = 0, pages_rss = 0;
  statm >> pages_total >> pages_rss;
  return pages_rss * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

wire::IpAddressPort AddressOf(uint32_t index) {
  // 2001:db8::/96 (documentation prefix) + the node index: never a real address.
  wire::IpAddressPort a;
  a.type = wire::IpAddressPort::kIpv6;
  a.address = {0x20, 0x01, 0x0d, 0xb8};
  for (int i = 0; i < 4; ++i) a.address[12 + i] = static_cast<uint8_t>(index >> (24 - 8 * i));
  a.port = 6084;
  return a;
}

int64_t IndexOf(const wire::IpAddressPort& a) {
  if (a.type != wire::IpAddressPort::kIpv6 || a.address[0] != 0x20 || a.address[1] != 0x01) {
    return -1;
  }
  uint32_t i = 0;
  for (int k = 0; k < 4; ++k) i = (i << 8) | a.address[12 + k];
  return i;
}

struct LinkEnd {
  uint32_t peer;
  LinkId remote;
};

struct SimNode {
  std::unique_ptr<core::SimulationSigner> signer;
  std::unique_ptr<core::SplitMix64> rng;
  std::unique_ptr<core::Node> node;
  absl::flat_hash_map<LinkId, LinkEnd> links;
  LinkId next_link = 1;
  bool alive = false;
  bool in_ring = false;
  uint64_t timer_at = kNever;
  uint64_t maintenance_seen = 0;
  int group = -1;  // partition the node was built in (--partition)
};

enum class Ev : uint8_t {
  kDeliver,
  kLinkUp,
  kLinkDown,
  kTimer,
  kStart,
  kKill,
  kLookup,
  kStore,  // aux = value index
  kFetch,  // aux = value index, link = sample index
};

// A TURN-SERVICE value (RFC 6940 §9) a peer stores at H(its Node-ID ‖ d).
struct SimValue {
  uint32_t owner = 0;
  ResourceId resource;
  RingId ring;
  std::vector<uint8_t> bytes;  // the encoded TurnServer
  uint64_t storage_time = 0;
  bool stored = false;
  RingId stored_at;  // the peer responsible when it was stored
};

constexpr uint32_t kTurnService = 2;
constexpr uint32_t kValueLifetimeS = 7 * 24 * 3600;

// Fetch specifier for a TURN-SERVICE value (single value model).
wire::StoredDataSpecifier TurnSpecifier() {
  wire::StoredDataSpecifier spec;
  spec.kind = kTurnService;
  spec.model = wire::DataModel::kSingle;
  return spec;
}

// Whether a FetchAns for one TURN-SERVICE specifier returns `v` intact: the bytes and the
// storage_time it was stored with.
bool IsValue(const wire::FetchAns& fetch, const SimValue& v) {
  if (fetch.kind_responses.size() != 1 || fetch.kind_responses[0].values.size() != 1) {
    return false;
  }
  const wire::StoredData& sd = fetch.kind_responses[0].values[0];
  const auto* dv = std::get_if<wire::DataValue>(&sd.value);
  return dv != nullptr && dv->exists && dv->value == v.bytes && sd.storage_time == v.storage_time;
}

struct Event {
  uint64_t t;
  uint64_t seq;
  Ev kind;
  uint32_t node;
  uint32_t link;
  uint32_t aux;
  std::vector<uint8_t> bytes;
};

struct Later {
  bool operator()(const Event& a, const Event& b) const {
    return a.t != b.t ? a.t > b.t : a.seq > b.seq;
  }
};

struct LookupRecord {
  RingId key;
  uint64_t issued_ms;
  int window;  // -1: not in a measured window
  bool from_client;
};

class Simulation {
 public:
  explicit Simulation(const SimConfig& c) : cfg_(c), rng_(c.seed) {}
  SimResult Run();

 private:
  uint32_t AddNode(bool first, bool client = false, int group = -1);
  void Push(uint64_t t, Ev kind, uint32_t node, uint32_t link = 0, uint32_t aux = 0,
            std::vector<uint8_t> bytes = {}) {
    heap_.push_back({t, seq_++, kind, node, link, aux, std::move(bytes)});
    std::push_heap(heap_.begin(), heap_.end(), Later{});
  }
  uint64_t Latency() {
    return cfg_.latency_ms + (cfg_.latency_jitter_ms ? rng_.Uniform(cfg_.latency_jitter_ms) : 0);
  }
  void RunUntil(uint64_t t_end, const std::function<bool()>& stop = nullptr);
  void Dispatch(Event& e);
  void Drain(uint32_t i);
  void Reschedule(uint32_t i);
  void Kill(uint32_t i);
  void ScheduleLookups(int count, uint64_t from, uint64_t to, bool windowed);
  std::optional<RingId> Responsible(RingId key) const;
  void Progress(const char* phase);
  // Storage.
  void StoreValues();
  void ScheduleFetchSample(uint64_t from, uint64_t to);
  void OnValueResult(uint32_t i, core::Outbox::Result& r);
  bool FetchedIntact(uint32_t i, std::span<const uint8_t> body, const SimValue& v) const;
  int CopiesNear(const SimValue& v, int before, int after) const;
  bool HoldsValue(uint32_t node, const SimValue& v) const;
  int MinCopies();
  void KillRounds(std::vector<double>* rounds);
  void JoinLeave();
  std::vector<uint32_t> LiveRing() const;
  std::vector<uint32_t> LiveClients(bool attached_only) const;

  SimConfig cfg_;
  core::SplitMix64 rng_;
  std::vector<SimNode> nodes_;
  std::vector<Event> heap_;
  uint64_t seq_ = 0;
  uint64_t now_ = 0;
  std::set<RingId> ring_;
  std::map<RingId, uint32_t> ring_nodes_;  // the same ring, with each peer's node index
  core::Outbox out_;
  absl::flat_hash_map<uint64_t, LookupRecord> lookups_;  // (node << 32 | request id)
  uint64_t window_start_ = 0;
  std::vector<int> window_total_, window_ok_;
  int lookups_done_ = 0, lookups_ok_ = 0, lookups_measured_ = 0, lookups_measured_ok_ = 0;
  std::vector<int> hops_;
  uint64_t maintenance_ = 0;
  uint64_t delivered_ = 0;
  uint64_t trace_ = 0xCBF29CE484222325ull;
  uint32_t joined_count_ = 0;
  uint64_t graceful_leaves_ = 0;
  int client_lookups_ = 0, client_lookups_ok_ = 0;
  std::vector<SimValue> values_;
  std::vector<uint8_t> turn_used_;  // per node: TURN-SERVICE iterations used (max-node-multiple)
  // (node << 32 | request id) of a Store -> value index; of a Fetch -> (tag, value index).
  absl::flat_hash_map<uint64_t, uint32_t> store_requests_;
  absl::flat_hash_map<uint64_t, std::pair<uint32_t, uint32_t>> fetch_requests_;
  // Per fetch sample: fetches with an outcome, those that got the value (after at most one
  // retry), and those that got it at the first try. A fetch's tag is its sample index, with
  // kRetry set on the second try.
  static constexpr uint32_t kRetry = 1u << 31;
  std::vector<int> sample_total_, sample_ok_, sample_first_ok_;
  int min_copies_ = INT32_MAX;
  core::NodeCounters storage_counters_;  // storage counters of the nodes gone, summed
  void AddStorageCounters(const core::NodeCounters& c) {
    storage_counters_.replica_stores_sent += c.replica_stores_sent;
    storage_counters_.replica_stores_failed += c.replica_stores_failed;
    storage_counters_.resources_dropped += c.resources_dropped;
    storage_counters_.storage_errors += c.storage_errors;
  }
  std::chrono::steady_clock::time_point wall_start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_progress_ = wall_start_;
  uint64_t events_ = 0;
};

uint32_t Simulation::AddNode(bool first, bool client, int group) {
  const uint32_t i = static_cast<uint32_t>(nodes_.size());
  nodes_.emplace_back();
  SimNode& n = nodes_.back();
  uint8_t id[16];
  for (int k = 0; k < 2; ++k) {
    const uint64_t r = rng_.Next64();
    for (int b = 0; b < 8; ++b) id[8 * k + b] = static_cast<uint8_t>(r >> (56 - 8 * b));
  }
  core::NodeConfig nc;
  nc.id = NodeId(std::span<const uint8_t>(id, 16));
  nc.address = AddressOf(i);
  nc.first_node = first;
  nc.client = client;
  // Bootstrap through a few live ring members (the configuration's bootstrap list).
  n.group = group;
  auto usable = [&](uint32_t k) {
    return nodes_[k].alive && nodes_[k].in_ring && (group < 0 || nodes_[k].group == group);
  };
  for (int k = 0; k < 5 && !ring_.empty(); ++k) {
    const auto live =
        static_cast<uint32_t>(nodes_.size() > 1 ? rng_.Uniform(nodes_.size() - 1) : 0);
    if (usable(live)) nc.bootstrap.push_back(AddressOf(live));
  }
  if (nc.bootstrap.empty() && !first) {
    for (uint32_t k = 0; k < i; ++k) {
      if (usable(k)) {
        nc.bootstrap.push_back(AddressOf(k));
        break;
      }
    }
  }
  nc.update_interval_ms = cfg_.update_interval_ms;
  nc.partition_check_ms = cfg_.partition_check_ms;
  nc.finger_refresh_ms = cfg_.finger_refresh_ms;
  nc.chord.neighbors = static_cast<size_t>(cfg_.successors);
  nc.chord.fingers = cfg_.fingers;
  n.signer = std::make_unique<core::SimulationSigner>(nc.id);
  n.rng = std::make_unique<core::SplitMix64>(rng_.Next64());
  n.node = std::make_unique<core::Node>(nc, n.signer.get(), n.rng.get());
  n.alive = true;
  return i;
}

std::optional<RingId> Simulation::Responsible(RingId key) const {
  if (ring_.empty()) return std::nullopt;
  auto it = ring_.lower_bound(key);
  return it == ring_.end() ? *ring_.begin() : *it;
}

void Simulation::Reschedule(uint32_t i) {
  SimNode& n = nodes_[i];
  if (!n.alive) return;
  const uint64_t d = std::max(n.node->NextDeadline(), now_);
  if (d == core::kNoDeadline) return;
  if (n.timer_at == kNever || d < n.timer_at || n.timer_at < now_) {
    n.timer_at = d;
    Push(d, Ev::kTimer, i);
  }
}

void Simulation::Drain(uint32_t i) {
  SimNode& n = nodes_[i];
  for (auto& s : out_.sends) {
    auto it = n.links.find(s.link);
    if (it == n.links.end()) continue;
    if (cfg_.loss > 0 && static_cast<double>(rng_.Uniform(1u << 30)) / (1u << 30) < cfg_.loss) {
      continue;
    }
    Push(now_ + Latency(), Ev::kDeliver, it->second.peer, it->second.remote, 0,
         std::move(s.message));
  }
  for (const auto& c : out_.connects) {
    const int64_t t = IndexOf(c.address);
    if (t < 0 || static_cast<uint64_t>(t) >= nodes_.size() || t == i || !nodes_[t].alive) {
      continue;
    }
    bool exists = false;
    for (const auto& [l, end] : n.links) exists |= end.peer == static_cast<uint32_t>(t);
    if (exists) continue;
    const LinkId li = n.next_link++;
    const LinkId lt = nodes_[t].next_link++;
    n.links[li] = {static_cast<uint32_t>(t), lt};
    nodes_[t].links[lt] = {i, li};
    const uint64_t up = now_ + 2 * Latency();  // a handshake round trip
    Push(up, Ev::kLinkUp, i, li, static_cast<uint32_t>(t));
    Push(up, Ev::kLinkUp, static_cast<uint32_t>(t), lt, i);
  }
  for (LinkId l : out_.closes) {
    auto it = n.links.find(l);
    if (it == n.links.end()) continue;
    const LinkEnd end = it->second;
    n.links.erase(it);
    Push(now_ + Latency(), Ev::kLinkDown, end.peer, end.remote);
    Push(now_, Ev::kLinkDown, i, l);
  }
  for (auto& r : out_.results) {
    OnValueResult(i, r);
    auto it = lookups_.find((uint64_t{i} << 32) | r.request_id);
    if (it == lookups_.end()) continue;
    const LookupRecord rec = it->second;
    lookups_.erase(it);
    const auto truth = Responsible(rec.key);
    const bool ok = r.status.ok() && truth && RingId::Of(r.responder) == *truth;
    ++lookups_done_;
    lookups_ok_ += ok;
    if (rec.from_client) {
      ++client_lookups_;
      client_lookups_ok_ += ok;
    }
    if (ok) hops_.push_back(r.hops);
    if (rec.window >= 0) {
      ++window_total_[rec.window];
      window_ok_[rec.window] += ok;
      if (rec.window >= static_cast<int>(cfg_.measure_after_intervals) || cfg_.kill_fraction == 0) {
        ++lookups_measured_;
        lookups_measured_ok_ += ok;
      }
    }
  }
  out_.clear();
  const uint64_t m = n.node->counters().maintenance_sent;
  maintenance_ += m - n.maintenance_seen;
  n.maintenance_seen = m;
  if (!n.in_ring && n.node->joined() && !n.node->config().client) {
    n.in_ring = true;
    ring_.insert(n.node->ring_id());
    ring_nodes_[n.node->ring_id()] = i;
    ++joined_count_;
  }
  Reschedule(i);
}

void Simulation::Kill(uint32_t i) {
  SimNode& n = nodes_[i];
  if (!n.alive) return;
  n.alive = false;
  if (n.in_ring) {
    ring_.erase(n.node->ring_id());
    ring_nodes_.erase(n.node->ring_id());
  }
  n.in_ring = false;
  // In link id order: hash-map order differs between processes and the run must replay.
  std::vector<std::pair<LinkId, LinkEnd>> links(n.links.begin(), n.links.end());
  std::sort(links.begin(), links.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [l, end] : links) {
    Push(now_ + cfg_.failure_detect_ms, Ev::kLinkDown, end.peer, end.remote);
  }
  n.links.clear();
  // Fetches this node had asked for and will never hear of: another peer asks instead.
  std::vector<std::pair<uint64_t, std::pair<uint32_t, uint32_t>>> orphans;
  for (const auto& entry : fetch_requests_) {
    if (entry.first >> 32 == i) orphans.push_back(entry);
  }
  std::sort(orphans.begin(), orphans.end());
  for (const auto& [key, fetch] : orphans) {
    fetch_requests_.erase(key);
    Push(now_, Ev::kFetch, kAnyNode, fetch.first, fetch.second);
  }
  AddStorageCounters(n.node->counters());
  n.node.reset();
  n.signer.reset();
  n.rng.reset();
}

void Simulation::Dispatch(Event& e) {
  if ((e.kind == Ev::kLookup || e.kind == Ev::kFetch) && e.node == kAnyNode) {
    // The origin is drawn when the lookup happens, among the nodes alive then.
    std::vector<uint32_t> live = LiveRing();
    if (e.kind == Ev::kLookup) {
      const std::vector<uint32_t> clients = LiveClients(/*attached_only=*/false);
      live.insert(live.end(), clients.begin(), clients.end());
    }
    if (live.empty()) return;
    e.node = live[rng_.Uniform(live.size())];
  }
  SimNode& n = nodes_[e.node];
  if (!n.alive && e.kind != Ev::kStart) return;
  switch (e.kind) {
    case Ev::kDeliver: {
      for (uint8_t b : e.bytes) trace_ = (trace_ ^ b) * 0x100000001B3ull;
      trace_ = (trace_ ^ e.node) * 0x100000001B3ull;
      ++delivered_;
      n.node->OnMessage(e.link, e.bytes, now_, &out_);
      break;
    }
    case Ev::kLinkUp:
      if (!n.links.contains(e.link) || !nodes_[e.aux].alive) return;
      n.node->OnLinkUp(e.link, nodes_[e.aux].node->id(), now_, &out_);
      break;
    case Ev::kLinkDown:
      n.links.erase(e.link);
      n.node->OnLinkDown(e.link, now_, &out_);
      break;
    case Ev::kTimer:
      if (e.t != n.timer_at) return;  // superseded
      n.timer_at = kNever;
      n.node->OnTimer(now_, &out_);
      break;
    case Ev::kStart:
      n.node->Start(now_, &out_);
      break;
    case Ev::kKill:
      if (e.aux == 1 && n.in_ring) {
        // A graceful departure: Leave to the neighbours, gone once it has been delivered.
        ++graceful_leaves_;
        n.node->Leave(now_, &out_);
        Drain(e.node);
        Push(now_ + 4 * (cfg_.latency_ms + cfg_.latency_jitter_ms), Ev::kKill, e.node);
        return;
      }
      Kill(e.node);
      return;
    case Ev::kStore: {
      SimValue& v = values_[e.aux];
      v.storage_time = now_;
      wire::StoredData sd;
      sd.storage_time = now_;
      sd.lifetime = kValueLifetimeS;
      sd.value = wire::DataValue{true, v.bytes};
      const uint64_t id = n.node->Store(v.resource, kTurnService, {std::move(sd)}, now_, &out_);
      store_requests_[(uint64_t{e.node} << 32) | id] = e.aux;
      break;
    }
    case Ev::kFetch: {
      if (!n.in_ring) return;
      const uint64_t id = n.node->Fetch(values_[e.aux].resource, {TurnSpecifier()}, now_, &out_);
      fetch_requests_[(uint64_t{e.node} << 32) | id] = {e.link, e.aux};
      break;
    }
    case Ev::kLookup: {
      const bool client = n.node->config().client;
      if (!n.in_ring && !client) return;
      RingId key = RingId::FromParts(rng_.Next64(), rng_.Next64());
      const int window =
          e.aux == 0 ? -1 : static_cast<int>((now_ - window_start_) / cfg_.update_interval_ms);
      if (window >= static_cast<int>(window_total_.size())) {
        window_total_.resize(window + 1);
        window_ok_.resize(window + 1);
      }
      if (client && !n.node->joined()) {
        // A live client that lost its peer and has not re-attached yet: the lookup fails.
        lookups_[uint64_t{e.node} << 32] = {key, now_, window, true};
        out_.results.push_back({0, absl::UnavailableError("not attached"), NodeId(), 0, {}});
        break;
      }
      const uint64_t id = n.node->RouteQuery(key.ToResourceId(), now_, &out_);
      lookups_[(uint64_t{e.node} << 32) | id] = {key, now_, window, client};
      break;
    }
  }
  Drain(e.node);
}

// --- Storage ---------------------------------------------------------------------------------

void Simulation::StoreValues() {
  const std::vector<uint32_t> ring = LiveRing();
  turn_used_.assign(nodes_.size(), 0);
  const uint32_t max_d = 20;  // TURN-SERVICE max-node-multiple
  if (static_cast<uint64_t>(cfg_.values) > uint64_t{max_d} * ring.size()) {
    std::fprintf(stderr, "sim: %d values do not fit %zu peers (20 each): none stored\n",
                 cfg_.values, ring.size());
    return;
  }
  values_.resize(cfg_.values);
  for (int k = 0; k < cfg_.values; ++k) {
    // A random peer with an iteration left stores its next TURN-SERVICE registration.
    uint32_t owner = ring[rng_.Uniform(ring.size())];
    while (turn_used_[owner] >= max_d) owner = ring[rng_.Uniform(ring.size())];
    const uint8_t d = ++turn_used_[owner];
    SimValue& v = values_[k];
    v.owner = owner;
    std::vector<uint8_t> name(nodes_[owner].node->id().bytes().begin(),
                              nodes_[owner].node->id().bytes().end());
    name.push_back(d);
    v.resource = wire::ChordResourceId(name);
    v.ring = RingId::Of(v.resource);
    v.bytes = *wire::EncodeToBytes(wire::TurnServer{d, AddressOf(owner)});
    // Ten stores a second, so that the stores are not one burst.
    Push(now_ + 1 + 100 * static_cast<uint64_t>(k), Ev::kStore, owner, 0, k);
  }
  const uint64_t last = now_ + 100 * static_cast<uint64_t>(cfg_.values);
  RunUntil(last + 20000);
}

void Simulation::ScheduleFetchSample(uint64_t from, uint64_t to) {
  const uint32_t sample = static_cast<uint32_t>(sample_total_.size());
  sample_total_.push_back(0);
  sample_ok_.push_back(0);
  sample_first_ok_.push_back(0);
  uint32_t n = 0;
  for (const SimValue& v : values_) n += v.stored;
  uint32_t k = 0;
  for (uint32_t v = 0; v < values_.size(); ++v) {
    if (!values_[v].stored) continue;
    Push(from + (to - from) * k++ / std::max<uint32_t>(1, n), Ev::kFetch, kAnyNode, sample, v);
  }
}

void Simulation::OnValueResult(uint32_t i, core::Outbox::Result& r) {
  const uint64_t key = (uint64_t{i} << 32) | r.request_id;
  if (auto it = store_requests_.find(key); it != store_requests_.end()) {
    values_[it->second].stored = r.status.ok();
    values_[it->second].stored_at = RingId::Of(r.responder);
    store_requests_.erase(it);
    return;
  }
  auto it = fetch_requests_.find(key);
  if (it == fetch_requests_.end()) return;
  const auto [tag, index] = it->second;
  fetch_requests_.erase(it);
  const uint32_t sample = tag & ~kRetry;
  const bool ok = r.status.ok() && FetchedIntact(i, r.body, values_[index]);
  if (!(tag & kRetry)) sample_first_ok_[sample] += ok;
  if (!ok && !(tag & kRetry)) {
    // As a SIP user agent would, try once more a second later (through another peer).
    Push(now_ + 1000, Ev::kFetch, kAnyNode, tag | kRetry, index);
    return;
  }
  ++sample_total_[sample];
  sample_ok_[sample] += ok;
}

bool Simulation::FetchedIntact(uint32_t i, std::span<const uint8_t> body, const SimValue& v) const {
  auto ans = wire::DecodeBody(static_cast<uint16_t>(wire::MessageCode::kFetchAns), body,
                              nodes_[i].node->kinds().Context());
  return ans.ok() && IsValue(std::get<wire::FetchAns>(*ans), v);
}

bool Simulation::HoldsValue(uint32_t node, const SimValue& v) const {
  const SimNode& n = nodes_[node];
  if (!n.alive || !n.node) return false;
  const auto ans = n.node->FetchLocal(wire::FetchReq{v.resource, {TurnSpecifier()}}, now_);
  const auto* fetch = std::get_if<wire::FetchAns>(&ans);
  return fetch != nullptr && IsValue(*fetch, v);
}

// Copies held by the live peers from `before` positions ahead of the responsible peer to
// `after` positions past it.
int Simulation::CopiesNear(const SimValue& v, int before, int after) const {
  if (ring_nodes_.empty()) return 0;
  auto it = ring_nodes_.lower_bound(v.ring);
  if (it == ring_nodes_.end()) it = ring_nodes_.begin();
  for (int k = 0; k < before; ++k) {
    if (it == ring_nodes_.begin()) it = ring_nodes_.end();
    --it;
  }
  int copies = 0;
  const int span = std::min<int>(before + 1 + after, static_cast<int>(ring_nodes_.size()));
  for (int k = 0; k < span; ++k) {
    copies += HoldsValue(it->second, v);
    if (++it == ring_nodes_.end()) it = ring_nodes_.begin();
  }
  return copies;
}

int Simulation::MinCopies() {
  int least = INT32_MAX;
  for (const SimValue& v : values_) {
    if (v.stored) least = std::min(least, CopiesNear(v, 3, 4));
  }
  min_copies_ = std::min(min_copies_, least);
  return least;
}

void Simulation::KillRounds(std::vector<double>* rounds) {
  const uint64_t interval = cfg_.update_interval_ms;
  for (int round = 0; round < cfg_.kill_rounds; ++round) {
    const std::vector<uint32_t> ring = LiveRing();
    if (ring.size() < 6) break;
    // Three consecutive peers at a place spread around the ring (ring order, not index order).
    std::vector<uint32_t> ordered;
    for (const auto& [id, idx] : ring_nodes_) ordered.push_back(idx);
    const size_t at =
        (ordered.size() * round / cfg_.kill_rounds + rng_.Uniform(7)) % ordered.size();
    uint32_t three[3];
    for (int k = 0; k < 3; ++k) three[k] = ordered[(at + k) % ordered.size()];
    // One of the three drawn at random: with C = 2 it survives, with C = 1 it is the one killed.
    const int drawn = static_cast<int>(rng_.Uniform(3));
    int killed = 0;
    for (int k = 0; k < 3 && killed < cfg_.kill_consecutive; ++k) {
      if (cfg_.kill_consecutive == 2 && k == drawn) continue;
      if (cfg_.kill_consecutive == 1 && k != drawn) continue;
      Push(now_, Ev::kKill, three[k]);
      ++killed;
    }
    const uint64_t killed_at = now_;
    RunUntil(now_);
    // Check every second until every value has 3 copies among its nominal holders again.
    double took = -1;
    const uint64_t give_up = killed_at + 3 * interval;
    while (now_ < give_up) {
      RunUntil(now_ + 1000);
      bool all = true;
      int least = INT32_MAX;
      for (const SimValue& v : values_) {
        if (!v.stored) continue;
        const int c = CopiesNear(v, 0, 2);
        least = std::min(least, c);
        all &= c >= 3;
      }
      min_copies_ = std::min(min_copies_, least);
      if (all) {
        took = (now_ - killed_at) / 1000.0;
        break;
      }
    }
    rounds->push_back(took);
    Progress("kill rounds");
  }
}

void Simulation::JoinLeave() {
  for (int k = 0; k < cfg_.join_leave; ++k) {
    const uint32_t before = joined_count_;
    const uint32_t idx = AddNode(false);
    Push(now_, Ev::kStart, idx);
    RunUntil(now_ + 120000, [&] { return joined_count_ > before; });
    RunUntil(now_ + 5000);
    MinCopies();
    const std::vector<uint32_t> ring = LiveRing();
    Push(now_, Ev::kKill, ring[rng_.Uniform(ring.size())], 0, 1);
    RunUntil(now_ + 5000);
    MinCopies();
    Progress("joins and leaves");
  }
}

void Simulation::Progress(const char* phase) {
  if (cfg_.progress_every_s <= 0) return;
  const auto t = std::chrono::steady_clock::now();
  if (std::chrono::duration<double>(t - last_progress_).count() < cfg_.progress_every_s) return;
  last_progress_ = t;
  std::fprintf(stderr, "sim: %s: virtual %.0f s, ring %zu/%d nodes, %llu messages, %.0f s wall\n",
               phase, now_ / 1000.0, ring_.size(), cfg_.nodes,
               static_cast<unsigned long long>(delivered_),
               std::chrono::duration<double>(t - wall_start_).count());
}

void Simulation::RunUntil(uint64_t t_end, const std::function<bool()>& stop) {
  while (!heap_.empty() && heap_.front().t <= t_end) {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    Event e = std::move(heap_.back());
    heap_.pop_back();
    now_ = e.t;
    Dispatch(e);
    if ((++events_ & 0xFFFF) == 0) Progress("running");
    if (stop && stop()) return;
  }
  now_ = std::max(now_, t_end == kNever ? now_ : t_end);
}

std::vector<uint32_t> Simulation::LiveRing() const {
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].alive && nodes_[i].in_ring) out.push_back(i);
  }
  return out;
}

std::vector<uint32_t> Simulation::LiveClients(bool attached_only) const {
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < nodes_.size(); ++i) {
    const SimNode& n = nodes_[i];
    if (n.alive && n.node->config().client && (!attached_only || n.node->joined())) {
      out.push_back(i);
    }
  }
  return out;
}

void Simulation::ScheduleLookups(int count, uint64_t from, uint64_t to, bool windowed) {
  for (int k = 0; k < count; ++k) {
    const uint64_t t = from + (to > from ? (to - from) * k / count : 0);
    Push(t, Ev::kLookup, kAnyNode, 0, windowed ? 1 : 0);
  }
}

SimResult Simulation::Run() {
  const size_t rss0 = RssBytes();
  const uint64_t interval = cfg_.update_interval_ms;
  // Joins, one at a time: each node starts once the previous one is in the ring.
  Push(0, Ev::kStart, AddNode(true, false, cfg_.partition ? 0 : -1));
  RunUntil(0);
  int first_joiner = 1;
  if (cfg_.partition && cfg_.nodes > 1) {
    // The second ring's first node: configured with the first ring's bootstrap node but
    // starting alone, as a node that could not reach it would.
    const uint32_t b = AddNode(true, false, 1);
    nodes_[b].node.reset();
    core::NodeConfig nc;
    nc.id = RingId::FromParts(rng_.Next64(), rng_.Next64()).ToNodeId();
    nc.address = AddressOf(b);
    nc.first_node = true;
    nc.bootstrap = {AddressOf(0)};
    nc.update_interval_ms = cfg_.update_interval_ms;
    nc.finger_refresh_ms = cfg_.finger_refresh_ms;
    nc.partition_check_ms = cfg_.partition_check_ms;
    nc.chord.neighbors = static_cast<size_t>(cfg_.successors);
    nc.chord.fingers = cfg_.fingers;
    nodes_[b].signer = std::make_unique<core::SimulationSigner>(nc.id);
    nodes_[b].node = std::make_unique<core::Node>(nc, nodes_[b].signer.get(), nodes_[b].rng.get());
    Push(now_, Ev::kStart, b);
    RunUntil(now_);
    first_joiner = 2;
  }
  for (int i = first_joiner; i < cfg_.nodes; ++i) {
    const uint32_t before = joined_count_;
    const uint32_t idx = AddNode(false, false, cfg_.partition ? i % 2 : -1);
    Push(now_, Ev::kStart, idx);
    const uint64_t give_up = now_ + 120000;
    RunUntil(give_up, [&] { return joined_count_ > before; });
    Progress("joining");
  }
  // Settle.
  const uint64_t settle_from = now_;
  const uint64_t maint_from = maintenance_;
  RunUntil(now_ + static_cast<uint64_t>(cfg_.settle_intervals * interval));
  const double settle_s = (now_ - settle_from) / 1000.0;
  const double maintenance_rate =
      settle_s > 0 ? (maintenance_ - maint_from) / (settle_s * std::max<size_t>(1, ring_.size()))
                   : 0;
  size_t core_bytes = 0, links = 0;
  for (const SimNode& n : nodes_) {
    if (!n.alive) continue;
    core_bytes += n.node->MemoryBytes();
    links += n.links.size();
  }
  const size_t live_after_join = LiveRing().size();
  const size_t rss1 = RssBytes();

  // Clients attach after the ring settled, each through a bootstrap node, one at a time.
  for (int k = 0; k < cfg_.clients; ++k) {
    const uint32_t idx = AddNode(false, true);
    Push(now_, Ev::kStart, idx);
    RunUntil(now_ + 60000, [&] { return nodes_[idx].node->joined(); });
  }

  // Values are stored before anything fails.
  if (cfg_.values > 0) StoreValues();

  // Scenario.
  uint64_t end = now_;
  window_start_ = now_;
  std::vector<double> rereplication;
  if (cfg_.values > 0 && cfg_.kill_consecutive > 0) {
    KillRounds(&rereplication);
    end = now_;
  } else if (cfg_.values > 0 && cfg_.join_leave > 0) {
    JoinLeave();
    end = now_;
  } else if (cfg_.kill_fraction > 0) {
    std::vector<uint32_t> live = LiveRing();
    for (size_t k = live.size(); k > 1; --k) std::swap(live[k - 1], live[rng_.Uniform(k)]);
    const size_t kills = static_cast<size_t>(cfg_.kill_fraction * live.size());
    for (size_t k = 0; k < kills; ++k) Push(now_, Ev::kKill, live[k]);
    const uint64_t span = static_cast<uint64_t>((cfg_.measure_after_intervals + 1) * interval);
    RunUntil(now_);
    ScheduleLookups(cfg_.lookups, now_ + 1, now_ + span, true);
    end = now_ + span;
  } else if (cfg_.churn_median_session_s > 0 && cfg_.duration_s > 0) {
    const double mean_s = cfg_.churn_median_session_s / std::log(2.0);
    const uint64_t duration = static_cast<uint64_t>(cfg_.duration_s * 1000);
    auto exp_ms = [&](double mean) {
      const double u = (rng_.Uniform(1u << 30) + 1.0) / ((1u << 30) + 1.0);
      return static_cast<uint64_t>(-std::log(u) * mean * 1000);
    };
    // Half of the departures are graceful (Leave), half are failures.
    auto depart = [&](uint32_t i, uint64_t at) {
      Push(at, Ev::kKill, i, 0, static_cast<uint32_t>(rng_.Uniform(2)));
    };
    for (uint32_t i : LiveRing()) depart(i, now_ + exp_ms(mean_s));
    // Arrivals at rate N / mean session keep the population steady.
    const double gap_s = mean_s / cfg_.nodes;
    ScheduleLookups(cfg_.lookups, now_ + 1, now_ + duration, true);
    uint64_t t = now_;
    const uint64_t stop = now_ + duration;
    // With values: fetch all of them once every update interval, and count copies as often.
    uint64_t next_sample = now_ + interval;
    while (true) {
      t += exp_ms(gap_s);
      if (t >= stop) break;
      while (!values_.empty() && next_sample <= t) {
        RunUntil(next_sample);
        MinCopies();
        ScheduleFetchSample(next_sample, next_sample + interval / 2);
        next_sample += interval;
      }
      RunUntil(t);
      const uint32_t idx = AddNode(false);
      Push(t, Ev::kStart, idx);
      depart(idx, t + exp_ms(mean_s));
      Progress("churn");
    }
    end = stop;
  } else {
    ScheduleLookups(cfg_.lookups, now_ + 1, now_ + std::max<uint64_t>(1000, cfg_.lookups), true);
    end = now_ + std::max<uint64_t>(1000, cfg_.lookups);
  }
  // Let the last lookups finish (5 transmissions of 3 s).
  RunUntil(end + 20000);
  if (!values_.empty()) {
    // The final sample: every stored value fetched through a random peer.
    ScheduleFetchSample(now_ + 1, now_ + 1 + 10 * values_.size());
    RunUntil(now_ + 1 + 10 * values_.size() + 20000);
  }

  SimResult r;
  r.nodes = cfg_.nodes;
  r.live_nodes = static_cast<int>(LiveRing().size());
  r.lookups = lookups_done_ + static_cast<int>(lookups_.size());
  r.lookups_ok = lookups_ok_;
  r.clients = static_cast<int>(LiveClients(/*attached_only=*/true).size());
  r.client_lookups = client_lookups_;
  r.client_lookups_ok = client_lookups_ok_;
  r.success_rate =
      lookups_measured_ ? static_cast<double>(lookups_measured_ok_) / (lookups_measured_ + 0.0) : 0;
  std::sort(hops_.begin(), hops_.end());
  if (!hops_.empty()) {
    double sum = 0;
    for (int h : hops_) sum += h;
    r.mean_hops = sum / hops_.size();
    r.p50_hops = hops_[hops_.size() / 2];
    r.p99_hops = hops_[std::min(hops_.size() - 1, hops_.size() * 99 / 100)];
    r.hop_histogram.assign(hops_.back() + 1, 0);
    for (int h : hops_) ++r.hop_histogram[h];
  }
  r.half_log2_n = 0.5 * std::log2(std::max(1, r.live_nodes));
  for (uint32_t i : LiveRing()) {
    const core::ChordTable* t = nodes_[i].node->chord_table();
    const RingId self = nodes_[i].node->ring_id();
    auto it = ring_.find(self);
    auto next = std::next(it) == ring_.end() ? ring_.begin() : std::next(it);
    auto prev = it == ring_.begin() ? std::prev(ring_.end()) : std::prev(it);
    const bool alone = ring_.size() == 1;
    const bool ok = alone || (t->successor() == *next && t->predecessor() == *prev);
    r.ring_errors += !ok;
  }
  r.ring_correct = r.ring_errors == 0;
  r.maintenance_msgs_per_node_per_s = maintenance_rate;
  r.memory_per_node_bytes = live_after_join ? core_bytes / live_after_join : 0;
  r.links_per_node = live_after_join ? static_cast<double>(links) / live_after_join : 0;
  r.rss_per_node_bytes = live_after_join && rss1 > rss0 ? (rss1 - rss0) / live_after_join : 0;
  r.virtual_seconds = now_ / 1000.0;
  r.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
  r.messages_delivered = delivered_;
  r.graceful_leaves = graceful_leaves_;
  for (const SimNode& n : nodes_) {
    if (n.alive) {
      r.partitions_detected += n.node->counters().partitions_detected;
    }
  }
  r.trace_hash = trace_;
  if (!values_.empty()) {
    r.values = static_cast<int>(values_.size());
    const std::vector<uint32_t> live = LiveRing();
    MinCopies();
    for (const SimValue& v : values_) {
      if (!v.stored) continue;
      ++r.values_stored;
      bool anywhere = false;
      for (uint32_t i : live) {
        if (HoldsValue(i, v)) {
          anywhere = true;
          break;
        }
      }
      r.values_lost += !anywhere;
      const auto owner = ring_nodes_.lower_bound(v.ring);
      const uint32_t responsible =
          (owner == ring_nodes_.end() ? ring_nodes_.begin() : owner)->second;
      r.values_at_responsible += HoldsValue(responsible, v);
      r.values_moved += nodes_[responsible].node->ring_id() != v.stored_at;
    }
    r.values_fetchable = sample_ok_.empty() ? 0 : sample_ok_.back();
    r.min_copies = min_copies_ == INT32_MAX ? 0 : min_copies_;
    // A fetch whose requester departed before the answer came measures nothing: the sample's
    // rate counts the fetches that got an answer or failed (error answer, timeout).
    for (size_t s = 0; s < sample_total_.size(); ++s) {
      r.fetchable_by_sample.push_back(
          sample_total_[s] ? static_cast<double>(sample_ok_[s]) / sample_total_[s] : 0);
      r.first_try_by_sample.push_back(
          sample_total_[s] ? static_cast<double>(sample_first_ok_[s]) / sample_total_[s] : 0);
    }
    r.rereplication_by_round = rereplication;
    for (uint32_t i : live) AddStorageCounters(nodes_[i].node->counters());
    r.replica_stores_sent = storage_counters_.replica_stores_sent;
    r.replica_stores_failed = storage_counters_.replica_stores_failed;
    r.resources_dropped = storage_counters_.resources_dropped;
    r.storage_errors = storage_counters_.storage_errors;
    for (double t : rereplication) {
      r.rereplication_seconds =
          t < 0 || r.rereplication_seconds < 0 ? -1 : std::max(r.rereplication_seconds, t);
    }
  }
  for (size_t w = 0; w < window_total_.size(); ++w) {
    r.success_by_interval.push_back(
        window_total_[w] ? static_cast<double>(window_ok_[w]) / window_total_[w] : 0);
  }
  return r;
}

}  // namespace

std::string SimResult::ToJson() const {
  std::string hist, windows;
  for (size_t i = 0; i < hop_histogram.size(); ++i) {
    absl::StrAppend(&hist, i ? "," : "", hop_histogram[i]);
  }
  for (size_t i = 0; i < success_by_interval.size(); ++i) {
    absl::StrAppend(&windows, i ? "," : "", absl::StrFormat("%.4f", success_by_interval[i]));
  }
  return absl::StrFormat(
      "{\"nodes\":%d,\"live_nodes\":%d,\"clients\":%d,\"lookups\":%d,\"lookups_ok\":%d,"
      "\"client_lookups\":%d,\"client_lookups_ok\":%d,\"success_rate\":%.6f,"
      "\"mean_hops\":%.4f,\"p50_hops\":%.0f,\"p99_hops\":%.0f,\"half_log2_n\":%.4f,"
      "\"hop_histogram\":[%s],\"ring_correct\":%s,\"ring_errors\":%d,"
      "\"maintenance_msgs_per_node_per_s\":%.6f,\"links_per_node\":%.2f,"
      "\"memory_per_node_bytes\":%u,"
      "\"rss_per_node_bytes\":%u,\"virtual_seconds\":%.1f,\"wall_seconds\":%.2f,"
      "\"messages_delivered\":%u,\"graceful_leaves\":%u,\"partitions_detected\":%u,"
      "\"trace_hash\":\"%016x\","
      "\"success_by_interval\":[%s]%s}",
      nodes, live_nodes, clients, lookups, lookups_ok, client_lookups, client_lookups_ok,
      success_rate, mean_hops, p50_hops, p99_hops, half_log2_n, hist,
      ring_correct ? "true" : "false", ring_errors, maintenance_msgs_per_node_per_s, links_per_node,
      memory_per_node_bytes, rss_per_node_bytes, virtual_seconds, wall_seconds, messages_delivered,
      graceful_leaves, partitions_detected, trace_hash, windows, StorageJson());
}

std::string SimResult::StorageJson() const {
  if (values == 0) return "";
  std::string samples, first, rounds;
  for (size_t i = 0; i < fetchable_by_sample.size(); ++i) {
    absl::StrAppend(&samples, i ? "," : "", absl::StrFormat("%.4f", fetchable_by_sample[i]));
    absl::StrAppend(&first, i ? "," : "", absl::StrFormat("%.4f", first_try_by_sample[i]));
  }
  for (size_t i = 0; i < rereplication_by_round.size(); ++i) {
    absl::StrAppend(&rounds, i ? "," : "", absl::StrFormat("%.1f", rereplication_by_round[i]));
  }
  return absl::StrFormat(
      ",\"values\":%d,\"values_stored\":%d,\"values_fetchable\":%d,\"values_lost\":%d,"
      "\"values_at_responsible\":%d,\"values_moved\":%d,\"min_copies\":%d,\"rereplication_"
      "seconds\":%.1f,"
      "\"rereplication_by_round\":[%s],\"fetchable_by_sample\":[%s],"
      "\"first_try_by_sample\":[%s],"
      "\"replica_stores_sent\":%u,\"replica_stores_failed\":%u,\"resources_dropped\":%u,"
      "\"storage_errors\":%u",
      values, values_stored, values_fetchable, values_lost, values_at_responsible, values_moved,
      min_copies, rereplication_seconds, rounds, samples, first, replica_stores_sent,
      replica_stores_failed, resources_dropped, storage_errors);
}

std::string SimResult::ToText() const {
  return absl::StrFormat(
             "nodes %d (live %d), lookups %d, success %.2f%%\n"
             "hops: mean %.3f (½·log2 N = %.3f), p50 %.0f, p99 %.0f\n"
             "ring correct: %s (%d nodes with a wrong successor or predecessor)\n"
             "maintenance: %.4f messages per node per second\n"
             "links: %.1f per node; memory: %u bytes per node (core state), %u (process RSS)\n"
             "%.0f virtual seconds, %u messages, %.2f s wall, trace %016x\n",
             nodes, live_nodes, lookups, 100 * success_rate, mean_hops, half_log2_n, p50_hops,
             p99_hops, ring_correct ? "yes" : "no", ring_errors, maintenance_msgs_per_node_per_s,
             links_per_node, memory_per_node_bytes, rss_per_node_bytes, virtual_seconds,
             messages_delivered, wall_seconds, trace_hash) +
         (values == 0
              ? ""
              : absl::StrFormat("values: %d stored, %d fetchable, %d lost, %d at the responsible "
                                "peer; min copies %d; re-replication %.1f s\n",
                                values_stored, values_fetchable, values_lost, values_at_responsible,
                                min_copies, rereplication_seconds));
}

absl::StatusOr<SimResult> RunSimulation(const SimConfig& config) {
  if (config.nodes < 1) return absl::InvalidArgumentError("--nodes must be at least 1");
  if (config.lookups < 0) return absl::InvalidArgumentError("--lookups must not be negative");
  if (config.kill_fraction < 0 || config.kill_fraction >= 1) {
    return absl::InvalidArgumentError("--kill-fraction must be in [0, 1)");
  }
  if (config.loss < 0 || config.loss >= 1) {
    return absl::InvalidArgumentError("--loss must be in [0, 1)");
  }
  if ((config.churn_median_session_s > 0) != (config.duration_s > 0)) {
    return absl::InvalidArgumentError("--churn-median-session and --duration go together");
  }
  if (config.successors < 3) return absl::InvalidArgumentError("--successors must be >= 3");
  if (config.fingers < 1 || config.fingers > 128) {
    return absl::InvalidArgumentError("--fingers must be in 1..128");
  }
  if (config.update_interval_ms == 0) {
    return absl::InvalidArgumentError("--update-interval must be positive");
  }
  if (config.values < 0) return absl::InvalidArgumentError("--values must not be negative");
  if (static_cast<int64_t>(config.values) > int64_t{20} * config.nodes) {
    return absl::InvalidArgumentError(
        "--values: at most 20 per node (TURN-SERVICE max-node-multiple)");
  }
  if (config.kill_consecutive < 0 || config.kill_consecutive > 2) {
    return absl::InvalidArgumentError("--kill-consecutive must be 1 or 2 (of 3)");
  }
  if ((config.kill_consecutive > 0 || config.join_leave > 0) && config.values == 0) {
    return absl::InvalidArgumentError("--kill-consecutive and --join-leave need --values");
  }
  if (config.kill_rounds < 1) return absl::InvalidArgumentError("--kill-rounds must be >= 1");
  Simulation sim(config);
  return sim.Run();
}

}  // namespace p2psip::sim

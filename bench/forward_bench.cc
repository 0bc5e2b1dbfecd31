// forward_bench: how many RELOAD messages one worker core of a p2psip node forwards per second,
// and their latency, on the DPDK port (net_ring ethdevs) and on the kernel socket port
// (UDP on loopback), with the overlay link's DTLS records on or off.
//
//   load peer L (main thread)                  forwarder F (one worker core)
//   ──────────────────────────                 ─────────────────────────────
//   Ping requests from L to L, signed    ───►  port RxBurst → [DTLS open, framing, ACK]
//   in advance (ECDSA P-256), `window`          → Node::Route: forwarding header, TTL, Via,
//   in flight; each one's round trip     ◄───     next hop = the link to L
//   is timed when it comes back                 → [framing, DTLS seal] → port TxBurst
//
// F forwards every message back to L because L is linked to it and the destination is L's
// Node-ID (RFC 6940 §6.1.2: a directly connected node is the next hop), so F does exactly what a
// transit peer does: it never verifies the signature of what it forwards, it appends L to the Via
// list and decrements the TTL.
//
//   --dtls=on   F is the runtime p2psipd runs (NodeRuntime: a worker thread, the control part
//               on its own thread running the handshake); L is a LinkManager of its own, so each
//               message costs F one DTLS record opened and one sealed, and the framing ACKs
//               (one per receive burst and link; --coalesce-acks=off: one per message).
//   --dtls=off  the same Node on the same port in a plain loop, datagrams in the clear
//               (RELOAD has no such mode: this isolates what records and framing cost).
//
// L does as much record work as F, on the other core, so with DTLS the figure is a lower bound
// on F's rate when L is the busier of the two; F's own counters (forwarded) are printed beside
// L's so that the two agree.
//
//   build/bench/forward_bench --port=dpdk-ring --dtls=on --seconds=3 --window=64
//   python3 bench/run_forward_bench.py --build build   (every combination, side by side, with
//                                                       dpdk-testpmd and the AES-GCM bound)
#include <fcntl.h>
#include <poll.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ring.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "allocation_counter.h"
#include "core/certificate_signer.h"
#include "p2psip/buffer_pool.h"
#include "p2psip/core/node.h"
#include "p2psip/crypto/certificate.h"
#include "p2psip/crypto/signing_key.h"
#include "p2psip/port/dpdk_port.h"
#include "p2psip/port/udp_port.h"
#include "p2psip/runtime/clock.h"
#include "p2psip/runtime/crypto_random.h"
#include "p2psip/runtime/link_manager.h"
#include "p2psip/runtime/node_runtime.h"
#include "p2psip/wire/body.h"
#include "p2psip/wire/codec.h"
#include "p2psip/wire/hashes.h"
#include "p2psip/wire/message.h"
#include "p2psip/wire/method_bodies.h"
#include "port/dpdk/eal.h"

namespace p2psip {
namespace {

using crypto::SignatureScheme;

constexpr char kOverlay[] = "bench.p2psip.test";
constexpr size_t kMessages = 4096;  // signed in advance, sent round-robin (window < kMessages)

struct Args {
  std::string port = "dpdk-ring";  // dpdk-ring | dpdk | kernel
  // --port=dpdk: F on this ethdev (a vdev of --eal, e.g. net_af_xdp0 on a veth) at f_at; L on a
  // kernel socket at l_at in network namespace l_netns (the veth's other end).
  // --port=kernel: F and L on kernel sockets at f_at and l_at (L in l_netns if given).
  std::string device;
  std::string eal;
  std::string f_at;
  std::string l_at;
  std::string l_netns;
  bool dtls = true;
  bool coalesce_acks = true;  // --dtls=on: one framing ACK per receive burst, at F and at L
  double seconds = 3;
  size_t window = 64;
  size_t padding = 100;      // PingReq padding: the message is ~ padding + 520 bytes (cert)
  uint64_t poll_nap_us = 0;  // F's worker: spin (0), as a forwarding core does
  // A check (the test suite runs one): exit 1 if F's forwarding thread allocated more than this
  // per message, if a message was lost, or if F's counter disagrees with what came back.
  std::optional<double> max_allocations;
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "forward_bench: %s\n", what.c_str());
  std::exit(1);
}

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    const std::string key = arg.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : arg.substr(eq + 1);
    uint64_t n = 0;
    if (key == "--port" && (value == "dpdk-ring" || value == "dpdk" || value == "kernel")) {
      a.port = value;
    } else if (key == "--device" && !value.empty()) {
      a.device = value;
    } else if (key == "--eal") {
      a.eal = value;
    } else if (key == "--f-at" && port::Endpoint::Parse(value)) {
      a.f_at = value;
    } else if (key == "--l-at" && port::Endpoint::Parse(value)) {
      a.l_at = value;
    } else if (key == "--l-netns" && !value.empty()) {
      a.l_netns = value;
    } else if (key == "--dtls" && (value == "on" || value == "off")) {
      a.dtls = value == "on";
    } else if (key == "--coalesce-acks" && (value == "on" || value == "off")) {
      a.coalesce_acks = value == "on";
    } else if (key == "--seconds" && absl::SimpleAtod(value, &a.seconds) && a.seconds > 0 &&
               a.seconds <= 600) {
    } else if (key == "--window" && absl::SimpleAtoi(value, &n) && n > 0 && n < kMessages) {
      a.window = n;
    } else if (key == "--padding" && absl::SimpleAtoi(value, &n) && n <= 1000) {
      a.padding = n;
    } else if (key == "--poll-nap-us" && absl::SimpleAtoi(value, &n)) {
      a.poll_nap_us = n;
    } else if (double x = 0;
               key == "--max-allocations-per-message" && absl::SimpleAtod(value, &x) && x >= 0) {
      a.max_allocations = x;
    } else {
      std::fprintf(
          stderr,
          "usage: forward_bench [--port=dpdk-ring|dpdk|kernel] [--dtls=on|off] [--seconds=3]\n"
          "                     [--coalesce-acks=on|off]\n"
          "                     [--device=ETHDEV --eal=\"EAL ARGS\"] [--f-at=ADDR:PORT]\n"
          "                     [--l-at=ADDR:PORT] [--l-netns=NAME]\n"
          "                     [--window=64] [--padding=100] [--poll-nap-us=0]\n"
          "                     [--max-allocations-per-message=X]\n"
          "bad argument: %s\n",
          arg.c_str());
      std::exit(2);
    }
  }
  if (a.port == "dpdk" && (a.device.empty() || a.f_at.empty() || a.l_at.empty())) {
    std::fprintf(stderr, "forward_bench: --port=dpdk needs --device, --f-at and --l-at\n");
    std::exit(2);
  }
  if (a.f_at.empty()) a.f_at = a.port == "kernel" ? "127.0.0.1:0" : "198.18.0.1:6084";
  if (a.l_at.empty()) a.l_at = a.port == "kernel" ? "127.0.0.2:0" : "198.18.0.2:6084";
  return a;
}

// --- Identities: an overlay CA and a certificate for F and for L ---

struct Member {
  NodeId id;
  crypto::SigningKey key;
  crypto::Certificate cert;
};

class Pki {
 public:
  Pki() {
    const int64_t now = runtime::Clock().NowS();
    auto ca = crypto::CertificateAuthority::Create(
        "forward_bench CA", SignatureScheme::kEcdsaP256Sha256, now - 3600, now + 86400);
    if (!ca.ok()) Die(ca.status().ToString());
    ca_ = std::make_unique<crypto::CertificateAuthority>(*std::move(ca));
    const std::vector<crypto::Certificate> roots = {ca_->root()};
    trust_ = std::make_shared<const crypto::TrustStore>(*crypto::TrustStore::Create(roots));
  }
  Member Issue(uint8_t first_byte) {
    std::vector<uint8_t> bytes(16, 0x11);
    bytes[0] = first_byte;
    const NodeId id(bytes);
    const int64_t now = runtime::Clock().NowS();
    auto key = crypto::SigningKey::Generate(SignatureScheme::kEcdsaP256Sha256);
    if (!key.ok()) Die(key.status().ToString());
    const std::vector<NodeId> ids = {id};
    auto cert = ca_->Issue(key->PublicKeyDer(), ids, "bench@" + std::string(kOverlay), kOverlay,
                           now - 60, now + 86400, ++serial_);
    if (!cert.ok()) Die(cert.status().ToString());
    return Member{id, *std::move(key), *std::move(cert)};
  }
  std::unique_ptr<core::CertificateSigner> Signer(const Member& m) const {
    auto key = crypto::SigningKey::FromPrivateKeyDer(m.key.PrivateKeyDer());
    auto s = core::CertificateSigner::Create(*std::move(key), m.cert, {}, trust_,
                                             [] { return runtime::Clock().NowS(); });
    if (!s.ok()) Die(s.status().ToString());
    return *std::move(s);
  }
  std::shared_ptr<const link::SecureContext> Context(const Member& m) const {
    auto key = crypto::SigningKey::FromPrivateKeyDer(m.key.PrivateKeyDer());
    auto c = link::SecureContext::Create(*std::move(key), {m.cert}, trust_);
    if (!c.ok()) Die(c.status().ToString());
    return *std::move(c);
  }

 private:
  std::unique_ptr<crypto::CertificateAuthority> ca_;
  std::shared_ptr<const crypto::TrustStore> trust_;
  uint64_t serial_ = 0;
};

// kMessages Ping requests from `from` to itself, transaction ids base + i, signed by `signer`.
std::vector<std::vector<uint8_t>> SignedPings(core::Signer& signer, const NodeId& to,
                                              size_t padding, uint64_t base) {
  std::vector<std::vector<uint8_t>> out;
  out.reserve(kMessages);
  wire::PingReq body;
  body.padding.assign(padding, 0x5a);
  auto contents = wire::MakeContents(static_cast<uint16_t>(wire::MessageCode::kPingReq), body);
  if (!contents.ok()) Die(contents.status().ToString());
  auto contents_bytes = wire::EncodeToBytes(*contents);
  if (!contents_bytes.ok()) Die(contents_bytes.status().ToString());
  const uint32_t overlay = wire::OverlayHash(kOverlay);
  for (size_t i = 0; i < kMessages; ++i) {
    wire::Message m;
    m.header.overlay = overlay;
    m.header.ttl = 100;
    m.header.transaction_id = base + i;
    m.header.destination_list = {wire::Destination::Node(to)};
    m.contents = *contents;
    m.security.certificates = signer.Certificates();
    m.security.signature =
        signer.Sign(wire::MessageSignatureInput(overlay, base + i, *contents_bytes));
    auto bytes = wire::EncodeMessage(m);
    if (!bytes.ok()) Die(bytes.status().ToString());
    out.push_back(*std::move(bytes));
  }
  return out;
}

// --- The two ports: F's and L's, joined by net_ring ethdevs or by loopback ---

struct PortPair {
  std::unique_ptr<port::Port> f;
  std::unique_ptr<port::Port> l;
  std::vector<rte_ring*> rings;
  ~PortPair() {
    f.reset();
    l.reset();
    for (rte_ring* r : rings) rte_ring_free(r);
  }
};

std::unique_ptr<port::Port> RingPort(rte_ring* rx, rte_ring* tx, const char* name, const char* at,
                                     uint8_t mac) {
  const int id = rte_eth_from_rings(name, &rx, 1, &tx, 1, 0);
  char device[RTE_ETH_NAME_MAX_LEN] = {};
  if (id < 0 || rte_eth_dev_get_name_by_port(static_cast<uint16_t>(id), device) != 0) {
    Die("rte_eth_from_rings failed");
  }
  port::DpdkPortOptions o;
  o.device = device;
  o.stack.local = *port::Endpoint::Parse(at);
  o.stack.mac = {0x02, 0, 0, 0, 0, mac};
  auto group = port::DpdkPort::CreateGroup(o, 1);
  if (!group.ok()) Die(group.status().ToString());
  return std::move((*group)[0]);
}

// A kernel UDP port at `at`, made inside network namespace `netns` (if given; the socket stays
// there when this thread goes back to its own).
std::unique_ptr<port::Port> KernelPort(const std::string& at, const std::string& netns) {
  int home = -1;
  if (!netns.empty()) {
    home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    const int there = open(("/var/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
    if (home < 0 || there < 0 || setns(there, CLONE_NEWNET) != 0) {
      Die("cannot enter network namespace " + netns + ": " + std::strerror(errno));
    }
    close(there);
  }
  port::UdpPortOptions o;
  o.bind = *port::Endpoint::Parse(at);
  auto group = port::UdpPort::CreateGroup(o, 1);
  if (home >= 0) {
    if (setns(home, CLONE_NEWNET) != 0) Die(std::string("setns back: ") + std::strerror(errno));
    close(home);
  }
  if (!group.ok()) Die("UdpPort at " + at + ": " + group.status().ToString());
  return std::move((*group)[0]);
}

std::unique_ptr<PortPair> MakePorts(const Args& args) {
  auto p = std::make_unique<PortPair>();
  if (args.port == "kernel") {
    p->f = KernelPort(args.f_at, "");
    p->l = KernelPort(args.l_at, args.l_netns);
    return p;
  }
  if (args.port == "dpdk") {
    port::DpdkPortOptions o;
    o.device = args.device;
    o.stack.local = *port::Endpoint::Parse(args.f_at);
    auto group = port::DpdkPort::CreateGroup(o, 1);
    if (!group.ok()) Die(group.status().ToString());
    p->f = std::move((*group)[0]);
    p->l = KernelPort(args.l_at, args.l_netns);
    return p;
  }
  rte_ring* f_to_l = rte_ring_create("fwd_fl", 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
  rte_ring* l_to_f = rte_ring_create("fwd_lf", 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (f_to_l == nullptr || l_to_f == nullptr) Die("rte_ring_create failed");
  p->rings = {f_to_l, l_to_f};
  // The addresses never leave the process (net_ring): 198.18.0.0/15, the benchmarking range.
  p->f = RingPort(l_to_f, f_to_l, "fwd_f", args.f_at.c_str(), 1);
  p->l = RingPort(f_to_l, l_to_f, "fwd_l", args.l_at.c_str(), 2);
  return p;
}

// --- The load peer's bookkeeping: send times, round trips ---

class Load {
 public:
  Load(std::vector<std::vector<uint8_t>> messages, uint64_t base, size_t window)
      : messages_(std::move(messages)), base_(base), window_(window), sent_at_(kMessages, 0) {}

  // The next message to send, or null when `window` are in flight.
  const std::vector<uint8_t>* Next(uint64_t now_ns) {
    if (in_flight_ >= window_) return nullptr;
    const size_t i = seq_++ % kMessages;
    if (sent_at_[i] != 0) ++lost_;  // its previous round never came back
    sent_at_[i] = now_ns;
    ++in_flight_;
    ++sent_;
    return &messages_[i];
  }
  // A message came back through F.
  void Returned(std::span<const uint8_t> message, uint64_t now_ns) {
    // The transaction id: bytes 20..27 of the forwarding header (relo_token, overlay,
    // configuration_sequence, version, ttl, fragment, length come first; RFC 6940 §6.3.2).
    uint64_t txid = 0;
    if (message.size() < 28) {
      ++other_;
      return;
    }
    for (size_t b = 20; b < 28; ++b) txid = txid << 8 | message[b];
    if (txid < base_ || txid >= base_ + kMessages) {
      ++other_;  // not one of ours (F's own traffic)
      return;
    }
    const size_t i = txid - base_;
    if (sent_at_[i] == 0) {
      ++other_;
      return;
    }
    if (measuring_)
      rtt_ns_.push_back(
          static_cast<uint32_t>(std::min<uint64_t>(now_ns - sent_at_[i], UINT32_MAX)));
    sent_at_[i] = 0;
    --in_flight_;
    ++returned_;
  }
  // Datagram mode: a message not back within `timeout_ns` is lost (its slot is freed).
  void Expire(uint64_t now_ns, uint64_t timeout_ns) {
    for (uint64_t& t : sent_at_) {
      if (t != 0 && now_ns - t > timeout_ns) {
        t = 0;
        --in_flight_;
        ++lost_;
      }
    }
  }
  void StartMeasuring() {
    measuring_ = true;
    returned_at_start_ = returned_;
  }
  uint64_t measured() const { return returned_ - returned_at_start_; }
  uint64_t sent() const { return sent_; }
  uint64_t lost() const { return lost_; }
  uint64_t other() const { return other_; }
  double PercentileUs(double p) {
    if (rtt_ns_.empty()) return 0;
    const size_t k = std::min(rtt_ns_.size() - 1, static_cast<size_t>(p * rtt_ns_.size()));
    std::nth_element(rtt_ns_.begin(), rtt_ns_.begin() + static_cast<std::ptrdiff_t>(k),
                     rtt_ns_.end());
    return rtt_ns_[k] / 1000.0;
  }

 private:
  std::vector<std::vector<uint8_t>> messages_;
  uint64_t base_;
  size_t window_;
  std::vector<uint64_t> sent_at_;  // 0: not in flight
  size_t in_flight_ = 0;
  uint64_t seq_ = 0, sent_ = 0, returned_ = 0, returned_at_start_ = 0, lost_ = 0, other_ = 0;
  bool measuring_ = false;
  std::vector<uint32_t> rtt_ns_;
};

uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}

core::NodeConfig ConfigOf(const Member& f, const port::Endpoint& local) {
  core::NodeConfig c;
  c.id = f.id;
  c.overlay_name = kOverlay;
  c.address = local.ToWire();
  c.first_node = true;
  c.bootstrap = {local.ToWire()};
  return c;
}

struct Result {
  double seconds = 0;
  uint64_t returned = 0;
  uint64_t forwarded_by_f = 0;  // F's own counter over the whole run
  uint64_t f_allocations = 0;   // heap allocations by F's forwarding thread while measuring
  // F's time in bursts that had input, over the whole run: forwarded_by_f / f_busy_us is what
  // its core forwards per second of work, whatever share of the core the load left it.
  uint64_t f_busy_us = 0;
  uint64_t f_rx_bursts = 0;  // F's port bursts that had input (--dtls=on): messages per burst
  double p50_us = 0, p99_us = 0;
};

// Runs the load for warm-up + `seconds`, calling `pump(now_ns)` to move bytes.
// Heap allocations of F's control thread so far (--dtls=on; it stores its own count after every
// turn), so that the worker's own are the total less the load's and the control thread's.
std::atomic<uint64_t> g_control_allocations{0};

template <typename Pump>
Result Drive(const Args& args, Load& load, Pump&& pump) {
  const uint64_t warm_until = NowNs() + 300'000'000;
  while (NowNs() < warm_until) pump(NowNs());
  load.StartMeasuring();
  const uint64_t all_before = g_allocations.load();
  const uint64_t mine_before = t_allocations;
  const uint64_t control_before = g_control_allocations.load();
  const uint64_t start = NowNs();
  const uint64_t end = start + static_cast<uint64_t>(args.seconds * 1e9);
  uint64_t now = start;
  while ((now = NowNs()) < end) pump(now);
  Result r;
  r.f_allocations = (g_allocations.load() - all_before) - (t_allocations - mine_before) -
                    (g_control_allocations.load() - control_before);
  r.seconds = (now - start) / 1e9;
  r.returned = load.measured();
  r.p50_us = load.PercentileUs(0.50);
  r.p99_us = load.PercentileUs(0.99);
  return r;
}

// --dtls=on: F is a NodeRuntime (one worker on ports->f, the control part on its own thread).
Result RunDtls(const Args& args, Pki& pki, const Member& f, const Member& l, PortPair& ports,
               Load& load) {
  runtime::Clock clock;
  runtime::NodeRuntimeOptions o;
  const port::Endpoint f_at = ports.f->local_endpoint();
  const port::Endpoint l_at = ports.l->local_endpoint();
  o.ports.push_back(std::move(ports.f));
  o.config = ConfigOf(f, f_at);
  o.links.context = pki.Context(f);
  o.links.local = f_at;
  o.links.framing.coalesce_acks = args.coalesce_acks;
  o.make_signer = [&pki, &f]() -> absl::StatusOr<std::unique_ptr<core::Signer>> {
    return std::unique_ptr<core::Signer>(pki.Signer(f));
  };
  o.make_random = [](uint32_t) { return std::make_unique<runtime::CryptoRandom>(); };
  o.worker.poll_nap_us = args.poll_nap_us;
  auto rt = runtime::NodeRuntime::Create(std::move(o), &clock);
  if (!rt.ok()) Die(rt.status().ToString());
  std::atomic<bool> stop{false};
  (*rt)->Start();
  std::thread control([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      (*rt)->RunOnce(5);
      g_control_allocations.store(t_allocations, std::memory_order_relaxed);
    }
  });

  runtime::LinkManagerOptions lo;
  lo.context = pki.Context(l);
  lo.accept_inbound = false;
  lo.local = l_at;
  lo.framing.coalesce_acks = args.coalesce_acks;
  runtime::LinkManager links(lo);
  runtime::LinkEvents events;
  std::vector<runtime::OutDatagram> out;
  std::vector<port::TxDatagram> tx;
  std::vector<port::RxDatagram> rx(32);
  core::LinkId link = links.Open(f_at, f.id, clock.NowUs(), &events);
  bool up = false;
  const auto pump = [&](uint64_t now_ns, bool send) {
    const uint64_t now_us = clock.NowUs();
    if (send && up) {
      for (size_t k = 0; k < 32; ++k) {
        const std::vector<uint8_t>* m = load.Next(now_ns);
        if (m == nullptr) break;
        links.Send(link, *m, now_us);
      }
    }
    const size_t n = ports.l->RxBurst(rx);
    for (size_t i = 0; i < n; ++i) links.OnDatagram(rx[i].from, rx[i].data, now_us, &events);
    if (links.NextDeadline(now_us) <= now_us) links.OnTimer(now_us, &events);
    for (const auto& u : events.ups) up |= u.link == link;
    if (!events.downs.empty()) Die("the link to F went down: " + events.downs[0].why.ToString());
    for (auto& m : events.messages) {
      load.Returned(m.bytes, NowNs());
      RecycleBuffer(m.bytes);
    }
    events.clear();
    out.clear();
    links.TakeOutput(&out);
    tx.clear();
    for (const auto& d : out) tx.push_back({d.to, d.bytes});
    for (size_t i = 0; i < tx.size(); i += 32) {
      ports.l->TxBurst(std::span(tx).subspan(i, std::min<size_t>(32, tx.size() - i)));
    }
    for (auto& d : out) RecycleBuffer(d.bytes);
  };
  const uint64_t give_up = NowNs() + 10'000'000'000;
  while (!up && NowNs() < give_up) pump(NowNs(), false);
  if (!up) Die("no DTLS link to F within 10 s");
  Result r = Drive(args, load, [&](uint64_t now) { pump(now, true); });
  // F's counters arrive in its worker's reports (every 0.5 s): wait for one after the run.
  const uint64_t report_by = clock.NowUs() + 1'200'000;
  while (clock.NowUs() < report_by) pump(NowNs(), false);
  for (const auto& report : (*rt)->control().reports()) {
    if (report) {
      r.forwarded_by_f += report->node.forwarded;
      r.f_busy_us += report->worker.busy_us;
      r.f_rx_bursts += report->worker.rx_bursts;
    }
  }
  stop = true;
  control.join();
  (*rt)->Stop();
  return r;
}

// --dtls=off: the same Node on the same port, messages in the clear, in a loop on F's thread.
Result RunPlain(const Args& args, Pki& pki, const Member& f, const Member& l, PortPair& ports,
                Load& load) {
  const port::Endpoint f_at = ports.f->local_endpoint();
  const port::Endpoint l_at = ports.l->local_endpoint();
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> forwarded{0};
  std::atomic<uint64_t> busy_us{0};
  std::thread forwarder([&] {
    auto signer = pki.Signer(f);
    runtime::CryptoRandom random;
    runtime::Clock clock;
    core::Node node(ConfigOf(f, f_at), signer.get(), &random);
    core::Outbox outbox;
    node.Start(clock.NowMs(), &outbox);
    constexpr core::LinkId kLinkToL = 1;
    node.OnLinkUp(kLinkToL, l.id, clock.NowMs(), &outbox);
    std::vector<port::RxDatagram> rx(32);
    std::vector<port::TxDatagram> tx;
    uint64_t busy_ns = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      const uint64_t t0 = NowNs();
      const size_t n = ports.f->RxBurst(rx);
      if (n == 0) {
        // As the worker does: a kernel port sleeps in poll(), a poll-mode port spins.
        if (ports.f->wait_fd() >= 0) {
          pollfd pfd{ports.f->wait_fd(), POLLIN, 0};
          poll(&pfd, 1, 1);
        }
        continue;
      }
      const uint64_t now_ms = clock.NowMs();
      outbox.clear();  // as the worker does: vectors and buffers keep their capacity
      for (size_t i = 0; i < n; ++i) node.OnMessage(kLinkToL, rx[i].data, now_ms, &outbox);
      tx.clear();
      for (const auto& s : outbox.sends) {
        if (s.link == kLinkToL) tx.push_back({l_at, s.message});
      }
      ports.f->TxBurst(tx);
      for (auto& s : outbox.sends) RecycleBuffer(s.message);
      busy_ns += NowNs() - t0;
    }
    forwarded = node.counters().forwarded;
    busy_us = busy_ns / 1000;
  });
  std::vector<port::RxDatagram> rx(32);
  std::vector<port::TxDatagram> tx;
  uint64_t next_expiry = 0;
  const auto pump = [&](uint64_t now_ns) {
    tx.clear();
    for (size_t k = 0; k < 32; ++k) {
      const std::vector<uint8_t>* m = load.Next(now_ns);
      if (m == nullptr) break;
      tx.push_back({f_at, *m});
    }
    if (!tx.empty()) ports.l->TxBurst(tx);
    const size_t n = ports.l->RxBurst(rx);
    const uint64_t at = NowNs();
    for (size_t i = 0; i < n; ++i) load.Returned(rx[i].data, at);
    if (now_ns >= next_expiry) {  // datagrams: a message not back in 200 ms is lost
      load.Expire(now_ns, 200'000'000);
      next_expiry = now_ns + 50'000'000;
    }
  };
  Result r = Drive(args, load, pump);
  stop = true;
  forwarder.join();
  r.forwarded_by_f = forwarded;
  r.f_busy_us = busy_us;
  return r;
}

}  // namespace
}  // namespace p2psip

int main(int argc, char** argv) {
  using namespace p2psip;
  const Args args = Parse(argc, argv);
  std::unique_ptr<port::dpdk::Eal> eal;
  if (args.port != "kernel") {
    std::vector<std::string> eal_args = {"forward_bench",
                                         "--no-huge",
                                         "--no-pci",
                                         "--no-shconf",
                                         "--no-telemetry",
                                         "-m",
                                         "512",
                                         "--file-prefix=p2psip-fwd-" + std::to_string(getpid()),
                                         "--log-level=lib.eal:warning"};
    for (absl::string_view a : absl::StrSplit(args.eal, ' ', absl::SkipEmpty())) {
      eal_args.emplace_back(a);
    }
    auto e = port::dpdk::Eal::Init(eal_args);
    if (!e.ok()) Die(e.status().ToString());
    eal = *std::move(e);
    eal->RemoveRuntimeDirOnExit();
  }
  Pki pki;
  const Member f = pki.Issue(0x40);
  const Member l = pki.Issue(0xc0);
  auto l_signer = pki.Signer(l);
  constexpr uint64_t kBase = 0x6265'6e63'6800'0000;  // "bench"
  auto messages = SignedPings(*l_signer, l.id, args.padding, kBase);
  const size_t message_bytes = messages[0].size();
  Load load(std::move(messages), kBase, args.window);
  auto ports = MakePorts(args);
  g_count_allocations = true;
  const Result r =
      args.dtls ? RunDtls(args, pki, f, l, *ports, load) : RunPlain(args, pki, f, l, *ports, load);
  ports.reset();
  std::printf(
      "{\"port\": \"%s\", \"dtls\": %s, \"coalesce_acks\": %s, \"window\": %zu, "
      "\"message_bytes\": %zu, "
      "\"seconds\": %.2f, \"forwarded_per_s\": %.0f, \"p50_us\": %.1f, \"p99_us\": %.1f, "
      "\"allocations_per_message\": %.3f, \"busy_capacity_per_s\": %.0f, \"sent\": %llu, \"lost\": "
      "%llu, "
      "\"forwarded_by_f\": %llu, \"messages_per_f_burst\": %.1f, \"other\": %llu}\n",
      args.port.c_str(), args.dtls ? "true" : "false", args.coalesce_acks ? "true" : "false",
      args.window, message_bytes, r.seconds, r.returned / r.seconds, r.p50_us, r.p99_us,
      r.returned > 0 ? static_cast<double>(r.f_allocations) / r.returned : 0.0,
      r.f_busy_us > 0 ? r.forwarded_by_f * 1e6 / static_cast<double>(r.f_busy_us) : 0.0,
      static_cast<unsigned long long>(load.sent()), static_cast<unsigned long long>(load.lost()),
      static_cast<unsigned long long>(r.forwarded_by_f),
      r.f_rx_bursts > 0 ? static_cast<double>(r.forwarded_by_f) / r.f_rx_bursts : 0.0,
      static_cast<unsigned long long>(load.other()));
  if (r.returned == 0) Die("no message came back");
  if (args.max_allocations) {
    const double per_message = static_cast<double>(r.f_allocations) / r.returned;
    if (per_message > *args.max_allocations) {
      Die(absl::StrCat("the forwarder allocated ", per_message, " times per message, over ",
                       *args.max_allocations));
    }
    if (load.lost() != 0) Die(absl::StrCat(load.lost(), " messages lost"));
    if (r.forwarded_by_f < load.sent() - args.window) {
      Die(absl::StrCat("F counted ", r.forwarded_by_f, " forwarded, the load sent ", load.sent()));
    }
  }
  return 0;
}

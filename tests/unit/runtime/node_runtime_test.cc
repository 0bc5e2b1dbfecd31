// The multi-core runtime end to end on loopback: three nodes with 2, 3 and 1 workers (threads)
// on real SO_REUSEPORT UDP sockets with DTLS links, the control parts driven by this test's
// thread. They form a ring, store and fetch through each other, spread the values over the
// workers' shards, and one leaves gracefully without losing data.
#include "p2psip/runtime/node_runtime.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/certificate_signer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "p2psip/core/part_dispatcher.h"
#include "p2psip/crypto/certificate.h"
#include "p2psip/crypto/signing_key.h"
#include "p2psip/port/flow_steering.h"
#include "p2psip/port/udp_port.h"
#include "p2psip/runtime/crypto_random.h"
#include "p2psip/runtime/runtime_stats.h"
#include "p2psip/runtime/stream_links.h"
#include "p2psip/wire/codec.h"
#include "p2psip/wire/hashes.h"
#include "p2psip/wire/stored_data.h"
#include "runtime_test_util.h"

namespace p2psip::runtime {
namespace {

using testing::kOverlay;
using testing::Pki;

NodeId IdOf(uint8_t b) {
  std::vector<uint8_t> bytes(16, 0);
  bytes[0] = b;
  bytes[15] = 1;
  return NodeId(bytes);
}

class RuntimeTest : public ::testing::Test {
 protected:
  // A node with `workers` workers on `address` (`port` 0: chosen by the kernel), in slot
  // `slot` of runtimes_ (-1: a new one). The first one made is the bootstrap node; the others
  // join through it. A node made again with the same id keeps its certificate.
  NodeRuntime& Make(const NodeId& id, const std::string& address, uint32_t workers,
                    uint16_t port = 0, int slot = -1, bool tls = false) {
    if (!members_.contains(id.ToHex())) members_.emplace(id.ToHex(), pki_.Issue(id));
    const Pki::Member member = members_.at(id.ToHex());
    port::UdpPortOptions port_options;
    port_options.bind = *port::Endpoint::Parse(address + ":" + std::to_string(port));
    port_options.rx_buffer_size = 20000;
    auto ports = port::UdpPort::CreateGroup(port_options, workers);
    EXPECT_TRUE(ports.ok()) << ports.status();
    NodeRuntimeOptions o;
    const port::Endpoint local = (*ports)[0]->local_endpoint();
    for (auto& p : *ports) o.ports.push_back(std::move(p));
    o.config.id = id;
    o.config.overlay_name = kOverlay;
    o.config.address = local.ToWire();
    o.config.update_interval_ms = 5000;
    if (runtimes_.empty() || slot == 0) {
      o.config.first_node = true;
      bootstrap_ = local;
    }
    o.config.bootstrap = {bootstrap_.ToWire()};
    crypto::SigningKey key = *crypto::SigningKey::FromPrivateKeyDer(member.key_der);
    auto context = link::SecureContext::Create(key, {member.cert}, pki_.trust());
    EXPECT_TRUE(context.ok()) << context.status();
    o.links.context = *context;
    if (tls) {  // also RELOAD over TLS/TCP, preferred where the peer offers it too
      link::SecureContextOptions stream;
      stream.transport = link::SecureTransport::kStream;
      auto tls_context = link::SecureContext::Create(key, {member.cert}, pki_.trust(), stream);
      EXPECT_TRUE(tls_context.ok()) << tls_context.status();
      o.stream_links.context = *tls_context;
      o.stream_links.framing.mode = link::LinkMode::kStream;
      o.tls_listen = *port::Endpoint::Parse(address + ":0");
      o.config.prefer_tls = true;
    }
    o.make_signer = [member,
                     trust = pki_.trust()]() -> absl::StatusOr<std::unique_ptr<core::Signer>> {
      auto k = crypto::SigningKey::FromPrivateKeyDer(member.key_der);
      if (!k.ok()) return k.status();
      auto s = core::CertificateSigner::Create(*std::move(k), member.cert, {}, trust,
                                               [] { return Clock().NowS(); });
      if (!s.ok()) return s.status();
      return std::unique_ptr<core::Signer>(*std::move(s));
    };
    o.make_random = [](uint32_t) { return std::make_unique<CryptoRandom>(); };
    auto rt = NodeRuntime::Create(std::move(o), &clock_);
    EXPECT_TRUE(rt.ok()) << rt.status();
    const size_t i = slot < 0 ? runtimes_.size() : static_cast<size_t>(slot);
    if (slot < 0) runtimes_.emplace_back();
    runtimes_[i] = *std::move(rt);
    NodeRuntime& r = *runtimes_[i];
    r.control().SetResultHandler(
        [this, i](core::Outbox::Result res) { results_[i].push_back(std::move(res)); });
    r.Start();
    return r;
  }

  // Runs every control part a little (each worker has its own thread).
  void Spin(int rounds = 1) {
    for (int k = 0; k < rounds; ++k) {
      for (auto& r : runtimes_) {
        if (r != nullptr) r->RunOnce(1);
      }
    }
  }
  bool SpinUntil(const std::function<bool()>& done, uint64_t max_ms) {
    const uint64_t until = clock_.NowMs() + max_ms;
    while (clock_.NowMs() < until) {
      if (done()) return true;
      Spin();
    }
    return done();
  }
  // Runs request `f` on node `i` and waits for its result.
  core::Outbox::Result Await(
      size_t i, const std::function<uint64_t(core::Node&, uint64_t, core::Outbox*)>& f) {
    const uint64_t id = runtimes_[i]->control().Call(f);
    core::Outbox::Result out;
    out.status = absl::DeadlineExceededError("no result");
    SpinUntil(
        [&] {
          for (auto& r : results_[i]) {
            if (r.request_id == id) {
              out = std::move(r);
              return true;
            }
          }
          return false;
        },
        15000);
    return out;
  }
  // Each node's successor is the next one (the nodes were made in ring order).
  bool RingSettled() {
    for (size_t i = 0; i < runtimes_.size(); ++i) {
      const core::ChordTable* t = runtimes_[i]->control().node().chord_table();
      const NodeId& next = runtimes_[(i + 1) % runtimes_.size()]->control().node().id();
      if (t == nullptr || t->successors().empty() ||
          t->successors().front() != core::RingId::Of(next)) {
        return false;
      }
    }
    return true;
  }
  bool AllJoined() {
    for (auto& r : runtimes_) {
      if (r != nullptr && !r->control().node().joined()) return false;
    }
    return true;
  }

  Clock clock_;
  Pki pki_;
  std::map<std::string, Pki::Member> members_;
  port::Endpoint bootstrap_;
  std::vector<std::unique_ptr<NodeRuntime>> runtimes_;
  std::map<size_t, std::vector<core::Outbox::Result>> results_;
};

ResourceId TurnRes(const NodeId& node, uint8_t i) {
  std::vector<uint8_t> in(node.bytes().begin(), node.bytes().end());
  in.push_back(i);
  return wire::ChordResourceId(in);
}

wire::StoredDataSpecifier TurnSpec() {
  wire::StoredDataSpecifier s;
  s.kind = wire::kKindTurnService;
  s.model = wire::DataModel::kSingle;
  return s;
}

TEST_F(RuntimeTest, ThreeMultiCoreNodesFormARingStoreFetchAndLeave) {
  Make(IdOf(0x10), "127.0.0.1", 2);
  Make(IdOf(0x60), "127.0.0.2", 3);
  Make(IdOf(0xB0), "127.0.0.3", 1);
  ASSERT_TRUE(SpinUntil([&] { return AllJoined(); }, 20000)) << "the nodes did not all join";
  // The ring settles: each node's successor is the next one.
  ASSERT_TRUE(SpinUntil([&] { return RingSettled(); }, 20000)) << "the ring did not settle";

  // Each worker thread is named for top -H and perf: 2 + 3 + 1 workers.
  std::map<std::string, int> names;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (std::getline(comm, name) && name.starts_with("p2psip-w")) ++names[name];
  }
  EXPECT_EQ(names,
            (std::map<std::string, int>{{"p2psip-w0", 3}, {"p2psip-w1", 2}, {"p2psip-w2", 1}}));

  // Every handshake ran on a control part (the slow path) and its link went to a worker.
  ASSERT_TRUE(SpinUntil(
      [&] {
        for (auto& r : runtimes_) {
          if (r->control().handshakes().size() != 0) return false;
        }
        return true;
      },
      10000));
  for (auto& r : runtimes_) {
    const LinkManagerCounters& hs = r->control().handshakes().counters();
    EXPECT_GT(hs.up, 0u);
    EXPECT_EQ(hs.released, hs.up);
  }

  // Each node stores its 20 TURN-SERVICE values (NODE-MULTIPLE: i in 1..20); they land on the
  // responsible peers' shards.
  for (size_t n = 0; n < 3; ++n) {
    const NodeId id = runtimes_[n]->control().node().id();
    for (uint8_t i = 1; i <= 20; ++i) {
      const uint64_t now_ms = clock_.NowMs();
      core::Outbox::Result r = Await(n, [&](core::Node& node, uint64_t now, core::Outbox* out) {
        return node.Store(TurnRes(id, i), wire::kKindTurnService,
                          {wire::StoredData{now_ms, 600, wire::DataValue{true, {'t', i}}, {}}}, now,
                          out);
      });
      ASSERT_TRUE(r.status.ok()) << "store " << n << "/" << int(i) << ": " << r.status;
    }
  }
  // Every value can be fetched through another node.
  for (size_t n = 0; n < 3; ++n) {
    const NodeId id = runtimes_[n]->control().node().id();
    for (uint8_t i = 1; i <= 20; ++i) {
      core::Outbox::Result r =
          Await((n + 1) % 3, [&](core::Node& node, uint64_t now, core::Outbox* out) {
            return node.Fetch(TurnRes(id, i), {TurnSpec()}, now, out);
          });
      ASSERT_TRUE(r.status.ok()) << "fetch " << n << "/" << int(i) << ": " << r.status;
      auto ans =
          wire::DecodeAs<wire::FetchAns>(r.body, runtimes_[0]->control().node().kinds().Context());
      ASSERT_TRUE(ans.ok());
      ASSERT_EQ(ans->kind_responses.size(), 1u);
      ASSERT_EQ(ans->kind_responses[0].values.size(), 1u) << "value " << n << "/" << int(i);
    }
  }
  // The shards of the 3-worker node all hold values (60 values, 3 copies each, 3 nodes: every
  // node holds all of them), and the control parts hold none.
  ASSERT_TRUE(SpinUntil(
      [&] {
        size_t total = 0;
        for (const auto& rep : runtimes_[1]->control().reports()) {
          if (rep == nullptr || rep->values == 0) return false;
          total += rep->values;
        }
        return total == 60;
      },
      10000))
      << "the 3-worker node's shards do not hold the 60 values";
  for (auto& r : runtimes_) EXPECT_EQ(r->control().node().stored_values(), 0u);
  // RFC 7851's storage census of the node is the shards': 60 TURN-SERVICE values.
  std::optional<wire::DiagnosticInfo> census =
      RuntimeStorageInfo(*runtimes_[1], wire::kDiagInstancesStored);
  ASSERT_TRUE(census.has_value());
  ASSERT_EQ(census->instances_stored.size(), 1u);
  EXPECT_EQ(census->instances_stored[0].kind, wire::kKindTurnService);
  EXPECT_EQ(census->instances_stored[0].instances, 60u);
  std::optional<wire::DiagnosticInfo> bytes =
      RuntimeStorageInfo(*runtimes_[1], wire::kDiagDatasizeStored);
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(bytes->scalar, 60u * 2);  // each value is 2 bytes
  EXPECT_FALSE(RuntimeStorageInfo(*runtimes_[1], wire::kDiagAppUptime).has_value());
  // Links are owned by the workers the flows are steered to, so no datagram had to move; each
  // was adopted from the control part.
  uint64_t adopted = 0;
  for (const auto& rep : runtimes_[1]->control().reports()) adopted += rep->links.adopted;
  EXPECT_EQ(adopted, runtimes_[1]->control().handshakes().counters().released);
  for (const auto& rep : runtimes_[1]->control().reports()) {
    EXPECT_EQ(rep->worker.steered_away, 0u) << "core " << rep->core;
    for (const LinkInfo& l : rep->link_table) {
      EXPECT_EQ(port::FlowOwner(l.remote, 3), rep->core);
      EXPECT_EQ(LinkOwner(l.id), rep->core);
    }
  }

  // The 3-worker node leaves gracefully; its data is still everywhere it should be.
  runtimes_[1]->Leave(2'000'000, 500'000);
  runtimes_[1]->Stop();
  runtimes_[1].reset();
  ASSERT_TRUE(SpinUntil(
      [&] {
        const core::ChordTable* t = runtimes_[0]->control().node().chord_table();
        return t != nullptr && !t->successors().empty() &&
               t->successors().front() == core::RingId::Of(runtimes_[2]->control().node().id());
      },
      10000));
  for (size_t n : {0, 2}) {
    const NodeId id = runtimes_[n]->control().node().id();
    for (uint8_t i = 1; i <= 20; ++i) {
      core::Outbox::Result r = Await(2 - n, [&](core::Node& node, uint64_t now, core::Outbox* out) {
        return node.Fetch(TurnRes(id, i), {TurnSpec()}, now, out);
      });
      ASSERT_TRUE(r.status.ok()) << "after leave, fetch " << n << "/" << int(i) << ": " << r.status;
    }
  }
}

TEST_F(RuntimeTest, PeersThatOfferTlsOverTcpLinkOverItAndTheRingWorksAcrossBothKinds) {
  Make(IdOf(0x10), "127.0.0.1", 2);                       // DTLS only
  Make(IdOf(0x60), "127.0.0.2", 2, 0, -1, /*tls=*/true);  // both, prefers TLS/TCP
  Make(IdOf(0xB0), "127.0.0.3", 1, 0, -1, /*tls=*/true);
  ASSERT_TRUE(SpinUntil([&] { return AllJoined(); }, 20000));
  ASSERT_TRUE(SpinUntil([&] { return RingSettled(); }, 20000)) << "the ring did not settle";
  // The two TLS nodes reach each other over TLS/TCP, held by their control parts; the DTLS-only
  // node reaches both over DTLS.
  for (size_t n : {1, 2}) {
    const StreamLinks* streams = runtimes_[n]->control().streams();
    ASSERT_NE(streams, nullptr);
    EXPECT_GE(streams->links().counters().up, 1u) << "node " << n;
    for (const LinkInfo& l : streams->links().Links()) {
      EXPECT_EQ(LinkOwner(l.id), kControlLinkOwner);
      if (l.up) {
        EXPECT_EQ(l.peer, runtimes_[3 - n]->control().node().id());
      }
    }
  }
  EXPECT_EQ(runtimes_[0]->control().streams(), nullptr);
  // Storage across both kinds of links: values of every node, fetched through every other.
  for (size_t n = 0; n < 3; ++n) {
    const NodeId id = runtimes_[n]->control().node().id();
    for (uint8_t i = 1; i <= 5; ++i) {
      const uint64_t now_ms = clock_.NowMs();
      core::Outbox::Result r = Await(n, [&](core::Node& node, uint64_t now, core::Outbox* out) {
        return node.Store(TurnRes(id, i), wire::kKindTurnService,
                          {wire::StoredData{now_ms, 600, wire::DataValue{true, {'s', i}}, {}}}, now,
                          out);
      });
      ASSERT_TRUE(r.status.ok()) << "store " << n << "/" << int(i) << ": " << r.status;
    }
  }
  for (size_t n = 0; n < 3; ++n) {
    const NodeId id = runtimes_[n]->control().node().id();
    for (size_t from : {(n + 1) % 3, (n + 2) % 3}) {
      for (uint8_t i = 1; i <= 5; ++i) {
        core::Outbox::Result r =
            Await(from, [&](core::Node& node, uint64_t now, core::Outbox* out) {
              return node.Fetch(TurnRes(id, i), {TurnSpec()}, now, out);
            });
        ASSERT_TRUE(r.status.ok())
            << "fetch " << n << "/" << int(i) << " from " << from << ": " << r.status;
      }
    }
  }
  // A TLS node's shards (workers) answered requests that arrived over TLS/TCP on its control
  // part: they were handed off to them.
  uint64_t handoffs_in = 0;
  ASSERT_TRUE(SpinUntil(
      [&] {
        handoffs_in = 0;
        for (const auto& rep : runtimes_[1]->control().reports()) {
          if (rep != nullptr) handoffs_in += rep->worker.handoffs_in;
        }
        return handoffs_in > 0;
      },
      5000));
}

TEST_F(RuntimeTest, APeerKilledAndRestartedOnTheSameAddressIsLinkedAgain) {
  Make(IdOf(0x10), "127.0.0.1", 2);
  Make(IdOf(0x60), "127.0.0.2", 2);
  NodeRuntime& c = Make(IdOf(0xB0), "127.0.0.3", 1);
  const uint16_t c_port = c.control().node().config().address.port;
  ASSERT_TRUE(SpinUntil([&] { return AllJoined(); }, 20000));
  const auto linked_to_c = [&] {
    for (size_t n : {0, 1}) {
      const core::ChordTable* t = runtimes_[n]->control().node().chord_table();
      if (t == nullptr || !t->Contains(core::RingId::Of(IdOf(0xB0)))) return false;
    }
    return true;
  };
  ASSERT_TRUE(SpinUntil(linked_to_c, 20000));

  // Killed: no Leave, no close_notify; the others still hold up links to its address.
  runtimes_[2]->Stop();
  runtimes_[2].reset();
  // Restarted on the same address and port with the same identity, at once.
  Make(IdOf(0xB0), "127.0.0.3", 1, c_port, 2);
  ASSERT_TRUE(SpinUntil([&] { return AllJoined() && linked_to_c(); }, 20000))
      << "the restarted peer did not get back into the ring";
  // The others took its new handshake although an old link to that address was up.
  uint64_t rehandshakes = 0;
  ASSERT_TRUE(SpinUntil(
      [&] {
        rehandshakes = 0;
        for (size_t n : {0, 1}) {
          for (const auto& rep : runtimes_[n]->control().reports()) {
            if (rep != nullptr) rehandshakes += rep->worker.rehandshakes;
          }
        }
        return rehandshakes > 0;
      },
      5000));
  // And it works: the restarted node fetches what the first one stores.
  const NodeId id = runtimes_[0]->control().node().id();
  const uint64_t now_ms = clock_.NowMs();
  core::Outbox::Result stored = Await(0, [&](core::Node& node, uint64_t now, core::Outbox* out) {
    return node.Store(TurnRes(id, 1), wire::kKindTurnService,
                      {wire::StoredData{now_ms, 600, wire::DataValue{true, {'r'}}, {}}}, now, out);
  });
  ASSERT_TRUE(stored.status.ok()) << stored.status;
  core::Outbox::Result fetched = Await(2, [&](core::Node& node, uint64_t now, core::Outbox* out) {
    return node.Fetch(TurnRes(id, 1), {TurnSpec()}, now, out);
  });
  ASSERT_TRUE(fetched.status.ok()) << fetched.status;
}

}  // namespace
}  // namespace p2psip::runtime

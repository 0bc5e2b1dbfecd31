// Two p2psip nodes linked by DTLS 1.2, recorded: the real core (Node, CertificateSigner) over
// the real link layer (OverlayLink: DTLS + framing with ACKs), Bob joining Alice's overlay, then
// Alice's Ping, Store and Fetch. Every ciphertext datagram the links exchange is written to a
// pcap as UDP between 127.0.0.1 (Alice) and 127.0.0.2 (Bob), port 6084, and the session keys
// to an SSLKEYLOGFILE-format key log; check_dtls_capture.py has tshark decrypt and decode it.
// The datagrams travel in memory: nothing is sent on a network.
//
//   dtls_capture PCAP KEYLOG      exit 0 when the join, Ping, Store and Fetch all succeeded
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "core/certificate_signer.h"
#include "p2psip/core/node.h"
#include "p2psip/crypto/certificate.h"
#include "p2psip/link/overlay_link.h"
#include "p2psip/wire/hashes.h"
#include "p2psip/wire/storage_messages.h"
#include "pcap_file.h"

namespace p2psip {
namespace {

using Bytes = std::vector<uint8_t>;

struct Peer {
  uint8_t host = 0;  // 127.0.0.<host> in the capture
  std::unique_ptr<core::CertificateSigner> signer;
  std::shared_ptr<const link::SecureContext> context;
  std::unique_ptr<core::SplitMix64> rng;
  std::unique_ptr<core::Node> node;
  std::unique_ptr<link::OverlayLink> link;  // the one link, to the other peer
  bool link_up = false;
  std::vector<core::Outbox::Result> results;
};

class Capture {
 public:
  Capture(testing::PcapFile* pcap) : pcap_(pcap) {}

  int Run(const std::string& key_log) {
    now_ms_ = static_cast<uint64_t>(std::time(nullptr)) * 1000;
    const int64_t now_s = static_cast<int64_t>(now_ms_ / 1000);
    auto ca = crypto::CertificateAuthority::Create(
        "capture overlay CA", crypto::SignatureScheme::kRsa2048Sha256, now_s - 3600, now_s + 86400);
    if (!ca.ok()) return Fail("CA: " + ca.status().ToString());
    trust_ = std::make_shared<const crypto::TrustStore>(
        *crypto::TrustStore::Create(std::vector<crypto::Certificate>{ca->root()}));

    // Alice's first TURN-SERVICE Resource-ID; Bob takes exactly that Node-ID, so that in their
    // ring of two he is responsible for it and Alice's Store and Fetch cross the link.
    const NodeId alice_id(Bytes(16, 0x10));
    Bytes seed(alice_id.bytes().begin(), alice_id.bytes().end());
    seed.push_back(1);
    resource_ = wire::ChordResourceId(seed);
    const NodeId bob_id = NodeId::FromBytes(resource_.bytes()).value();

    if (!MakePeer(&alice_, *ca, alice_id, "alice@capture.example", 1, key_log) ||
        !MakePeer(&bob_, *ca, bob_id, "bob@capture.example", 2, key_log)) {
      return 1;
    }
    core::NodeConfig ac = BaseConfig(alice_id, 1);
    ac.first_node = true;
    core::NodeConfig bc = BaseConfig(bob_id, 2);
    bc.bootstrap = {ac.address};
    alice_.node = std::make_unique<core::Node>(ac, alice_.signer.get(), alice_.rng.get());
    bob_.node = std::make_unique<core::Node>(bc, bob_.signer.get(), bob_.rng.get());
    alice_.node->Start(now_ms_, &out_);
    Drain(alice_);
    bob_.node->Start(now_ms_, &out_);  // asks for a link to the bootstrap node, Alice
    Drain(bob_);
    Loop(20'000);
    if (!bob_.node->joined()) return Fail("Bob did not join Alice's overlay");

    const uint64_t ping = alice_.node->Ping(wire::Destination::Node(bob_id), now_ms_, &out_);
    Drain(alice_);
    Loop(5'000);
    const wire::DataValue value{
        true, Bytes{'t', 'u', 'r', 'n', ':', '1', '9', '8', '.', '1', '8', '.', '0', '.', '1'}};
    const uint64_t store =
        alice_.node->Store(resource_, wire::kKindTurnService,
                           {wire::StoredData{now_ms_, 600, value, {}}}, now_ms_, &out_);
    Drain(alice_);
    Loop(5'000);
    wire::StoredDataSpecifier spec;
    spec.kind = wire::kKindTurnService;
    spec.model = wire::DataModel::kSingle;
    const uint64_t fetch = alice_.node->Fetch(resource_, {spec}, now_ms_, &out_);
    Drain(alice_);
    Loop(5'000);
    for (auto [id, what] : {std::pair{ping, "Ping"}, {store, "Store"}, {fetch, "Fetch"}}) {
      const core::Outbox::Result* r = Find(alice_, id);
      if (r == nullptr) return Fail(std::string(what) + ": no answer");
      if (!r->status.ok()) return Fail(std::string(what) + ": " + r->status.ToString());
      if (r->responder != bob_id) return Fail(std::string(what) + ": not answered by Bob");
      std::printf("%s answered by Bob after %d hops\n", what, r->hops);
    }
    std::printf("datagrams %d, suite %s\n", datagrams_,
                std::string(alice_.link->session().CipherSuite()).c_str());
    return CheckCryptoLibraries();
  }

  // DESIGN.md §3: BoringSSL is the only TLS library in the process. With the two nodes still
  // up, every mapped libssl/libcrypto must be BoringSSL's (Debian's android directory).
  static int CheckCryptoLibraries() {
    FILE* maps = std::fopen("/proc/self/maps", "r");
    if (maps == nullptr) return Fail("cannot read /proc/self/maps");
    char line[4096];
    bool boringssl = false;
    std::string foreign;
    while (std::fgets(line, sizeof(line), maps) != nullptr) {
      const std::string l(line);
      const size_t slash = l.find('/');
      if (slash == std::string::npos) continue;
      const std::string path = l.substr(slash, l.find_last_not_of("\n") + 1 - slash);
      const std::string name = path.substr(path.rfind('/') + 1);
      if (name.rfind("libssl.so", 0) != 0 && name.rfind("libcrypto.so", 0) != 0) continue;
      if (path.find("/android/") != std::string::npos) {
        boringssl = true;
      } else {
        foreign = path;
      }
    }
    std::fclose(maps);
    if (!foreign.empty()) return Fail("a non-BoringSSL crypto library is mapped: " + foreign);
    if (!boringssl) return Fail("BoringSSL's libssl/libcrypto are not mapped");
    std::printf("/proc/self/maps: BoringSSL mapped, no OpenSSL\n");
    return 0;
  }

 private:
  core::NodeConfig BaseConfig(const NodeId& id, uint8_t host) {
    core::NodeConfig c;
    c.id = id;
    c.overlay_name = "capture.example";
    c.address = *wire::IpAddressPort::Parse("127.0.0." + std::to_string(host), 6084);
    return c;
  }

  bool MakePeer(Peer* p, const crypto::CertificateAuthority& ca, const NodeId& id,
                const std::string& user, uint8_t host, const std::string& key_log) {
    p->host = host;
    auto key = crypto::SigningKey::Generate(crypto::SignatureScheme::kRsa2048Sha256);
    const int64_t now_s = static_cast<int64_t>(now_ms_ / 1000);
    auto cert = ca.Issue(key->PublicKeyDer(), std::vector<NodeId>{id}, user, "capture.example",
                         now_s - 60, now_s + 3600, host);
    if (!key.ok() || !cert.ok()) return Fail("credentials") == 0;
    link::SecureContextOptions options;
    options.key_log_path = key_log;
    auto context = link::SecureContext::Create(*key, {*cert}, trust_, options);
    auto key_copy = crypto::SigningKey::FromPrivateKeyDer(key->PrivateKeyDer());
    auto signer = core::CertificateSigner::Create(*std::move(key_copy), *cert, {}, trust_, [this] {
      return static_cast<int64_t>(now_ms_ / 1000);
    });
    if (!context.ok() || !signer.ok()) return Fail("context or signer") == 0;
    p->context = *std::move(context);
    p->signer = *std::move(signer);
    p->rng = std::make_unique<core::SplitMix64>(host);
    return true;
  }

  static int Fail(const std::string& why) {
    std::fprintf(stderr, "dtls_capture: %s\n", why.c_str());
    return 1;
  }

  Peer& Other(const Peer& p) { return &p == &alice_ ? bob_ : alice_; }

  // Applies what the node asked for: links (one pair, Bob the client: he asked for it), sends.
  void Drain(Peer& p) {
    for (const core::Outbox::Connect& c : out_.connects) {
      (void)c;
      if (p.link != nullptr) continue;
      Peer& q = Other(p);
      link::FramedLinkOptions framing;
      p.link = *link::OverlayLink::Create(p.context, link::SecureRole::kClient, std::nullopt,
                                          framing, now_ms_ * 1000);
      q.link = *link::OverlayLink::Create(q.context, link::SecureRole::kServer, std::nullopt,
                                          framing, now_ms_ * 1000);
    }
    for (const core::Outbox::Send& s : out_.sends) {
      if (p.link != nullptr) p.link->Send(s.message, now_ms_ * 1000);
    }
    for (core::Outbox::Result& r : out_.results) p.results.push_back(std::move(r));
    out_.clear();
  }

  // Moves datagrams and fires timers until nothing is left to do or `budget_ms` passed.
  void Loop(uint64_t budget_ms) {
    const uint64_t until = now_ms_ + budget_ms;
    while (now_ms_ <= until) {
      bool moved = false;
      for (Peer* p : {&alice_, &bob_}) {
        if (p->link == nullptr) continue;
        Peer& q = Other(*p);
        for (const Bytes& datagram : p->link->TakeOutput()) {
          moved = true;
          pcap_->WriteUdp(datagram, p->host, q.host);
          ++datagrams_;
          std::vector<Bytes> messages;
          (void)q.link->OnReceive(datagram, now_ms_ * 1000, &messages);
          LinkUpIfReady(q);
          for (const Bytes& m : messages) {
            q.node->OnMessage(1, m, now_ms_, &out_);
            Drain(q);
          }
        }
        LinkUpIfReady(*p);
      }
      if (moved) continue;
      uint64_t next = std::min(alice_.node->NextDeadline(), bob_.node->NextDeadline());
      for (Peer* p : {&alice_, &bob_}) {
        if (p->link != nullptr) next = std::min(next, p->link->NextDeadline(now_ms_ * 1000) / 1000);
      }
      if (next > until) return;
      now_ms_ = std::max(now_ms_ + 1, next);
      for (Peer* p : {&alice_, &bob_}) {
        if (p->link != nullptr) p->link->OnTimer(now_ms_ * 1000);
        if (p->node->NextDeadline() <= now_ms_) {
          p->node->OnTimer(now_ms_, &out_);
          Drain(*p);
        }
      }
    }
  }

  void LinkUpIfReady(Peer& p) {
    if (p.link_up || p.link == nullptr || p.link->state() != link::OverlayLink::State::kUp) return;
    p.link_up = true;
    p.node->OnLinkUp(1, p.link->PeerNodeIds().front(), now_ms_, &out_);
    Drain(p);
  }

  static const core::Outbox::Result* Find(const Peer& p, uint64_t id) {
    for (const core::Outbox::Result& r : p.results) {
      if (r.request_id == id) return &r;
    }
    return nullptr;
  }

  testing::PcapFile* pcap_;
  uint64_t now_ms_ = 0;
  std::shared_ptr<const crypto::TrustStore> trust_;
  ResourceId resource_;
  Peer alice_, bob_;
  core::Outbox out_;
  int datagrams_ = 0;
};

}  // namespace
}  // namespace p2psip

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: dtls_capture PCAP KEYLOG\n");
    return 2;
  }
  std::remove(argv[2]);  // a fresh key log (the key log appends)
  p2psip::testing::PcapFile pcap(argv[1]);
  if (!pcap.ok()) {
    std::fprintf(stderr, "dtls_capture: cannot write %s\n", argv[1]);
    return 1;
  }
  p2psip::Capture capture(&pcap);
  return capture.Run(argv[2]);
}

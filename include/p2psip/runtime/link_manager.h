// LinkManager: the overlay links of one worker, keyed by the remote UDP endpoint.
//
// It owns one link::OverlayLink (DTLS 1.2 + RELOAD framing) per remote endpoint and turns
// datagrams into the events the core wants (link up with the peer's verified Node-ID, RELOAD
// messages, link down) and the core's sends into ciphertext datagrams. It never touches a socket:
// the worker loop hands it what the port received and sends what TakeOutput returns.
//
// Inbound links: a datagram from an endpoint without a link opens a server-side link only if it
// looks like a DTLS ClientHello (content type handshake, DTLS version, epoch 0); anything else
// is dropped and counted, so garbage costs no session. The number of links not yet up is capped
// (a handshake flood then refuses new ones, counted), and a link that is not up within
// handshake_timeout is dropped.
//
// Role: the node that opens the link (the core's Connect: it asked for the Attach or is joining
// through a bootstrap node) is the DTLS client. RFC 6940 §6.5.1.1 makes the Attach sender the
// server because ICE decides who speaks first; without ICE the connecting side must.
//
// One owner thread; not thread-safe.
#ifndef P2PSIP_RUNTIME_LINK_MANAGER_H_
#define P2PSIP_RUNTIME_LINK_MANAGER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "p2psip/core/environment.h"
#include "p2psip/ids.h"
#include "p2psip/link/framed_link.h"
#include "p2psip/link/overlay_link.h"
#include "p2psip/link/secure_context.h"
#include "p2psip/port/port.h"

namespace p2psip::runtime {

struct LinkManagerOptions {
  std::shared_ptr<const link::SecureContext> context;
  link::FramedLinkOptions framing;
  bool accept_inbound = true;  // false for a client: it only opens links
  // This node's endpoint: decides which end's handshake goes on when both open at once.
  port::Endpoint local;
  size_t max_links = 4096;       // every link, up or not
  size_t max_handshaking = 256;  // links whose handshake has not completed
  uint64_t handshake_timeout_us = 15'000'000;
  // Link ids are n * id_stride + id_offset (n = 1, 2, ...): several managers (one per worker)
  // then number links without overlap, and the id tells which one owns the link.
  uint32_t id_stride = 1;
  uint32_t id_offset = 0;
  // If set, the offset of each link's id is this function of its remote endpoint (instead of
  // id_offset): a manager that makes links for others (handshakes on the slow path) numbers them
  // as their final owner would.
  std::function<uint32_t(const port::Endpoint&)> id_offset_of;
  // RFC 6940 §6.7 on datagram links: a message longer than fragment_mtu - 32 bytes is sent as
  // fragments of at most that (each one DATA frame in one DTLS record), so that no datagram
  // needs IP fragmentation. The default keeps a fragment's datagram within 1232 bytes (IPv6's
  // minimum MTU less its headers, as for handshakes): 1150 bytes of message + 8 of DATA framing
  // + 37 of DTLS record overhead (AES-GCM). 0: never fragment (IP fragments instead).
  size_t fragment_mtu = 1182;
};

struct LinkManagerCounters {
  uint64_t opened = 0;              // links this node opened (DTLS client)
  uint64_t accepted = 0;            // links a peer opened (DTLS server)
  uint64_t up = 0;                  // handshakes completed
  uint64_t handshake_failures = 0;  // wrong Node-ID, untrusted CA, expired, timeout...
  uint64_t handshake_timeouts = 0;  // not up within handshake_timeout
  uint64_t glare_kept = 0;          // both ends opened at once; this end's handshake went on
  uint64_t glare_yielded = 0;       // ...and this end answered the other's instead
  uint64_t failed = 0;              // up links that failed (framing gave up, session error)
  uint64_t closed = 0;              // closed by the node
  uint64_t closed_by_peer = 0;      // the peer sent close_notify
  uint64_t refused_full = 0;        // a new link refused: too many links or handshakes
  uint64_t datagrams_in = 0;
  uint64_t not_dtls = 0;     // from an unknown endpoint and not a ClientHello: dropped
  uint64_t bad_records = 0;  // refused by an existing session (tampered, replayed, junk)
  uint64_t messages_in = 0;
  uint64_t messages_out = 0;
  uint64_t send_refused = 0;  // framing queue full or message too large
  uint64_t send_no_link = 0;  // a send on a link that is gone
  uint64_t fragmented = 0;    // messages sent as RELOAD fragments (fragment_mtu)
  uint64_t fragments_out = 0;
  uint64_t released = 0;  // up links handed to another manager (Release)
  uint64_t adopted = 0;   // up links taken over from another manager (Adopt)
};

// What the links did during one call, for the core.
struct LinkEvents {
  struct Up {
    core::LinkId link;
    NodeId peer;
  };
  struct Message {
    core::LinkId link;
    std::vector<uint8_t> bytes;  // from TakeBuffer: recycle it when done (buffer_pool.h)
  };
  struct Down {
    core::LinkId link;
    bool was_up;
    absl::Status why;
    port::Endpoint remote;
  };
  std::vector<Up> ups;
  std::vector<Message> messages;
  std::vector<Down> downs;

  bool empty() const { return ups.empty() && messages.empty() && downs.empty(); }
  void clear() {
    ups.clear();
    messages.clear();
    downs.clear();
  }
};

// One ciphertext datagram to send.
struct OutDatagram {
  port::Endpoint to;
  std::vector<uint8_t> bytes;  // from TakeBuffer: recycle it once sent (buffer_pool.h)
};

// An up link on its way from the manager that made it (the slow path, which runs handshakes)
// to the one that owns it from now on (the worker its flow is steered to), with the messages
// that arrived with the end of the handshake.
struct AdoptedLink {
  core::LinkId id = core::kNoLink;
  port::Endpoint remote;
  std::unique_ptr<link::OverlayLink> link;
  bool opened_here = false;
  uint64_t created_us = 0;
  NodeId peer;
  std::vector<std::vector<uint8_t>> messages;
};

// A link as `stats` shows it.
struct LinkInfo {
  core::LinkId id;
  port::Endpoint remote;
  bool up;
  bool opened_here;  // DTLS client
  NodeId peer;       // empty until up
  std::string cipher;
  uint64_t created_us;
  // The framing's figures (RFC 6940 §6.6.3): what the link carried, its ACKs both ways (and
  // how many DATA frames a coalesced ACK answered), retransmissions, window and RTO.
  link::LinkCounters framing{};
  link::SenderCounters sender{};
  uint64_t rto_us = 0;
  double srtt_us = 0;  // 0 before the first RTT sample
};

class LinkManager {
 public:
  explicit LinkManager(LinkManagerOptions options) : options_(std::move(options)) {}
  LinkManager(const LinkManager&) = delete;
  LinkManager& operator=(const LinkManager&) = delete;

  // Opens a link to `to` that must authenticate as `expected` (nullopt: any certified node, as
  // for a bootstrap node whose Node-ID we do not know). Where a link to `to` exists already, no
  // new one is made: an up link is reported up again (the core asked because it wants it).
  // Returns kNoLink when the link cannot be made (refused_full, or the session failed).
  core::LinkId Open(const port::Endpoint& to, std::optional<NodeId> expected, uint64_t now_us,
                    LinkEvents* events);
  void OnDatagram(const port::Endpoint& from, std::span<const uint8_t> bytes, uint64_t now_us,
                  LinkEvents* events);
  // A connection a peer made (TLS over TCP: the transport says a link begins, no ClientHello
  // check): a server-side link to `from`. kNoLink when refused (limits) or `from` has a link.
  core::LinkId Accept(const port::Endpoint& from, uint64_t now_us);
  // The transport under `link` failed (a TCP connection reset or closed): the link goes down
  // with `why`.
  void Fail(core::LinkId link, absl::Status why, LinkEvents* events);
  void Send(core::LinkId link, std::span<const uint8_t> message, uint64_t now_us);
  // Closes the link (close_notify) and reports it down.
  void Close(core::LinkId link, LinkEvents* events);
  void OnTimer(uint64_t now_us, LinkEvents* events);
  // Takes up link `link` out of this manager without an event (its last output goes with it);
  // null when there is no such up link.
  std::unique_ptr<AdoptedLink> Release(core::LinkId link);
  // Takes over a released link: reports it up, then its messages. A link to the same remote
  // already here is closed first (the peer made a new one).
  void Adopt(AdoptedLink link, LinkEvents* events);
  // A datagram from an endpoint with no link here, which another manager would handshake with:
  // true when it may open a link (a ClientHello while inbound links are accepted); otherwise
  // counted in not_dtls.
  bool MayOpen(std::span<const uint8_t> datagram);
  // The remote endpoint of `link` (a default Endpoint if there is no such link).
  port::Endpoint RemoteOf(core::LinkId link) const;
  // The link (up or not) to `remote`, or kNoLink.
  core::LinkId LinkTo(const port::Endpoint& remote) const {
    auto it = by_remote_.find(remote);
    return it == by_remote_.end() ? core::kNoLink : it->second;
  }
  // Whether a link (up or not) to `remote` exists here.
  bool Knows(const port::Endpoint& remote) const { return by_remote_.contains(remote); }
  uint64_t NextDeadline(uint64_t now_us) const;
  // Every link's ciphertext waiting for the port.
  void TakeOutput(std::vector<OutDatagram>* out);

  std::vector<LinkInfo> Links() const;
  size_t size() const { return links_.size(); }
  const LinkManagerCounters& counters() const { return counters_; }

 private:
  struct Entry {
    port::Endpoint remote;
    std::unique_ptr<link::OverlayLink> link;
    bool opened_here = false;
    bool reported_up = false;
    uint64_t created_us = 0;
    std::optional<NodeId> expected;  // the Node-ID the link must authenticate as
  };

  core::LinkId Create(const port::Endpoint& remote, link::SecureRole role,
                      std::optional<NodeId> expected, uint64_t now_us);
  // Reports what changed on `id` after input or a timer: up, failed.
  void Check(core::LinkId id, Entry& entry, uint64_t now_us, LinkEvents* events);
  void Remove(core::LinkId id, bool was_up, absl::Status why, LinkEvents* events);

  LinkManagerOptions options_;
  absl::flat_hash_map<core::LinkId, Entry> links_;
  absl::flat_hash_map<port::Endpoint, core::LinkId> by_remote_;
  std::vector<OutDatagram> closing_;  // close_notify of links already removed
  // Scratch, kept for its capacity: the messages one datagram completed, a link's output.
  std::vector<std::vector<uint8_t>> received_;
  std::vector<std::vector<uint8_t>> datagrams_;
  size_t handshaking_ = 0;  // links not yet reported up
  uint32_t next_seq_ = 1;
  LinkManagerCounters counters_;
};

// True when `datagram` starts with a DTLS record carrying a ClientHello in epoch 0: the only
// thing that may open an inbound link.
bool LooksLikeClientHello(std::span<const uint8_t> datagram);
// A total order on endpoints (family, address, port), the same at both ends of a link.
bool EndpointLess(const port::Endpoint& a, const port::Endpoint& b);

}  // namespace p2psip::runtime

#endif  // P2PSIP_RUNTIME_LINK_MANAGER_H_

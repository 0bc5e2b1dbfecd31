// StreamLinks: RELOAD over TLS/TCP (RFC 6940 §6.6.5, the TLS-TCP-FH-NO-ICE link type) on the
// slow path. A listening TCP socket, the connections it accepts and those it makes, each
// carrying a TLS 1.2 session with RELOAD's framing (link::OverlayLink in stream mode, held by a
// LinkManager keyed by the connection's remote endpoint). Every socket is non-blocking; the
// control part polls the descriptors PollFds gives and calls Service after each poll.
//
// Why the slow path: a TCP connection is not steered to a worker by the peer's address, and
// its byte stream needs a reassembly buffer per connection; DESIGN.md §1 puts TLS/TCP links on
// the control thread and keeps the workers' burst loops for datagrams. Messages on these links
// reach the control part's Node, which forwards or hands them off like any other part.
//
// Ownership: owns its sockets (closed when a link goes down or on destruction) and the
// LinkManager. Threading: one owner thread (the control part's).
#ifndef P2PSIP_RUNTIME_STREAM_LINKS_H_
#define P2PSIP_RUNTIME_STREAM_LINKS_H_

#include <poll.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "p2psip/port/port.h"
#include "p2psip/runtime/link_manager.h"

namespace p2psip::runtime {

struct StreamLinkCounters {
  uint64_t accepted_connections = 0;
  uint64_t connect_failures = 0;  // connect() refused or failed before the handshake
  uint64_t resets = 0;            // a connection closed or reset under an open link
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t backlog_overflows = 0;  // output beyond max_backlog: the link is failed
};

class StreamLinks {
 public:
  // Listens on `listen` (port 0: the kernel picks one). `links` configures the links: its
  // context must be a kStream SecureContext and framing.mode kStream.
  static absl::StatusOr<std::unique_ptr<StreamLinks>> Create(const port::Endpoint& listen,
                                                             LinkManagerOptions links,
                                                             size_t max_backlog = 4 << 20);
  ~StreamLinks();
  StreamLinks(const StreamLinks&) = delete;
  StreamLinks& operator=(const StreamLinks&) = delete;

  // The descriptors to poll: the listener (readable: a connection waits) and every connection
  // (readable; writable too while output waits or a connect is in progress).
  void PollFds(std::vector<pollfd>* fds) const;
  // Accepts, completes connects, reads and writes what the sockets allow; link events go to
  // `events`.
  void Service(uint64_t now_us, LinkEvents* events);

  // Connects to `to` (TLS client; `expected`: the Node-ID the peer must authenticate as).
  // kNoLink when the socket cannot even be made.
  core::LinkId Open(const port::Endpoint& to, std::optional<NodeId> expected, uint64_t now_us,
                    LinkEvents* events);
  void Send(core::LinkId link, std::span<const uint8_t> message, uint64_t now_us);
  void Close(core::LinkId link, LinkEvents* events);
  void OnTimer(uint64_t now_us, LinkEvents* events);
  // Writes what the links have to send (after Send): call before sleeping.
  void FlushOutput(LinkEvents* events);
  uint64_t NextDeadline(uint64_t now_us) const { return links_.NextDeadline(now_us); }

  const port::Endpoint& local_endpoint() const { return local_; }
  const LinkManager& links() const { return links_; }
  const StreamLinkCounters& counters() const { return counters_; }
  size_t connections() const { return connections_.size(); }

 private:
  struct Connection {
    int fd = -1;
    bool connecting = false;   // non-blocking connect in progress
    std::vector<uint8_t> out;  // ciphertext not yet written
    size_t out_offset = 0;
  };

  StreamLinks(int listen_fd, port::Endpoint local, LinkManagerOptions links, size_t max_backlog)
      : listen_fd_(listen_fd), local_(local), links_(std::move(links)), max_backlog_(max_backlog) {}

  void AcceptAll(uint64_t now_us);
  // Reads what `remote`'s socket holds into its link; false when the connection ended.
  bool ReadFrom(const port::Endpoint& remote, Connection& c, uint64_t now_us, LinkEvents* events);
  // Moves the links' output into the connections' buffers and writes what the sockets take.
  void Flush(LinkEvents* events);
  bool WriteTo(Connection& c);
  // Closes the sockets of links that went down (events->downs).
  void Reap(const LinkEvents& events, size_t first_down);
  void Drop(const port::Endpoint& remote, absl::Status why, LinkEvents* events);

  int listen_fd_;
  port::Endpoint local_;
  LinkManager links_;
  size_t max_backlog_;
  absl::flat_hash_map<port::Endpoint, Connection> connections_;
  std::vector<OutDatagram> output_;
  std::vector<uint8_t> read_buffer_ = std::vector<uint8_t>(64 * 1024);
  StreamLinkCounters counters_;
};

}  // namespace p2psip::runtime

#endif  // P2PSIP_RUNTIME_STREAM_LINKS_H_

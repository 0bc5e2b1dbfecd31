// The client side of p2psip's overlay commands (store, fetch, sip, ping, trace, stats...): a
// RELOAD client node (RFC 6940 §3.2.1) with the identity of --state-dir, speaking RELOAD over
// DTLS to the peer at --via (default: the configuration's bootstrap nodes). Nothing else: no
// side channel into p2psipd.
#ifndef P2PSIP_CLI_CLIENT_SESSION_H_
#define P2PSIP_CLI_CLIENT_SESSION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "p2psip/core/node.h"
#include "p2psip/port/udp_port.h"
#include "p2psip/runtime/clock.h"
#include "p2psip/runtime/identity.h"
#include "p2psip/runtime/node_loop.h"

namespace p2psip::cli {

// Options every overlay command shares (global flags of `p2psip`).
struct ClientOptions {
  std::string state_dir = "./p2psip-state";
  std::string via;  // ADDR:PORT of the peer to speak to
  double timeout_s = 10;
  bool json = false;
  std::string log_level = "warn";  // the client node's log on stderr
};
void AddClientOptions(CLI::App& app, ClientOptions* options);

class ClientSession {
 public:
  // Loads the identity (STATE/client when it exists, else STATE), starts the client node and
  // waits until it is attached to the overlay. Errors say why in one line: an unreachable peer,
  // a certificate the peer rejected or that we rejected, a bad state directory.
  static absl::StatusOr<std::unique_ptr<ClientSession>> Open(const ClientOptions& options);

  using Request = std::function<uint64_t(core::Node&, uint64_t now_ms, core::Outbox*)>;
  // Sends the request and waits for its result (DeadlineExceeded after the timeout).
  absl::StatusOr<core::Outbox::Result> Run(const Request& request);

  // Closes the links (close_notify) so that the peer forgets this client at once.
  ~ClientSession();

  core::Node& node() { return loop_->node(); }
  const runtime::NodeIdentity& identity() const { return identity_; }
  // The Node-ID of the peer at --via (or the bootstrap node the client came in through).
  const NodeId& via_peer() const { return via_peer_; }
  const runtime::Clock& clock() const { return clock_; }

 private:
  ClientSession(runtime::NodeIdentity identity, double timeout_s)
      : identity_(std::move(identity)), timeout_us_(static_cast<uint64_t>(timeout_s * 1e6)) {}
  absl::Status Attach(const port::Endpoint& via);

  runtime::Clock clock_;
  runtime::NodeIdentity identity_;
  uint64_t timeout_us_;
  std::unique_ptr<port::UdpPort> port_;
  std::unique_ptr<runtime::NodeLoop> loop_;
  NodeId via_peer_;
  std::vector<core::Outbox::Result> results_;
};

}  // namespace p2psip::cli

#endif  // P2PSIP_CLI_CLIENT_SESSION_H_

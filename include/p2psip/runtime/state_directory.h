// p2psipd's state directory (DESIGN.md §7): where a node keeps what it must find again after a
// restart.
//
//   STATE/overlay.relo, STATE/node/{key,cert}.der   the node's identity (runtime/identity.h)
//   STATE/overlay/                                   a bootstrap node's overlay: CA, signer,
//                                                    signed document, HTTPS and enrollment files
//                                                    (config/overlay_directory.h)
//   STATE/client/                                    an identity for the operator's own
//                                                    `p2psip --state-dir STATE ...` commands
//
// A standalone node (p2psipd with no arguments) creates all three on its first run and reuses
// them afterwards; a joining node (--join) enrolls with the bootstrap node into STATE.
#ifndef P2PSIP_RUNTIME_STATE_DIRECTORY_H_
#define P2PSIP_RUNTIME_STATE_DIRECTORY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "p2psip/port/port.h"

namespace p2psip::runtime {

struct StateDirectory {
  std::string dir;
  std::string Overlay() const { return dir + "/overlay"; }
  std::string Client() const { return dir + "/client"; }
  std::string RootPem() const { return Overlay() + "/ca/root.pem"; }
  // The node's identity exists (it may still fail to load).
  bool HasIdentity() const;
  bool HasOverlay() const;
};

struct CreateOverlayOptions {
  std::string overlay_name = "p2psip.local";
  port::Endpoint listen;  // bootstrap node, enrollment server and this node's address
  uint32_t update_interval_s = 30;
  int validity_days = 365;
  int64_t now_s = 0;
};

struct CreatedOverlay {
  std::string overlay_name;
  std::string node_user;    // the node's own certificate: "node@<overlay>"
  std::string client_user;  // STATE/client: "admin@<overlay>"
};

// Creates STATE/overlay (ECDSA P-256 CA and signer, configuration signed, bootstrap node and
// enrollment server at `listen`), then the node's identity in STATE and the operator's in
// STATE/client, both issued by the new CA. FailedPrecondition if STATE already holds an
// identity or an overlay.
absl::StatusOr<CreatedOverlay> CreateStandaloneOverlay(const StateDirectory& state,
                                                       const CreateOverlayOptions& options);

struct JoinOptions {
  std::string bootstrap;  // HOST:PORT of the bootstrap node's HTTPS service
  std::string root_cert;  // the overlay's root certificate (DER or PEM), to trust that service
  std::string user;
  std::string password;
  std::string overlay_name;  // empty: the first configuration served
  absl::Duration timeout = absl::Seconds(10);
  int64_t now_s = 0;
};

// Fetches the configuration from https://BOOTSTRAP/.well-known/reload-config, enrolls a fresh
// ECDSA P-256 key with its enrollment server and writes the identity into STATE.
absl::Status EnrollInto(const StateDirectory& state, const JoinOptions& options);

}  // namespace p2psip::runtime

#endif  // P2PSIP_RUNTIME_STATE_DIRECTORY_H_

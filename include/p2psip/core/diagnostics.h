// RFC 7851 overlay diagnostics at a node: the responder side of Diagnostic_Ping (a Ping with a
// Diagnostic_Ping message extension) and PathTrack (0x27/0x28), and what the runtime adds.
//
// The split: the core fills the Diagnostic Kinds it knows itself (ROUTING_TABLE_SIZE,
// INSTANCES_STORED, DATASIZE_STORED, MESSAGES_SENT_RCVD, STATUS_INFO = no congestion); a
// DiagnosticsProvider, implemented by the runtime, supplies what only the process knows
// (SOFTWARE_VERSION, APP_UPTIME, MEMORY_FOOTPRINT, per-core counters in the local-use kind
// kDiagP2psipNodeStats, ...) and may override any core kind (STATUS_INFO under load). It also
// decides who may ask: RFC 7851 §8, diagnostics reveal the topology, so the node answers only
// requesters the provider permits (Error_Forbidden otherwise).
//
// hop_counter is the TTL the request arrived with (RFC 7851 §5.2 "copied from the TTL field");
// the initiator, knowing its initial TTL, gets the hop count from the difference.
//
// Ownership: Node owns one DiagnosticsResponder; the provider is the runtime's (not owned, must
// outlive the node). Both run on the thread that answers requests for the node.
#ifndef P2PSIP_CORE_DIAGNOSTICS_H_
#define P2PSIP_CORE_DIAGNOSTICS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "p2psip/core/environment.h"
#include "p2psip/wire/body.h"
#include "p2psip/wire/diagnostics.h"

namespace p2psip::core {

class Node;
struct NodeCounters;

// Local-use Diagnostic Kind (RFC 7851 §9.2: 0xF000-0xFFFE) carrying p2psip's node statistics:
// a UTF-8 JSON document (the runtime's routing and connection tables, storage counts and
// per-core counters) as the raw DiagnosticInfo contents, at most 65535 bytes. Requested as a
// DiagnosticExtension of this kind (kinds above 0x3F cannot be asked for through dMFlags);
// only a p2psip provider answers it.
inline constexpr uint16_t kDiagP2psipNodeStats = 0xF001;

// How long a request this node originates stays valid (RFC 7851 §5.1 expiration, at most
// 600 s): longer than the transaction's retransmissions (5 x 3 s) so that a slow answer is not
// refused, short enough that a replayed request is.
inline constexpr uint64_t kDiagnosticsLifetimeMs = 60'000;

// What the runtime adds to the core's diagnostics. Every method has a default, so a provider
// overrides only what it knows.
class DiagnosticsProvider {
 public:
  virtual ~DiagnosticsProvider() = default;

  // The value of `kind` if this provider supplies it (its answer wins over the core's); for a
  // kind asked through a DiagnosticExtension, `parameters` are the extension's contents.
  // A scalar kind (wire::DiagnosticScalarWidth != 0) must use `scalar`, SOFTWARE_VERSION
  // `software_version`, other kinds `raw` (see wire::DiagnosticInfo); the kind is set by the
  // caller.
  virtual std::optional<wire::DiagnosticInfo> Info(uint16_t /*kind*/,
                                                   std::span<const uint8_t> /*parameters*/,
                                                   uint64_t /*now_ms*/) {
    return std::nullopt;
  }

  // Whether `requester` (what its verified certificate says) may have the diagnostics that
  // `request` asks for with `message_code` (PingReq or PathTrackReq). Default: every certified
  // member of the overlay (IsCertifiedMember).
  virtual bool Permits(const SignerInfo& requester, uint16_t /*message_code*/,
                       const wire::DiagnosticsRequest& /*request*/) {
    return IsCertifiedMember(requester);
  }

  // A request reaches the node only with a signature that verified against a certificate the
  // enrollment server issued (RFC 6940 §6.3.4); membership is a Node-ID in that certificate.
  static bool IsCertifiedMember(const SignerInfo& requester) { return !requester.node_id.empty(); }
};

// The responder: checks a diagnostics request (expiration, permission), gathers the requested
// kinds and builds the answer. Keeps the little state the answers need: message counts per
// code. The storage census (INSTANCES_STORED, DATASIZE_STORED) is the node's
// (Node::StorageCensus).
class DiagnosticsResponder {
 public:
  // `counters` (diagnostics_answered, diagnostics_refused) must outlive the responder.
  explicit DiagnosticsResponder(NodeCounters* counters) : counters_(counters) {}

  void set_provider(DiagnosticsProvider* provider) { provider_ = provider; }

  // MESSAGES_SENT_RCVD: a message of `code` left on / arrived on a link.
  void CountSent(uint16_t code) { Count(code, 0); }
  void CountReceived(uint16_t code) { Count(code, 1); }

  // A PingReq for this node: when it carries a Diagnostic_Ping extension, fills `*extension`
  // with the answer's Diagnostic_Ping extension and returns true; false (nothing to add) for a
  // plain Ping. A refused or expired request is an error status carrying the RELOAD error
  // code in the "reload-error" payload (Node answers it as the topology's errors are).
  absl::StatusOr<bool> AnswerPing(const Node& node, const SignerInfo& requester,
                                  const wire::Message& request, uint64_t now_ms,
                                  wire::MessageExtension* extension);

  // A PathTrackReq for this node: next_hop is this node when it is (or is responsible for) the
  // destination, else the peer it would forward a message for the destination to (the same
  // choice Node's routing makes, so the path matches a RouteQuery's).
  absl::Status AnswerPathTrack(const Node& node, const SignerInfo& requester, uint8_t ttl,
                               const wire::PathTrackReq& request, uint64_t now_ms,
                               wire::Body* answer);

  // The answer to a Diagnose request as the application gets it: the Diagnostic_Ping
  // extension's contents of a PingAns (an encoded DiagnosticsResponse). A responder that does
  // not implement RFC 7851 ignores the non-critical extension: that is kUnimplemented.
  static absl::Status TakeDiagnosticPingAnswer(const wire::MessageContents& answer,
                                               std::vector<uint8_t>* body);

  // Bytes of state held (mostly the stored Resource-IDs), for Node::MemoryBytes.
  size_t MemoryBytes() const;

 private:
  // Checks and fills a response for `request` received with `ttl`.
  absl::StatusOr<wire::DiagnosticsResponse> Respond(const Node& node, const SignerInfo& requester,
                                                    uint16_t code,
                                                    const wire::DiagnosticsRequest& request,
                                                    uint8_t ttl, uint64_t now_ms);
  // A kind the core knows, or nullopt. The storage census runs at most once per response
  // (`*census_done`).
  std::optional<wire::DiagnosticInfo> CoreInfo(const Node& node, uint16_t kind, uint64_t now_ms,
                                               bool* census_done);
  // Counts the values held per kind (instances_) and their bytes (datasize_).
  void Census(const Node& node, uint64_t now_ms);
  void Count(uint16_t code, int direction);

  NodeCounters* counters_;
  DiagnosticsProvider* provider_ = nullptr;
  // [slot][0 = sent, 1 = received]; slot = message code 0x01..0x28, error (0xFFFF) in slot 0.
  std::array<std::array<uint64_t, 2>, 0x29> messages_{};
  // The last census, valid while one response is built.
  std::vector<wire::KindInstances> instances_;
  uint64_t datasize_ = 0;
};

// Builds the DiagnosticsRequest of a request originated at `now_ms` (ms since 1970). Kinds up to
// 0x3F in `extension_kinds` are asked through dMFlags (§5.1: they must not be extensions).
wire::DiagnosticsRequest MakeDiagnosticsRequest(uint64_t now_ms, uint64_t dm_flags,
                                                std::span<const uint16_t> extension_kinds);

// Readers of Outbox::Result bodies for the client tool.
// Node::PathTrack: the PathTrackAns.
absl::StatusOr<wire::PathTrackAns> DecodePathTrackAnswer(std::span<const uint8_t> body);
// Node::Diagnose: the responder's DiagnosticsResponse.
absl::StatusOr<wire::DiagnosticsResponse> DecodeDiagnosticPingAnswer(std::span<const uint8_t> body);

}  // namespace p2psip::core

#endif  // P2PSIP_CORE_DIAGNOSTICS_H_

// Node: one RELOAD node (peer or client) as a sans-I/O state machine.
//
// It composes the message layer (forwarding per RFC 6940 §6.1–§6.2 with symmetric recursive
// routing, end-to-end transactions, duplicate answers) with a Topology plug-in
// (CHORD-RELOAD). Every entry point takes the current time and appends its effects to an
// Outbox; nothing here blocks, allocates threads or reads a clock.
//
// In p2psipd the pieces live on different threads (DESIGN.md §1); in tests and the simulator a
// Node holds them all.
#ifndef P2PSIP_CORE_NODE_H_
#define P2PSIP_CORE_NODE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "p2psip/core/chord_table.h"
#include "p2psip/core/environment.h"
#include "p2psip/core/storage/access_control.h"
#include "p2psip/core/storage/kinds.h"
#include "p2psip/core/storage/storage_shard.h"
#include "p2psip/core/topology.h"
#include "p2psip/core/transactions.h"
#include "p2psip/wire/body.h"
#include "p2psip/wire/diagnostics.h"
#include "p2psip/wire/fragmentation.h"
#include "p2psip/wire/ip_address_port.h"

namespace p2psip::core {

class DiagnosticsProvider;
class DiagnosticsResponder;
struct NodeCounters;
class LinkTable;
class StorageService;

// What storage needs from its node (storage_service.h).
class StorageHost {
 public:
  virtual ~StorageHost() = default;
  virtual const Topology& topology() const = 0;
  virtual Signer& signer() = 0;
  // Sends a replica Store to `peer`, carrying `certificates` (those of the values' signers);
  // its outcome comes back to the storage service.
  virtual void SendReplica(const NodeId& peer, const wire::StoreReq& request,
                           std::span<const wire::GenericCertificate> certificates, uint64_t now_ms,
                           Outbox* out) = 0;
};

struct NodeConfig {
  NodeId id;
  std::string overlay_name = "overlay.example.org";
  uint16_t configuration_sequence = 1;
  wire::IpAddressPort address;                 // where other nodes reach this one
  std::vector<wire::IpAddressPort> bootstrap;  // bootstrap nodes (may include this node)
  bool first_node = false;  // allowed to own the whole ring when alone (§6.4.2.1)
  bool client = false;      // attach to a peer, never join the ring
  // A client that only makes requests (a command-line tool): it sends everything through the
  // bootstrap peer it linked to first instead of attaching to the peer responsible for its
  // Node-ID (RFC 6940 §3.2.1). Nothing addressed to its Node-ID can reach it then.
  bool client_through_bootstrap = false;
  uint8_t initial_ttl = 100;
  size_t max_message_size = 5000;
  uint64_t reliability_timer_ms = 3000;  // overlay-reliability-timer
  uint64_t update_interval_ms = 600000;  // chord-update-interval
  uint64_t finger_refresh_ms = 3600000;  // chord-ping-interval
  bool reactive = true;                  // chord-reactive
  // Partition detection (§10.7.4.4): how often to Ping our own Node-ID through a bootstrap
  // node (0 = never).
  uint64_t partition_check_ms = 3600000;
  uint64_t link_wait_ms = 10000;  // AttachAns received, link not up: give up after
  // Where this node accepts RELOAD over TLS/TCP (RFC 6940 TLS-TCP-FH-NO-ICE), offered as a
  // second candidate in its Attach; port 0: not offered (DTLS over UDP at `address` only).
  wire::IpAddressPort tls_address;
  // Given candidates of both kinds, link over TLS/TCP rather than DTLS/UDP.
  bool prefer_tls = false;
  ChordTable::Options chord;
  // Storage (§7): the kinds this overlay stores (null: the built-in kinds with their default
  // limits), how many shards split the Resource-IDs, and the successor replacement hold-down
  // before lost copies are re-created (§10.4, digest §6: 30 s).
  std::shared_ptr<const storage::KindRegistry> kinds;
  // RFC 7904 §3.3 (<sip:domain-restriction>): the AORs whose SIP-REGISTRATIONs this overlay
  // stores, checked against the user name of each value's signer (null: any domain).
  std::shared_ptr<const storage::DomainRestriction> sip_domain_restriction;
  size_t storage_shards = 1;
  uint64_t replica_holddown_ms = 30000;
  // A Resource-ID this peer no longer holds is deleted once its neighbour set has not changed
  // for this long (the view after a failure can be wrong until the dead peer is noticed).
  uint64_t drop_delay_ms = 60000;
  // Transaction ids this node originates have (id & transaction_tag_mask) == transaction_tag,
  // the rest random: when a node is split into parts (InboundDispatcher), the tag names the
  // part that sent a request, so that its answer can be handed to it. 0/0: all bits random.
  uint64_t transaction_tag_mask = 0;
  uint64_t transaction_tag = 0;
};

// When one node's work is split across parts, each running its own Node with the same Node-ID
// (p2psipd's runtime: the control thread's Node runs the overlay algorithm, each worker's Node
// a storage shard; DESIGN.md §1), the dispatcher says which part handles a message that is for
// this node. A Node that receives such a message for another part does not decode it: it puts
// it in Outbox::handoffs, and the runtime gives it to that part's OnHandedOff.
class InboundDispatcher {
 public:
  static constexpr uint32_t kThisPart = UINT32_MAX;
  virtual ~InboundDispatcher() = default;
  // `code` is the message code, `transaction_id` the header's, `contents` the MessageContents
  // bytes that follow the forwarding header (unparsed, possibly malformed). Returns kThisPart
  // or the part that handles it.
  virtual uint32_t PartFor(uint16_t code, uint64_t transaction_id,
                           std::span<const uint8_t> contents) const = 0;
};

// Makes the node's Topology (default: CHORD-RELOAD). `host` and `counters` are the node's.
using TopologyFactory = std::function<std::unique_ptr<Topology>(
    const NodeConfig& config, TopologyHost* host, NodeCounters* counters)>;

// A ConfigUpdate (RFC 6940 §6.5.4, §11.1; digest §9.4) is decided by the configuration layer
// (src/config checks the document, its signatures, the sequence and the signers: the core
// cannot parse XML) and carried out by the node: a new sequence number on everything it sends,
// the kinds now in force, the data of dropped kinds deleted, or leaving the overlay.
struct ConfigurationDecision {
  enum class Verdict : uint8_t { kAdopt, kReject, kLeave };
  Verdict verdict = Verdict::kReject;
  wire::ErrorCode error = wire::ErrorCode::kForbidden;  // kReject: the error answered
  std::string reason;                                   // kReject, kLeave: why
  uint16_t sequence = 0;                                // kAdopt: the new configuration sequence
  std::shared_ptr<const storage::KindRegistry> kinds;   // kAdopt: the kinds now (null: unchanged)
  std::vector<uint32_t> dropped_kinds;                  // kAdopt: deleted with their data
};

class ConfigurationAuthority {
 public:
  virtual ~ConfigurationAuthority() = default;
  virtual ConfigurationDecision OnConfigUpdate(const wire::ConfigUpdateReq& request) = 0;
};

// Per-node counters of what the node did and what it dropped.
struct NodeCounters {
  uint64_t received = 0;
  uint64_t forwarded = 0;
  uint64_t delivered_requests = 0;
  uint64_t delivered_answers = 0;
  uint64_t sent_requests = 0;
  uint64_t retransmissions = 0;
  uint64_t duplicate_requests = 0;  // answered from the duplicate cache
  uint64_t error_answers_sent = 0;
  uint64_t dropped_malformed = 0;  // header, body or signature did not parse/verify
  uint64_t dropped_wrong_overlay = 0;
  uint64_t dropped_unroutable = 0;   // no next hop, compressed/opaque ids we never issued
  uint64_t dropped_late_answer = 0;  // answer to no pending transaction
  // Fragments (RFC 6940 §6.7) addressed to this node, messages reassembled from them, and
  // fragments dropped by the reassembler (malformed, too large, out of buffers).
  uint64_t fragments_received = 0;
  uint64_t reassembled = 0;
  uint64_t fragments_dropped = 0;
  uint64_t maintenance_sent = 0;     // Update/Attach/Join/Leave/Ping sent by the topology
  uint64_t partitions_detected = 0;  // partition checks answered by another ring
  // Storage.
  uint64_t stores_applied = 0;         // Store requests applied (originals and replicas)
  uint64_t storage_errors = 0;         // Store/Fetch/Stat/Find answered with an error
  uint64_t bad_value_signatures = 0;   // stored values whose signature did not verify
  uint64_t bad_fetched_values = 0;     // FetchAns refused: a value's signature did not verify
  uint64_t replica_stores_sent = 0;    // copies sent to successors and new holders
  uint64_t replica_stores_failed = 0;  // of those: error answer or timeout
  uint64_t resources_dropped = 0;      // Resource-IDs handed on to closer peers and forgotten
  // Configuration.
  uint64_t config_updates_adopted = 0;
  uint64_t config_updates_rejected = 0;  // answered with an error (stale, unsigned, forbidden...)
  // Diagnostics (RFC 7851): PathTrack and Diagnostic_Ping answered, and refused with
  // Error_Forbidden because the provider did not permit the requester.
  uint64_t diagnostics_answered = 0;
  uint64_t diagnostics_refused = 0;
};

class Node : private TopologyHost, private StorageHost {
 public:
  // `signer` and `random` must outlive the node. `topology` makes its Topology (default:
  // ChordTopology).
  Node(NodeConfig config, Signer* signer, Random* random, const TopologyFactory& topology = {});
  ~Node() override;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // --- Events ---
  void Start(uint64_t now_ms, Outbox* out);
  void OnLinkUp(LinkId link, const NodeId& peer, uint64_t now_ms, Outbox* out);
  void OnLinkDown(LinkId link, uint64_t now_ms, Outbox* out);
  void OnMessage(LinkId link, std::span<const uint8_t> bytes, uint64_t now_ms, Outbox* out);
  // A message another part of this node handed over (InboundDispatcher): routed again here.
  // `link` may be kNoLink (a message one of the parts originated for the node itself).
  void OnHandedOff(LinkId link, std::span<const uint8_t> bytes, uint64_t now_ms, Outbox* out);
  // The topology changed without an event here (a SnapshotTopology was given a new snapshot):
  // storage looks at the neighbour set again.
  void OnTopologyChange(uint64_t now_ms);
  // Runs everything due at `now_ms`; call when now_ms >= NextDeadline().
  void OnTimer(uint64_t now_ms, Outbox* out);
  uint64_t NextDeadline() const;

  // --- Application requests: each returns a request id echoed in its Outbox::Result ---
  uint64_t Ping(const wire::Destination& destination, uint64_t now_ms, Outbox* out);
  // RouteQuery to a Resource-ID: the responsible peer answers with itself as next_peer.
  uint64_t RouteQuery(const ResourceId& resource, uint64_t now_ms, Outbox* out);
  // Any request, addressed to `destinations` (used by tests and the client tool).
  uint64_t Request(std::vector<wire::Destination> destinations, uint16_t code,
                   const wire::Body& body, uint64_t now_ms, Outbox* out);
  // Stores `values` of `kind` at `resource` (§7.4.1), each signed here by this node's Signer; a
  // value with storage_time 0 gets now_ms (which must then be the wall clock, ms since 1970).
  // Generation counter 0: no check. The result's body is a StoreAns.
  uint64_t Store(const ResourceId& resource, uint32_t kind, std::vector<wire::StoredData> values,
                 uint64_t now_ms, Outbox* out);
  // Fetches from the peer responsible for `resource` (§7.4.2); the result's body is a FetchAns
  // whose values' signatures have been verified (a value that does not verify fails the
  // request with PermissionDenied). `via`: peers the request is source-routed through first
  // (a client's peer, a trace), in order.
  uint64_t Fetch(const ResourceId& resource, std::vector<wire::StoredDataSpecifier> specifiers,
                 uint64_t now_ms, Outbox* out, std::span<const NodeId> via = {});
  // RFC 7851 PathTrack: asks the node at the end of `path_to_asked` (source-routed through the
  // ones before it; empty = this node) for its next hop toward `target` and the diagnostics
  // `dm_flags` selects. The result's body is a PathTrackAns (DecodePathTrackAnswer); its
  // next_hop equals the asked node when that node is responsible for the target. A trace
  // iterates, appending each next_hop to the path.
  uint64_t PathTrack(const wire::Destination& target, std::vector<wire::Destination> path_to_asked,
                     uint64_t dm_flags, uint64_t now_ms, Outbox* out);
  // RFC 7851 Diagnostic_Ping: a Ping to `destinations` asking for the kinds `dm_flags` selects
  // and `extension_kinds` (local-use kinds such as kDiagP2psipNodeStats). The result's body is
  // the responder's DiagnosticsResponse (DecodeDiagnosticPingAnswer); a responder without
  // RFC 7851 support fails it with kUnimplemented.
  uint64_t Diagnose(std::vector<wire::Destination> destinations, uint64_t dm_flags,
                    std::vector<uint16_t> extension_kinds, uint64_t now_ms, Outbox* out);
  // Hands the stored data to the neighbours that become its holders, then leaves the ring.
  void Leave(uint64_t now_ms, Outbox* out);
  // Only the first half of Leave: hands the stored data over (for a node split into parts,
  // each part hands over its own before the one with the topology leaves).
  void HandOff(uint64_t now_ms, Outbox* out);
  // Carries out a configuration another part adopted (the part that got the ConfigUpdate).
  void ApplyConfiguration(const ConfigurationDecision& decision) { Adopt(decision); }

  // Where ConfigUpdate requests go (not owned; null: they are refused with Error_Forbidden).
  void SetConfigurationAuthority(ConfigurationAuthority* authority) { authority_ = authority; }
  // What the runtime adds to RFC 7851 diagnostics and who may have them (diagnostics.h; not
  // owned; null: the core's kinds only, every certified requester permitted).
  void SetDiagnosticsProvider(DiagnosticsProvider* provider);
  // Where messages for another part go (not owned; null: this Node handles everything).
  void SetDispatcher(const InboundDispatcher* dispatcher) { dispatcher_ = dispatcher; }

  // --- Introspection ---
  const NodeId& id() const { return config_.id; }
  RingId ring_id() const { return ring_id_; }
  bool joined() const;
  const Topology& topology() const override { return *topology_; }
  const ChordTable* chord_table() const;  // null unless the topology is CHORD-RELOAD
  // For other parts of a split node (routing_snapshot.h): changes whenever a snapshot would
  // differ; writes the routing state (false if the topology cannot be snapshotted).
  uint64_t routing_version() const { return topology_->routing_version(); }
  bool FillRoutingSnapshot(RoutingSnapshot* snapshot) const {
    return topology_->FillSnapshot(snapshot);
  }
  const LinkTable& links() const override;
  const NodeCounters& counters() const { return counters_; }
  const NodeConfig& config() const { return config_; }
  const storage::KindRegistry& kinds() const { return *kinds_; }
  // What this node itself holds (originals and replicas), read without the network.
  storage::StorageResult<wire::FetchAns> FetchLocal(const wire::FetchReq& request,
                                                    uint64_t now_ms) const;
  size_t stored_values() const;
  size_t stored_resources() const;
  // Values held per kind (ascending kind) and the bytes of their data: RFC 7851
  // INSTANCES_STORED and DATASIZE_STORED.
  void StorageCensus(uint64_t now_ms, std::vector<wire::KindInstances>* instances,
                     uint64_t* bytes) const;
  // Signers' certificates retained for the values held.
  size_t stored_certificates() const;
  // Requests this node sent that await an answer.
  size_t pending_requests() const { return pending_.size(); }
  size_t MemoryBytes() const;

 private:
  struct Inbound;
  struct PendingRequest {
    enum class Owner : uint8_t { kApplication, kTopology, kStorage } owner;
    uint64_t id = 0;               // application request id or topology cookie
    bool diagnostic_ping = false;  // Diagnose: the result is the Diagnostic_Ping answer
  };

  // TopologyHost
  const NodeId& self() const override { return config_.id; }
  const wire::IpAddressPort& address() const override { return config_.address; }
  Random& random() override { return *random_; }
  void SendRequest(std::vector<wire::Destination> destinations, uint16_t code,
                   const wire::Body& body, uint64_t cookie, uint64_t now_ms, Outbox* out) override;
  void Connect(const NodeId& peer, const wire::IpAddressPort& address, Outbox* out,
               uint8_t link_type = 0) override;
  void CloseLink(LinkId link, Outbox* out) override;

  // StorageHost (topology() is the public accessor above)
  Signer& signer() override { return *signer_; }
  void SendReplica(const NodeId& peer, const wire::StoreReq& request,
                   std::span<const wire::GenericCertificate> certificates, uint64_t now_ms,
                   Outbox* out) override;
  // After every event: storage notices neighbour changes.
  void AfterEvent(uint64_t now_ms);

  // Message layer.
  // `certificates` travel in the security block beside this node's own (stored values'
  // signers' certificates, §6.3.4).
  uint64_t Originate(std::vector<wire::Destination> destinations, uint16_t code,
                     const wire::Body& body, PendingRequest pending, uint64_t now_ms, Outbox* out,
                     std::span<const wire::GenericCertificate> certificates = {},
                     std::vector<wire::MessageExtension> extensions = {});
  std::vector<uint8_t> Encode(const wire::ForwardingHeader& header,
                              const wire::MessageContents& contents,
                              std::span<const wire::GenericCertificate> certificates = {});
  // Sends an encoded message toward the first entry of its destination list.
  void Route(std::span<const uint8_t> message, LinkId arrived_on, uint64_t now_ms, Outbox* out);
  void DeliverLocally(LinkId link, std::span<const uint8_t> bytes, uint64_t now_ms, Outbox* out);
  // A fragment for this node: into the reassembler; the whole message, once complete, is
  // routed as if it had arrived so (it is for this node, or for another part of it).
  void Reassemble(LinkId link, std::span<const uint8_t> fragment, uint64_t now_ms, Outbox* out);
  void HandleRequest(const Inbound& in, uint64_t now_ms, Outbox* out);
  void HandleAnswer(const Inbound& in, uint64_t now_ms, Outbox* out);
  // Carries out an adopted configuration: sequence, kinds, dropped kinds' data.
  void Adopt(const ConfigurationDecision& decision);
  // The FetchAns `body` answered a Fetch of `resource`: every existing value must verify with
  // the certificates the answer carried (RFC 6940 §7.1, §6.3.4).
  absl::Status VerifyFetched(const ResourceId& resource, std::span<const uint8_t> body,
                             std::span<const wire::GenericCertificate> certificates);
  void Answer(const Inbound& in, const wire::MessageContents& contents, Outbox* out,
              std::span<const wire::GenericCertificate> certificates = {});
  void AnswerError(const Inbound& in, wire::ErrorCode code, std::string_view why, Outbox* out);
  void AnswerError(const Inbound& in, wire::ErrorResponse error, Outbox* out);
  // An error answer built from the forwarding header alone (TTL exceeded, unroutable...).
  void AnswerErrorFromHeader(LinkId link, std::span<const uint8_t> bytes, wire::ErrorCode code,
                             std::string_view why, Outbox* out);
  void Complete(const PendingRequest& pending, absl::Status status, const NodeId& responder,
                int hops, uint16_t answer_code, std::vector<uint8_t> body, uint64_t now_ms,
                Outbox* out);
  NodeId PeerOf(LinkId link) const;

  NodeConfig config_;
  RingId ring_id_;
  uint32_t overlay_hash_;
  Signer* signer_;
  Random* random_;
  std::unique_ptr<LinkTable> links_;
  std::unique_ptr<Topology> topology_;
  std::shared_ptr<const storage::KindRegistry> kinds_;
  wire::WireContext wire_context_;  // knows the kinds' data models
  ConfigurationAuthority* authority_ = nullptr;
  const InboundDispatcher* dispatcher_ = nullptr;
  std::unique_ptr<StorageService> storage_;
  TransactionTable transactions_;
  wire::Reassembler reassembler_;
  DuplicateCache duplicates_;
  absl::flat_hash_map<uint64_t, PendingRequest> pending_;  // txid -> owner
  // txid -> Resource-ID of an application Fetch: its answer's values are verified.
  absl::flat_hash_map<uint64_t, ResourceId> fetches_;
  std::unique_ptr<DiagnosticsResponder> diagnostics_;
  uint64_t next_request_id_ = 1;
  NodeCounters counters_;
};

}  // namespace p2psip::core

#endif  // P2PSIP_CORE_NODE_H_

#include "p2psip/core/node.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/chord_topology.h"
#include "core/link_table.h"
#include "core/storage_service.h"
#include "p2psip/buffer_pool.h"
#include "p2psip/core/diagnostics.h"
#include "p2psip/core/routing_snapshot.h"
#include "p2psip/wire/codec.h"
#include "p2psip/wire/forwarding_view.h"
#include "p2psip/wire/hashes.h"
#include "p2psip/wire/stored_data.h"

namespace p2psip::core {

using wire::Destination;
using wire::DestinationType;
using wire::ErrorCode;
using wire::MessageCode;

namespace {

// Room in front of a received message for the Via entries a forwarder appends in place.
constexpr size_t kHeadroom = 64;

uint16_t CodeAfterHeader(const wire::ForwardingView& v) {
  const size_t at = v.header_size();
  if (at + 2 > v.size()) return 0;
  return static_cast<uint16_t>((v.data()[at] << 8) | v.data()[at + 1]);
}

// Whether the Via List (bytes) holds a node entry equal to `id`.
bool ViaContains(std::span<const uint8_t> via, const NodeId& id) {
  size_t i = 0;
  while (i + 2 <= via.size()) {
    if (via[i] & 0x80) {
      i += 2;
      continue;
    }
    const size_t len = via[i + 1];
    if (via[i] == 1 && len == id.size() && i + 2 + len <= via.size() &&
        std::memcmp(via.data() + i + 2, id.bytes().data(), len) == 0) {
      return true;
    }
    i += 2 + len;
  }
  return false;
}

// An unknown forwarding option with `flag` set (this node knows no option types yet).
bool HasCriticalOption(std::span<const uint8_t> options, uint8_t flag) {
  size_t i = 0;
  while (i + 4 <= options.size()) {
    if (options[i + 1] & flag) return true;
    i += 4 + ((options[i + 2] << 8) | options[i + 3]);
  }
  return false;
}

}  // namespace

struct Node::Inbound {
  LinkId link = kNoLink;
  wire::Message message;
  NodeId origin;      // verified signer
  SignerInfo signer;  // what its certificate says
  NodeId prev_hop;
  uint64_t now_ms = 0;  // when it arrived
};

Node::Node(NodeConfig config, Signer* signer, Random* random, const TopologyFactory& topology)
    : config_(std::move(config)),
      ring_id_(RingId::Of(config_.id)),
      overlay_hash_(wire::OverlayHash(config_.overlay_name)),
      signer_(signer),
      random_(random),
      links_(std::make_unique<LinkTable>()),
      transactions_(TransactionTable::Options{.retransmit_ms = config_.reliability_timer_ms}),
      reassembler_(wire::ReassemblyLimits{.max_message_size = config_.max_message_size}) {
  topology_ = topology ? topology(config_, static_cast<TopologyHost*>(this), &counters_)
                       : std::make_unique<ChordTopology>(config_, static_cast<TopologyHost*>(this),
                                                         &counters_);
  kinds_ =
      config_.kinds != nullptr
          ? config_.kinds
          : std::make_shared<const storage::KindRegistry>(storage::KindRegistry::WithBuiltins());
  wire_context_ = kinds_->Context(static_cast<uint8_t>(config_.id.size()));
  storage_ = std::make_unique<StorageService>(config_, kinds_.get(),
                                              static_cast<StorageHost*>(this), &counters_);
  diagnostics_ = std::make_unique<DiagnosticsResponder>(&counters_);
}

Node::~Node() = default;

const LinkTable& Node::links() const { return *links_; }
void Node::SetDiagnosticsProvider(DiagnosticsProvider* provider) {
  diagnostics_->set_provider(provider);
}
bool Node::joined() const { return topology_->joined(); }

const ChordTable* Node::chord_table() const {
  if (const auto* chord = dynamic_cast<const ChordTopology*>(topology_.get())) {
    return &chord->table();
  }
  if (const auto* copy = dynamic_cast<const SnapshotTopology*>(topology_.get())) {
    return copy->snapshot() != nullptr ? &copy->snapshot()->table : nullptr;
  }
  return nullptr;
}

size_t Node::stored_values() const { return storage_->value_count(); }
size_t Node::stored_resources() const { return storage_->resource_count(); }
void Node::StorageCensus(uint64_t now_ms, std::vector<wire::KindInstances>* instances,
                         uint64_t* bytes) const {
  storage_->Census(now_ms, instances, bytes);
}
size_t Node::stored_certificates() const { return storage_->certificate_count(); }

storage::StorageResult<wire::FetchAns> Node::FetchLocal(const wire::FetchReq& request,
                                                        uint64_t now_ms) const {
  return storage_->FetchLocal(request, now_ms);
}

size_t Node::MemoryBytes() const {
  return sizeof(*this) + links_->MemoryBytes() + topology_->MemoryBytes() +
         storage_->MemoryBytes() + diagnostics_->MemoryBytes() +
         pending_.capacity() * (sizeof(uint64_t) + sizeof(PendingRequest) + 1) +
         transactions_.size() * 256 + duplicates_.size() * 128;
}

NodeId Node::PeerOf(LinkId link) const {
  const LinkTable::Link* l = links_->Find(link);
  return l != nullptr ? l->peer : NodeId();
}

// --- Events ---

void Node::Start(uint64_t now_ms, Outbox* out) { topology_->Start(now_ms, out); }

void Node::OnLinkUp(LinkId link, const NodeId& peer, uint64_t now_ms, Outbox* out) {
  links_->Add(link, peer);
  topology_->OnLinkUp(link, peer, now_ms, out);
  AfterEvent(now_ms);
}

void Node::OnLinkDown(LinkId link, uint64_t now_ms, Outbox* out) {
  auto peer = links_->Remove(link);
  if (peer) topology_->OnLinkDown(link, *peer, now_ms, out);
  AfterEvent(now_ms);
}

void Node::AfterEvent(uint64_t now_ms) { storage_->CheckNeighbours(now_ms); }

void Node::OnTimer(uint64_t now_ms, Outbox* out) {
  TransactionTable::Expired expired;
  transactions_.Poll(now_ms, &expired);
  // Copy before routing: a resend delivered locally can start or finish transactions, which
  // would invalidate the table's pointers.
  std::vector<std::vector<uint8_t>> resend;
  resend.reserve(expired.resend.size());
  for (const TransactionTable::Pending* p : expired.resend) resend.push_back(p->message);
  for (std::vector<uint8_t>& message : resend) {
    ++counters_.retransmissions;
    Route(message, kNoLink, now_ms, out);
  }
  for (TransactionTable::Pending& f : expired.failed) {
    auto it = pending_.find(f.txid);
    if (it == pending_.end()) continue;
    const PendingRequest pr = it->second;
    pending_.erase(it);
    fetches_.erase(f.txid);
    Complete(pr,
             absl::DeadlineExceededError(
                 absl::StrCat("no answer after ", f.transmissions, " transmissions")),
             NodeId(), 0, 0, {}, now_ms, out);
  }
  duplicates_.Expire(now_ms);
  if (pending_.empty() && pending_.capacity() > 16) pending_ = {};  // shed the join burst
  if (topology_->NextDeadline() <= now_ms) topology_->OnTimer(now_ms, out);
  AfterEvent(now_ms);
  if (storage_->NextDeadline() <= now_ms) storage_->OnTimer(now_ms, out);
}

uint64_t Node::NextDeadline() const {
  return std::min({transactions_.NextDeadline(), duplicates_.NextDeadline(),
                   topology_->NextDeadline(), storage_->NextDeadline()});
}

// --- Application requests ---

uint64_t Node::Request(std::vector<Destination> destinations, uint16_t code, const wire::Body& body,
                       uint64_t now_ms, Outbox* out) {
  const uint64_t id = next_request_id_++;
  Originate(std::move(destinations), code, body, {PendingRequest::Owner::kApplication, id}, now_ms,
            out);
  return id;
}

uint64_t Node::Ping(const Destination& destination, uint64_t now_ms, Outbox* out) {
  return Request({destination}, static_cast<uint16_t>(MessageCode::kPingReq), wire::PingReq{},
                 now_ms, out);
}

uint64_t Node::RouteQuery(const ResourceId& resource, uint64_t now_ms, Outbox* out) {
  wire::RouteQueryReq req;
  req.destination = Destination::Resource(resource);
  return Request({Destination::Resource(resource)},
                 static_cast<uint16_t>(MessageCode::kRouteQueryReq), req, now_ms, out);
}

uint64_t Node::Store(const ResourceId& resource, uint32_t kind,
                     std::vector<wire::StoredData> values, uint64_t now_ms, Outbox* out) {
  wire::StoreReq req;
  req.resource = resource;
  req.replica_number = 0;
  wire::StoreKindData kd;
  kd.kind = kind;
  std::vector<uint8_t> input;
  for (wire::StoredData& sd : values) {
    if (sd.storage_time == 0) sd.storage_time = now_ms;
    wire::StoredDataSignatureInput(resource.bytes(), kind, sd.storage_time, sd.value, &input);
    sd.signature = signer_->Sign(input);
  }
  kd.values = std::move(values);
  req.kind_data.push_back(std::move(kd));
  return Request({Destination::Resource(resource)}, static_cast<uint16_t>(MessageCode::kStoreReq),
                 req, now_ms, out);
}

uint64_t Node::Fetch(const ResourceId& resource, std::vector<wire::StoredDataSpecifier> specifiers,
                     uint64_t now_ms, Outbox* out, std::span<const NodeId> via) {
  wire::FetchReq req;
  req.resource = resource;
  req.specifiers = std::move(specifiers);
  const uint64_t id = next_request_id_++;
  std::vector<Destination> destinations;
  for (const NodeId& peer : via) destinations.push_back(Destination::Node(peer));
  destinations.push_back(Destination::Resource(resource));
  const uint64_t txid =
      Originate(std::move(destinations), static_cast<uint16_t>(MessageCode::kFetchReq), req,
                {PendingRequest::Owner::kApplication, id}, now_ms, out);
  if (pending_.contains(txid)) fetches_[txid] = resource;  // still in flight
  return id;
}

uint64_t Node::PathTrack(const Destination& target, std::vector<Destination> path_to_asked,
                         uint64_t dm_flags, uint64_t now_ms, Outbox* out) {
  if (path_to_asked.empty()) path_to_asked.push_back(Destination::Node(config_.id));
  return Request(std::move(path_to_asked), static_cast<uint16_t>(MessageCode::kPathTrackReq),
                 wire::PathTrackReq{target, MakeDiagnosticsRequest(now_ms, dm_flags, {})}, now_ms,
                 out);
}

uint64_t Node::Diagnose(std::vector<Destination> destinations, uint64_t dm_flags,
                        std::vector<uint16_t> extension_kinds, uint64_t now_ms, Outbox* out) {
  auto diag = wire::EncodeToBytes(MakeDiagnosticsRequest(now_ms, dm_flags, extension_kinds));
  const uint64_t id = next_request_id_++;
  std::vector<wire::MessageExtension> extensions;
  if (diag.ok()) extensions.push_back({wire::kExtensionDiagnosticPing, false, *std::move(diag)});
  // The answer may come back within Originate (a Diagnose of this node itself): the pending
  // entry, not a table filled afterwards, says what to make of it.
  Originate(std::move(destinations), static_cast<uint16_t>(MessageCode::kPingReq), wire::PingReq{},
            {PendingRequest::Owner::kApplication, id, /*diagnostic_ping=*/true}, now_ms, out, {},
            std::move(extensions));
  return id;
}

void Node::HandOff(uint64_t now_ms, Outbox* out) { storage_->HandOff(now_ms, out); }

void Node::Leave(uint64_t now_ms, Outbox* out) {
  storage_->HandOff(now_ms, out);
  topology_->Leave(now_ms, out);
}

void Node::SendReplica(const NodeId& peer, const wire::StoreReq& request,
                       std::span<const wire::GenericCertificate> certificates, uint64_t now_ms,
                       Outbox* out) {
  Originate({Destination::Node(peer)}, static_cast<uint16_t>(MessageCode::kStoreReq), request,
            {PendingRequest::Owner::kStorage, 0}, now_ms, out, certificates);
}

// --- Message layer ---

void Node::SendRequest(std::vector<Destination> destinations, uint16_t code, const wire::Body& body,
                       uint64_t cookie, uint64_t now_ms, Outbox* out) {
  ++counters_.maintenance_sent;
  Originate(std::move(destinations), code, body, {PendingRequest::Owner::kTopology, cookie}, now_ms,
            out);
}

void Node::Connect(const NodeId& peer, const wire::IpAddressPort& address, Outbox* out,
                   uint8_t link_type) {
  if (!peer.empty() && links_->LinkTo(peer) != kNoLink) return;
  out->connects.push_back({peer, address, link_type});
}

void Node::CloseLink(LinkId link, Outbox* out) { out->closes.push_back(link); }

std::vector<uint8_t> Node::Encode(const wire::ForwardingHeader& header,
                                  const wire::MessageContents& contents,
                                  std::span<const wire::GenericCertificate> certificates) {
  wire::Message m;
  m.header = header;
  m.contents = contents;
  auto contents_bytes = wire::EncodeToBytes(contents);
  if (!contents_bytes.ok()) return {};
  m.security.certificates = signer_->Certificates();
  for (const wire::GenericCertificate& c : certificates) {
    if (std::ranges::find(m.security.certificates, c) == m.security.certificates.end()) {
      m.security.certificates.push_back(c);
    }
  }
  m.security.signature = signer_->Sign(
      wire::MessageSignatureInput(overlay_hash_, header.transaction_id, *contents_bytes));
  auto bytes = wire::EncodeMessage(m);
  return bytes.ok() ? std::move(*bytes) : std::vector<uint8_t>{};
}

uint64_t Node::Originate(std::vector<Destination> destinations, uint16_t code,
                         const wire::Body& body, PendingRequest pending, uint64_t now_ms,
                         Outbox* out, std::span<const wire::GenericCertificate> certificates,
                         std::vector<wire::MessageExtension> extensions) {
  auto contents = wire::MakeContents(code, body);
  if (contents.ok()) contents->extensions = std::move(extensions);
  const auto tagged = [this](uint64_t r) {
    return (r & ~config_.transaction_tag_mask) |
           (config_.transaction_tag & config_.transaction_tag_mask);
  };
  uint64_t txid = tagged(random_->Next64());
  while (pending_.contains(txid)) txid = tagged(random_->Next64());
  if (!contents.ok() || destinations.empty()) {
    Complete(pending, absl::InvalidArgumentError("request does not encode"), NodeId(), 0, 0, {},
             now_ms, out);
    return txid;
  }
  wire::ForwardingHeader h;
  h.overlay = overlay_hash_;
  h.configuration_sequence = config_.configuration_sequence;
  h.ttl = config_.initial_ttl;
  h.transaction_id = txid;
  h.destination_list = std::move(destinations);
  std::vector<uint8_t> bytes = Encode(h, *contents, certificates);
  if (bytes.empty()) {
    Complete(pending, absl::InvalidArgumentError("request does not encode"), NodeId(), 0, 0, {},
             now_ms, out);
    return txid;
  }
  if (!transactions_.Begin(txid, pending.id, bytes, now_ms)) {
    Complete(pending, absl::ResourceExhaustedError("too many requests in flight"), NodeId(), 0, 0,
             {}, now_ms, out);
    return txid;
  }
  pending_[txid] = pending;
  ++counters_.sent_requests;
  Route(bytes, kNoLink, now_ms, out);
  return txid;
}

void Node::Route(std::span<const uint8_t> message, LinkId arrived_on, uint64_t now_ms,
                 Outbox* out) {
  // The one copy a hop makes: the message with headroom in front, so that Via entries are
  // appended in place; the same buffer then leaves in the Outbox.
  std::vector<uint8_t> buf = TakeBuffer();
  buf.resize(kHeadroom + message.size());
  std::memcpy(buf.data() + kHeadroom, message.data(), message.size());
  wire::ForwardingView v;
  if (wire::ForwardingView::Parse(buf.data() + kHeadroom, message.size(), &v) !=
      wire::ViewError::kOk) {
    ++counters_.dropped_malformed;
    return;
  }
  const std::span<const uint8_t> original = message;
  if (v.overlay() != overlay_hash_) {
    ++counters_.dropped_wrong_overlay;
    if (wire::IsRequest(CodeAfterHeader(v))) {
      AnswerErrorFromHeader(arrived_on, original, ErrorCode::kIncompatibleWithOverlay,
                            "overlay hash differs", out);
    }
    return;
  }
  // A fragment other than the first carries a slice of the body, not its message_code: this
  // hop cannot tell a request from an answer and forwards it as an answer (no Via entry, no
  // error answers); the offset-0 fragment's header is the one reassembly keeps.
  const bool fragment = v.fragment() != wire::kUnfragmented;
  const uint16_t code =
      fragment && (v.fragment() & wire::kFragmentOffsetMask) != 0 ? 0 : CodeAfterHeader(v);
  const bool request = wire::IsRequest(code);
  if (arrived_on != kNoLink && code != 0) diagnostics_->CountReceived(code);
  if (v.ttl() > config_.initial_ttl) {
    if (request) {
      AnswerErrorFromHeader(arrived_on, original, ErrorCode::kTtlExceeded, "TTL above initial-ttl",
                            out);
    }
    return;
  }
  for (int guard = 0; guard < 256; ++guard) {
    const wire::DestinationRef& first = v.first_destination();
    LinkId next = kNoLink;
    bool local = false;
    if (first.type == DestinationType::kNode) {
      const NodeId target(first.id);
      if (target == config_.id) {
        if (v.destination_list_length() == first.wire_size) {
          local = true;
        } else if (!v.PopFirstDestination()) {
          ++counters_.dropped_malformed;
          return;
        } else {
          continue;  // re-evaluate the next entry (§6.1.2)
        }
      } else if (target.IsWildcard()) {
        local = true;
      } else if ((next = links_->LinkTo(target)) == kNoLink) {
        const RingId ring = RingId::Of(target);
        if (topology_->IsResponsible(ring) && arrived_on != kNoLink) {
          // A Node-ID in my range that is not connected to me does not exist.
          if (request) {
            AnswerErrorFromHeader(arrived_on, original, ErrorCode::kNotFound, "no such node", out);
          }
          ++counters_.dropped_unroutable;
          return;
        }
        auto hop = topology_->NextHop(ring);
        if (hop) next = links_->LinkTo(*hop);
      }
    } else if (first.type == DestinationType::kResource) {
      const RingId ring = RingId::FromBytes(first.id);
      if (topology_->IsResponsible(ring)) {
        if (v.destination_list_length() != first.wire_size) {
          ++counters_.dropped_malformed;  // a Resource-ID must be the last entry
          return;
        }
        local = true;
      } else if (auto hop = topology_->NextHop(ring)) {
        next = links_->LinkTo(*hop);
      }
    } else {
      // Compressed and opaque ids: this node never issues them, so none can be valid here.
      ++counters_.dropped_unroutable;
      return;
    }
    if (local) {
      if (fragment) {
        Reassemble(arrived_on, {v.data(), v.size()}, now_ms, out);
        return;
      }
      if (dispatcher_ != nullptr) {
        const size_t at = v.header_size();
        const uint32_t part = dispatcher_->PartFor(
            code, v.transaction_id(),
            std::span<const uint8_t>(v.data(), v.size()).subspan(std::min(at, v.size())));
        if (part != InboundDispatcher::kThisPart) {
          out->handoffs.push_back(
              {part, arrived_on, std::vector<uint8_t>(original.begin(), original.end())});
          return;
        }
      }
      DeliverLocally(arrived_on, {v.data(), v.size()}, now_ms, out);
      return;
    }
    if (next == kNoLink) {
      ++counters_.dropped_unroutable;
      if (request && arrived_on != kNoLink) {
        AnswerErrorFromHeader(arrived_on, original, ErrorCode::kNotFound, "no route", out);
      }
      return;
    }
    if (arrived_on != kNoLink) {
      // Forwarding: TTL, loops, critical options, then append the previous hop (requests).
      if (request && HasCriticalOption(v.options(), wire::kFlagForwardCritical)) {
        AnswerErrorFromHeader(arrived_on, original, ErrorCode::kUnsupportedForwardingOption,
                              "unknown forward-critical option", out);
        return;
      }
      if (!v.DecrementTtl()) {
        if (request) {
          AnswerErrorFromHeader(arrived_on, original, ErrorCode::kTtlExceeded, "TTL is 0", out);
        }
        return;
      }
      if (request) {
        if (ViaContains(v.via_list(), config_.id)) {
          AnswerErrorFromHeader(arrived_on, original, ErrorCode::kLoopDetected,
                                "request passed this node before", out);
          return;
        }
        if (!v.AppendVia(PeerOf(arrived_on), static_cast<size_t>(v.data() - buf.data()))) {
          ++counters_.dropped_unroutable;
          return;
        }
      }
      ++counters_.forwarded;
    }
    // Drop the unused headroom in place (a move within the buffer, no new allocation).
    const size_t start = static_cast<size_t>(v.data() - buf.data());
    const size_t size = v.size();
    buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(start));
    buf.resize(size);
    diagnostics_->CountSent(code);
    out->sends.push_back({next, std::move(buf)});
    return;
  }
  ++counters_.dropped_malformed;  // more destination entries than any real list
}

void Node::Reassemble(LinkId link, std::span<const uint8_t> fragment, uint64_t now_ms,
                      Outbox* out) {
  ++counters_.fragments_received;
  std::vector<uint8_t> whole;
  switch (reassembler_.Add(fragment, now_ms, &whole)) {
    case wire::Reassembler::Result::kComplete:
      ++counters_.reassembled;
      Route(whole, link, now_ms, out);
      return;
    case wire::Reassembler::Result::kPending:
      return;
    case wire::Reassembler::Result::kDropped:
      ++counters_.fragments_dropped;
      return;
  }
}

void Node::OnMessage(LinkId link, std::span<const uint8_t> bytes, uint64_t now_ms, Outbox* out) {
  ++counters_.received;
  if (links_->Find(link) == nullptr || bytes.size() > config_.max_message_size) {
    ++counters_.dropped_malformed;
    return;
  }
  Route(bytes, link, now_ms, out);
  AfterEvent(now_ms);
}

void Node::OnHandedOff(LinkId link, std::span<const uint8_t> bytes, uint64_t now_ms, Outbox* out) {
  if ((link != kNoLink && links_->Find(link) == nullptr) ||
      bytes.size() > config_.max_message_size) {
    ++counters_.dropped_malformed;
    return;
  }
  Route(bytes, link, now_ms, out);
  AfterEvent(now_ms);
}

void Node::OnTopologyChange(uint64_t now_ms) { AfterEvent(now_ms); }

void Node::DeliverLocally(LinkId link, std::span<const uint8_t> bytes, uint64_t now_ms,
                          Outbox* out) {
  Inbound in;
  in.link = link;
  in.now_ms = now_ms;
  wire::DecodeError err;
  wire::MessageLayout layout;
  if (!wire::DecodeMessage(bytes, &in.message, &err, {},
                           {.max_message_size = config_.max_message_size}, &layout)) {
    ++counters_.dropped_malformed;
    return;
  }
  const auto input =
      wire::MessageSignatureInput(overlay_hash_, in.message.header.transaction_id,
                                  bytes.subspan(layout.contents_offset, layout.contents_size));
  auto signer =
      signer_->Verify(input, in.message.security.signature, in.message.security.certificates);
  if (!signer) {
    ++counters_.dropped_malformed;  // §6.3.4: drop silently
    return;
  }
  in.origin = signer->node_id;
  in.signer = *std::move(signer);
  in.prev_hop = link == kNoLink ? config_.id : PeerOf(link);
  if (wire::IsRequest(in.message.contents.message_code)) {
    HandleRequest(in, now_ms, out);
  } else {
    HandleAnswer(in, now_ms, out);
  }
}

void Node::HandleRequest(const Inbound& in, uint64_t now_ms, Outbox* out) {
  ++counters_.delivered_requests;
  const wire::Message& m = in.message;
  const uint64_t txid = m.header.transaction_id;
  const std::vector<wire::GenericCertificate>* cached_certificates = nullptr;
  if (const std::vector<uint8_t>* cached = duplicates_.Lookup(txid, now_ms, &cached_certificates)) {
    ++counters_.duplicate_requests;
    auto contents = wire::DecodeAs<wire::MessageContents>(*cached);
    if (contents.ok()) Answer(in, *contents, out, *cached_certificates);
    return;
  }
  const uint16_t seq = m.header.configuration_sequence;
  if (seq != config_.configuration_sequence &&
      !(seq == 0xFFFF &&
        m.contents.message_code == static_cast<uint16_t>(MessageCode::kConfigUpdateReq))) {
    const bool older = static_cast<int16_t>(seq - config_.configuration_sequence) < 0;
    AnswerError(in, older ? ErrorCode::kConfigTooOld : ErrorCode::kConfigTooNew,
                "configuration sequence differs", out);
    return;
  }
  for (const wire::MessageExtension& ext : m.contents.extensions) {
    if (ext.critical && ext.type != wire::kExtensionDiagnosticPing) {
      AnswerError(in, ErrorCode::kUnknownExtension, absl::StrCat("extension ", ext.type), out);
      return;
    }
  }
  for (const wire::ForwardingOption& opt : m.header.options) {
    if (opt.flags & wire::kFlagDestinationCritical) {
      AnswerError(in, ErrorCode::kUnsupportedForwardingOption, absl::StrCat("option ", opt.type),
                  out);
      return;
    }
  }
  wire::Body body;
  wire::DecodeError err;
  if (!wire::DecodeBody(m.contents.message_code, m.contents.body, &body, &err, wire_context_)) {
    AnswerError(in, ErrorCode::kInvalidMessage, err.ToString(), out);
    return;
  }
  wire::Body answer;
  std::vector<wire::GenericCertificate> carried;   // value signers' certificates (FetchAns)
  std::vector<wire::MessageExtension> extensions;  // of the answer (Diagnostic_Ping)
  absl::Status status;
  const auto code = static_cast<MessageCode>(m.contents.message_code);
  switch (code) {
    case MessageCode::kPingReq: {
      answer = wire::PingAns{random_->Next64(), now_ms};
      wire::MessageExtension diag;
      auto diagnosed = diagnostics_->AnswerPing(*this, in.signer, m, now_ms, &diag);
      status = diagnosed.status();
      if (diagnosed.ok() && *diagnosed) extensions.push_back(std::move(diag));
      break;
    }
    case MessageCode::kPathTrackReq:
      status = diagnostics_->AnswerPathTrack(*this, in.signer, m.header.ttl,
                                             std::get<wire::PathTrackReq>(body), now_ms, &answer);
      break;
    case MessageCode::kProbeReq:
    case MessageCode::kAttachReq:
    case MessageCode::kJoinReq:
    case MessageCode::kLeaveReq:
    case MessageCode::kUpdateReq:
    case MessageCode::kRouteQueryReq:
      status = topology_->HandleRequest(
          {m.contents.message_code, in.origin, in.link, &body, now_ms}, &answer, out);
      break;
    case MessageCode::kConfigUpdateReq: {
      if (authority_ == nullptr) {
        ++counters_.config_updates_rejected;
        AnswerError(in, ErrorCode::kForbidden, "this node takes no configuration updates", out);
        return;
      }
      const ConfigurationDecision decision =
          authority_->OnConfigUpdate(std::get<wire::ConfigUpdateReq>(body));
      if (decision.verdict == ConfigurationDecision::Verdict::kReject) {
        ++counters_.config_updates_rejected;
        AnswerError(in, decision.error, decision.reason, out);
        return;
      }
      answer = wire::ConfigUpdateAns{};
      if (decision.verdict == ConfigurationDecision::Verdict::kAdopt) {
        ++counters_.config_updates_adopted;
        Adopt(decision);
        break;
      }
      // §11.1: authentic, but this node cannot meet it: answer, then leave the overlay.
      auto contents =
          wire::MakeContents(static_cast<uint16_t>(MessageCode::kConfigUpdateAns), answer);
      if (contents.ok()) Answer(in, *contents, out);
      Leave(now_ms, out);
      return;
    }
    case MessageCode::kStoreReq:
    case MessageCode::kFetchReq:
    case MessageCode::kStatReq:
    case MessageCode::kFindReq: {
      auto result = storage_->Handle(m.contents.message_code, body, in.signer,
                                     m.security.certificates, now_ms, out, &carried);
      if (auto* error = std::get_if<storage::StorageError>(&result)) {
        AnswerError(in,
                    error->error_info.empty()
                        ? wire::ErrorResponse::WithText(error->code, error->reason)
                        : wire::ErrorResponse{static_cast<uint16_t>(error->code),
                                              std::move(error->error_info)},
                    out);
        return;
      }
      answer = std::get<wire::Body>(std::move(result));
      break;
    }
    default:
      AnswerError(
          in, ErrorCode::kForbidden,
          absl::StrCat(wire::MethodName(m.contents.message_code), " is not served by this node"),
          out);
      return;
  }
  if (!status.ok()) {
    // The topology encodes the RELOAD error code in the status payload "reload-error".
    auto payload = status.GetPayload("reload-error");
    int error_code = static_cast<int>(ErrorCode::kInvalidMessage);
    if (payload && !absl::SimpleAtoi(std::string(*payload), &error_code)) {
      error_code = static_cast<int>(ErrorCode::kInvalidMessage);
    }
    const auto ec = static_cast<ErrorCode>(error_code);
    AnswerError(in, ec, std::string(status.message()), out);
    return;
  }
  auto contents = wire::MakeContents(static_cast<uint16_t>(m.contents.message_code + 1), answer);
  if (!contents.ok()) return;
  contents->extensions = std::move(extensions);
  auto bytes = wire::EncodeToBytes(*contents);
  if (bytes.ok()) duplicates_.Insert(txid, std::move(*bytes), now_ms, carried);
  Answer(in, *contents, out, carried);
}

void Node::Answer(const Inbound& in, const wire::MessageContents& contents, Outbox* out,
                  std::span<const wire::GenericCertificate> certificates) {
  const wire::ForwardingHeader& req = in.message.header;
  wire::ForwardingHeader h;
  h.overlay = overlay_hash_;
  h.configuration_sequence = config_.configuration_sequence;
  h.ttl = config_.initial_ttl;
  h.transaction_id = req.transaction_id;
  // Symmetric recursive routing: the previous hop, then the Via List reversed (§6.2.2).
  if (in.link != kNoLink) h.destination_list.push_back(Destination::Node(in.prev_hop));
  for (auto it = req.via_list.rbegin(); it != req.via_list.rend(); ++it) {
    h.destination_list.push_back(*it);
  }
  if (h.destination_list.empty()) h.destination_list.push_back(Destination::Node(in.origin));
  for (const wire::ForwardingOption& opt : req.options) {
    if (opt.flags & wire::kFlagResponseCopy) h.options.push_back({opt.type, 0, opt.value});
  }
  std::vector<uint8_t> bytes = Encode(h, contents, certificates);
  if (bytes.empty()) return;
  if (req.max_response_length != 0 && bytes.size() > req.max_response_length &&
      contents.message_code != static_cast<uint16_t>(MessageCode::kError)) {
    AnswerError(in, ErrorCode::kResponseTooLarge, "answer exceeds max_response_length", out);
    return;
  }
  Route(bytes, kNoLink, in.now_ms, out);
}

void Node::AnswerError(const Inbound& in, ErrorCode code, std::string_view why, Outbox* out) {
  AnswerError(in, wire::ErrorResponse::WithText(code, why), out);
}

void Node::AnswerError(const Inbound& in, wire::ErrorResponse error, Outbox* out) {
  ++counters_.error_answers_sent;
  Answer(in, wire::MakeErrorContents(error), out);
}

void Node::AnswerErrorFromHeader(LinkId link, std::span<const uint8_t> bytes, ErrorCode code,
                                 std::string_view why, Outbox* out) {
  if (link == kNoLink) return;
  Inbound in;
  in.link = link;
  in.prev_hop = PeerOf(link);
  wire::DecodeError err;
  wire::ByteReader r(bytes, &err);
  if (!wire::Decode(r, &in.message.header)) {
    ++counters_.dropped_malformed;
    return;
  }
  in.origin = in.prev_hop;
  AnswerError(in, code, why, out);
}

void Node::HandleAnswer(const Inbound& in, uint64_t now_ms, Outbox* out) {
  const uint64_t txid = in.message.header.transaction_id;
  auto it = pending_.find(txid);
  if (it == pending_.end() || !transactions_.Complete(txid)) {
    ++counters_.dropped_late_answer;
    return;
  }
  ++counters_.delivered_answers;
  const PendingRequest pending = it->second;
  pending_.erase(it);
  const int hops = config_.initial_ttl - in.message.header.ttl;
  const wire::MessageContents& c = in.message.contents;
  absl::Status status;
  if (c.message_code == static_cast<uint16_t>(MessageCode::kError)) {
    auto e = wire::DecodeAs<wire::ErrorResponse>(c.body);
    const uint16_t ec = e.ok() ? e->error_code : 0;
    const char* name = wire::ErrorCodeName(ec);
    status = absl::AbortedError(
        absl::StrCat(name != nullptr ? name : "error", ": ",
                     e.ok() ? std::string(e->error_info.begin(), e->error_info.end()) : ""));
    status.SetPayload("reload-error", absl::Cord(std::to_string(ec)));
  }
  if (auto fetch = fetches_.find(txid); fetch != fetches_.end()) {
    if (status.ok() && c.message_code == static_cast<uint16_t>(MessageCode::kFetchAns)) {
      status = VerifyFetched(fetch->second, c.body, in.message.security.certificates);
      if (!status.ok()) ++counters_.bad_fetched_values;
    }
    fetches_.erase(fetch);
  }
  std::vector<uint8_t> body = c.body;
  if (pending.diagnostic_ping && status.ok()) {
    status = DiagnosticsResponder::TakeDiagnosticPingAnswer(c, &body);
  }
  Complete(pending, status, in.origin, hops, c.message_code, std::move(body), now_ms, out);
}

void Node::Adopt(const ConfigurationDecision& decision) {
  config_.configuration_sequence = decision.sequence;  // every message from now on carries it
  if (decision.kinds != nullptr) {
    kinds_ = decision.kinds;
    config_.kinds = kinds_;
    wire_context_ = kinds_->Context(static_cast<uint8_t>(config_.id.size()));
  }
  storage_->ReplaceKinds(kinds_.get(), decision.dropped_kinds);
}

absl::Status Node::VerifyFetched(const ResourceId& resource, std::span<const uint8_t> body,
                                 std::span<const wire::GenericCertificate> certificates) {
  auto ans = wire::DecodeAs<wire::FetchAns>(body, wire_context_);
  if (!ans.ok()) return absl::DataLossError(absl::StrCat("FetchAns: ", ans.status().message()));
  std::vector<uint8_t> scratch;
  for (const wire::FetchKindResponse& kr : ans->kind_responses) {
    for (const wire::StoredData& sd : kr.values) {
      if (sd.signature.IsAnonymous()) continue;  // a synthesized "no such value" (§7.4.2)
      if (!StorageService::VerifyValue(*signer_, resource, kr.kind, sd, certificates, &scratch)) {
        return absl::PermissionDeniedError(
            absl::StrCat("a fetched value of kind ", kr.kind, " does not verify"));
      }
    }
  }
  return absl::OkStatus();
}

void Node::Complete(const PendingRequest& pending, absl::Status status, const NodeId& responder,
                    int hops, uint16_t answer_code, std::vector<uint8_t> body, uint64_t now_ms,
                    Outbox* out) {
  if (pending.owner == PendingRequest::Owner::kApplication) {
    out->results.push_back({pending.id, std::move(status), responder, hops, std::move(body)});
    return;
  }
  if (pending.owner == PendingRequest::Owner::kStorage) {
    storage_->OnReplicaAnswer(status, now_ms);
    return;
  }
  // The topology gets the answer decoded; one that does not decode is a failed request.
  wire::Body decoded;
  if (status.ok()) {
    wire::DecodeError err;
    if (!wire::DecodeBody(answer_code, body, &decoded, &err)) {
      ++counters_.dropped_malformed;
      status = absl::DataLossError(absl::StrCat("answer body: ", err.ToString()));
    }
  }
  topology_->OnAnswer({pending.id, status, responder, status.ok() ? &decoded : nullptr, now_ms},
                      out);
}

}  // namespace p2psip::core

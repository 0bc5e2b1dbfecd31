#include "p2psip/core/diagnostics.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "core/link_table.h"
#include "p2psip/core/node.h"
#include "p2psip/wire/codec.h"

namespace p2psip::core {

using wire::DiagnosticInfo;
using wire::ErrorCode;

namespace {

// The RELOAD error to answer, as Node expects it from its request handlers.
absl::Status ReloadError(ErrorCode code, std::string_view why) {
  absl::Status s = absl::FailedPreconditionError(std::string(why));
  s.SetPayload("reload-error", absl::Cord(std::to_string(static_cast<int>(code))));
  return s;
}

// Whether `info` encodes: a provider's scalar that does not fit its kind's width, or contents
// over 65535 bytes, would make the whole answer fail to encode (and the requester time out).
bool Encodes(const DiagnosticInfo& info) { return wire::EncodeToBytes(info).ok(); }

// RFC 7851 §4.3 asks for the peer a message for `destination` would go to next; this mirrors
// Node::Route's choice (direct link to a Node-ID first, then responsibility, then the
// topology's next hop) so that the hops PathTrack reports are the hops a request takes.
absl::StatusOr<NodeId> NextHop(const Node& node, const wire::Destination& destination) {
  const Topology& topology = node.topology();
  const LinkTable& links = node.links();
  RingId ring;
  if (destination.type == wire::DestinationType::kNode) {
    const NodeId target = destination.node_id();
    if (target == node.id() || target.IsWildcard()) return node.id();
    if (links.LinkTo(target) != kNoLink) return target;
    ring = RingId::Of(target);
  } else if (destination.type == wire::DestinationType::kResource) {
    ring = RingId::FromBytes(destination.data);
  } else {
    // Compressed and opaque ids are private to the peer that issued them (RFC 6940 §6.3.2.2).
    return ReloadError(ErrorCode::kInvalidMessage, "PathTrack to a compressed or opaque id");
  }
  if (topology.IsResponsible(ring)) return node.id();
  if (auto hop = topology.NextHop(ring)) {
    if (const LinkTable::Link* l = links.Find(links.LinkTo(*hop))) return l->peer;
  }
  return ReloadError(ErrorCode::kNotFound, "no route toward the destination");
}

}  // namespace

void DiagnosticsResponder::Count(uint16_t code, int direction) {
  const size_t slot = code == 0xFFFF ? 0 : code;
  if (slot < messages_.size()) ++messages_[slot][direction];
}

size_t DiagnosticsResponder::MemoryBytes() const {
  return sizeof(*this) + instances_.capacity() * sizeof(wire::KindInstances);
}

void DiagnosticsResponder::Census(const Node& node, uint64_t now_ms) {
  node.StorageCensus(now_ms, &instances_, &datasize_);
}

std::optional<DiagnosticInfo> DiagnosticsResponder::CoreInfo(const Node& node, uint16_t kind,
                                                             uint64_t now_ms, bool* census_done) {
  switch (kind) {
    case wire::kDiagStatusInfo:
      return DiagnosticInfo::Scalar(kind, 0);  // no congestion known to the core
    case wire::kDiagRoutingTableSize: {
      const ChordTable* table = node.chord_table();
      return DiagnosticInfo::Scalar(kind, table != nullptr ? table->AllPeers().size() : 0);
    }
    case wire::kDiagInstancesStored:
    case wire::kDiagDatasizeStored: {
      if (!*census_done) Census(node, now_ms);
      *census_done = true;
      if (kind == wire::kDiagDatasizeStored) return DiagnosticInfo::Scalar(kind, datasize_);
      DiagnosticInfo d;
      d.kind = kind;
      d.instances_stored = instances_;
      return d;
    }
    case wire::kDiagMessagesSentRcvd: {
      DiagnosticInfo d;
      d.kind = kind;
      for (size_t slot = 0; slot < messages_.size(); ++slot) {
        const auto& [sent, received] = messages_[slot];
        if (sent == 0 && received == 0) continue;
        d.messages_sent_rcvd.push_back(
            {static_cast<uint16_t>(slot == 0 ? 0xFFFF : slot), sent, received});
      }
      return d;
    }
    default:
      return std::nullopt;
  }
}

absl::StatusOr<wire::DiagnosticsResponse> DiagnosticsResponder::Respond(
    const Node& node, const SignerInfo& requester, uint16_t code,
    const wire::DiagnosticsRequest& request, uint8_t ttl, uint64_t now_ms) {
  // RFC 7851 §6.3: an expired request gets Error_Message_Expired; then the access check (§8).
  if (request.expiration < now_ms) {
    return ReloadError(ErrorCode::kMessageExpired, "diagnostics request expired");
  }
  const bool permitted = provider_ != nullptr ? provider_->Permits(requester, code, request)
                                              : DiagnosticsProvider::IsCertifiedMember(requester);
  if (!permitted) {
    ++counters_->diagnostics_refused;
    return ReloadError(ErrorCode::kForbidden, "diagnostics not permitted to this requester");
  }
  wire::DiagnosticsResponse response;
  response.expiration = request.expiration;
  response.timestamp_initiated = request.timestamp_initiated;
  response.timestamp_received = now_ms;
  // §5.2: copied from the TTL of the request as received; the initiator, knowing the initial
  // TTL, gets the hop count from the difference.
  response.hop_counter = ttl;
  bool census_done = false;
  auto add = [&](uint16_t kind, std::span<const uint8_t> parameters) {
    std::optional<DiagnosticInfo> info;
    if (provider_ != nullptr) info = provider_->Info(kind, parameters, now_ms);
    if (info) {
      info->kind = kind;
      if (!Encodes(*info)) info.reset();  // a provider bug must not cost the whole answer
    }
    if (!info) info = CoreInfo(node, kind, now_ms, &census_done);
    // A kind nobody knows is left out: §6.3 returns what the responder has.
    if (info) response.info.push_back(*std::move(info));
  };
  // dMFlags bit k asks for kind k; bits 0 and 63 are reserved (§9.1).
  for (uint16_t kind = 1; kind < 63; ++kind) {
    if (request.dm_flags & wire::DmFlagFor(kind)) add(kind, {});
  }
  for (const wire::DiagnosticExtension& ext : request.extensions) {
    if (ext.kind > wire::kDiagLastFlagKind && ext.kind != 0xFFFF) add(ext.kind, ext.contents);
  }
  return response;
}

absl::StatusOr<bool> DiagnosticsResponder::AnswerPing(const Node& node, const SignerInfo& requester,
                                                      const wire::Message& request, uint64_t now_ms,
                                                      wire::MessageExtension* extension) {
  const auto ext = std::find_if(
      request.contents.extensions.begin(), request.contents.extensions.end(),
      [](const wire::MessageExtension& e) { return e.type == wire::kExtensionDiagnosticPing; });
  if (ext == request.contents.extensions.end()) return false;
  auto diag = wire::DecodeAs<wire::DiagnosticPingRequest>(ext->content);
  if (!diag.ok()) {
    return ReloadError(ErrorCode::kInvalidMessage,
                       absl::StrCat("Diagnostic_Ping: ", diag.status().message()));
  }
  auto response =
      Respond(node, requester, request.contents.message_code, *diag, request.header.ttl, now_ms);
  if (!response.ok()) return response.status();
  auto bytes = wire::EncodeToBytes(*response);
  if (!bytes.ok()) return ReloadError(ErrorCode::kInvalidMessage, bytes.status().ToString());
  extension->type = wire::kExtensionDiagnosticPing;
  extension->critical = false;
  extension->content = *std::move(bytes);
  ++counters_->diagnostics_answered;
  return true;
}

absl::Status DiagnosticsResponder::AnswerPathTrack(const Node& node, const SignerInfo& requester,
                                                   uint8_t ttl, const wire::PathTrackReq& request,
                                                   uint64_t now_ms, wire::Body* answer) {
  auto response = Respond(node, requester, static_cast<uint16_t>(wire::MessageCode::kPathTrackReq),
                          request.request, ttl, now_ms);
  if (!response.ok()) return response.status();
  auto next = NextHop(node, request.destination);
  if (!next.ok()) return next.status();
  wire::PathTrackAns ans;
  ans.next_hop = wire::Destination::Node(*next);
  ans.response = *std::move(response);
  *answer = std::move(ans);
  ++counters_->diagnostics_answered;
  return absl::OkStatus();
}

absl::Status DiagnosticsResponder::TakeDiagnosticPingAnswer(const wire::MessageContents& answer,
                                                            std::vector<uint8_t>* body) {
  for (const wire::MessageExtension& ext : answer.extensions) {
    if (ext.type != wire::kExtensionDiagnosticPing) continue;
    *body = ext.content;
    return absl::OkStatus();
  }
  return absl::UnimplementedError(
      "the responder answered the Ping without diagnostics (no RFC 7851 support)");
}

wire::DiagnosticsRequest MakeDiagnosticsRequest(uint64_t now_ms, uint64_t dm_flags,
                                                std::span<const uint16_t> extension_kinds) {
  wire::DiagnosticsRequest r;
  r.expiration = now_ms + kDiagnosticsLifetimeMs;
  r.timestamp_initiated = now_ms;
  r.dm_flags = dm_flags;
  for (uint16_t kind : extension_kinds) {
    if (kind == 0 || kind == 0xFFFF) continue;  // reserved (§9.2)
    if (kind <= wire::kDiagLastFlagKind) {
      r.dm_flags |= wire::DmFlagFor(kind);
    } else {
      r.extensions.push_back({kind, {}});
    }
  }
  return r;
}

absl::StatusOr<wire::PathTrackAns> DecodePathTrackAnswer(std::span<const uint8_t> body) {
  return wire::DecodeAs<wire::PathTrackAns>(body);
}

absl::StatusOr<wire::DiagnosticsResponse> DecodeDiagnosticPingAnswer(
    std::span<const uint8_t> body) {
  return wire::DecodeAs<wire::DiagnosticsResponse>(body);
}

}  // namespace p2psip::core

// Message bodies by message code: the dispatcher between MessageContents (whose body is bytes)
// and the typed body of each method (RFC 6940 §6.4–§6.5, §7, §10 for CHORD-RELOAD; RFC 7851).
//
// Update and RouteQuery answers are topology-specific; this codec's topology is CHORD-RELOAD,
// so UpdateReq decodes as ChordUpdate and RouteQueryAns as ChordRouteQueryAns. Join and Leave
// keep their overlay_specific_data as bytes (ChordLeaveData decodes from it, see chord.h).
#ifndef P2PSIP_WIRE_BODY_H_
#define P2PSIP_WIRE_BODY_H_

#include <cstdint>
#include <span>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "p2psip/wire/attach.h"
#include "p2psip/wire/chord.h"
#include "p2psip/wire/diagnostics.h"
#include "p2psip/wire/message.h"
#include "p2psip/wire/method_bodies.h"
#include "p2psip/wire/storage_messages.h"

namespace p2psip::wire {

// The body of an experimental method (exp_a, exp_b): opaque to this codec.
struct ExperimentalBody {
  std::vector<uint8_t> bytes;
  friend bool operator==(const ExperimentalBody&, const ExperimentalBody&) = default;
};

using Body = std::variant<ProbeReq, ProbeAns, AttachReqAns, StoreReq, StoreAns, FetchReq, FetchAns,
                          FindReq, FindAns, JoinReq, JoinAns, LeaveReq, LeaveAns, ChordUpdate,
                          UpdateAns, RouteQueryReq, ChordRouteQueryAns, PingReq, PingAns, StatReq,
                          StatAns, AppAttachReq, AppAttachAns, ConfigUpdateReq, ConfigUpdateAns,
                          PathTrackReq, PathTrackAns, ErrorResponse, ExperimentalBody>;

// Decodes `body` as the body of `message_code`. Unknown or unassigned codes (0x05, 0x0B, ...,
// 0x29 and up) are kUnknownType. Offsets in `error` are relative to the body's first byte.
bool DecodeBody(uint16_t message_code, std::span<const uint8_t> body, Body* out, DecodeError* error,
                WireContext ctx = {});
absl::StatusOr<Body> DecodeBody(uint16_t message_code, std::span<const uint8_t> body,
                                WireContext ctx = {});

void Encode(ByteWriter& w, const Body& body);
// MessageContents with `code` and the encoded body, no extensions.
absl::StatusOr<MessageContents> MakeContents(uint16_t code, const Body& body);

// The two errors whose error_info is a structure, not text (RFC 6940 §6.3.3.1, §7.4.1.2):
//   Error_Generation_Counter_Too_Low: a StoreAns with the current counters, empty replicas;
//   Error_Unknown_Kind: KindId unknown_kinds<0..2^8-1>.
ErrorResponse MakeGenerationCounterTooLowError(const StoreAns& current);
ErrorResponse MakeUnknownKindError(const std::vector<uint32_t>& unknown_kinds);
bool DecodeGenerationCounterTooLow(const ErrorResponse& error, StoreAns* out, DecodeError* err,
                                   WireContext ctx = {});
bool DecodeUnknownKinds(const ErrorResponse& error, std::vector<uint32_t>* out, DecodeError* err);

// Every assigned request and answer code, in ascending order (tests and the pcap writer).
std::span<const uint16_t> AllMessageCodes();

}  // namespace p2psip::wire

#endif  // P2PSIP_WIRE_BODY_H_

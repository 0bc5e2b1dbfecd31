// RELOAD overlay diagnostics (RFC 7851) and the self-tuning Chord estimates (RFC 7363).
//
// RFC 7851 §5.1/§5.2 (all times in milliseconds since 1970-01-01 UTC):
//   DiagnosticExtension = uint16 kind · opaque diagnostic_extension_contents<0..2^32-1>
//   DiagnosticsRequest  = uint64 expiration · uint64 timestamp_initiated · uint64 dMFlags ·
//                         uint32 ext_length ·
//                         DiagnosticExtension diagnostic_extensions_list<0..2^32-1>
//   DiagnosticInfo      = uint16 kind · opaque diagnostic_info_contents<0..2^16-1>
//   DiagnosticsResponse = uint64 expiration · uint64 timestamp_initiated ·
//                         uint64 timestamp_received · uint8 hop_counter · uint32 ext_length ·
//                         DiagnosticInfo diagnostic_info_list<0..2^32-1>
//   PathTrackReq (0x27) = Destination destination · DiagnosticsRequest request
//   PathTrackAns (0x28) = Destination next_hop · DiagnosticsResponse response
// Diagnostic_Ping message extension (type 2, critical = False): in a PingReq its contents are
// a DiagnosticsRequest (RFC 7851 §4.2.1). The RFC never names the answer's container; §6.3 has
// the responder build a DiagnosticsResponse, which we carry in a Diagnostic_Ping extension of
// the PingAns (DiagnosticPingAnswer below).
//
// RFC 7363 §6.5, self_tuning_data message extension (type 3, critical = False, on Probe
// requests and answers):
//   SelfTuningData      = uint32 network_size · uint32 join_rate · uint32 leave_rate
//
// ext_length: the RFC structs carry both a uint32 ext_length and a list with its own 4-byte
// length prefix. We implement the structs as written: ext_length is followed by the list's
// prefix, both count the list's bytes (the prefix excluded) and must agree (kLengthMismatch
// otherwise). "If no extensions are included, the sender MUST set ext_length to zero" (§6.1)
// rules out counting the 4-byte prefix in ext_length, so no extensions encode as 8 zero bytes.
// DiagnosticsResponse's ext_length counts every DiagnosticInfo, the dMFlags-requested ones
// included (§6.3: "If any information is returned ... set ext_length appropriately").
//
// Wireshark (packet-reload.c) deviates from RFC 7851; these are its bugs, not ours:
// PathTrack as codes 101/102, errors 0x15-0x1A as 101-106, Diagnostic_Ping and
// self_tuning_data extension types swapped (3 and 2), one BANDWIDTH kind at 4 so every kind
// from 5 on is off by one, PROCESS_POWER and MEMORY_FOOTPRINT read as 32-bit, ext_length read
// as covering the list prefix (and no prefix when 0), and a DiagnosticsResponse read without
// timestamp_initiated and without stepping over hop_counter.
#ifndef P2PSIP_WIRE_DIAGNOSTICS_H_
#define P2PSIP_WIRE_DIAGNOSTICS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "p2psip/wire/byte_reader.h"
#include "p2psip/wire/byte_writer.h"
#include "p2psip/wire/destination.h"

namespace p2psip::wire {

// Diagnostic Kind IDs (RFC 7851 §9.2). 0x0000 and 0xFFFF are reserved; 0xF000-0xFFFE are for
// local use. Kinds 0x0000-0x003F are requested through dMFlags only.
inline constexpr uint16_t kDiagStatusInfo = 0x0001;           // uint8, low 4 bits: congestion
inline constexpr uint16_t kDiagRoutingTableSize = 0x0002;     // uint32, peers
inline constexpr uint16_t kDiagProcessPower = 0x0003;         // uint64, MIPS
inline constexpr uint16_t kDiagUpstreamBandwidth = 0x0004;    // uint64, kbit/s
inline constexpr uint16_t kDiagDownstreamBandwidth = 0x0005;  // uint64, kbit/s
inline constexpr uint16_t kDiagSoftwareVersion = 0x0006;      // US-ASCII, NUL-terminated
inline constexpr uint16_t kDiagMachineUptime = 0x0007;        // uint64, s
inline constexpr uint16_t kDiagAppUptime = 0x0008;            // uint64, s
inline constexpr uint16_t kDiagMemoryFootprint = 0x0009;      // uint64, KiB
inline constexpr uint16_t kDiagDatasizeStored = 0x000A;       // uint64, bytes
inline constexpr uint16_t kDiagInstancesStored = 0x000B;      // array, see KindInstances
inline constexpr uint16_t kDiagMessagesSentRcvd = 0x000C;     // array, see MessageCounts
inline constexpr uint16_t kDiagEwmaBytesSent = 0x000D;        // uint32, bytes/s
inline constexpr uint16_t kDiagEwmaBytesRcvd = 0x000E;        // uint32, bytes/s
inline constexpr uint16_t kDiagUnderlayHop = 0x000F;          // uint8, IP hops
inline constexpr uint16_t kDiagBatteryStatus = 0x0010;        // uint8, top bit 0 = on battery
// The highest kind a DiagnosticExtension must not name (those go through dMFlags).
inline constexpr uint16_t kDiagLastFlagKind = 0x003F;

// dMFlags (RFC 7851 §9.1): the bit with value 2^k requests Diagnostic Kind k (STATUS_INFO = 0x2
// ... BATTERY_STATUS = 0x10000). Bit 0 and bit 63 are reserved; all ones requests everything.
constexpr uint64_t DmFlagFor(uint16_t kind) { return kind < 64 ? uint64_t{1} << kind : 0; }
inline constexpr uint64_t kDmFlagsNone = 0;
inline constexpr uint64_t kDmFlagsAll = ~uint64_t{0};

// Width in bytes of a kind whose value is a single unsigned integer (1, 4 or 8), else 0.
constexpr size_t DiagnosticScalarWidth(uint16_t kind) {
  switch (kind) {
    case kDiagStatusInfo:
    case kDiagUnderlayHop:
    case kDiagBatteryStatus:
      return 1;
    case kDiagRoutingTableSize:
    case kDiagEwmaBytesSent:
    case kDiagEwmaBytesRcvd:
      return 4;
    case kDiagProcessPower:
    case kDiagUpstreamBandwidth:
    case kDiagDownstreamBandwidth:
    case kDiagMachineUptime:
    case kDiagAppUptime:
    case kDiagMemoryFootprint:
    case kDiagDatasizeStored:
      return 8;
    default:
      return 0;
  }
}

struct DiagnosticExtension {
  uint16_t kind = 0xF000;  // must be above kDiagLastFlagKind and not 0xFFFF
  std::vector<uint8_t> contents;
  friend bool operator==(const DiagnosticExtension&, const DiagnosticExtension&) = default;
};

struct DiagnosticsRequest {
  uint64_t expiration = 0;  // 1..600 s after now (checked by the receiver, not the codec)
  uint64_t timestamp_initiated = 0;
  uint64_t dm_flags = kDmFlagsNone;
  std::vector<DiagnosticExtension> extensions;  // ext_length is derived from these
  friend bool operator==(const DiagnosticsRequest&, const DiagnosticsRequest&) = default;
};

// INSTANCES_STORED entry. RFC 7851 only says "an array ... indexed by Kind-ID ... each entry an
// unsigned 64-bit integer"; an array indexed by a sparse 32-bit id has to name its index, so an
// entry is uint32 kind · uint64 instances (12 bytes), which is also how Wireshark reads it.
struct KindInstances {
  uint32_t kind = 0;
  uint64_t instances = 0;
  friend bool operator==(const KindInstances&, const KindInstances&) = default;
};

// MESSAGES_SENT_RCVD entry, read the same way: uint16 message_code · uint64 sent · uint64
// received (18 bytes).
struct MessageCounts {
  uint16_t message_code = 0;
  uint64_t sent = 0;
  uint64_t received = 0;
  friend bool operator==(const MessageCounts&, const MessageCounts&) = default;
};

// One item of a DiagnosticsResponse. Which member holds the value depends on `kind`: scalar
// kinds (DiagnosticScalarWidth != 0) use `scalar`, SOFTWARE_VERSION `software_version` (without
// the terminating NUL the wire carries), INSTANCES_STORED and MESSAGES_SENT_RCVD their vectors,
// and every other kind (0x0011 up, local-use kinds, extension answers) `raw`. A typed kind whose
// contents have the wrong size or form is kLengthMismatch / kBadValue.
struct DiagnosticInfo {
  uint16_t kind = kDiagStatusInfo;
  uint64_t scalar = 0;
  std::string software_version;
  std::vector<KindInstances> instances_stored;
  std::vector<MessageCounts> messages_sent_rcvd;
  std::vector<uint8_t> raw;

  static DiagnosticInfo Scalar(uint16_t kind, uint64_t value) {
    DiagnosticInfo d;
    d.kind = kind;
    d.scalar = value;
    return d;
  }
  static DiagnosticInfo SoftwareVersion(std::string version) {
    DiagnosticInfo d;
    d.kind = kDiagSoftwareVersion;
    d.software_version = std::move(version);
    return d;
  }
  static DiagnosticInfo Raw(uint16_t kind, std::vector<uint8_t> contents) {
    DiagnosticInfo d;
    d.kind = kind;
    d.raw = std::move(contents);
    return d;
  }
  friend bool operator==(const DiagnosticInfo&, const DiagnosticInfo&) = default;
};

struct DiagnosticsResponse {
  uint64_t expiration = 0;
  uint64_t timestamp_initiated = 0;  // copied from the request
  uint64_t timestamp_received = 0;
  uint8_t hop_counter = 0;           // the TTL of the received request's forwarding header
  std::vector<DiagnosticInfo> info;  // ext_length is derived from these
  friend bool operator==(const DiagnosticsResponse&, const DiagnosticsResponse&) = default;
};
// RFC 7851 spells the structure DiagnosticsResponse in §5.2 and DiagnosticResponse in §4.3.
using DiagnosticResponse = DiagnosticsResponse;

// Contents of a Diagnostic_Ping extension (kExtensionDiagnosticPing) in a PingReq / PingAns.
using DiagnosticPingRequest = DiagnosticsRequest;
using DiagnosticPingAnswer = DiagnosticsResponse;

struct PathTrackReq {
  Destination destination;
  DiagnosticsRequest request;
  friend bool operator==(const PathTrackReq&, const PathTrackReq&) = default;
};

struct PathTrackAns {
  // Equals the responder's own Node-ID when it is responsible for the destination; the
  // initiator then stops iterating.
  Destination next_hop;
  DiagnosticsResponse response;
  friend bool operator==(const PathTrackAns&, const PathTrackAns&) = default;
};

// Contents of a self_tuning_data extension (kExtensionSelfTuningData). Rates are per 24 h,
// rounded up.
struct SelfTuningData {
  uint32_t network_size = 0;
  uint32_t join_rate = 0;
  uint32_t leave_rate = 0;
  friend bool operator==(const SelfTuningData&, const SelfTuningData&) = default;
};

bool Decode(ByteReader& r, DiagnosticExtension* out);
void Encode(ByteWriter& w, const DiagnosticExtension& v);
bool Decode(ByteReader& r, DiagnosticsRequest* out);
void Encode(ByteWriter& w, const DiagnosticsRequest& v);
bool Decode(ByteReader& r, KindInstances* out);
void Encode(ByteWriter& w, const KindInstances& v);
bool Decode(ByteReader& r, MessageCounts* out);
void Encode(ByteWriter& w, const MessageCounts& v);
bool Decode(ByteReader& r, DiagnosticInfo* out);
void Encode(ByteWriter& w, const DiagnosticInfo& v);
bool Decode(ByteReader& r, DiagnosticsResponse* out);
void Encode(ByteWriter& w, const DiagnosticsResponse& v);
bool Decode(ByteReader& r, PathTrackReq* out);
void Encode(ByteWriter& w, const PathTrackReq& v);
bool Decode(ByteReader& r, PathTrackAns* out);
void Encode(ByteWriter& w, const PathTrackAns& v);
bool Decode(ByteReader& r, SelfTuningData* out);
void Encode(ByteWriter& w, const SelfTuningData& v);

}  // namespace p2psip::wire

#endif  // P2PSIP_WIRE_DIAGNOSTICS_H_

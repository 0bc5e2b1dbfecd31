// Bodies of the RFC 6940 methods that are not storage, Attach or topology-specific: Probe,
// Ping, Join, Leave, Update (answer), RouteQuery (request) and ConfigUpdate (§6.4.2, §6.5.3,
// §6.5.4). The overlay-specific parts (UpdateReq, RouteQueryAns, the overlay_specific_data of
// Join/Leave/RouteQuery) are opaque here; CHORD-RELOAD's are in chord.h.
//
//   ProbeReq         = ProbeInformationType requested_info<0..2^8-1>        (uint8 each)
//   ProbeInformation = uint8 type · uint8 length · value[length]
//                      (responsible_set, num_resources, uptime: uint32, length 4)
//   ProbeAns         = ProbeInformation probe_info<0..2^16-1>
//   PingReq          = opaque padding<0..2^16-1>
//   PingAns          = uint64 response_id · uint64 time                    (ms since 1970)
//   JoinReq          = NodeId joining_peer_id · opaque overlay_specific_data<0..2^16-1>
//   JoinAns          = opaque overlay_specific_data<0..2^16-1>
//   LeaveReq         = NodeId leaving_peer_id · opaque overlay_specific_data<0..2^16-1>
//   LeaveAns, UpdateAns, ConfigUpdateAns = empty
//   RouteQueryReq    = Boolean send_update · Destination destination ·
//                      opaque overlay_specific_data<0..2^16-1>
//   ConfigUpdateReq  = uint8 type · uint32 length (bytes after itself) ·
//                      config(1): opaque config_data<0..2^24-1> |
//                      kind(2):   KindDescription kinds<0..2^24-1>,
//                                 KindDescription = opaque<0..2^16-1> (one UTF-8 <kind-block>)
#ifndef P2PSIP_WIRE_METHOD_BODIES_H_
#define P2PSIP_WIRE_METHOD_BODIES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "p2psip/ids.h"
#include "p2psip/wire/byte_reader.h"
#include "p2psip/wire/byte_writer.h"
#include "p2psip/wire/destination.h"

namespace p2psip::wire {

// ProbeInformationType (§6.4.2.5, IANA §14.11). 0 is invalid and rejected as kBadValue.
inline constexpr uint8_t kProbeResponsibleSet = 1;  // parts per billion of the ring owned
inline constexpr uint8_t kProbeNumResources = 2;    // distinct Resource-IDs stored
inline constexpr uint8_t kProbeUptime = 3;          // seconds
inline constexpr uint8_t kProbeExp = 4;             // exp-probe, experiments only

// ConfigUpdateType (§6.5.4). 0 is invalid and rejected as kBadValue.
inline constexpr uint8_t kConfigUpdateConfig = 1;
inline constexpr uint8_t kConfigUpdateKind = 2;

// The types a responder may list; an unknown type is legal in a request (the responder just
// leaves it out of its answer).
struct ProbeReq {
  std::vector<uint8_t> requested_info;
  friend bool operator==(const ProbeReq&, const ProbeReq&) = default;
};

// One answer item. The three defined types carry a uint32 and must have length 4 (else
// kLengthMismatch). exp-probe and unknown types keep their raw value, which the length lets us
// skip ("This structure allows for unknown option types").
struct ProbeInformation {
  uint8_t type = kProbeUptime;
  uint32_t value = 0;        // responsible_set / num_resources / uptime
  std::vector<uint8_t> raw;  // any other type: the value bytes, at most 255

  static constexpr bool IsUint32Type(uint8_t type) {
    return type == kProbeResponsibleSet || type == kProbeNumResources || type == kProbeUptime;
  }
  static ProbeInformation Uint32(uint8_t type, uint32_t value) { return {type, value, {}}; }
  friend bool operator==(const ProbeInformation&, const ProbeInformation&) = default;
};

struct ProbeAns {
  std::vector<ProbeInformation> probe_info;
  friend bool operator==(const ProbeAns&, const ProbeAns&) = default;
};

struct PingReq {
  std::vector<uint8_t> padding;  // for path MTU probing
  friend bool operator==(const PingReq&, const PingReq&) = default;
};

struct PingAns {
  uint64_t response_id = 0;  // random
  uint64_t time = 0;         // milliseconds since 1970-01-01 UTC
  friend bool operator==(const PingAns&, const PingAns&) = default;
};

struct JoinReq {
  NodeId joining_peer_id;
  std::vector<uint8_t> overlay_specific_data;
  friend bool operator==(const JoinReq&, const JoinReq&) = default;
};

struct JoinAns {
  std::vector<uint8_t> overlay_specific_data;
  friend bool operator==(const JoinAns&, const JoinAns&) = default;
};

struct LeaveReq {
  NodeId leaving_peer_id;
  std::vector<uint8_t> overlay_specific_data;  // CHORD-RELOAD: an encoded ChordLeaveData
  friend bool operator==(const LeaveReq&, const LeaveReq&) = default;
};

// "LeaveAns is an empty message" (§6.4.2.2).
struct LeaveAns {
  friend bool operator==(const LeaveAns&, const LeaveAns&) = default;
};

// §6.4.2.3 only says the answer is "success or an error"; success is an empty body here.
struct UpdateAns {
  friend bool operator==(const UpdateAns&, const UpdateAns&) = default;
};

struct RouteQueryReq {
  bool send_update = false;
  Destination destination;
  std::vector<uint8_t> overlay_specific_data;  // empty for CHORD-RELOAD
  friend bool operator==(const RouteQueryReq&, const RouteQueryReq&) = default;
};

// One <kind-block> of the configuration document, UTF-8, default namespace
// urn:ietf:params:xml:ns:p2p:config-base.
struct KindDescription {
  std::string kind_block;
  friend bool operator==(const KindDescription&, const KindDescription&) = default;
};

struct ConfigUpdateReq {
  uint8_t type = kConfigUpdateConfig;
  std::string config_data;             // kConfigUpdateConfig: the configuration document
  std::vector<KindDescription> kinds;  // kConfigUpdateKind
  std::vector<uint8_t> unknown_value;  // any other type: the bytes after `length`
  friend bool operator==(const ConfigUpdateReq&, const ConfigUpdateReq&) = default;
};

struct ConfigUpdateAns {
  friend bool operator==(const ConfigUpdateAns&, const ConfigUpdateAns&) = default;
};

bool Decode(ByteReader& r, ProbeReq* out);
void Encode(ByteWriter& w, const ProbeReq& v);
bool Decode(ByteReader& r, ProbeInformation* out);
void Encode(ByteWriter& w, const ProbeInformation& v);
bool Decode(ByteReader& r, ProbeAns* out);
void Encode(ByteWriter& w, const ProbeAns& v);
bool Decode(ByteReader& r, PingReq* out);
void Encode(ByteWriter& w, const PingReq& v);
bool Decode(ByteReader& r, PingAns* out);
void Encode(ByteWriter& w, const PingAns& v);
bool Decode(ByteReader& r, JoinReq* out);
void Encode(ByteWriter& w, const JoinReq& v);
bool Decode(ByteReader& r, JoinAns* out);
void Encode(ByteWriter& w, const JoinAns& v);
bool Decode(ByteReader& r, LeaveReq* out);
void Encode(ByteWriter& w, const LeaveReq& v);
bool Decode(ByteReader& r, LeaveAns* out);
void Encode(ByteWriter& w, const LeaveAns& v);
bool Decode(ByteReader& r, UpdateAns* out);
void Encode(ByteWriter& w, const UpdateAns& v);
bool Decode(ByteReader& r, RouteQueryReq* out);
void Encode(ByteWriter& w, const RouteQueryReq& v);
bool Decode(ByteReader& r, KindDescription* out);
void Encode(ByteWriter& w, const KindDescription& v);
bool Decode(ByteReader& r, ConfigUpdateReq* out);
void Encode(ByteWriter& w, const ConfigUpdateReq& v);
bool Decode(ByteReader& r, ConfigUpdateAns* out);
void Encode(ByteWriter& w, const ConfigUpdateAns& v);

}  // namespace p2psip::wire

#endif  // P2PSIP_WIRE_METHOD_BODIES_H_

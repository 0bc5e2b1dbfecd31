// Attach and AppAttach bodies (RFC 6940 §6.5.1.1, §6.5.2): the ICE parameters two nodes exchange
// to build an overlay link (Attach) or an application connection (AppAttach).
//
//   IceExtension  = opaque name<0..2^16-1> · opaque value<0..2^16-1>
//   IceCandidate  = IpAddressPort addr_port · OverlayLinkType overlay_link (uint8) ·
//                   opaque foundation<0..255> · uint32 priority · CandType type (uint8) ·
//                   [IpAddressPort rel_addr_port, only for srflx and relay] ·
//                   IceExtension extensions<0..2^16-1>
//   AttachReqAns  = opaque ufrag<0..2^8-1> · opaque password<0..2^8-1> · opaque role<0..2^8-1> ·
//                   IceCandidate candidates<0..2^16-1> · Boolean send_update
//   AppAttachReq  = opaque ufrag<0..2^8-1> · opaque password<0..2^8-1> · uint16 application ·
//   AppAttachAns    opaque role<0..2^8-1> · IceCandidate candidates<0..2^16-1>
// (AppAttach puts `application` between password and role and has no send_update.)
//
// The ICE component id is always 1 in RELOAD and is not on the wire.
#ifndef P2PSIP_WIRE_ATTACH_H_
#define P2PSIP_WIRE_ATTACH_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "p2psip/wire/byte_reader.h"
#include "p2psip/wire/byte_writer.h"
#include "p2psip/wire/ip_address_port.h"

namespace p2psip::wire {

// OverlayLinkType (§6.5.1.1, IANA registry §14.10). 0 is invalid; 2 was never assigned. The
// codec keeps any other non-zero value: it is a plain code, not a select, so an unknown link type
// is still a well-formed candidate that the ICE layer simply cannot use.
inline constexpr uint8_t kOverlayLinkDtlsUdpSr = 1;
inline constexpr uint8_t kOverlayLinkDtlsUdpSrNoIce = 3;
inline constexpr uint8_t kOverlayLinkTlsTcpFhNoIce = 4;
inline constexpr uint8_t kOverlayLinkExp = 5;  // EXP-LINK, experiments only

// CandType (§6.5.1.1). 3 is reserved (it was prflx in drafts). The type selects whether
// rel_addr_port follows and nothing on the wire gives its length, so the decoder rejects every
// other value (3 included) with kUnknownType: there is no way to skip an unknown arm.
inline constexpr uint8_t kCandTypeHost = 1;
inline constexpr uint8_t kCandTypeSrflx = 2;
inline constexpr uint8_t kCandTypeRelay = 4;

// Roles (RFC 4145 words) RELOAD mandates: the Attach requester is passive, the answerer active.
inline constexpr std::string_view kIceRolePassive = "passive";
inline constexpr std::string_view kIceRoleActive = "active";

// Application-IDs of AppAttach (IANA "RELOAD Application-ID"; 61441-65534 private use).
inline constexpr uint16_t kApplicationSip = 5060;
inline constexpr uint16_t kApplicationSips = 5061;

struct IceExtension {
  std::vector<uint8_t> name;
  std::vector<uint8_t> value;
  friend bool operator==(const IceExtension&, const IceExtension&) = default;
};

struct IceCandidate {
  IpAddressPort addr_port;
  uint8_t overlay_link = kOverlayLinkDtlsUdpSr;
  std::string foundation;  // at most 255 bytes
  uint32_t priority = 0;
  uint8_t type = kCandTypeHost;
  // Present exactly when type is srflx or relay; the encoder records an error otherwise.
  std::optional<IpAddressPort> rel_addr_port;
  std::vector<IceExtension> extensions;

  // True for the candidate types that carry rel_addr_port.
  static constexpr bool HasRelatedAddress(uint8_t type) {
    return type == kCandTypeSrflx || type == kCandTypeRelay;
  }
  friend bool operator==(const IceCandidate&, const IceCandidate&) = default;
};

struct AttachReqAns {
  std::string ufrag;
  std::string password;
  std::string role;  // kIceRolePassive in a request, kIceRoleActive in an answer
  std::vector<IceCandidate> candidates;
  bool send_update = false;
  friend bool operator==(const AttachReqAns&, const AttachReqAns&) = default;
};

// AppAttachReq and AppAttachAns share one layout but stay distinct types so that a body
// dispatcher can tell a request from an answer by type.
struct AppAttachReq {
  std::string ufrag;
  std::string password;
  uint16_t application = kApplicationSip;
  std::string role;
  std::vector<IceCandidate> candidates;
  friend bool operator==(const AppAttachReq&, const AppAttachReq&) = default;
};

struct AppAttachAns {
  std::string ufrag;
  std::string password;
  uint16_t application = kApplicationSip;
  std::string role;
  std::vector<IceCandidate> candidates;
  friend bool operator==(const AppAttachAns&, const AppAttachAns&) = default;
};

bool Decode(ByteReader& r, IceExtension* out);
void Encode(ByteWriter& w, const IceExtension& v);
bool Decode(ByteReader& r, IceCandidate* out);
void Encode(ByteWriter& w, const IceCandidate& v);
bool Decode(ByteReader& r, AttachReqAns* out);
void Encode(ByteWriter& w, const AttachReqAns& v);
bool Decode(ByteReader& r, AppAttachReq* out);
void Encode(ByteWriter& w, const AppAttachReq& v);
bool Decode(ByteReader& r, AppAttachAns* out);
void Encode(ByteWriter& w, const AppAttachAns& v);

}  // namespace p2psip::wire

#endif  // P2PSIP_WIRE_ATTACH_H_

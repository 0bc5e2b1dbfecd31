// The values that usages store in DataValue.value, for the IANA kinds this node serves.
//
// SIP-REGISTRATION (kind 1, RFC 7904 §3):
//   SipRegistration = SipRegistrationType type · uint16 length · select (type) {
//                       uri(1):   opaque uri<0..2^16-1>;
//                       route(2): opaque contact_prefs<0..2^16-1> ·
//                                 Destination destination_list<3..2^16-1>; }
//   (destination_list's bounds count bytes, not entries). `length` must match the select
//   exactly; a type this codec does not know is kept raw so that it round-trips.
// TURN-SERVICE (kind 2, RFC 6940 §9):
//   TurnServer = uint8 iteration · IpAddressPort server_address
// CERTIFICATE_BY_NODE / CERTIFICATE_BY_USER (kinds 3, 0x10, RFC 6940 §8): the value is one DER
//   X.509 certificate. Only its outer DER framing is checked here; X.509 parsing belongs to the
//   crypto layer.
#ifndef P2PSIP_WIRE_USAGE_VALUES_H_
#define P2PSIP_WIRE_USAGE_VALUES_H_

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "p2psip/wire/byte_reader.h"
#include "p2psip/wire/byte_writer.h"
#include "p2psip/wire/destination.h"
#include "p2psip/wire/ip_address_port.h"

namespace p2psip::wire {

enum class SipRegistrationType : uint8_t { kUri = 1, kRoute = 2 };

// Smallest destination_list of a route registration, in bytes (RFC 7904 §3).
inline constexpr size_t kMinSipDestinationListBytes = 3;

// One device's registration under an AOR: either another AOR to look up (uri) or how to reach
// the device over the overlay (route).
struct SipRegistration {
  uint8_t type = static_cast<uint8_t>(SipRegistrationType::kRoute);
  std::string uri;                            // kUri: the AOR to retarget to
  std::string contact_prefs;                  // kRoute: RFC 3840 feature parameters
  std::vector<Destination> destination_list;  // kRoute: path to the device, last = its Node-ID
  std::vector<uint8_t> unknown_value;         // other types: the bytes inside `length`

  static SipRegistration Uri(std::string aor) {
    SipRegistration r;
    r.type = static_cast<uint8_t>(SipRegistrationType::kUri);
    r.uri = std::move(aor);
    return r;
  }
  static SipRegistration Route(std::string contact_prefs, std::vector<Destination> path) {
    SipRegistration r;
    r.contact_prefs = std::move(contact_prefs);
    r.destination_list = std::move(path);
    return r;
  }
  friend bool operator==(const SipRegistration&, const SipRegistration&) = default;
};

// A TURN server a peer advertises at H(Node-ID ‖ iteration).
struct TurnServer {
  uint8_t iteration = 0;  // d in 1..turn-density
  IpAddressPort server_address;
  friend bool operator==(const TurnServer&, const TurnServer&) = default;
};

// The value of a certificate kind: the DER bytes of one certificate.
struct CertificateValue {
  std::vector<uint8_t> der;
  friend bool operator==(const CertificateValue&, const CertificateValue&) = default;
};

// True when `bytes` is exactly one DER SEQUENCE: tag 0x30 and a definite, minimally encoded
// length (long form of at most 4 bytes) that covers the rest of `bytes` exactly.
bool IsDerSequence(std::span<const uint8_t> bytes);

bool Decode(ByteReader& r, SipRegistration* out);
void Encode(ByteWriter& w, const SipRegistration& v);
bool Decode(ByteReader& r, TurnServer* out);
void Encode(ByteWriter& w, const TurnServer& v);
// Reads one DER SEQUENCE (tag, length and contents); anything else is kBadValue / kTruncated.
bool Decode(ByteReader& r, CertificateValue* out);
void Encode(ByteWriter& w, const CertificateValue& v);

// Parse a whole DataValue.value of the respective kind (trailing bytes are an error). The
// context supplies NodeIdLength for the Node-IDs in a destination list.
absl::StatusOr<SipRegistration> ParseSipRegistration(std::span<const uint8_t> value,
                                                     WireContext ctx = {});
absl::StatusOr<TurnServer> ParseTurnServer(std::span<const uint8_t> value);
absl::StatusOr<CertificateValue> ParseCertificateValue(std::span<const uint8_t> value);

}  // namespace p2psip::wire

#endif  // P2PSIP_WIRE_USAGE_VALUES_H_

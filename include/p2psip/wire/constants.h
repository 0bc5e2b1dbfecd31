// Wire constants of RFC 6940 (and RFC 7851/7263 where they extend its registries).
// Numbers follow reload-digest.md §2 and §4; names follow the RFC's IANA tables.
#ifndef P2PSIP_WIRE_CONSTANTS_H_
#define P2PSIP_WIRE_CONSTANTS_H_

#include <cstddef>
#include <cstdint>

namespace p2psip::wire {

inline constexpr uint32_t kReloToken = 0xD2454C4F;  // "RELO" with the top bit set
inline constexpr uint8_t kVersion = 0x0A;           // RELOAD 1.0
inline constexpr uint8_t kDefaultInitialTtl = 100;
inline constexpr uint32_t kFragmentMarker = 0x80000000;  // bit 31: MUST be 1
inline constexpr uint32_t kLastFragment = 0x40000000;    // bit 30
inline constexpr uint32_t kFragmentOffsetMask = 0x00FFFFFF;
inline constexpr uint32_t kUnfragmented = kFragmentMarker | kLastFragment;  // 0xC0000000
inline constexpr size_t kForwardingHeaderFixedSize = 38;
inline constexpr size_t kDefaultMaxMessageSize = 5000;
inline constexpr size_t kMaxFramedMessage = (1u << 24) - 1;

// Framing (§6.6.2).
inline constexpr uint8_t kFrameData = 128;
inline constexpr uint8_t kFrameAck = 129;

// Message codes (§14.8, RFC 7851). A response is request + 1; 0xFFFF is an error.
enum class MessageCode : uint16_t {
  kProbeReq = 0x01,
  kProbeAns = 0x02,
  kAttachReq = 0x03,
  kAttachAns = 0x04,
  kStoreReq = 0x07,
  kStoreAns = 0x08,
  kFetchReq = 0x09,
  kFetchAns = 0x0A,
  kFindReq = 0x0D,
  kFindAns = 0x0E,
  kJoinReq = 0x0F,
  kJoinAns = 0x10,
  kLeaveReq = 0x11,
  kLeaveAns = 0x12,
  kUpdateReq = 0x13,
  kUpdateAns = 0x14,
  kRouteQueryReq = 0x15,
  kRouteQueryAns = 0x16,
  kPingReq = 0x17,
  kPingAns = 0x18,
  kStatReq = 0x19,
  kStatAns = 0x1A,
  kAppAttachReq = 0x1D,
  kAppAttachAns = 0x1E,
  kConfigUpdateReq = 0x21,
  kConfigUpdateAns = 0x22,
  kExpAReq = 0x23,
  kExpAAns = 0x24,
  kExpBReq = 0x25,
  kExpBAns = 0x26,
  kPathTrackReq = 0x27,  // RFC 7851
  kPathTrackAns = 0x28,
  kError = 0xFFFF,
};

inline constexpr bool IsRequest(uint16_t code) { return code != 0xFFFF && (code & 1) == 1; }
inline constexpr bool IsResponse(uint16_t code) { return code == 0xFFFF || (code & 1) == 0; }
// Human-readable method name of a request or answer code ("Fetch", "Error", ...), or nullptr.
const char* MethodName(uint16_t code);

// Error codes (§14.9, RFC 7851).
enum class ErrorCode : uint16_t {
  kForbidden = 0x02,
  kNotFound = 0x03,
  kRequestTimeout = 0x04,
  kGenerationCounterTooLow = 0x05,
  kIncompatibleWithOverlay = 0x06,
  kUnsupportedForwardingOption = 0x07,
  kDataTooLarge = 0x08,
  kDataTooOld = 0x09,
  kTtlExceeded = 0x0A,
  kMessageTooLarge = 0x0B,
  kUnknownKind = 0x0C,
  kUnknownExtension = 0x0D,
  kResponseTooLarge = 0x0E,
  kConfigTooOld = 0x0F,
  kConfigTooNew = 0x10,
  kInProgress = 0x11,
  kExpA = 0x12,
  kExpB = 0x13,
  kInvalidMessage = 0x14,
  kUnderlayDestinationUnreachable = 0x15,  // RFC 7851
  kUnderlayTimeExceeded = 0x16,
  kMessageExpired = 0x17,
  kUpstreamMisrouting = 0x18,
  kLoopDetected = 0x19,
  kTtlHopsExceeded = 0x1A,
};
inline constexpr uint16_t kAllErrorCodes[] = {0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A,
                                              0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11, 0x12, 0x13,
                                              0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A};
const char* ErrorCodeName(uint16_t code);

// Destination types (§6.3.2.2).
enum class DestinationType : uint8_t {
  kInvalid = 0,
  kNode = 1,
  kResource = 2,
  kOpaqueId = 3,
  // Not a wire type: a 2-byte compressed id whose first byte has the top bit set.
  kCompressed = 0x80,
};

// Forwarding options (§6.3.2.3, RFC 7263).
inline constexpr uint8_t kOptionExpForward = 1;
inline constexpr uint8_t kOptionExtensiveRoutingMode = 2;
inline constexpr uint8_t kFlagForwardCritical = 0x01;
inline constexpr uint8_t kFlagDestinationCritical = 0x02;
inline constexpr uint8_t kFlagResponseCopy = 0x04;
inline constexpr uint8_t kFlagIgnoreStateKeeping = 0x08;

// Message extensions (§6.3.3, RFC 7851, RFC 7363).
inline constexpr uint16_t kExtensionExp = 1;
inline constexpr uint16_t kExtensionDiagnosticPing = 2;
inline constexpr uint16_t kExtensionSelfTuningData = 3;

// Security block (§6.3.4).
enum class CertificateType : uint8_t { kX509 = 0 };
enum class SignerIdentityType : uint8_t {
  kInvalid = 0,
  kCertHash = 1,
  kCertHashNodeId = 2,
  kNone = 3,
};
// TLS 1.2 HashAlgorithm / SignatureAlgorithm codes.
inline constexpr uint8_t kHashNone = 0;
inline constexpr uint8_t kHashSha1 = 2;
inline constexpr uint8_t kHashSha256 = 4;
inline constexpr uint8_t kSigAnonymous = 0;
inline constexpr uint8_t kSigRsa = 1;
inline constexpr uint8_t kSigEcdsa = 3;

// Kind-IDs (IANA "RELOAD Data Kind-ID").
inline constexpr uint32_t kKindSipRegistration = 0x1;
inline constexpr uint32_t kKindTurnService = 0x2;
inline constexpr uint32_t kKindCertificateByNode = 0x3;
inline constexpr uint32_t kKindAccessControlList = 0x4;
inline constexpr uint32_t kKindCertificateByUser = 0x10;
inline constexpr uint32_t kKindRedir = 0x104;  // RFC 7374

// Data models: never on the wire, but they decide how StoredDataValue parses.
enum class DataModel : uint8_t { kSingle = 1, kArray = 2, kDictionary = 3 };
// The name the configuration document uses: "SINGLE", "ARRAY", "DICTIONARY".
const char* DataModelName(DataModel model);

}  // namespace p2psip::wire

#endif  // P2PSIP_WIRE_CONSTANTS_H_

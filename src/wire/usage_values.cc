#include "p2psip/wire/usage_values.h"

#include "p2psip/wire/codec.h"
#include "p2psip/wire/stored_data.h"

namespace p2psip::wire {
namespace {

enum class DerCheck { kOk, kTruncated, kBad };

// Frames the DER SEQUENCE at the start of `b`; on kOk, *total is its size (header + contents).
DerCheck FrameDerSequence(std::span<const uint8_t> b, size_t* total) {
  if (b.empty()) return DerCheck::kTruncated;
  if (b[0] != 0x30) return DerCheck::kBad;
  if (b.size() < 2) return DerCheck::kTruncated;
  size_t header = 2;
  uint64_t length = b[1];
  if (length & 0x80) {
    const size_t n = length & 0x7F;
    // 0x80 is BER's indefinite form; more than 4 length bytes exceeds opaque<0..2^32-1>.
    if (n == 0 || n > 4) return DerCheck::kBad;
    if (b.size() < 2 + n) return DerCheck::kTruncated;
    // DER demands the shortest form: no leading zero byte, long form only from 128 on.
    if (b[2] == 0) return DerCheck::kBad;
    length = 0;
    for (size_t i = 0; i < n; ++i) length = (length << 8) | b[2 + i];
    if (length < 0x80) return DerCheck::kBad;
    header += n;
  }
  if (b.size() - header < length) return DerCheck::kTruncated;
  *total = header + static_cast<size_t>(length);
  return DerCheck::kOk;
}

}  // namespace

bool IsDerSequence(std::span<const uint8_t> bytes) {
  size_t total = 0;
  return FrameDerSequence(bytes, &total) == DerCheck::kOk && total == bytes.size();
}

bool Decode(ByteReader& r, SipRegistration* out) {
  *out = SipRegistration{};
  if (!r.ReadU8(&out->type, "sip_registration.type")) return false;
  return DecodeLengthDelimited(r, 2, "sip_registration.length", [&](ByteReader& body) {
    switch (static_cast<SipRegistrationType>(out->type)) {
      case SipRegistrationType::kUri:
        return body.ReadOpaque(2, &out->uri, "sip_registration.uri");
      case SipRegistrationType::kRoute: {
        if (!body.ReadOpaque(2, &out->contact_prefs, "sip_registration.contact_prefs")) {
          return false;
        }
        const uint32_t at = body.offset();
        ByteReader list;
        if (!body.ReadVector(2, &list, "sip_registration.destination_list")) return false;
        if (list.remaining() < kMinSipDestinationListBytes) {
          return body.FailAt(DecodeErrorCode::kBadValue, at,
                             "sip_registration.destination_list (fewer than 3 bytes)");
        }
        return DecodeDestinations(list, &out->destination_list);
      }
    }
    // The length makes unknown registration types skippable: keep them for re-encoding.
    std::span<const uint8_t> raw;
    if (!body.ReadFixed(body.remaining(), &raw, "sip_registration.value")) return false;
    out->unknown_value.assign(raw.begin(), raw.end());
    return true;
  });
}

void Encode(ByteWriter& w, const SipRegistration& v) {
  w.WriteU8(v.type);
  const size_t mark = w.BeginVector(2);
  switch (static_cast<SipRegistrationType>(v.type)) {
    case SipRegistrationType::kUri:
      w.WriteOpaque(2, v.uri, "sip_registration.uri");
      break;
    case SipRegistrationType::kRoute: {
      w.WriteOpaque(2, v.contact_prefs, "sip_registration.contact_prefs");
      const size_t list_mark = w.BeginVector(2);
      EncodeDestinations(w, v.destination_list);
      const size_t list_bytes = w.size() - list_mark - 2;
      if (list_bytes < kMinSipDestinationListBytes) {
        w.FailTooShort("sip_registration.destination_list", list_bytes,
                       kMinSipDestinationListBytes);
      }
      w.EndVector(list_mark, 2, "sip_registration.destination_list");
      break;
    }
    default:
      w.WriteBytes(v.unknown_value);
      break;
  }
  w.EndVector(mark, 2, "sip_registration.length");
}

bool Decode(ByteReader& r, TurnServer* out) {
  return r.ReadU8(&out->iteration, "turn_server.iteration") && Decode(r, &out->server_address);
}

void Encode(ByteWriter& w, const TurnServer& v) {
  w.WriteU8(v.iteration);
  Encode(w, v.server_address);
}

bool Decode(ByteReader& r, CertificateValue* out) {
  size_t total = 0;
  switch (FrameDerSequence(r.rest(), &total)) {
    case DerCheck::kTruncated:
      return r.Fail(DecodeErrorCode::kTruncated, "certificate.der (length runs past the value)");
    case DerCheck::kBad:
      return r.Fail(DecodeErrorCode::kBadValue, "certificate.der (not a DER SEQUENCE)");
    case DerCheck::kOk:
      break;
  }
  std::span<const uint8_t> der;
  if (!r.ReadFixed(total, &der, "certificate.der")) return false;
  out->der.assign(der.begin(), der.end());
  return true;
}

void Encode(ByteWriter& w, const CertificateValue& v) { w.WriteBytes(v.der); }

absl::StatusOr<SipRegistration> ParseSipRegistration(std::span<const uint8_t> value,
                                                     WireContext ctx) {
  return DecodeAs<SipRegistration>(value, ctx);
}

absl::StatusOr<TurnServer> ParseTurnServer(std::span<const uint8_t> value) {
  return DecodeAs<TurnServer>(value);
}

absl::StatusOr<CertificateValue> ParseCertificateValue(std::span<const uint8_t> value) {
  return DecodeAs<CertificateValue>(value);
}

}  // namespace p2psip::wire

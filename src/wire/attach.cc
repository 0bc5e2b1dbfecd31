#include "p2psip/wire/attach.h"

#include <utility>

namespace p2psip::wire {
namespace {

// foundation is declared opaque<0..255>: a one-byte prefix.
constexpr size_t kMaxFoundation = 255;

bool IsKnownCandType(uint8_t type) {
  return type == kCandTypeHost || IceCandidate::HasRelatedAddress(type);
}

// AppAttachReq and AppAttachAns have the same layout.
template <class T>
bool DecodeAppAttach(ByteReader& r, T* out) {
  return r.ReadOpaque(1, &out->ufrag, "app_attach.ufrag") &&
         r.ReadOpaque(1, &out->password, "app_attach.password") &&
         r.ReadU16(&out->application, "app_attach.application") &&
         r.ReadOpaque(1, &out->role, "app_attach.role") &&
         ReadList(r, 2, &out->candidates, "app_attach.candidates");
}

template <class T>
void EncodeAppAttach(ByteWriter& w, const T& v) {
  w.WriteOpaque(1, v.ufrag, "app_attach.ufrag");
  w.WriteOpaque(1, v.password, "app_attach.password");
  w.WriteU16(v.application);
  w.WriteOpaque(1, v.role, "app_attach.role");
  WriteList(w, 2, v.candidates, "app_attach.candidates");
}

}  // namespace

bool Decode(ByteReader& r, IceExtension* out) {
  return r.ReadOpaque(2, &out->name, "ice_extension.name") &&
         r.ReadOpaque(2, &out->value, "ice_extension.value");
}

void Encode(ByteWriter& w, const IceExtension& v) {
  w.WriteOpaque(2, v.name, "ice_extension.name");
  w.WriteOpaque(2, v.value, "ice_extension.value");
}

bool Decode(ByteReader& r, IceCandidate* out) {
  *out = IceCandidate{};
  if (!Decode(r, &out->addr_port)) return false;
  const uint32_t link_at = r.offset();
  if (!r.ReadU8(&out->overlay_link, "ice_candidate.overlay_link")) return false;
  if (out->overlay_link == 0) {
    return r.FailAt(DecodeErrorCode::kBadValue, link_at,
                    "ice_candidate.overlay_link (0 is invalid)");
  }
  if (!r.ReadOpaque(1, &out->foundation, "ice_candidate.foundation", kMaxFoundation) ||
      !r.ReadU32(&out->priority, "ice_candidate.priority")) {
    return false;
  }
  const uint32_t type_at = r.offset();
  if (!r.ReadU8(&out->type, "ice_candidate.type")) return false;
  if (!IsKnownCandType(out->type)) {
    return r.FailAt(DecodeErrorCode::kUnknownType, type_at, "ice_candidate.type");
  }
  if (IceCandidate::HasRelatedAddress(out->type)) {
    IpAddressPort rel;
    if (!Decode(r, &rel)) return false;
    out->rel_addr_port = std::move(rel);
  }
  return ReadList(r, 2, &out->extensions, "ice_candidate.extensions");
}

void Encode(ByteWriter& w, const IceCandidate& v) {
  Encode(w, v.addr_port);
  w.WriteU8(v.overlay_link);
  w.WriteOpaque(1, v.foundation, "ice_candidate.foundation", kMaxFoundation);
  w.WriteU32(v.priority);
  w.WriteU8(v.type);
  // What the decoder would reject is an encode error rather than silently different bytes.
  if (!IsKnownCandType(v.type)) {
    w.FailInvalid("ice_candidate.type (unknown CandType)");
  }
  const bool wants_rel = IceCandidate::HasRelatedAddress(v.type);
  if (wants_rel != v.rel_addr_port.has_value()) {
    w.FailInvalid("ice_candidate.rel_addr_port (present exactly for srflx and relay)");
  }
  if (wants_rel && v.rel_addr_port.has_value()) Encode(w, *v.rel_addr_port);
  WriteList(w, 2, v.extensions, "ice_candidate.extensions");
}

bool Decode(ByteReader& r, AttachReqAns* out) {
  return r.ReadOpaque(1, &out->ufrag, "attach.ufrag") &&
         r.ReadOpaque(1, &out->password, "attach.password") &&
         r.ReadOpaque(1, &out->role, "attach.role") &&
         ReadList(r, 2, &out->candidates, "attach.candidates") &&
         r.ReadBool(&out->send_update, "attach.send_update");
}

void Encode(ByteWriter& w, const AttachReqAns& v) {
  w.WriteOpaque(1, v.ufrag, "attach.ufrag");
  w.WriteOpaque(1, v.password, "attach.password");
  w.WriteOpaque(1, v.role, "attach.role");
  WriteList(w, 2, v.candidates, "attach.candidates");
  w.WriteBool(v.send_update);
}

bool Decode(ByteReader& r, AppAttachReq* out) { return DecodeAppAttach(r, out); }
void Encode(ByteWriter& w, const AppAttachReq& v) { EncodeAppAttach(w, v); }
bool Decode(ByteReader& r, AppAttachAns* out) { return DecodeAppAttach(r, out); }
void Encode(ByteWriter& w, const AppAttachAns& v) { EncodeAppAttach(w, v); }

}  // namespace p2psip::wire

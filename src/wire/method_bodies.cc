#include "p2psip/wire/method_bodies.h"

#include <utility>

namespace p2psip::wire {

bool Decode(ByteReader& r, ProbeReq* out) {
  ByteReader list;
  if (!r.ReadVector(1, &list, "probe_req.requested_info")) return false;
  out->requested_info.clear();
  while (!list.empty()) {
    const uint32_t at = list.offset();
    uint8_t type = 0;
    if (!list.ReadU8(&type, "probe_req.requested_info")) return false;
    if (type == 0) {
      return list.FailAt(DecodeErrorCode::kBadValue, at, "probe_req.requested_info (0 is invalid)");
    }
    out->requested_info.push_back(type);
  }
  return true;
}

void Encode(ByteWriter& w, const ProbeReq& v) {
  for (uint8_t type : v.requested_info) {
    if (type == 0) w.FailInvalid("probe_req.requested_info (0 is invalid)");
  }
  w.WriteOpaque(1, v.requested_info, "probe_req.requested_info");
}

bool Decode(ByteReader& r, ProbeInformation* out) {
  *out = ProbeInformation{};
  const uint32_t type_at = r.offset();
  if (!r.ReadU8(&out->type, "probe_information.type")) return false;
  if (out->type == 0) {
    return r.FailAt(DecodeErrorCode::kBadValue, type_at, "probe_information.type (0 is invalid)");
  }
  const uint32_t length_at = r.offset();
  ByteReader value;
  if (!r.ReadVector(1, &value, "probe_information.length")) return false;
  if (!ProbeInformation::IsUint32Type(out->type)) {
    const auto raw = value.rest();
    out->raw.assign(raw.begin(), raw.end());
    return true;
  }
  if (value.remaining() != 4) {
    return r.FailAt(DecodeErrorCode::kLengthMismatch, length_at,
                    "probe_information.length (must be 4 for a uint32 type)");
  }
  return value.ReadU32(&out->value, "probe_information.value");
}

void Encode(ByteWriter& w, const ProbeInformation& v) {
  if (v.type == 0) w.FailInvalid("probe_information.type (0 is invalid)");
  w.WriteU8(v.type);
  if (ProbeInformation::IsUint32Type(v.type)) {
    w.WriteU8(4);
    w.WriteU32(v.value);
  } else {
    w.WriteOpaque(1, v.raw, "probe_information.value");
  }
}

bool Decode(ByteReader& r, ProbeAns* out) {
  return ReadList(r, 2, &out->probe_info, "probe_ans.probe_info");
}

void Encode(ByteWriter& w, const ProbeAns& v) {
  WriteList(w, 2, v.probe_info, "probe_ans.probe_info");
}

bool Decode(ByteReader& r, PingReq* out) {
  return r.ReadOpaque(2, &out->padding, "ping_req.padding");
}

void Encode(ByteWriter& w, const PingReq& v) { w.WriteOpaque(2, v.padding, "ping_req.padding"); }

bool Decode(ByteReader& r, PingAns* out) {
  return r.ReadU64(&out->response_id, "ping_ans.response_id") &&
         r.ReadU64(&out->time, "ping_ans.time");
}

void Encode(ByteWriter& w, const PingAns& v) {
  w.WriteU64(v.response_id);
  w.WriteU64(v.time);
}

bool Decode(ByteReader& r, JoinReq* out) {
  return Decode(r, &out->joining_peer_id) &&
         r.ReadOpaque(2, &out->overlay_specific_data, "join_req.overlay_specific_data");
}

void Encode(ByteWriter& w, const JoinReq& v) {
  Encode(w, v.joining_peer_id);
  w.WriteOpaque(2, v.overlay_specific_data, "join_req.overlay_specific_data");
}

bool Decode(ByteReader& r, JoinAns* out) {
  return r.ReadOpaque(2, &out->overlay_specific_data, "join_ans.overlay_specific_data");
}

void Encode(ByteWriter& w, const JoinAns& v) {
  w.WriteOpaque(2, v.overlay_specific_data, "join_ans.overlay_specific_data");
}

bool Decode(ByteReader& r, LeaveReq* out) {
  return Decode(r, &out->leaving_peer_id) &&
         r.ReadOpaque(2, &out->overlay_specific_data, "leave_req.overlay_specific_data");
}

void Encode(ByteWriter& w, const LeaveReq& v) {
  Encode(w, v.leaving_peer_id);
  w.WriteOpaque(2, v.overlay_specific_data, "leave_req.overlay_specific_data");
}

// Empty bodies consume nothing; DecodeExact turns any byte that follows into kTrailingBytes.
bool Decode(ByteReader&, LeaveAns*) { return true; }
void Encode(ByteWriter&, const LeaveAns&) {}
bool Decode(ByteReader&, UpdateAns*) { return true; }
void Encode(ByteWriter&, const UpdateAns&) {}
bool Decode(ByteReader&, ConfigUpdateAns*) { return true; }
void Encode(ByteWriter&, const ConfigUpdateAns&) {}

bool Decode(ByteReader& r, RouteQueryReq* out) {
  return r.ReadBool(&out->send_update, "route_query_req.send_update") &&
         Decode(r, &out->destination) &&
         r.ReadOpaque(2, &out->overlay_specific_data, "route_query_req.overlay_specific_data");
}

void Encode(ByteWriter& w, const RouteQueryReq& v) {
  w.WriteBool(v.send_update);
  Encode(w, v.destination);
  w.WriteOpaque(2, v.overlay_specific_data, "route_query_req.overlay_specific_data");
}

bool Decode(ByteReader& r, KindDescription* out) {
  return r.ReadOpaque(2, &out->kind_block, "kind_description");
}

void Encode(ByteWriter& w, const KindDescription& v) {
  w.WriteOpaque(2, v.kind_block, "kind_description");
}

bool Decode(ByteReader& r, ConfigUpdateReq* out) {
  *out = ConfigUpdateReq{};
  const uint32_t type_at = r.offset();
  if (!r.ReadU8(&out->type, "config_update.type")) return false;
  if (out->type == 0) {
    return r.FailAt(DecodeErrorCode::kBadValue, type_at, "config_update.type (0 is invalid)");
  }
  const uint32_t length_at = r.offset();
  uint32_t length = 0;
  if (!r.ReadU32(&length, "config_update.length")) return false;
  if (length > r.remaining()) {
    return r.FailAt(DecodeErrorCode::kTruncated, length_at, "config_update.length");
  }
  ByteReader rest;
  if (!r.ReadSub(length, &rest, "config_update.length")) return false;
  if (out->type != kConfigUpdateConfig && out->type != kConfigUpdateKind) {
    // "This structure allows for unknown content types": the length lets us keep them raw.
    const auto raw = rest.rest();
    out->unknown_value.assign(raw.begin(), raw.end());
    return true;
  }
  // Both defined arms are one vector with a 3-byte prefix, so `length` must be exactly that
  // prefix plus its contents. Checking it here reports a lying `length` as kLengthMismatch
  // in both directions instead of a truncation deep inside the vector.
  uint32_t inner = 0;
  if (rest.remaining() < 3 || !rest.ReadU24(&inner, "config_update.length") ||
      inner != rest.remaining()) {
    return r.FailAt(DecodeErrorCode::kLengthMismatch, length_at,
                    "config_update.length (disagrees with the vector it covers)");
  }
  if (out->type == kConfigUpdateConfig) {
    const auto data = rest.rest();
    out->config_data.assign(reinterpret_cast<const char*>(data.data()), data.size());
    return true;
  }
  while (!rest.empty()) {
    KindDescription kind;
    if (!Decode(rest, &kind)) return false;
    out->kinds.push_back(std::move(kind));
  }
  return true;
}

void Encode(ByteWriter& w, const ConfigUpdateReq& v) {
  if (v.type == 0) w.FailInvalid("config_update.type (0 is invalid)");
  w.WriteU8(v.type);
  // `length` covers everything after itself, exactly like a 4-byte vector prefix.
  const size_t mark = w.BeginVector(4);
  switch (v.type) {
    case kConfigUpdateConfig:
      w.WriteOpaque(3, v.config_data, "config_update.config_data");
      break;
    case kConfigUpdateKind:
      WriteList(w, 3, v.kinds, "config_update.kinds");
      break;
    default:
      w.WriteBytes(v.unknown_value);
      break;
  }
  w.EndVector(mark, 4, "config_update.length");
}

}  // namespace p2psip::wire

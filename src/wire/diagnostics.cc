#include "p2psip/wire/diagnostics.h"

#include <algorithm>
#include <utility>

namespace p2psip::wire {
namespace {

constexpr uint16_t kDiagReserved = 0x0000;
constexpr uint16_t kDiagReservedLast = 0xFFFF;
constexpr size_t kKindInstancesSize = 4 + 8;
constexpr size_t kMessageCountsSize = 2 + 8 + 8;

// Decodes items until `list` is empty. Every item here is at least 2 bytes, so the loop always
// makes progress.
template <class T>
bool ReadItems(ByteReader& list, std::vector<T>* out) {
  out->clear();
  while (!list.empty()) {
    T item{};
    if (!Decode(list, &item)) return false;
    out->push_back(std::move(item));
  }
  return true;
}

// uint32 ext_length · T list<0..2^32-1>, where ext_length must equal the list's byte count
// (see the header for why both are on the wire).
template <class T>
bool ReadExtList(ByteReader& r, std::vector<T>* out, const char* ext_field,
                 const char* list_field) {
  const uint32_t ext_at = r.offset();
  uint32_t ext_length = 0;
  ByteReader list;
  if (!r.ReadU32(&ext_length, ext_field) || !r.ReadVector(4, &list, list_field)) return false;
  if (list.remaining() != ext_length) {
    return r.FailAt(DecodeErrorCode::kLengthMismatch, ext_at, ext_field);
  }
  return ReadItems(list, out);
}

template <class T>
void WriteExtList(ByteWriter& w, const std::vector<T>& items, const char* list_field) {
  const size_t ext_at = w.size();
  w.WriteU32(0);  // ext_length, patched below
  const size_t mark = w.BeginVector(4);
  for (const T& item : items) Encode(w, item);
  w.EndVector(mark, 4, list_field);
  const size_t list_length = w.size() - mark - 4;
  w.PatchU32(ext_at, static_cast<uint32_t>(list_length));
}

bool ReadScalar(ByteReader& r, size_t width, uint64_t* out) {
  switch (width) {
    case 1: {
      uint8_t v = 0;
      if (!r.ReadU8(&v, "diagnostic_info.value")) return false;
      *out = v;
      return true;
    }
    case 4: {
      uint32_t v = 0;
      if (!r.ReadU32(&v, "diagnostic_info.value")) return false;
      *out = v;
      return true;
    }
    default:
      return r.ReadU64(out, "diagnostic_info.value");
  }
}

void WriteScalar(ByteWriter& w, size_t width, uint64_t v) {
  if (width < 8 && (v >> (8 * width)) != 0) {
    w.Fail("diagnostic_info.value (too large for its kind)", v, (uint64_t{1} << (8 * width)) - 1);
  }
  switch (width) {
    case 1:
      w.WriteU8(static_cast<uint8_t>(v));
      break;
    case 4:
      w.WriteU32(static_cast<uint32_t>(v));
      break;
    default:
      w.WriteU64(v);
      break;
  }
}

bool IsValidExtensionKind(uint16_t kind) {
  return kind > kDiagLastFlagKind && kind != kDiagReservedLast;
}

}  // namespace

bool Decode(ByteReader& r, DiagnosticExtension* out) {
  const uint32_t kind_at = r.offset();
  if (!r.ReadU16(&out->kind, "diagnostic_extension.kind")) return false;
  // §5.1: kinds 0x0000-0x003F MUST NOT be listed (they are dMFlags); 0xFFFF is reserved.
  if (!IsValidExtensionKind(out->kind)) {
    return r.FailAt(DecodeErrorCode::kBadValue, kind_at,
                    "diagnostic_extension.kind (0x0000-0x003F and 0xFFFF not allowed)");
  }
  return r.ReadOpaque(4, &out->contents, "diagnostic_extension.contents");
}

void Encode(ByteWriter& w, const DiagnosticExtension& v) {
  if (!IsValidExtensionKind(v.kind)) {
    w.FailInvalid("diagnostic_extension.kind (0x0000-0x003F and 0xFFFF not allowed)");
  }
  w.WriteU16(v.kind);
  w.WriteOpaque(4, v.contents, "diagnostic_extension.contents");
}

bool Decode(ByteReader& r, DiagnosticsRequest* out) {
  return r.ReadU64(&out->expiration, "diagnostics_request.expiration") &&
         r.ReadU64(&out->timestamp_initiated, "diagnostics_request.timestamp_initiated") &&
         r.ReadU64(&out->dm_flags, "diagnostics_request.dm_flags") &&
         ReadExtList(r, &out->extensions, "diagnostics_request.ext_length",
                     "diagnostics_request.diagnostic_extensions_list");
}

void Encode(ByteWriter& w, const DiagnosticsRequest& v) {
  w.WriteU64(v.expiration);
  w.WriteU64(v.timestamp_initiated);
  w.WriteU64(v.dm_flags);
  WriteExtList(w, v.extensions, "diagnostics_request.diagnostic_extensions_list");
}

bool Decode(ByteReader& r, KindInstances* out) {
  return r.ReadU32(&out->kind, "instances_stored.kind") &&
         r.ReadU64(&out->instances, "instances_stored.instances");
}

void Encode(ByteWriter& w, const KindInstances& v) {
  w.WriteU32(v.kind);
  w.WriteU64(v.instances);
}

bool Decode(ByteReader& r, MessageCounts* out) {
  return r.ReadU16(&out->message_code, "messages_sent_rcvd.message_code") &&
         r.ReadU64(&out->sent, "messages_sent_rcvd.sent") &&
         r.ReadU64(&out->received, "messages_sent_rcvd.received");
}

void Encode(ByteWriter& w, const MessageCounts& v) {
  w.WriteU16(v.message_code);
  w.WriteU64(v.sent);
  w.WriteU64(v.received);
}

bool Decode(ByteReader& r, DiagnosticInfo* out) {
  *out = DiagnosticInfo{};
  const uint32_t kind_at = r.offset();
  if (!r.ReadU16(&out->kind, "diagnostic_info.kind")) return false;
  if (out->kind == kDiagReserved || out->kind == kDiagReservedLast) {
    return r.FailAt(DecodeErrorCode::kBadValue, kind_at, "diagnostic_info.kind (reserved)");
  }
  const uint32_t length_at = r.offset();
  ByteReader contents;
  if (!r.ReadVector(2, &contents, "diagnostic_info.contents")) return false;

  if (const size_t width = DiagnosticScalarWidth(out->kind); width != 0) {
    if (contents.remaining() != width) {
      return r.FailAt(DecodeErrorCode::kLengthMismatch, length_at,
                      "diagnostic_info.contents (size fixed by its kind)");
    }
    return ReadScalar(contents, width, &out->scalar);
  }
  switch (out->kind) {
    case kDiagSoftwareVersion: {
      // "a C-style string and MUST be terminated by \0 ... \0 MUST NOT be included in the
      // string itself".
      const auto text = contents.rest();
      if (text.empty() || text.back() != 0 ||
          std::find(text.begin(), text.end() - 1, 0) != text.end() - 1) {
        return r.FailAt(DecodeErrorCode::kBadValue, length_at,
                        "diagnostic_info.software_version (one terminating NUL)");
      }
      out->software_version.assign(reinterpret_cast<const char*>(text.data()), text.size() - 1);
      return true;
    }
    case kDiagInstancesStored:
      if (contents.remaining() % kKindInstancesSize != 0) {
        return r.FailAt(DecodeErrorCode::kLengthMismatch, length_at,
                        "diagnostic_info.instances_stored (12-byte entries)");
      }
      return ReadItems(contents, &out->instances_stored);
    case kDiagMessagesSentRcvd:
      if (contents.remaining() % kMessageCountsSize != 0) {
        return r.FailAt(DecodeErrorCode::kLengthMismatch, length_at,
                        "diagnostic_info.messages_sent_rcvd (18-byte entries)");
      }
      return ReadItems(contents, &out->messages_sent_rcvd);
    default: {
      const auto raw = contents.rest();
      out->raw.assign(raw.begin(), raw.end());
      return true;
    }
  }
}

void Encode(ByteWriter& w, const DiagnosticInfo& v) {
  if (v.kind == kDiagReserved || v.kind == kDiagReservedLast) {
    w.FailInvalid("diagnostic_info.kind (reserved)");
  }
  w.WriteU16(v.kind);
  const size_t mark = w.BeginVector(2);
  if (const size_t width = DiagnosticScalarWidth(v.kind); width != 0) {
    WriteScalar(w, width, v.scalar);
  } else {
    switch (v.kind) {
      case kDiagSoftwareVersion:
        if (v.software_version.find('\0') != std::string::npos) {
          w.FailInvalid("diagnostic_info.software_version (embedded NUL)");
        }
        w.WriteBytes(v.software_version);
        w.WriteU8(0);
        break;
      case kDiagInstancesStored:
        for (const KindInstances& e : v.instances_stored) Encode(w, e);
        break;
      case kDiagMessagesSentRcvd:
        for (const MessageCounts& e : v.messages_sent_rcvd) Encode(w, e);
        break;
      default:
        w.WriteBytes(v.raw);
        break;
    }
  }
  w.EndVector(mark, 2, "diagnostic_info.contents");
}

bool Decode(ByteReader& r, DiagnosticsResponse* out) {
  return r.ReadU64(&out->expiration, "diagnostics_response.expiration") &&
         r.ReadU64(&out->timestamp_initiated, "diagnostics_response.timestamp_initiated") &&
         r.ReadU64(&out->timestamp_received, "diagnostics_response.timestamp_received") &&
         r.ReadU8(&out->hop_counter, "diagnostics_response.hop_counter") &&
         ReadExtList(r, &out->info, "diagnostics_response.ext_length",
                     "diagnostics_response.diagnostic_info_list");
}

void Encode(ByteWriter& w, const DiagnosticsResponse& v) {
  w.WriteU64(v.expiration);
  w.WriteU64(v.timestamp_initiated);
  w.WriteU64(v.timestamp_received);
  w.WriteU8(v.hop_counter);
  WriteExtList(w, v.info, "diagnostics_response.diagnostic_info_list");
}

bool Decode(ByteReader& r, PathTrackReq* out) {
  return Decode(r, &out->destination) && Decode(r, &out->request);
}

void Encode(ByteWriter& w, const PathTrackReq& v) {
  Encode(w, v.destination);
  Encode(w, v.request);
}

bool Decode(ByteReader& r, PathTrackAns* out) {
  return Decode(r, &out->next_hop) && Decode(r, &out->response);
}

void Encode(ByteWriter& w, const PathTrackAns& v) {
  Encode(w, v.next_hop);
  Encode(w, v.response);
}

bool Decode(ByteReader& r, SelfTuningData* out) {
  return r.ReadU32(&out->network_size, "self_tuning_data.network_size") &&
         r.ReadU32(&out->join_rate, "self_tuning_data.join_rate") &&
         r.ReadU32(&out->leave_rate, "self_tuning_data.leave_rate");
}

void Encode(ByteWriter& w, const SelfTuningData& v) {
  w.WriteU32(v.network_size);
  w.WriteU32(v.join_rate);
  w.WriteU32(v.leave_rate);
}

}  // namespace p2psip::wire

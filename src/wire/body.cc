#include "p2psip/wire/body.h"

#include "p2psip/wire/codec.h"

namespace p2psip::wire {
namespace {

template <class T>
bool DecodeAsBody(ByteReader& r, Body* out) {
  T value{};
  if (!Decode(r, &value) || !r.ExpectEnd("message_body (bytes after body)")) return false;
  *out = std::move(value);
  return true;
}

constexpr uint16_t kCodes[] = {
    0x01, 0x02, 0x03, 0x04, 0x07, 0x08, 0x09, 0x0A, 0x0D, 0x0E, 0x0F,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A,
    0x1D, 0x1E, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0xFFFF,
};

}  // namespace

std::span<const uint16_t> AllMessageCodes() { return kCodes; }

bool DecodeBody(uint16_t message_code, std::span<const uint8_t> body, Body* out, DecodeError* error,
                WireContext ctx) {
  *error = {};
  ByteReader r(body, error, ctx);
  using C = MessageCode;
  switch (static_cast<C>(message_code)) {
    case C::kProbeReq:
      return DecodeAsBody<ProbeReq>(r, out);
    case C::kProbeAns:
      return DecodeAsBody<ProbeAns>(r, out);
    case C::kAttachReq:
    case C::kAttachAns:
      return DecodeAsBody<AttachReqAns>(r, out);
    case C::kStoreReq:
      return DecodeAsBody<StoreReq>(r, out);
    case C::kStoreAns:
      return DecodeAsBody<StoreAns>(r, out);
    case C::kFetchReq:
      return DecodeAsBody<FetchReq>(r, out);
    case C::kFetchAns:
      return DecodeAsBody<FetchAns>(r, out);
    case C::kFindReq:
      return DecodeAsBody<FindReq>(r, out);
    case C::kFindAns:
      return DecodeAsBody<FindAns>(r, out);
    case C::kJoinReq:
      return DecodeAsBody<JoinReq>(r, out);
    case C::kJoinAns:
      return DecodeAsBody<JoinAns>(r, out);
    case C::kLeaveReq:
      return DecodeAsBody<LeaveReq>(r, out);
    case C::kLeaveAns:
      return DecodeAsBody<LeaveAns>(r, out);
    case C::kUpdateReq:
      return DecodeAsBody<ChordUpdate>(r, out);
    case C::kUpdateAns:
      return DecodeAsBody<UpdateAns>(r, out);
    case C::kRouteQueryReq:
      return DecodeAsBody<RouteQueryReq>(r, out);
    case C::kRouteQueryAns:
      return DecodeAsBody<ChordRouteQueryAns>(r, out);
    case C::kPingReq:
      return DecodeAsBody<PingReq>(r, out);
    case C::kPingAns:
      return DecodeAsBody<PingAns>(r, out);
    case C::kStatReq:
      return DecodeAsBody<StatReq>(r, out);
    case C::kStatAns:
      return DecodeAsBody<StatAns>(r, out);
    case C::kAppAttachReq:
      return DecodeAsBody<AppAttachReq>(r, out);
    case C::kAppAttachAns:
      return DecodeAsBody<AppAttachAns>(r, out);
    case C::kConfigUpdateReq:
      return DecodeAsBody<ConfigUpdateReq>(r, out);
    case C::kConfigUpdateAns:
      return DecodeAsBody<ConfigUpdateAns>(r, out);
    case C::kPathTrackReq:
      return DecodeAsBody<PathTrackReq>(r, out);
    case C::kPathTrackAns:
      return DecodeAsBody<PathTrackAns>(r, out);
    case C::kError:
      return DecodeAsBody<ErrorResponse>(r, out);
    case C::kExpAReq:
    case C::kExpAAns:
    case C::kExpBReq:
    case C::kExpBAns:
      *out = ExperimentalBody{{body.begin(), body.end()}};
      return true;
    default:
      return r.Fail(DecodeErrorCode::kUnknownType, "message_code (no such method)");
  }
}

absl::StatusOr<Body> DecodeBody(uint16_t message_code, std::span<const uint8_t> body,
                                WireContext ctx) {
  Body out;
  DecodeError error;
  if (!DecodeBody(message_code, body, &out, &error, ctx)) return error.ToStatus();
  return out;
}

void Encode(ByteWriter& w, const Body& body) {
  std::visit(
      [&w](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, ExperimentalBody>) {
          w.WriteBytes(v.bytes);
        } else {
          Encode(w, v);
        }
      },
      body);
}

ErrorResponse MakeGenerationCounterTooLowError(const StoreAns& current) {
  ErrorResponse e;
  e.error_code = static_cast<uint16_t>(ErrorCode::kGenerationCounterTooLow);
  StoreAns stripped = current;
  for (StoreKindResponse& k : stripped.kind_responses) k.replicas.clear();
  ByteWriter w(&e.error_info);
  Encode(w, stripped);
  return e;
}

ErrorResponse MakeUnknownKindError(const std::vector<uint32_t>& unknown_kinds) {
  ErrorResponse e;
  e.error_code = static_cast<uint16_t>(ErrorCode::kUnknownKind);
  ByteWriter w(&e.error_info);
  const size_t mark = w.BeginVector(1);
  for (uint32_t k : unknown_kinds) w.WriteU32(k);
  w.EndVector(mark, 1, "error_info.unknown_kinds");
  return e;
}

bool DecodeGenerationCounterTooLow(const ErrorResponse& error, StoreAns* out, DecodeError* err,
                                   WireContext ctx) {
  return DecodeExact(error.error_info, out, err, ctx);
}

bool DecodeUnknownKinds(const ErrorResponse& error, std::vector<uint32_t>* out, DecodeError* err) {
  *err = {};
  ByteReader r(error.error_info, err);
  ByteReader list;
  if (!r.ReadVector(1, &list, "error_info.unknown_kinds") ||
      !r.ExpectEnd("error_info (bytes after unknown_kinds)")) {
    return false;
  }
  if (list.remaining() % 4 != 0) {
    return list.Fail(DecodeErrorCode::kLengthMismatch, "error_info.unknown_kinds (not uint32s)");
  }
  out->clear();
  while (!list.empty()) {
    uint32_t k = 0;
    list.ReadU32(&k, "error_info.unknown_kinds");
    out->push_back(k);
  }
  return true;
}

absl::StatusOr<MessageContents> MakeContents(uint16_t code, const Body& body) {
  MessageContents c;
  c.message_code = code;
  ByteWriter w(&c.body);
  Encode(w, body);
  if (!w.ok()) return absl::InvalidArgumentError(w.error().ToString());
  return c;
}

}  // namespace p2psip::wire

#include "p2psip/wire/destination.h"

namespace p2psip::wire {

bool Decode(ByteReader& r, NodeId* out) {
  uint8_t buf[kMaxNodeIdLength];
  const size_t n = r.ctx().node_id_length;
  if (n < kMinNodeIdLength || n > kMaxNodeIdLength) {
    return r.Fail(DecodeErrorCode::kBadValue, "node_id_length (context)");
  }
  if (!r.ReadFixed(n, buf, "node_id")) return false;
  *out = NodeId({buf, n});
  return true;
}

void Encode(ByteWriter& w, const NodeId& id) { w.WriteBytes(id.bytes()); }

bool Decode(ByteReader& r, ResourceId* out) {
  std::span<const uint8_t> view;
  if (!r.ReadOpaqueView(1, &view, "resource_id")) return false;
  *out = ResourceId(view);
  return true;
}

void Encode(ByteWriter& w, const ResourceId& id) { w.WriteOpaque(1, id.bytes(), "resource_id"); }

Destination Destination::Node(const NodeId& id) {
  Destination d;
  d.type = DestinationType::kNode;
  d.data.assign(id.bytes().begin(), id.bytes().end());
  return d;
}

Destination Destination::Resource(const ResourceId& id) {
  Destination d;
  d.type = DestinationType::kResource;
  d.data.assign(id.bytes().begin(), id.bytes().end());
  return d;
}

Destination Destination::Opaque(std::span<const uint8_t> id) {
  Destination d;
  d.type = DestinationType::kOpaqueId;
  d.data.assign(id.begin(), id.end());
  return d;
}

Destination Destination::Compressed(uint16_t id) {
  Destination d;
  d.type = DestinationType::kCompressed;
  id |= 0x8000;
  d.data = {static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id)};
  return d;
}

size_t Destination::WireSize() const {
  switch (type) {
    case DestinationType::kCompressed:
      return 2;
    case DestinationType::kNode:
      return 2 + data.size();
    case DestinationType::kResource:
    case DestinationType::kOpaqueId:
      return 3 + data.size();
    default:
      return 2 + data.size();
  }
}

bool Decode(ByteReader& r, Destination* out) {
  const uint32_t start = r.offset();
  uint8_t first = 0;
  if (!r.ReadU8(&first, "destination.type")) return false;
  if (first & 0x80) {
    uint8_t second = 0;
    if (!r.ReadU8(&second, "destination.compressed_id")) return false;
    out->type = DestinationType::kCompressed;
    out->data = {first, second};
    return true;
  }
  ByteReader body;
  if (!r.ReadVector(1, &body, "destination.length")) return false;
  switch (static_cast<DestinationType>(first)) {
    case DestinationType::kInvalid:
      return r.FailAt(DecodeErrorCode::kBadValue, start, "destination.type (0 is invalid)");
    case DestinationType::kNode: {
      if (body.remaining() != body.ctx().node_id_length) {
        return r.FailAt(DecodeErrorCode::kLengthMismatch, start,
                        "destination.length (node id length)");
      }
      NodeId id;
      if (!Decode(body, &id)) return false;
      out->type = DestinationType::kNode;
      out->data.assign(id.bytes().begin(), id.bytes().end());
      return true;
    }
    case DestinationType::kResource:
    case DestinationType::kOpaqueId: {
      std::span<const uint8_t> id;
      if (!body.ReadOpaqueView(1, &id, "destination.id")) return false;
      if (!body.ExpectEnd("destination.length (inner id length)")) return false;
      out->type = static_cast<DestinationType>(first);
      out->data.assign(id.begin(), id.end());
      return true;
    }
    default: {
      std::span<const uint8_t> raw = body.rest();
      out->type = static_cast<DestinationType>(first);
      out->unknown_type = first;
      out->data.assign(raw.begin(), raw.end());
      return true;
    }
  }
}

void Encode(ByteWriter& w, const Destination& d) {
  switch (d.type) {
    case DestinationType::kCompressed:
      w.WriteU8(static_cast<uint8_t>(d.data.size() > 0 ? (d.data[0] | 0x80) : 0x80));
      w.WriteU8(d.data.size() > 1 ? d.data[1] : 0);
      return;
    case DestinationType::kNode:
      w.WriteU8(1);
      w.WriteOpaque(1, {d.data.data(), d.data.size()}, "destination.node_id");
      return;
    case DestinationType::kResource:
    case DestinationType::kOpaqueId: {
      w.WriteU8(static_cast<uint8_t>(d.type));
      const size_t mark = w.BeginVector(1);
      w.WriteOpaque(1, {d.data.data(), d.data.size()}, "destination.id", 254);
      w.EndVector(mark, 1, "destination.length");
      return;
    }
    default:
      w.WriteU8(d.unknown_type);
      w.WriteOpaque(1, {d.data.data(), d.data.size()}, "destination.data");
      return;
  }
}

bool DecodeDestinations(ByteReader& r, std::vector<Destination>* out) {
  out->clear();
  while (!r.empty()) {
    Destination d;
    if (!Decode(r, &d)) return false;
    out->push_back(std::move(d));
  }
  return true;
}

void EncodeDestinations(ByteWriter& w, const std::vector<Destination>& list) {
  for (const Destination& d : list) Encode(w, d);
}

bool DecodeDestinationList16(ByteReader& r, std::vector<Destination>* out, const char* field) {
  ByteReader sub;
  if (!r.ReadVector(2, &sub, field)) return false;
  return DecodeDestinations(sub, out);
}

void EncodeDestinationList16(ByteWriter& w, const std::vector<Destination>& list,
                             const char* field) {
  const size_t mark = w.BeginVector(2);
  EncodeDestinations(w, list);
  w.EndVector(mark, 2, field);
}

}  // namespace p2psip::wire

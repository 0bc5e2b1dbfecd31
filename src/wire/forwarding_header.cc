#include "p2psip/wire/forwarding_header.h"

namespace p2psip::wire {

bool Decode(ByteReader& r, ForwardingOption* out) {
  return r.ReadU8(&out->type, "forwarding_option.type") &&
         r.ReadU8(&out->flags, "forwarding_option.flags") &&
         r.ReadOpaque(2, &out->value, "forwarding_option.option");
}

void Encode(ByteWriter& w, const ForwardingOption& v) {
  w.WriteU8(v.type);
  w.WriteU8(v.flags);
  w.WriteOpaque(2, v.value, "forwarding_option.option");
}

bool Decode(ByteReader& r, ExtensiveRoutingMode* out) {
  ByteReader dests;
  if (!r.ReadU8(&out->route_mode, "extensive_routing_mode.routemode") ||
      !r.ReadU8(&out->transport, "extensive_routing_mode.transport") ||
      !Decode(r, &out->ip_address_port) ||
      !r.ReadVector(1, &dests, "extensive_routing_mode.destinations")) {
    return false;
  }
  if (dests.empty()) {
    return dests.Fail(DecodeErrorCode::kBadValue, "extensive_routing_mode.destinations (<1..>)");
  }
  return DecodeDestinations(dests, &out->destinations);
}

void Encode(ByteWriter& w, const ExtensiveRoutingMode& v) {
  w.WriteU8(v.route_mode);
  w.WriteU8(v.transport);
  Encode(w, v.ip_address_port);
  const size_t mark = w.BeginVector(1);
  EncodeDestinations(w, v.destinations);
  w.EndVector(mark, 1, "extensive_routing_mode.destinations");
}

static size_t ListSize(const std::vector<Destination>& list) {
  size_t n = 0;
  for (const Destination& d : list) n += d.WireSize();
  return n;
}

size_t ForwardingHeader::WireSize() const {
  size_t n = kForwardingHeaderFixedSize + ListSize(via_list) + ListSize(destination_list);
  for (const ForwardingOption& o : options) n += 4 + o.value.size();
  return n;
}

bool Decode(ByteReader& r, ForwardingHeader* out) {
  const uint32_t start = r.offset();
  uint32_t token = 0;
  if (!r.ReadU32(&token, "forwarding.relo_token")) return false;
  if (token != kReloToken) {
    return r.FailAt(DecodeErrorCode::kBadValue, start, "forwarding.relo_token");
  }
  if (!r.ReadU32(&out->overlay, "forwarding.overlay") ||
      !r.ReadU16(&out->configuration_sequence, "forwarding.configuration_sequence") ||
      !r.ReadU8(&out->version, "forwarding.version")) {
    return false;
  }
  if (out->version != kVersion) {
    return r.FailAt(DecodeErrorCode::kBadValue, start + 10, "forwarding.version (not 0x0a)");
  }
  uint16_t via_len = 0, dest_len = 0, opt_len = 0;
  if (!r.ReadU8(&out->ttl, "forwarding.ttl") || !r.ReadU32(&out->fragment, "forwarding.fragment")) {
    return false;
  }
  if ((out->fragment & kFragmentMarker) == 0) {
    return r.FailAt(DecodeErrorCode::kBadValue, start + 12, "forwarding.fragment (bit 31 clear)");
  }
  if (!r.ReadU32(&out->length, "forwarding.length") ||
      !r.ReadU64(&out->transaction_id, "forwarding.transaction_id") ||
      !r.ReadU32(&out->max_response_length, "forwarding.max_response_length") ||
      !r.ReadU16(&via_len, "forwarding.via_list_length") ||
      !r.ReadU16(&dest_len, "forwarding.destination_list_length") ||
      !r.ReadU16(&opt_len, "forwarding.options_length")) {
    return false;
  }
  ByteReader via, dest, opts;
  if (!r.ReadSub(via_len, &via, "forwarding.via_list") ||
      !DecodeDestinations(via, &out->via_list) ||
      !r.ReadSub(dest_len, &dest, "forwarding.destination_list") ||
      !DecodeDestinations(dest, &out->destination_list) ||
      !r.ReadSub(opt_len, &opts, "forwarding.options")) {
    return false;
  }
  out->options.clear();
  while (!opts.empty()) {
    ForwardingOption o;
    if (!Decode(opts, &o)) return false;
    out->options.push_back(std::move(o));
  }
  if (out->destination_list.empty()) {
    return r.FailAt(DecodeErrorCode::kBadValue, start + 34, "forwarding.destination_list (empty)");
  }
  return true;
}

void Encode(ByteWriter& w, const ForwardingHeader& v) {
  w.WriteU32(kReloToken);
  w.WriteU32(v.overlay);
  w.WriteU16(v.configuration_sequence);
  w.WriteU8(v.version);
  w.WriteU8(v.ttl);
  w.WriteU32(v.fragment);
  w.WriteU32(v.length);
  w.WriteU64(v.transaction_id);
  w.WriteU32(v.max_response_length);
  const size_t lengths = w.size();
  w.WriteU16(0);
  w.WriteU16(0);
  w.WriteU16(0);
  const size_t via_start = w.size();
  EncodeDestinations(w, v.via_list);
  const size_t dest_start = w.size();
  EncodeDestinations(w, v.destination_list);
  const size_t opt_start = w.size();
  for (const ForwardingOption& o : v.options) Encode(w, o);
  const size_t end = w.size();
  if (dest_start - via_start > 0xFFFF)
    w.Fail("forwarding.via_list", dest_start - via_start, 0xFFFF);
  if (opt_start - dest_start > 0xFFFF) {
    w.Fail("forwarding.destination_list", opt_start - dest_start, 0xFFFF);
  }
  if (end - opt_start > 0xFFFF) w.Fail("forwarding.options", end - opt_start, 0xFFFF);
  w.PatchU16(lengths, static_cast<uint16_t>(dest_start - via_start));
  w.PatchU16(lengths + 2, static_cast<uint16_t>(opt_start - dest_start));
  w.PatchU16(lengths + 4, static_cast<uint16_t>(end - opt_start));
}

}  // namespace p2psip::wire

// Destination (RFC 6940 §6.3.2.2): an entry of a Via or Destination List, plus the codecs of
// the two id types it carries.
//
// Wire forms, told apart by the top bit of the first byte:
//   compressed: uint16 with the top bit set (an opaque 2-byte id);
//   TLV: uint8 type (top bit clear) · uint8 length · data, where node(1) data is a NodeId of
//        NodeIdLength bytes, resource(2) and opaque_id_type(3) data is opaque<0..2^8-1>.
// A TLV of an unknown type is kept (type + raw data) so that it round-trips and can be skipped.
#ifndef P2PSIP_WIRE_DESTINATION_H_
#define P2PSIP_WIRE_DESTINATION_H_

#include <cstdint>
#include <vector>

#include "p2psip/ids.h"
#include "p2psip/wire/byte_reader.h"
#include "p2psip/wire/byte_writer.h"
#include "p2psip/wire/constants.h"

namespace p2psip::wire {

// NodeId: fixed NodeIdLength bytes (from the reader's WireContext).
bool Decode(ByteReader& r, NodeId* out);
void Encode(ByteWriter& w, const NodeId& id);
// ResourceId: opaque<0..2^8-1>.
bool Decode(ByteReader& r, ResourceId* out);
void Encode(ByteWriter& w, const ResourceId& id);

struct Destination {
  DestinationType type = DestinationType::kNode;
  // kNode: the NodeId bytes. kResource / kOpaqueId: the id bytes without their length byte.
  // kCompressed: the two bytes of the id (top bit set). Unknown TLV types: the raw TLV data.
  // Ids of up to 20 bytes stay inline.
  absl::InlinedVector<uint8_t, kMaxNodeIdLength> data;
  // For TLVs of a type this codec does not know: the wire type byte.
  uint8_t unknown_type = 0;

  static Destination Node(const NodeId& id);
  static Destination Resource(const ResourceId& id);
  static Destination Opaque(std::span<const uint8_t> id);
  static Destination Compressed(uint16_t id);  // sets the top bit

  bool is_node() const { return type == DestinationType::kNode; }
  NodeId node_id() const { return NodeId({data.data(), data.size()}); }
  ResourceId resource_id() const { return ResourceId({data.data(), data.size()}); }
  uint16_t compressed_id() const {
    return static_cast<uint16_t>((data.size() == 2) ? (data[0] << 8) | data[1] : 0);
  }
  // Encoded size in bytes.
  size_t WireSize() const;

  friend bool operator==(const Destination&, const Destination&) = default;
};

bool Decode(ByteReader& r, Destination* out);
void Encode(ByteWriter& w, const Destination& d);

// A run of Destinations filling a container exactly (the header's list lengths are separate
// fields, RFC 6940's Destination List is not length-prefixed itself).
bool DecodeDestinations(ByteReader& r, std::vector<Destination>* out);
void EncodeDestinations(ByteWriter& w, const std::vector<Destination>& list);

// Destination destination_list<min..2^16-1> as used inside message bodies (SipRegistration,
// RedirServiceProvider, extensive routing mode).
bool DecodeDestinationList16(ByteReader& r, std::vector<Destination>* out, const char* field);
void EncodeDestinationList16(ByteWriter& w, const std::vector<Destination>& list,
                             const char* field);

}  // namespace p2psip::wire

#endif  // P2PSIP_WIRE_DESTINATION_H_

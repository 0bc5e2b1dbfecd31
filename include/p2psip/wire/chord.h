// CHORD-RELOAD topology plug-in bodies (RFC 6940 §10.7, §10.8, §10.9).
//
//   ChordUpdate        = uint32 uptime · uint8 type ·
//                        peer_ready(1): nothing |
//                        neighbors(2):  NodeId predecessors<0..2^16-1> ·
//                                       NodeId successors<0..2^16-1> |
//                        full(3):       predecessors · successors · NodeId fingers<0..2^16-1>
//                        (the whole UpdateReq body)
//   ChordLeaveData     = uint8 type ·
//                        from_succ(1): NodeId successors<0..2^16-1> |
//                        from_pred(2): NodeId predecessors<0..2^16-1>
//                        (carried in LeaveReq.overlay_specific_data)
//   ChordRouteQueryAns = NodeId next_peer        (the whole RouteQueryAns body, no length)
//
// Neither ChordUpdate nor ChordLeaveData has a length around its select (checked against the
// RFC text), so an unknown type cannot be skipped and is rejected with kUnknownType. NodeIds
// are NodeIdLength bytes from the reader's WireContext; a list whose byte length is not a
// multiple of it is kLengthMismatch.
#ifndef P2PSIP_WIRE_CHORD_H_
#define P2PSIP_WIRE_CHORD_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "p2psip/ids.h"
#include "p2psip/wire/byte_reader.h"
#include "p2psip/wire/byte_writer.h"

namespace p2psip::wire {

// ChordUpdateType (§10.7.3); 0 is invalid.
inline constexpr uint8_t kChordUpdatePeerReady = 1;
inline constexpr uint8_t kChordUpdateNeighbors = 2;
inline constexpr uint8_t kChordUpdateFull = 3;

// ChordLeaveType (§10.9); 0 is invalid.
inline constexpr uint8_t kChordLeaveFromSucc = 1;
inline constexpr uint8_t kChordLeaveFromPred = 2;

// The lists a type does not carry must be empty; the encoder records an error otherwise, so
// that an encoded update never silently drops entries.
struct ChordUpdate {
  uint32_t uptime = 0;  // seconds
  uint8_t type = kChordUpdatePeerReady;
  std::vector<NodeId> predecessors;  // neighbors, full
  std::vector<NodeId> successors;    // neighbors, full
  std::vector<NodeId> fingers;       // full only, ascending

  static ChordUpdate PeerReady(uint32_t uptime) {
    return {uptime, kChordUpdatePeerReady, {}, {}, {}};
  }
  static ChordUpdate Neighbors(uint32_t uptime, std::vector<NodeId> predecessors,
                               std::vector<NodeId> successors) {
    return {uptime, kChordUpdateNeighbors, std::move(predecessors), std::move(successors), {}};
  }
  static ChordUpdate Full(uint32_t uptime, std::vector<NodeId> predecessors,
                          std::vector<NodeId> successors, std::vector<NodeId> fingers) {
    return {uptime, kChordUpdateFull, std::move(predecessors), std::move(successors),
            std::move(fingers)};
  }
  friend bool operator==(const ChordUpdate&, const ChordUpdate&) = default;
};

// Sent by a leaving peer to its neighbours: from_succ carries the sender's successor list,
// from_pred its predecessor list. The list of the other type must be empty.
struct ChordLeaveData {
  uint8_t type = kChordLeaveFromSucc;
  std::vector<NodeId> successors;    // from_succ
  std::vector<NodeId> predecessors;  // from_pred

  static ChordLeaveData FromSucc(std::vector<NodeId> successors) {
    return {kChordLeaveFromSucc, std::move(successors), {}};
  }
  static ChordLeaveData FromPred(std::vector<NodeId> predecessors) {
    return {kChordLeaveFromPred, {}, std::move(predecessors)};
  }
  friend bool operator==(const ChordLeaveData&, const ChordLeaveData&) = default;
};

struct ChordRouteQueryAns {
  NodeId next_peer;
  friend bool operator==(const ChordRouteQueryAns&, const ChordRouteQueryAns&) = default;
};

bool Decode(ByteReader& r, ChordUpdate* out);
void Encode(ByteWriter& w, const ChordUpdate& v);
bool Decode(ByteReader& r, ChordLeaveData* out);
void Encode(ByteWriter& w, const ChordLeaveData& v);
bool Decode(ByteReader& r, ChordRouteQueryAns* out);
void Encode(ByteWriter& w, const ChordRouteQueryAns& v);

}  // namespace p2psip::wire

#endif  // P2PSIP_WIRE_CHORD_H_

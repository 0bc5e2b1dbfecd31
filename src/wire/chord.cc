#include "p2psip/wire/chord.h"

#include <utility>

#include "p2psip/wire/destination.h"

namespace p2psip::wire {
namespace {

// NodeId list<0..2^16-1>. The byte length must be a whole number of NodeIds; checking it up
// front names the list, rather than reporting a truncated NodeId at its tail.
bool ReadNodeIds(ByteReader& r, std::vector<NodeId>* out, const char* field) {
  const uint32_t at = r.offset();
  const size_t id_length = r.ctx().node_id_length;
  if (id_length < kMinNodeIdLength || id_length > kMaxNodeIdLength) {
    return r.FailAt(DecodeErrorCode::kBadValue, at, "node_id_length (context)");
  }
  ByteReader list;
  if (!r.ReadVector(2, &list, field)) return false;
  if (list.remaining() % id_length != 0) {
    return r.FailAt(DecodeErrorCode::kLengthMismatch, at, field);
  }
  out->clear();
  out->reserve(list.remaining() / id_length);
  while (!list.empty()) {
    NodeId id;
    if (!Decode(list, &id)) return false;
    out->push_back(id);
  }
  return true;
}

// A list the type does not carry would be dropped by the encoder: record it as an error.
void ExpectEmpty(ByteWriter& w, const std::vector<NodeId>& list, const char* field) {
  if (!list.empty()) w.FailInvalid(field);
}

}  // namespace

bool Decode(ByteReader& r, ChordUpdate* out) {
  *out = ChordUpdate{};
  if (!r.ReadU32(&out->uptime, "chord_update.uptime")) return false;
  const uint32_t type_at = r.offset();
  if (!r.ReadU8(&out->type, "chord_update.type")) return false;
  switch (out->type) {
    case kChordUpdatePeerReady:
      return true;
    case kChordUpdateNeighbors:
      return ReadNodeIds(r, &out->predecessors, "chord_update.predecessors") &&
             ReadNodeIds(r, &out->successors, "chord_update.successors");
    case kChordUpdateFull:
      return ReadNodeIds(r, &out->predecessors, "chord_update.predecessors") &&
             ReadNodeIds(r, &out->successors, "chord_update.successors") &&
             ReadNodeIds(r, &out->fingers, "chord_update.fingers");
    default:
      return r.FailAt(DecodeErrorCode::kUnknownType, type_at, "chord_update.type");
  }
}

void Encode(ByteWriter& w, const ChordUpdate& v) {
  w.WriteU32(v.uptime);
  w.WriteU8(v.type);
  switch (v.type) {
    case kChordUpdatePeerReady:
      ExpectEmpty(w, v.predecessors, "chord_update.predecessors (peer_ready carries none)");
      ExpectEmpty(w, v.successors, "chord_update.successors (peer_ready carries none)");
      ExpectEmpty(w, v.fingers, "chord_update.fingers (peer_ready carries none)");
      return;
    case kChordUpdateNeighbors:
      WriteList(w, 2, v.predecessors, "chord_update.predecessors");
      WriteList(w, 2, v.successors, "chord_update.successors");
      ExpectEmpty(w, v.fingers, "chord_update.fingers (only full carries fingers)");
      return;
    case kChordUpdateFull:
      WriteList(w, 2, v.predecessors, "chord_update.predecessors");
      WriteList(w, 2, v.successors, "chord_update.successors");
      WriteList(w, 2, v.fingers, "chord_update.fingers");
      return;
    default:
      w.FailInvalid("chord_update.type (unknown ChordUpdateType)");
      return;
  }
}

bool Decode(ByteReader& r, ChordLeaveData* out) {
  *out = ChordLeaveData{};
  const uint32_t type_at = r.offset();
  if (!r.ReadU8(&out->type, "chord_leave.type")) return false;
  switch (out->type) {
    case kChordLeaveFromSucc:
      return ReadNodeIds(r, &out->successors, "chord_leave.successors");
    case kChordLeaveFromPred:
      return ReadNodeIds(r, &out->predecessors, "chord_leave.predecessors");
    default:
      return r.FailAt(DecodeErrorCode::kUnknownType, type_at, "chord_leave.type");
  }
}

void Encode(ByteWriter& w, const ChordLeaveData& v) {
  w.WriteU8(v.type);
  switch (v.type) {
    case kChordLeaveFromSucc:
      WriteList(w, 2, v.successors, "chord_leave.successors");
      ExpectEmpty(w, v.predecessors, "chord_leave.predecessors (from_succ carries successors)");
      return;
    case kChordLeaveFromPred:
      WriteList(w, 2, v.predecessors, "chord_leave.predecessors");
      ExpectEmpty(w, v.successors, "chord_leave.successors (from_pred carries predecessors)");
      return;
    default:
      w.FailInvalid("chord_leave.type (unknown ChordLeaveType)");
      return;
  }
}

bool Decode(ByteReader& r, ChordRouteQueryAns* out) { return Decode(r, &out->next_peer); }

void Encode(ByteWriter& w, const ChordRouteQueryAns& v) { Encode(w, v.next_peer); }

}  // namespace p2psip::wire

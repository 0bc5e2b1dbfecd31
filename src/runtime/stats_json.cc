#include "p2psip/runtime/stats_json.h"

#include <algorithm>
#include <vector>

#include "core/link_table.h"

namespace p2psip::runtime {

using nlohmann::json;

// The field's name as the key: no list of names to drift from the struct. Each counters
// struct's test checks that every field is listed (size of the object x 8 == sizeof).
#define P2PSIP_FIELD(c, name) \
  { #name, c.name }

json CountersJson(const core::NodeCounters& c) {
  return json{
      P2PSIP_FIELD(c, received),
      P2PSIP_FIELD(c, forwarded),
      P2PSIP_FIELD(c, delivered_requests),
      P2PSIP_FIELD(c, delivered_answers),
      P2PSIP_FIELD(c, sent_requests),
      P2PSIP_FIELD(c, retransmissions),
      P2PSIP_FIELD(c, duplicate_requests),
      P2PSIP_FIELD(c, error_answers_sent),
      P2PSIP_FIELD(c, dropped_malformed),
      P2PSIP_FIELD(c, dropped_wrong_overlay),
      P2PSIP_FIELD(c, dropped_unroutable),
      P2PSIP_FIELD(c, dropped_late_answer),
      P2PSIP_FIELD(c, fragments_received),
      P2PSIP_FIELD(c, reassembled),
      P2PSIP_FIELD(c, fragments_dropped),
      P2PSIP_FIELD(c, maintenance_sent),
      P2PSIP_FIELD(c, partitions_detected),
      P2PSIP_FIELD(c, stores_applied),
      P2PSIP_FIELD(c, storage_errors),
      P2PSIP_FIELD(c, bad_value_signatures),
      P2PSIP_FIELD(c, bad_fetched_values),
      P2PSIP_FIELD(c, replica_stores_sent),
      P2PSIP_FIELD(c, replica_stores_failed),
      P2PSIP_FIELD(c, resources_dropped),
      P2PSIP_FIELD(c, config_updates_adopted),
      P2PSIP_FIELD(c, config_updates_rejected),
      P2PSIP_FIELD(c, diagnostics_answered),
      P2PSIP_FIELD(c, diagnostics_refused),
  };
}

json CountersJson(const LinkManagerCounters& c) {
  return json{
      P2PSIP_FIELD(c, opened),
      P2PSIP_FIELD(c, accepted),
      P2PSIP_FIELD(c, up),
      P2PSIP_FIELD(c, handshake_failures),
      P2PSIP_FIELD(c, handshake_timeouts),
      P2PSIP_FIELD(c, glare_kept),
      P2PSIP_FIELD(c, glare_yielded),
      P2PSIP_FIELD(c, failed),
      P2PSIP_FIELD(c, closed),
      P2PSIP_FIELD(c, closed_by_peer),
      P2PSIP_FIELD(c, refused_full),
      P2PSIP_FIELD(c, datagrams_in),
      P2PSIP_FIELD(c, not_dtls),
      P2PSIP_FIELD(c, bad_records),
      P2PSIP_FIELD(c, messages_in),
      P2PSIP_FIELD(c, messages_out),
      P2PSIP_FIELD(c, send_refused),
      P2PSIP_FIELD(c, send_no_link),
      P2PSIP_FIELD(c, fragmented),
      P2PSIP_FIELD(c, fragments_out),
      P2PSIP_FIELD(c, released),
      P2PSIP_FIELD(c, adopted),
  };
}

json CountersJson(const port::PortCounters& c) {
  return json{
      P2PSIP_FIELD(c, rx_datagrams), P2PSIP_FIELD(c, rx_bytes),     P2PSIP_FIELD(c, tx_datagrams),
      P2PSIP_FIELD(c, tx_bytes),     P2PSIP_FIELD(c, rx_truncated), P2PSIP_FIELD(c, rx_errors),
      P2PSIP_FIELD(c, tx_dropped),
  };
}

namespace {

// A link's framing figures (a chosen few of its counters: those an operator reads first).
json FramingJson(const LinkInfo& link) {
  const link::LinkCounters& f = link.framing;
  const link::SenderCounters& s = link.sender;
  return json{P2PSIP_FIELD(s, messages_sent),   P2PSIP_FIELD(s, messages_acked),
              P2PSIP_FIELD(s, retransmissions), P2PSIP_FIELD(s, messages_given_up),
              P2PSIP_FIELD(f, data_delivered),  P2PSIP_FIELD(f, data_duplicates),
              P2PSIP_FIELD(f, acks_in),         P2PSIP_FIELD(f, acks_out),
              P2PSIP_FIELD(f, acks_coalesced),  P2PSIP_FIELD(s, window),
              {"rto_ms", link.rto_us / 1000},   {"srtt_us", static_cast<uint64_t>(link.srtt_us)}};
}

}  // namespace

#undef P2PSIP_FIELD

json RingJson(const core::Node& node) { return RingJson(node.id(), node.chord_table()); }

json RingJson(const NodeId& self_id, const core::ChordTable* table) {
  const core::RingId self = core::RingId::Of(self_id);
  json ring = {{"self", self_id.ToHex()},
               {"predecessors", json::array()},
               {"successors", json::array()},
               {"fingers", json::array()}};
  if (table == nullptr) return ring;
  for (core::RingId p : table->predecessors()) ring["predecessors"].push_back(p.ToHex());
  for (core::RingId s : table->successors()) ring["successors"].push_back(s.ToHex());
  std::vector<core::RingId> fingers;
  for (int i = 1; i <= table->finger_count(); ++i) {
    if (std::optional<core::RingId> f = table->finger(i); f.has_value()) fingers.push_back(*f);
  }
  std::sort(fingers.begin(), fingers.end(), [self](core::RingId a, core::RingId b) {
    return core::Distance(self, a) < core::Distance(self, b);
  });
  fingers.erase(std::unique(fingers.begin(), fingers.end()), fingers.end());
  for (core::RingId f : fingers) ring["fingers"].push_back(f.ToHex());
  return ring;
}

json LinkJson(const LinkInfo& link, uint32_t core, bool client) {
  return {{"id", link.id},
          {"core", core},
          {"remote", link.remote.ToString()},
          {"peer", link.peer.empty() ? std::string() : link.peer.ToHex()},
          {"up", link.up},
          {"client", client},
          {"opened_here", link.opened_here},
          {"cipher", link.cipher},
          {"framing", FramingJson(link)}};
}

json LinksJson(const LinkManager& links, const core::Node& node, uint32_t core) {
  json out = json::array();
  std::vector<LinkInfo> infos = links.Links();
  std::sort(infos.begin(), infos.end(),
            [](const LinkInfo& a, const LinkInfo& b) { return a.id < b.id; });
  for (const LinkInfo& l : infos) {
    const core::LinkTable::Link* entry = node.links().Find(l.id);
    out.push_back(LinkJson(l, core, entry != nullptr && entry->client));
  }
  return out;
}

json StorageJson(const core::Node& node) {
  return {{"resources", node.stored_resources()},
          {"values", node.stored_values()},
          {"certificates", node.stored_certificates()}};
}

}  // namespace p2psip::runtime

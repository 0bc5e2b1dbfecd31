// StatsProvider: p2psipd's answers to the RFC 7851 diagnostics that only the process knows
// (core/diagnostics.h), the server side of `p2psip stats`.
//
//   SOFTWARE_VERSION      "p2psip " + the project version
//   APP_UPTIME            seconds since `start_ms`
//   MEMORY_FOOTPRINT      the process's resident set in KiB (/proc/self/statm)
//   kDiagP2psipNodeStats  the JSON document `node_stats` returns
//
// The provider does not know how the statistics document is made: the runtime that owns the
// tables and counters builds it (single-threaded NodeLoop or the multi-core runtime, the same
// schema, see cli/node_stats_json.h). A document over `max_document_bytes` is answered with a
// small JSON object saying so ({"error": ..., "bytes": N}) rather than an answer too large to
// send, after which the requester would only see a timeout. The core's kinds (routing table
// size, messages sent and received, ...) and the access check (every certified member of the
// overlay, DiagnosticsProvider's default) stay the core's.
//
// Ownership: the runtime owns the provider and hands the node a pointer (Node::
// SetDiagnosticsProvider); it must outlive the node. Its methods run on the thread that answers
// for the node, and `node_stats` is called there, once per request that asks for the document.
#ifndef P2PSIP_RUNTIME_STATS_PROVIDER_H_
#define P2PSIP_RUNTIME_STATS_PROVIDER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "p2psip/core/diagnostics.h"

namespace p2psip::runtime {

class StatsProvider : public core::DiagnosticsProvider {
 public:
  // The most a DiagnosticInfo carries (its contents have a 16-bit length).
  static constexpr size_t kMaxDocumentBytes = 65535;

  // `start_ms`: when the process started, in the node's clock (ms since 1970).
  StatsProvider(std::function<std::string()> node_stats, uint64_t start_ms,
                size_t max_document_bytes = kMaxDocumentBytes);

  // What the runtime knows better than the Node that answers (the storage census of a node
  // whose storage lives in other parts): consulted first for every kind; nullopt leaves the
  // kind to the rest of the provider and the core.
  using KindSource = std::function<std::optional<wire::DiagnosticInfo>(uint16_t kind)>;
  void set_kind_source(KindSource source) { kind_source_ = std::move(source); }

  std::optional<wire::DiagnosticInfo> Info(uint16_t kind, std::span<const uint8_t> parameters,
                                           uint64_t now_ms) override;

  // "p2psip 0.1.0": SOFTWARE_VERSION, also the "software" of the statistics document.
  static std::string SoftwareVersion();
  // This process's resident set in KiB; nullopt when /proc/self/statm cannot be read.
  static std::optional<uint64_t> ResidentKib();

 private:
  std::function<std::string()> node_stats_;
  KindSource kind_source_;
  uint64_t start_ms_;
  size_t max_document_bytes_;
};

}  // namespace p2psip::runtime

#endif  // P2PSIP_RUNTIME_STATS_PROVIDER_H_

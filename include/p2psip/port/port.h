// Port: what moves datagrams between the node and the network (DESIGN.md §1, principle 3).
//
// A port receives and sends bursts of UDP datagrams without blocking. Implementations: the
// kernel socket port (src/port/kernel: one SO_REUSEPORT UDP socket per worker, recvmmsg and
// sendmmsg), the in-memory port (src/port/memory: tests, benchmarks) and, with the DPDK work, an
// ethdev queue pair with the node's own small UDP/IP stack. The runtime above sees only this
// interface, so the same worker loop runs on each of them.
//
// Threading: a Port is owned by one worker thread; none of its methods may be called from two
// threads at once.
#ifndef P2PSIP_PORT_PORT_H_
#define P2PSIP_PORT_PORT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "p2psip/wire/ip_address_port.h"

namespace p2psip::port {

// A UDP endpoint (IPv4 or IPv6 address and port), small and trivially copyable so that it can
// key hash maps and travel on rings; wire::IpAddressPort is the protocol's (allocating) form.
struct Endpoint {
  enum class Family : uint8_t { kIpv4 = 4, kIpv6 = 6 };
  Family family = Family::kIpv4;
  std::array<uint8_t, 16> address{};  // IPv4 uses the first 4 bytes, the rest stay zero
  uint16_t port = 0;                  // host byte order

  // "127.0.0.1:6084", "[::1]:6084"; a bare address takes `default_port`. nullopt when it does
  // not parse.
  static std::optional<Endpoint> Parse(std::string_view text, uint16_t default_port = 0);
  static std::optional<Endpoint> FromWire(const wire::IpAddressPort& address);
  wire::IpAddressPort ToWire() const;
  std::string ToString() const;  // as Parse reads it

  friend bool operator==(const Endpoint&, const Endpoint&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const Endpoint& e) {
    return H::combine(std::move(h), e.family, e.address, e.port);
  }
};

// A received datagram. `data` points into a buffer the port owns; it stays valid until the
// next RxBurst on the same port.
struct RxDatagram {
  Endpoint from;
  std::span<const uint8_t> data;
};

// A datagram to send; the caller owns `data` and may reuse it once TxBurst returns.
struct TxDatagram {
  Endpoint to;
  std::span<const uint8_t> data;
};

// Per-port counters; only the owning thread writes them.
struct PortCounters {
  uint64_t rx_datagrams = 0;
  uint64_t rx_bytes = 0;
  uint64_t tx_datagrams = 0;
  uint64_t tx_bytes = 0;
  uint64_t rx_truncated = 0;  // larger than the receive buffer: dropped
  uint64_t rx_errors = 0;     // receive calls that failed (other than "nothing to read")
  uint64_t tx_dropped = 0;    // not accepted by the network (full buffers, errors): dropped
};

class Port {
 public:
  virtual ~Port() = default;

  // Receives up to out.size() datagrams without blocking; returns how many were written to
  // `out`. Payloads are valid until the next RxBurst.
  virtual size_t RxBurst(std::span<RxDatagram> out) = 0;
  // Sends the datagrams without blocking; returns how many the network accepted. Those it did
  // not accept are dropped and counted in tx_dropped (as a lossy network would: the link layer
  // above retransmits).
  virtual size_t TxBurst(std::span<const TxDatagram> datagrams) = 0;
  // A file descriptor that polls readable when RxBurst may return something, or -1 for a
  // poll-mode port (the worker then spins or sleeps on its own).
  virtual int wait_fd() const = 0;
  // The address this port receives on (the bound one, port resolved when 0 was asked for).
  virtual Endpoint local_endpoint() const = 0;
  virtual const PortCounters& counters() const = 0;
  // Counters particular to this kind of port (the DPDK port's stack and exception path), named,
  // for `p2psip stats`; none by default. Called by the owning thread, not per packet.
  virtual std::vector<std::pair<std::string, uint64_t>> DetailCounters() const { return {}; }
};

}  // namespace p2psip::port

#endif  // P2PSIP_PORT_PORT_H_

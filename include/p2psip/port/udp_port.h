// UdpPort: the kernel socket port (DESIGN.md §1, principle 3). One non-blocking UDP socket,
// received from with one recvmmsg per RxBurst and sent on with sendmmsg, so that a burst of 32
// datagrams costs one or two system calls instead of 32.
//
// p2psipd gives each worker its own UdpPort bound to the same address with SO_REUSEPORT
// (CreateGroup). A classic BPF program attached to the group picks the socket by the source
// address and port, FlowOwner(remote, n) of p2psip/port/flow_steering.h, so every datagram of
// one peer reaches the same worker, which owns that peer's link state, and the runtime can tell
// in advance which worker a peer's replies will reach.
//
// Ownership: the UdpPort owns its socket and its receive buffers and closes the socket when
// destroyed. Threading: as for every Port, one owning thread.
//
// Errors never stop the port. A datagram the kernel refuses (EAGAIN with full buffers, an
// unreachable network, a size the path cannot carry, an address of the other family) is dropped
// and counted, and the rest of the burst is still sent: the overlay link layer retransmits.
// ICMP errors (port unreachable) are not reported on an unconnected socket without IP_RECVERR,
// which this port leaves off: a peer that went away is the link layer's to notice.
#ifndef P2PSIP_PORT_UDP_PORT_H_
#define P2PSIP_PORT_UDP_PORT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "p2psip/port/port.h"

namespace p2psip::port {

struct UdpPortOptions {
  // IPv4 or IPv6 address to bind; port 0 asks the kernel for an ephemeral one. An IPv6 socket
  // is IPV6_V6ONLY: it neither receives from nor sends to IPv4 peers (bind a second port).
  Endpoint bind;
  // SO_REUSEPORT, so that one socket per worker may bind the same address (see CreateGroup).
  bool reuse_port = false;
  // Most datagrams one RxBurst reads and one sendmmsg call sends.
  size_t burst_size = 32;
  // Bytes per received datagram. Larger datagrams are dropped and counted in rx_truncated.
  // RELOAD over UDP keeps datagrams under the path MTU (framing splits larger messages), so
  // 2048 covers them without 64 KiB per slot.
  size_t rx_buffer_size = 2048;
  // SO_RCVBUF and SO_SNDBUF, best effort (the kernel caps them at net.core.rmem_max and
  // wmem_max); 0 keeps the kernel's default.
  int socket_buffer_bytes = 4 << 20;
};

// What the socket port counts beyond PortCounters (only the owning thread writes them).
struct UdpPortStats {
  uint64_t rx_syscalls = 0;     // recvmmsg calls, including those that found nothing
  uint64_t tx_syscalls = 0;     // sendmmsg calls
  uint64_t tx_would_block = 0;  // datagrams dropped because the send buffer was full
  uint64_t tx_errors = 0;       // datagrams refused for another reason (counted once each)
  int last_tx_errno = 0;        // errno of the latest refused datagram, for logs
};

class UdpPort final : public Port {
 public:
  static absl::StatusOr<std::unique_ptr<UdpPort>> Create(const UdpPortOptions& options);
  // `n` sockets bound to the same address with SO_REUSEPORT (whatever options.reuse_port
  // says): the first resolves an ephemeral port if options.bind.port is 0, the others bind the
  // port it got. One per worker. With n > 1 the group is steered: element i receives the
  // datagrams of every remote endpoint r with FlowOwner(r, n) == i (IPv6: those without
  // extension headers). Steering is not optional: if the kernel refuses the program the group is
  // not created and the error says so (a silent fallback to the kernel's random hash would send
  // most replies to the wrong worker); n == 1 needs none. The indices hold while the group is
  // whole and no other process's socket joined it first (a fixed port shared with another
  // SO_REUSEPORT user of the same uid).
  static absl::StatusOr<std::vector<std::unique_ptr<UdpPort>>> CreateGroup(
      const UdpPortOptions& options, size_t n);

  ~UdpPort() override;
  UdpPort(const UdpPort&) = delete;
  UdpPort& operator=(const UdpPort&) = delete;

  size_t RxBurst(std::span<RxDatagram> out) override;
  size_t TxBurst(std::span<const TxDatagram> datagrams) override;
  int wait_fd() const override { return fd_; }
  Endpoint local_endpoint() const override { return local_; }
  const PortCounters& counters() const override { return counters_; }

  const UdpPortStats& stats() const { return stats_; }
  const UdpPortOptions& options() const { return options_; }

 private:
  struct Slots;  // the preallocated mmsghdr / iovec / sockaddr arrays

  UdpPort(int fd, const UdpPortOptions& options, Endpoint local);
  // Sends datagrams[0..count) (count <= burst_size) with sendmmsg until all are sent or
  // dropped; returns how many the kernel accepted.
  size_t SendChunk(std::span<const TxDatagram> datagrams);

  int fd_;
  UdpPortOptions options_;
  Endpoint local_;
  PortCounters counters_;
  UdpPortStats stats_;
  std::unique_ptr<Slots> slots_;
};

}  // namespace p2psip::port

#endif  // P2PSIP_PORT_UDP_PORT_H_

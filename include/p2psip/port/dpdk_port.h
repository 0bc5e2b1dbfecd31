// DpdkPort: the kernel-bypass port (DESIGN.md §1, principles 3 and 5). One RX/TX queue pair of
// a DPDK ethdev (a NIC bound to vfio-pci, or a vdev: net_af_xdp, net_af_packet, net_tap,
// net_memif, net_ring), polled in bursts, with the node's own small stack (NetStack: Ethernet,
// ARP, IPv4 or IPv6 with neighbour discovery, UDP, ICMP and ICMPv6 echo) in front of it. One
// family per port: that of the node's address; the other family's frames go to the kernel.
//
// p2psipd gives each worker one queue pair of the device (CreateGroup); with more than one, the
// device spreads flows over the queues by RSS where it can. RSS does not compute FlowOwner, so a
// peer's datagrams may reach another worker than the one that owns its link; the runtime checks
// the owner of every datagram and forwards those (as it does for the kernel port's rare
// unsteered datagrams).
//
// mbuf ownership, as in DPDK's examples: whoever holds an mbuf last frees it.
//   - RxBurst hands out datagrams whose payload points into received mbufs; the port keeps
//     those mbufs until the next RxBurst and frees them then.
//   - Frames the stack answers (ARP, Neighbor Solicitations, ICMP and ICMPv6 echo) are answered
//     from a new mbuf; frames for the kernel (TCP, router advertisements, MLD, the other
//     family, ...) are handed, mbuf and all, to the exception device (a net_tap
//     vdev the kernel sees as an interface with the node's address), or freed and counted when
//     there is none. What the kernel sends on the exception device goes out on the wire.
//   - TxBurst copies each datagram into a new mbuf (the caller keeps its buffer) and passes the
//     mbufs to rte_eth_tx_burst; those the device did not take are freed and counted.
//   - A datagram to a peer whose MAC is not known yet waits (in its mbuf, at most
//     max_pending per queue) while an ARP request (IPv6: a Neighbor Solicitation) goes out; it is
//     sent when the reply arrives
//     (on whichever queue: a queue that learns a neighbour tells the others over a ring) or
//     freed and counted after pending_timeout_ns.
// No allocation per packet: mbufs come from a per-queue mempool made at creation.
//
// DPDK headers stay out of this header (src/wire and the runtime compile without them).
//
// Threading: as for every Port, each DpdkPort is used by one thread (its worker, which the port
// registers with the EAL on its first burst so that it has an lcore id and mempool caches);
// the ports of one group share the device, which is stopped and closed when the last of them is
// destroyed. The EAL (port/dpdk/eal.h) must outlive them all.
#ifndef P2PSIP_PORT_DPDK_PORT_H_
#define P2PSIP_PORT_DPDK_PORT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "p2psip/port/net_stack.h"
#include "p2psip/port/port.h"

struct rte_mbuf;

namespace p2psip::port {

struct DpdkPortOptions {
  // The ethdev: its name as DPDK knows it ("net_af_packet0", "0000:01:00.0", or the name given
  // to rte_eth_from_rings).
  std::string device;
  // The node's address on the wire (IPv4 or IPv6, UDP port not 0), its subnet and gateway (of
  // the same family). stack.mac all zero: the device's own MAC.
  NetStackOptions stack;
  // The kernel's side of the exception path: an ethdev (normally a net_tap vdev) with at least
  // as many queues as the group; empty: frames that are not the node's are dropped and counted.
  std::string exception_device;
  // Give the exception device's kernel interface the node's MAC, IPv4 address and prefix and
  // bring it up (a net_tap vdev; needs CAP_NET_ADMIN). Off: the operator configures it (an IPv6
  // port refuses to start with it on).
  bool configure_exception_interface = true;
  // Let the device compute the IPv4 and UDP checksums of what the port sends and check the UDP
  // checksums of what it receives, where it can (a NIC; net_tap does it in its driver): the
  // port then never sums a payload. Off, or a device without them (net_ring, net_af_xdp,
  // net_af_packet): the stack computes and checks them in software.
  bool checksum_offload = true;
  uint16_t rx_descriptors = 512;
  uint16_t tx_descriptors = 512;
  // mbufs in each queue's mempool: enough for the RX ring, the TX ring, the held burst and the
  // pending datagrams.
  uint32_t mbufs_per_queue = 4095;
  size_t burst_size = 32;
  size_t max_pending = 64;
  uint64_t pending_timeout_ns = 1'000'000'000;
};

// What the DPDK port counts beyond PortCounters and the stack's counters.
struct DpdkPortStats {
  uint64_t rx_bursts = 0;                // rte_eth_rx_burst calls that returned frames
  uint64_t rx_multi_segment = 0;         // chained mbufs (jumbo frames): dropped
  uint64_t tx_replies = 0;               // ARP, NA and ICMP(v6) echo replies sent
  uint64_t tx_no_mbuf = 0;               // datagrams or replies dropped: the mempool was empty
  uint64_t tx_too_large = 0;             // datagrams larger than an mbuf: dropped
  uint64_t tx_pending = 0;               // datagrams that waited for ARP or ND
  uint64_t tx_unresolved = 0;            // of those, dropped: no answer in time, or queue full
  uint64_t tx_unroutable = 0;            // no next hop: dropped
  uint64_t exception_to_kernel = 0;      // frames handed to the exception device
  uint64_t exception_from_kernel = 0;    // frames the kernel sent, put on the wire
  uint64_t exception_dropped = 0;        // for the kernel but no exception device, or not taken
  uint64_t neighbour_notes_dropped = 0;  // a learnt neighbour not passed on: a sibling's ring full
  uint64_t rx_checksum_by_device = 0;    // datagrams whose UDP checksum the device checked
  uint64_t tx_checksum_by_device = 0;    // datagrams whose checksums the device computed
  uint64_t tx_not_prepared = 0;          // refused by rte_eth_tx_prepare (offload): dropped
};

class DpdkPort final : public Port {
 public:
  // `n` ports, one per queue pair of options.device (which is configured with n RX and n TX
  // queues, RSS over IP and UDP when n > 1, and started). Fails with a clear message when the
  // device does not exist, has fewer queues than n, or the gateway is not of the address's
  // family.
  static absl::StatusOr<std::vector<std::unique_ptr<DpdkPort>>> CreateGroup(
      const DpdkPortOptions& options, size_t n);

  ~DpdkPort() override;
  DpdkPort(const DpdkPort&) = delete;
  DpdkPort& operator=(const DpdkPort&) = delete;

  size_t RxBurst(std::span<RxDatagram> out) override;
  size_t TxBurst(std::span<const TxDatagram> datagrams) override;
  int wait_fd() const override { return -1; }  // poll mode
  Endpoint local_endpoint() const override { return stack_.options().local; }
  const PortCounters& counters() const override { return counters_; }
  // The stack's and the port's own counters, "stack.rx_icmp_echo", "dpdk.exception_to_kernel".
  std::vector<std::pair<std::string, uint64_t>> DetailCounters() const override;

  const DpdkPortStats& stats() const { return stats_; }
  const NetStack& stack() const { return stack_; }
  NetStack& mutable_stack() { return stack_; }
  uint16_t queue() const { return queue_; }
  // Which checksum offloads the device took (DpdkPortOptions::checksum_offload).
  bool tx_checksum_offload() const;
  bool rx_checksum_offload() const;
  size_t pending() const { return pending_.size(); }

 private:
  static constexpr size_t kMaxChunk = 64;  // frames sent per SendDatagrams
  struct Device;  // the shared ethdev (and exception device) and their mempools
  struct Pending {
    Endpoint to;
    rte_mbuf* mbuf = nullptr;
    uint64_t since_ns = 0;
  };

  DpdkPort(std::shared_ptr<Device> device, uint16_t queue, const DpdkPortOptions& options);
  void FreeHeld();
  void ForwardFromKernel();
  void FlushPending(uint64_t now_ns);
  // Sends frames[0..n) on the wire queue; frees and counts what the device did not take;
  // returns how many it took.
  size_t SendFrames(rte_mbuf** frames, size_t n);
  // SendFrames for UDP datagram frames (at most kMaxChunk), counted in PortCounters.
  size_t SendDatagrams(rte_mbuf** frames, size_t n);
  // The Ethernet, IP and UDP headers in front of the payload that `m` holds: checksums computed
  // from `payload_sum` (ChecksumAdd of the payload), or left to the device (TX offload).
  void WriteHeaders(rte_mbuf* m, const MacAddress& next_hop, const Endpoint& to,
                    uint32_t payload_sum);
  rte_mbuf* Allocate();
  void RegisterThread();
  // Neighbours the other queues learnt (ARP replies and NAs reach one queue only), and this queue's
  // new ones for them.
  void LearnFromSiblings();
  void TellSiblings();

  std::shared_ptr<Device> device_;
  uint16_t queue_;
  DpdkPortOptions options_;
  NetStack stack_;
  size_t headroom_;  // stack_.udp_headroom(): where a datagram's payload starts in its frame
  PortCounters counters_;
  DpdkPortStats stats_;
  std::vector<rte_mbuf*> held_;     // mbufs behind the datagrams of the latest RxBurst
  std::vector<rte_mbuf*> scratch_;  // burst-sized working arrays
  std::vector<rte_mbuf*> to_wire_;
  std::vector<rte_mbuf*> to_kernel_;
  std::vector<Pending> pending_;  // at most max_pending, oldest first
  bool thread_checked_ = false;   // the owning thread is an EAL lcore or registered as one
};

}  // namespace p2psip::port

#endif  // P2PSIP_PORT_DPDK_PORT_H_

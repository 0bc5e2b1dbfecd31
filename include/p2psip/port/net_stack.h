// NetStack: the small Ethernet/IPv4/IPv6/UDP stack a kernel-bypass port needs (DESIGN.md §1,
// principle 5). Sans-I/O: it reads and writes frames in buffers its caller owns, so the DPDK
// port runs it on mbufs and the tests and the fuzz target run it on plain byte arrays.
//
// One family per stack: the family of the node's address (options.local). Frames of the other
// family (ARP and IPv4 for an IPv6 node, IPv6 for an IPv4 node) go to the kernel (kException),
// so that the kernel behind the exception path may still use them.
//
// What it does with a received Ethernet frame (Receive), IPv4 node:
//   - ARP request for the node's address: answered (kReply), the asker learnt.
//   - ARP reply: the sender learnt, then handed on (kException) so that the kernel behind the
//     exception path learns it too.
//   - ICMP echo request to the node's address: answered (kReply).
//   - UDP to the node's address and port, checksums right: the datagram (kDatagram), its
//     payload pointing into the frame; the sender's MAC is learnt (gleaned) for the reply.
//   - anything else addressed to this host (TCP for TLS links and SIP, UDP to other ports,
//     broadcasts, other EtherTypes): kException, for the kernel through the exception path.
//   - frames for other hosts, malformed frames, bad checksums, IPv4 fragments: kDrop, counted.
//
// IPv6 node: the node answers for its address and for the link-local address derived from its
// MAC (fe80::/64 and the modified EUI-64, which the kernel's exception interface, having the
// same MAC, also derives):
//   - Neighbor Solicitation (RFC 4861) for either address, unicast or to its solicited-node
//     multicast address (ff02::1:ffXX:XXXX), valid by RFC 4861 §7.1.1 (hop limit 255, code 0,
//     ICMPv6 checksum, at least 24 bytes, target not multicast, no option of length 0, from
//     :: only to a solicited-node address and without a source link-layer option): answered
//     (kReply) with a Neighbor Advertisement (Solicited and Override, target link-layer address
//     option), the solicitor learnt from its source link-layer address option. A duplicate
//     address detection probe (source ::) is not learnt; the node defends its address as
//     RFC 4861 §7.2.4 says: an advertisement to all-nodes (ff02::1), Solicited clear.
//   - Neighbor Advertisement valid by §7.1.2: the target learnt (its target link-layer address
//     option, or else the frame's source MAC), then handed on (kException) as ARP replies are.
//     Simpler than RFC 4861 §7.2.5, as for ARP: it is learnt even with no cache entry for it
//     (another queue of the port may be the one that asked), and the Override and Router flags
//     are not interpreted (the advertised MAC replaces the cached one).
//   - ICMPv6 echo request to the node's address: answered (kReply).
//   - UDP to the node's address and port, checksum right (mandatory over IPv6: a zero checksum
//     is dropped): kDatagram, the sender gleaned, as for IPv4.
//   - extension headers (hop-by-hop, routing, destination options, ...) on unicast to the
//     node: dropped and counted (rx_ipv6_extension); fragments likewise (rx_fragments).
//   - other multicast (router advertisements, MLD, all-nodes), redirects and other ICMPv6 to
//     the node, TCP, UDP to other ports or to the link-local address: kException. The stack
//     does no router discovery: its routes are the prefix and the gateway of its options.
//
// What it does for a datagram to send (Resolve, then WriteUdpHeaders): finds the next hop's MAC
// in its neighbour cache (on-link only: every peer is on the node's subnet or reached through
// the configured gateway; IPv6 link-local peers are on-link), or says that resolution is due
// (ResolutionDue, then WriteResolutionRequest: an ARP request, or a Neighbor Solicitation to
// the solicited-node multicast address) and how long to hold the datagram; then writes the
// Ethernet, IPv4 or IPv6, and UDP headers, checksums included, in the udp_headroom() bytes in
// front of the payload.
//
// Allocation: none per frame. The neighbour cache (both families, keyed by address) allocates
// when it learns a new neighbour and never holds more than options.neighbour_capacity entries.
//
// Threading: one owner, like the port that runs it.
#ifndef P2PSIP_PORT_NET_STACK_H_
#define P2PSIP_PORT_NET_STACK_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "p2psip/port/checksum.h"
#include "p2psip/port/port.h"

namespace p2psip::port {

using MacAddress = std::array<uint8_t, 6>;
std::string MacToString(const MacAddress& mac);  // "02:00:00:00:00:01"
std::optional<MacAddress> ParseMac(std::string_view text);

struct NetStackOptions {
  MacAddress mac{};
  Endpoint local;              // the node's IPv4 or IPv6 address and UDP port
  uint8_t prefix_length = 24;  // the on-link subnet: local.address/prefix_length (IPv6: /64)
  // Next hop for peers outside the subnet, of local's family; unset: such peers are unreachable
  // (kUnroutable).
  std::optional<Endpoint> gateway;
  uint8_t ttl = 64;  // also the IPv6 hop limit of datagrams and echo replies
  size_t neighbour_capacity = 4096;
  // Between two ARP requests (or Neighbor Solicitations) for one address, so that a burst to an
  // unresolved peer sends one.
  uint64_t arp_retry_ns = 200'000'000;
};

// Counters; only the owner writes them. Every received frame ends in exactly one of the rx_*
// counters below rx_frames, except that an ARP reply (a Neighbor Advertisement) is counted in
// rx_arp_replies (rx_neighbor_advertisements) and, as it goes on to the kernel, in rx_exception.
struct NetStackCounters {
  uint64_t rx_frames = 0;
  uint64_t rx_datagrams = 0;                // UDP datagrams for the node (kDatagram)
  uint64_t rx_arp_requests = 0;             // ARP requests for the node's address (answered)
  uint64_t rx_arp_replies = 0;              // ARP replies (learnt)
  uint64_t rx_icmp_echo = 0;                // ICMP echo requests answered
  uint64_t rx_neighbor_solicitations = 0;   // IPv6 NS for the node's addresses (answered)
  uint64_t rx_neighbor_advertisements = 0;  // IPv6 NA (learnt)
  uint64_t rx_icmp6_echo = 0;               // ICMPv6 echo requests answered
  uint64_t rx_nd_invalid = 0;       // NS/NA failing RFC 4861 §7.1 (hop limit, code, ...): dropped
  uint64_t rx_reply_too_large = 0;  // echo requests (NS) whose reply would not fit: dropped
  uint64_t rx_exception = 0;        // frames for the host, not the node's: to the kernel
  uint64_t rx_not_for_us = 0;       // frames for another host: dropped
  uint64_t rx_malformed = 0;        // truncated, bad lengths, bad versions: dropped
  uint64_t rx_bad_checksum = 0;     // IPv4 header, UDP, ICMP(v6) checksum wrong; UDP/IPv6 zero
  uint64_t rx_fragments = 0;        // IPv4 or IPv6 fragments of the node's traffic: dropped
  uint64_t rx_ipv6_extension = 0;   // IPv6 extension headers on unicast to the node: dropped
  uint64_t tx_arp_requests = 0;
  uint64_t tx_neighbor_solicitations = 0;
  uint64_t tx_unroutable = 0;  // no route to the destination (not on-link, no gateway)
  uint64_t neighbours_learnt = 0;
  uint64_t neighbour_cache_full = 0;  // a new neighbour not learnt: the cache was full
};

class NetStack {
 public:
  // Ethernet (14) + IPv4 without options (20) + UDP (8).
  static constexpr size_t kUdpHeadroom = 42;
  // Ethernet (14) + IPv6 (40) + UDP (8).
  static constexpr size_t kUdp6Headroom = 62;
  // The smallest Ethernet frame without its FCS; shorter frames are padded to it.
  static constexpr size_t kMinFrame = 60;

  enum class RxVerdict : uint8_t { kDatagram, kReply, kException, kDrop };
  enum class TxVerdict : uint8_t { kReady, kResolve, kUnroutable };

  explicit NetStack(const NetStackOptions& options);

  // Whether Receive could answer `frame` (ARP, ICMP, ICMPv6, by EtherType and IP protocol):
  // a port needs room for a reply only for these. Receive still decides.
  static bool MayReply(std::span<const uint8_t> frame);
  // Classifies one received frame (see the file comment). kDatagram: *datagram is filled, its
  // payload pointing into `frame`. kReply: the answer is written to `reply` and its length to
  // *reply_len; a reply that does not fit `reply` is dropped instead.
  // `udp_checksum`: kVerifiedByDevice when the device checked the UDP checksum and found it
  // right (RX checksum offload): the stack does not sum the datagram again. A zero UDP/IPv6
  // checksum is still refused.
  enum class UdpChecksum : uint8_t { kUnchecked, kVerifiedByDevice };
  RxVerdict Receive(std::span<const uint8_t> frame, RxDatagram* datagram, std::span<uint8_t> reply,
                    size_t* reply_len, UdpChecksum udp_checksum = UdpChecksum::kUnchecked);

  // The MAC of the next hop towards `to`. kResolve: not known yet; hold the datagram and call
  // ResolutionDue / WriteResolutionRequest. kUnroutable: no next hop (counted), also for a
  // destination of the other family than the node's.
  TxVerdict Resolve(const Endpoint& to, MacAddress* next_hop);
  // True when an ARP request or Neighbor Solicitation for the next hop of `to` should go out
  // now (none was sent in the last arp_retry_ns); records that it is going.
  bool ResolutionDue(const Endpoint& to, uint64_t now_ns);
  // Writes an ARP request (IPv4) or a Neighbor Solicitation (IPv6) for the next hop of `to` into
  // `out`; returns its length, 0 if `out` is too small (kMinResolutionFrame is always enough).
  size_t WriteResolutionRequest(const Endpoint& to, std::span<uint8_t> out);
  static constexpr size_t kMinResolutionFrame = 86;
  // Writes an ARP request for the next hop of `to` into `out` (at least kMinFrame bytes);
  // returns its length, 0 if `out` is too small or the node is not IPv4.
  size_t WriteArpRequest(const Endpoint& to, std::span<uint8_t> out);
  // Writes a Neighbor Solicitation for the next hop of `to` (IPv6) to its solicited-node
  // multicast address, with this node's source link-layer address option, into `out` (86 bytes
  // at least); returns its length, 0 if `out` is too small or the node is not IPv6.
  size_t WriteNeighborSolicitation(const Endpoint& to, std::span<uint8_t> out);
  // The bytes in front of a payload that WriteUdpHeaders fills: kUdpHeadroom for an IPv4 node,
  // kUdp6Headroom for an IPv6 one.
  size_t udp_headroom() const { return ipv6_ ? kUdp6Headroom : kUdpHeadroom; }
  // Writes the Ethernet, IP and UDP headers for a datagram of `payload` to `to` (of the node's
  // family, as Resolve made sure) into `headers` (udp_headroom() bytes that precede the payload
  // in the frame), UDP checksum included.
  void WriteUdpHeaders(const MacAddress& next_hop, const Endpoint& to,
                       std::span<const uint8_t> payload, std::span<uint8_t> headers);
  // The same for a payload of `payload_size` bytes whose ChecksumAdd(0, payload) the caller
  // already has (ChecksumCopy gives it while copying the payload into the frame).
  void WriteUdpHeaders(const MacAddress& next_hop, const Endpoint& to, size_t payload_size,
                       uint32_t payload_sum, std::span<uint8_t> headers);
  // The same for a device that computes the checksums (TX checksum offload): the IPv4 header
  // checksum is left 0 and the UDP one holds the pseudo-header's sum, folded and not
  // complemented, as DPDK's drivers expect with RTE_MBUF_F_TX_UDP_CKSUM.
  void WriteUdpHeadersForOffload(const MacAddress& next_hop, const Endpoint& to,
                                 size_t payload_size, std::span<uint8_t> headers);

  // Adds or refreshes a neighbour (also used by tests and static configuration). The address is
  // an Endpoint whose port is ignored; multicast MACs and IPv6 multicast or unspecified
  // addresses are not learnt.
  void Learn(const Endpoint& address, const MacAddress& mac);
  void Learn(uint32_t ipv4, const MacAddress& mac);
  // Neighbours learnt or changed since the last call (at most kMaxLearnt; a refresh with the
  // same MAC is not one), for a multi-queue port to tell its other queues: ARP replies and
  // Neighbor Advertisements reach one queue only. Clears the list; the span is valid until the
  // next Receive or Learn.
  struct Learnt {
    Endpoint address;  // port 0
    MacAddress mac;
  };
  static constexpr size_t kMaxLearnt = 8;
  std::span<const Learnt> TakeLearnt();
  std::optional<MacAddress> Neighbour(const Endpoint& address) const;
  std::optional<MacAddress> Neighbour(uint32_t ipv4) const;
  size_t neighbour_count() const { return neighbours_.size(); }
  // fe80::/64 with the modified EUI-64 of the node's MAC.
  const std::array<uint8_t, 16>& link_local() const { return link_local_; }

  const NetStackOptions& options() const { return options_; }
  const NetStackCounters& counters() const { return counters_; }

 private:
  using Ipv6Address = std::array<uint8_t, 16>;
  struct NeighbourEntry {
    MacAddress mac{};
    bool resolved = false;
    uint64_t last_request_ns = 0;
    bool requested = false;
  };

  // payload_sum: ChecksumAdd of the payload, unless offloaded (WriteUdpHeadersForOffload).
  void WriteUdpHeaders(const MacAddress& next_hop, const Endpoint& to, size_t payload_size,
                       bool offloaded, uint32_t payload_sum, std::span<uint8_t> headers);
  RxVerdict ReceiveArp(std::span<const uint8_t> arp, std::span<uint8_t> reply, size_t* reply_len);
  RxVerdict ReceiveIpv4(std::span<const uint8_t> frame, RxDatagram* datagram,
                        std::span<uint8_t> reply, size_t* reply_len);
  RxVerdict ReceiveIpv6(std::span<const uint8_t> frame, RxDatagram* datagram,
                        std::span<uint8_t> reply, size_t* reply_len);
  // Neighbor Solicitations and Advertisements (`icmp`: the whole ICMPv6 message).
  RxVerdict ReceiveNd(std::span<const uint8_t> frame, std::span<const uint8_t> icmp,
                      std::span<uint8_t> reply, size_t* reply_len);
  RxVerdict ReceiveEcho6(std::span<const uint8_t> frame, std::span<const uint8_t> icmp,
                         std::span<uint8_t> reply, size_t* reply_len);
  RxVerdict ReceiveUdp6(std::span<const uint8_t> frame, std::span<const uint8_t> udp,
                        RxDatagram* datagram);
  // The next hop of `to`: `to` itself (on-link) or the gateway, whose address (not port)
  // counts; null when there is none (another family, not on-link and no gateway, the node).
  // No Endpoint is built on the way: a fresh one, hashed at once, stalls on store forwarding
  // (its address sits at offset 1), which cost a fifth of the forwarding path.
  const Endpoint* NextHop(const Endpoint& to) const;
  // An ARP frame (kMinFrame bytes) from this node to Ethernet address `to`.
  void WriteArp(uint8_t* frame, uint16_t op, const MacAddress& to, const MacAddress& target_mac,
                uint32_t target_ip) const;
  // Ethernet and IPv6 headers, then an ICMPv6 message of `icmp_len` bytes whose content the
  // caller wrote at frame + 54; fills in the ICMPv6 checksum. Returns the frame's length.
  size_t FinishIcmp6(uint8_t* frame, const MacAddress& to_mac, const Ipv6Address& src,
                     const Ipv6Address& dst, uint8_t hop_limit, size_t icmp_len) const;
  bool IsOurIpv6(const uint8_t* address) const;
  NeighbourEntry* Entry(const Endpoint& address, bool create);
  // The neighbour cache's key: an address of either family (IPv4 in the first 4 bytes) as two
  // words, read straight from an Endpoint's bytes (the port does not count).
  struct NeighbourKey {
    uint64_t high = 0;
    uint64_t low = 0;
    uint8_t family = 0;
    friend bool operator==(const NeighbourKey&, const NeighbourKey&) = default;
    template <typename H>
    friend H AbslHashValue(H h, const NeighbourKey& k) {
      return H::combine(std::move(h), k.high, k.low, k.family);
    }
  };
  static NeighbourKey KeyOf(const Endpoint& address);

  NetStackOptions options_;
  bool ipv6_ = false;                   // the node's family
  bool udp_checksum_verified_ = false;  // the frame Receive has: its device checked the UDP sum
  uint32_t local_ip_ = 0;               // host order; IPv4 node only
  uint32_t netmask_ = 0;
  Ipv6Address local6_{};      // IPv6 node only
  Ipv6Address link_local_{};  // derived from the MAC
  absl::flat_hash_map<NeighbourKey, NeighbourEntry> neighbours_;
  std::array<Learnt, kMaxLearnt> learnt_{};
  size_t learnt_count_ = 0;
  NetStackCounters counters_;
};

}  // namespace p2psip::port

#endif  // P2PSIP_PORT_NET_STACK_H_

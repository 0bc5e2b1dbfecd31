// NetStack: the small Ethernet/IPv4/UDP stack a kernel-bypass port needs (DESIGN.md §1,
// principle 5). Sans-I/O: it reads and writes frames in buffers its caller owns, so the DPDK
// port runs it on mbufs and the tests and the fuzz target run it on plain byte arrays.
//
// What it does with a received Ethernet frame (Receive):
//   - ARP request for the node's address: answered (kReply), the asker learnt.
//   - ARP reply: the sender learnt, then handed on (kException) so that the kernel behind the
//     exception path learns it too.
//   - ICMP echo request to the node's address: answered (kReply).
//   - UDP to the node's address and port, checksums right: the datagram (kDatagram), its
//     payload pointing into the frame; the sender's MAC is learnt (gleaned) for the reply.
//   - anything else addressed to this host (TCP for TLS links and SIP, UDP to other ports,
//     IPv6 with its neighbour discovery, broadcasts, other EtherTypes): kException, for the
//     kernel through the exception path.
//   - frames for other hosts, malformed frames, bad checksums, IPv4 fragments: kDrop, counted.
//
// What it does for a datagram to send (Resolve, then WriteUdpHeaders): finds the next hop's MAC
// in its neighbour cache (on-link only: every peer is on the node's subnet or reached through
// the configured gateway), or says that an ARP request is due (WriteArpRequest) and how long to
// hold the datagram; then writes the Ethernet, IPv4 and UDP headers, checksums included, in the
// kUdpHeadroom bytes in front of the payload.
//
// IPv6 is not handled by this stack yet: IPv6 frames go to the kernel, and a node whose
// address is IPv6 cannot use a kernel-bypass port (the DPDK port refuses it at creation).
//
// Allocation: none per frame. The neighbour cache allocates when it learns a new neighbour and
// never holds more than options.neighbour_capacity entries.
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
#include "p2psip/port/port.h"

namespace p2psip::port {

using MacAddress = std::array<uint8_t, 6>;
std::string MacToString(const MacAddress& mac);  // "02:00:00:00:00:01"
std::optional<MacAddress> ParseMac(std::string_view text);

struct NetStackOptions {
  MacAddress mac{};
  Endpoint local;              // the node's IPv4 address and UDP port
  uint8_t prefix_length = 24;  // the on-link subnet: local.address/prefix_length
  // Next hop for peers outside the subnet; unset: such peers are unreachable (kUnroutable).
  std::optional<Endpoint> gateway;
  uint8_t ttl = 64;
  size_t neighbour_capacity = 4096;
  // Between two ARP requests for one address, so that a burst to an unresolved peer sends one.
  uint64_t arp_retry_ns = 200'000'000;
};

// Counters; only the owner writes them. Every received frame ends in exactly one of the rx_*
// counters below rx_frames, except that an ARP reply is counted in rx_arp_replies and, as it
// goes on to the kernel, in rx_exception.
struct NetStackCounters {
  uint64_t rx_frames = 0;
  uint64_t rx_datagrams = 0;        // UDP datagrams for the node (kDatagram)
  uint64_t rx_arp_requests = 0;     // ARP requests for the node's address (answered)
  uint64_t rx_arp_replies = 0;      // ARP replies (learnt)
  uint64_t rx_icmp_echo = 0;        // ICMP echo requests answered
  uint64_t rx_reply_too_large = 0;  // echo requests whose reply would not fit: dropped
  uint64_t rx_exception = 0;        // frames for the host, not the node's: to the kernel
  uint64_t rx_not_for_us = 0;       // frames for another host: dropped
  uint64_t rx_malformed = 0;        // truncated, bad lengths, bad versions: dropped
  uint64_t rx_bad_checksum = 0;     // IPv4 header or UDP checksum wrong: dropped
  uint64_t rx_fragments = 0;        // IPv4 fragments of the node's traffic: dropped
  uint64_t tx_arp_requests = 0;
  uint64_t tx_unroutable = 0;  // no route to the destination (not on-link, no gateway)
  uint64_t neighbours_learnt = 0;
  uint64_t neighbour_cache_full = 0;  // a new neighbour not learnt: the cache was full
};

class NetStack {
 public:
  // Ethernet (14) + IPv4 without options (20) + UDP (8).
  static constexpr size_t kUdpHeadroom = 42;
  // The smallest Ethernet frame without its FCS; shorter frames are padded to it.
  static constexpr size_t kMinFrame = 60;

  enum class RxVerdict : uint8_t { kDatagram, kReply, kException, kDrop };
  enum class TxVerdict : uint8_t { kReady, kResolve, kUnroutable };

  explicit NetStack(const NetStackOptions& options);

  // Classifies one received frame (see the file comment). kDatagram: *datagram is filled, its
  // payload pointing into `frame`. kReply: the answer is written to `reply` and its length to
  // *reply_len; a reply that does not fit `reply` is dropped instead.
  RxVerdict Receive(std::span<const uint8_t> frame, RxDatagram* datagram, std::span<uint8_t> reply,
                    size_t* reply_len);

  // The MAC of the next hop towards `to`. kResolve: not known yet; hold the datagram and call
  // ArpRequestDue / WriteArpRequest. kUnroutable: no next hop (counted).
  TxVerdict Resolve(const Endpoint& to, MacAddress* next_hop);
  // True when an ARP request for the next hop of `to` should go out now (none was sent in the
  // last arp_retry_ns); records that it is going.
  bool ArpRequestDue(const Endpoint& to, uint64_t now_ns);
  // Writes an ARP request for the next hop of `to` into `out` (at least kMinFrame bytes);
  // returns its length, 0 if `out` is too small.
  size_t WriteArpRequest(const Endpoint& to, std::span<uint8_t> out);
  // Writes the Ethernet, IPv4 and UDP headers for a datagram of `payload` to `to` into `headers`
  // (kUdpHeadroom bytes that precede the payload in the frame), UDP checksum included.
  void WriteUdpHeaders(const MacAddress& next_hop, const Endpoint& to,
                       std::span<const uint8_t> payload, std::span<uint8_t> headers);

  // Adds or refreshes a neighbour (also used by tests and static configuration).
  void Learn(uint32_t ipv4, const MacAddress& mac);
  // Neighbours learnt or changed since the last call (at most kMaxLearnt; a refresh with the
  // same MAC is not one), for a multi-queue port to tell its other queues: ARP replies reach
  // one queue only. Clears the list; the span is valid until the next Receive or Learn.
  struct Learnt {
    uint32_t ipv4;
    MacAddress mac;
  };
  static constexpr size_t kMaxLearnt = 8;
  std::span<const Learnt> TakeLearnt();
  std::optional<MacAddress> Neighbour(uint32_t ipv4) const;
  size_t neighbour_count() const { return neighbours_.size(); }

  const NetStackOptions& options() const { return options_; }
  const NetStackCounters& counters() const { return counters_; }

 private:
  struct NeighbourEntry {
    MacAddress mac{};
    bool resolved = false;
    uint64_t last_request_ns = 0;
    bool requested = false;
  };

  RxVerdict ReceiveArp(std::span<const uint8_t> arp, std::span<uint8_t> reply, size_t* reply_len);
  RxVerdict ReceiveIpv4(std::span<const uint8_t> frame, RxDatagram* datagram,
                        std::span<uint8_t> reply, size_t* reply_len);
  std::optional<uint32_t> NextHop(const Endpoint& to) const;  // IPv4, host order
  // An ARP frame (kMinFrame bytes) from this node to Ethernet address `to`.
  void WriteArp(uint8_t* frame, uint16_t op, const MacAddress& to, const MacAddress& target_mac,
                uint32_t target_ip) const;
  NeighbourEntry* Entry(uint32_t ipv4, bool create);

  NetStackOptions options_;
  uint32_t local_ip_ = 0;  // host order
  uint32_t netmask_ = 0;
  absl::flat_hash_map<uint32_t, NeighbourEntry> neighbours_;
  std::array<Learnt, kMaxLearnt> learnt_{};
  size_t learnt_count_ = 0;
  NetStackCounters counters_;
};

// Internet checksum (RFC 1071) helpers, exposed for tests.
uint32_t ChecksumAdd(uint32_t sum, std::span<const uint8_t> bytes);
uint16_t ChecksumFold(uint32_t sum);

}  // namespace p2psip::port

#endif  // P2PSIP_PORT_NET_STACK_H_

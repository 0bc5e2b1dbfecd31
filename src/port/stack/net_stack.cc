#include "p2psip/port/net_stack.h"

#include <bit>
#include <cstring>

#include "absl/strings/str_format.h"

namespace p2psip::port {
namespace {

constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeArp = 0x0806;
constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
constexpr size_t kEthernetHeader = 14;
constexpr size_t kIpv4Header = 20;
constexpr size_t kIpv6Header = 40;
constexpr size_t kNdMessage = 24;  // NS/NA: type, code, checksum, flags, target
constexpr size_t kUdpHeader = 8;
constexpr size_t kArpIpv4 = 28;  // ARP for Ethernet/IPv4
constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kIcmpEchoReply = 0;
constexpr uint8_t kIcmpEchoRequest = 8;
constexpr uint8_t kProtoIcmp6 = 58;
constexpr uint8_t kProtoFragment6 = 44;
constexpr uint8_t kIcmp6EchoRequest = 128;
constexpr uint8_t kIcmp6EchoReply = 129;
constexpr uint8_t kIcmp6NeighborSolicitation = 135;
constexpr uint8_t kIcmp6NeighborAdvertisement = 136;
constexpr uint8_t kNdSourceLinkLayer = 1;
constexpr uint8_t kNdTargetLinkLayer = 2;
constexpr uint8_t kNdHopLimit = 255;
// Neighbor Advertisement flags (RFC 4861 §4.4); the Router flag (0x80) is not interpreted.
constexpr uint8_t kNaSolicited = 0x40, kNaOverride = 0x20;
constexpr std::array<uint8_t, 16> kAllNodes = {0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
constexpr uint16_t kArpRequest = 1;
constexpr uint16_t kArpReply = 2;
constexpr MacAddress kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t Get32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void Put32(uint8_t* p, uint32_t v) {
  Put16(p, static_cast<uint16_t>(v >> 16));
  Put16(p + 2, static_cast<uint16_t>(v));
}
MacAddress MacAt(const uint8_t* p) {
  MacAddress m;
  std::memcpy(m.data(), p, m.size());
  return m;
}
uint32_t Ipv4Of(const Endpoint& e) { return Get32(e.address.data()); }
bool IsMulticastMac(const uint8_t* p) { return (p[0] & 1) != 0; }

// IPv6 addresses, as 16 bytes in network order.
using Ipv6Address = std::array<uint8_t, 16>;
Ipv6Address Ipv6At(const uint8_t* p) {
  Ipv6Address a;
  std::memcpy(a.data(), p, a.size());
  return a;
}
bool IsMulticast6(const uint8_t* a) { return a[0] == 0xff; }
bool IsUnspecified6(const uint8_t* a) {
  for (int i = 0; i < 16; ++i) {
    if (a[i] != 0) return false;
  }
  return true;
}
bool IsLinkLocal6(const uint8_t* a) { return a[0] == 0xfe && (a[1] & 0xc0) == 0x80; }
// ff02::1:ffXX:XXXX, the solicited-node multicast address of `a` (RFC 4291 §2.7.1).
Ipv6Address SolicitedNode(const uint8_t* a) {
  Ipv6Address s = {0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, a[13], a[14], a[15]};
  return s;
}
// 33:33 and the low 32 bits of the multicast address (RFC 2464 §7).
MacAddress MulticastMac6(const Ipv6Address& a) { return {0x33, 0x33, a[12], a[13], a[14], a[15]}; }
Endpoint Ipv4Endpoint(uint32_t ip) {
  Endpoint e;
  e.family = Endpoint::Family::kIpv4;
  Put32(e.address.data(), ip);
  return e;
}
Endpoint Ipv6Endpoint(const uint8_t* a) {
  Endpoint e;
  e.family = Endpoint::Family::kIpv6;
  std::memcpy(e.address.data(), a, 16);
  return e;
}

void WriteEthernet(uint8_t* p, const MacAddress& dst, const MacAddress& src, uint16_t type) {
  std::memcpy(p, dst.data(), 6);
  std::memcpy(p + 6, src.data(), 6);
  Put16(p + 12, type);
}

// The pseudo-header sum of RFC 768 for IPv4 (addresses in host order).
uint32_t PseudoHeaderSum(uint32_t src, uint32_t dst, uint16_t udp_length) {
  return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + kProtoUdp + udp_length;
}

// The pseudo-header sum of RFC 8200 §8.1 for IPv6.
uint32_t PseudoHeaderSum6(const uint8_t* src, const uint8_t* dst, uint32_t length, uint8_t next) {
  uint32_t sum = ChecksumAdd(0, {src, 16});
  sum = ChecksumAdd(sum, {dst, 16});
  return sum + (length >> 16) + (length & 0xffff) + next;
}

// Whether `ip` (an IPv6 header and its payload) is an extension header the stack does not
// parse (RFC 8200 §4 and the IANA list): hop-by-hop, routing, destination options, mobility,
// HIP, shim6 and the experimental values. Fragments (44) are counted apart.
bool IsExtensionHeader(uint8_t next) {
  return next == 0 || next == 43 || next == 60 || next == 135 || next == 139 || next == 140 ||
         next == 253 || next == 254;
}

}  // namespace

bool NetStack::MayReply(std::span<const uint8_t> frame) {
  if (frame.size() < kEthernetHeader) return false;
  const uint16_t type = Get16(frame.data() + 12);
  return type == kEtherTypeArp ||
         (type == kEtherTypeIpv4 && frame.size() > kEthernetHeader + 9 &&
          frame[kEthernetHeader + 9] == kProtoIcmp) ||
         (type == kEtherTypeIpv6 && frame.size() > kEthernetHeader + 6 &&
          frame[kEthernetHeader + 6] == kProtoIcmp6);
}

std::string MacToString(const MacAddress& m) {
  return absl::StrFormat("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

std::optional<MacAddress> ParseMac(std::string_view text) {
  // Exactly "xx:xx:xx:xx:xx:xx", hex digits in either case.
  if (text.size() != 17) return std::nullopt;
  auto hex = [](char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
  };
  MacAddress mac;
  for (size_t i = 0; i < 6; ++i) {
    const int hi = hex(text[i * 3]);
    const int lo = hex(text[i * 3 + 1]);
    if (hi < 0 || lo < 0 || (i < 5 && text[i * 3 + 2] != ':')) return std::nullopt;
    mac[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return mac;
}

NetStack::NetStack(const NetStackOptions& options) : options_(options) {
  ipv6_ = options_.local.family == Endpoint::Family::kIpv6;
  if (ipv6_) {
    local6_ = options_.local.address;
    if (options_.prefix_length > 128) options_.prefix_length = 128;
  } else {
    local_ip_ = Ipv4Of(options_.local);
    const uint8_t prefix = options_.prefix_length > 32 ? 32 : options_.prefix_length;
    netmask_ = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  }
  const MacAddress& m = options_.mac;
  link_local_ = {0xfe, 0x80, 0,    0,    0,    0,    0,   0, static_cast<uint8_t>(m[0] ^ 0x02),
                 m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]};
}

bool NetStack::IsOurIpv6(const uint8_t* a) const {
  return std::memcmp(a, local6_.data(), 16) == 0 || std::memcmp(a, link_local_.data(), 16) == 0;
}

NetStack::RxVerdict NetStack::Receive(std::span<const uint8_t> frame, RxDatagram* datagram,
                                      std::span<uint8_t> reply, size_t* reply_len,
                                      UdpChecksum udp_checksum) {
  ++counters_.rx_frames;
  udp_checksum_verified_ = udp_checksum == UdpChecksum::kVerifiedByDevice;
  *reply_len = 0;
  if (frame.size() < kEthernetHeader) {
    ++counters_.rx_malformed;
    return RxVerdict::kDrop;
  }
  const uint8_t* eth = frame.data();
  const bool to_us = std::memcmp(eth, options_.mac.data(), 6) == 0;
  if (!to_us && !IsMulticastMac(eth)) {
    ++counters_.rx_not_for_us;
    return RxVerdict::kDrop;
  }
  const uint16_t type = Get16(eth + 12);
  if (ipv6_) {
    if (type == kEtherTypeIpv6) return ReceiveIpv6(frame, datagram, reply, reply_len);
  } else {
    if (type == kEtherTypeArp) return ReceiveArp(frame.subspan(kEthernetHeader), reply, reply_len);
    if (type == kEtherTypeIpv4 && to_us) return ReceiveIpv4(frame, datagram, reply, reply_len);
  }
  // The other family, IPv4 broadcasts and multicasts, VLANs, LLDP, ...: the kernel's.
  ++counters_.rx_exception;
  return RxVerdict::kException;
}

NetStack::RxVerdict NetStack::ReceiveArp(std::span<const uint8_t> arp, std::span<uint8_t> reply,
                                         size_t* reply_len) {
  if (arp.size() < kArpIpv4 || Get16(arp.data()) != 1 || Get16(arp.data() + 2) != kEtherTypeIpv4 ||
      arp[4] != 6 || arp[5] != 4) {
    ++counters_.rx_malformed;
    return RxVerdict::kDrop;
  }
  const uint16_t op = Get16(arp.data() + 6);
  const MacAddress sender_mac = MacAt(arp.data() + 8);
  const uint32_t sender_ip = Get32(arp.data() + 14);
  const uint32_t target_ip = Get32(arp.data() + 24);
  if (op == kArpRequest) {
    if (target_ip != local_ip_) {
      // RFC 826's merge rule: refresh a neighbour we already know, learn no new one.
      if (NeighbourEntry* e = Entry(Ipv4Endpoint(sender_ip), false); e != nullptr && e->resolved) {
        Learn(sender_ip, sender_mac);
      }
      ++counters_.rx_not_for_us;
      return RxVerdict::kDrop;
    }
    ++counters_.rx_arp_requests;
    if (sender_ip != 0) Learn(sender_ip, sender_mac);
    if (reply.size() < kMinFrame) return RxVerdict::kDrop;
    WriteArp(reply.data(), kArpReply, sender_mac, sender_mac, sender_ip);
    *reply_len = kMinFrame;
    return RxVerdict::kReply;
  }
  if (op == kArpReply) {
    ++counters_.rx_arp_replies;
    if (sender_ip != 0 && sender_ip != local_ip_) Learn(sender_ip, sender_mac);
    ++counters_.rx_exception;  // the kernel behind the exception path learns it too
    return RxVerdict::kException;
  }
  ++counters_.rx_malformed;
  return RxVerdict::kDrop;
}

NetStack::RxVerdict NetStack::ReceiveIpv4(std::span<const uint8_t> frame, RxDatagram* datagram,
                                          std::span<uint8_t> reply, size_t* reply_len) {
  const std::span<const uint8_t> ip = frame.subspan(kEthernetHeader);
  if (ip.size() < kIpv4Header || (ip[0] >> 4) != 4) {
    ++counters_.rx_malformed;
    return RxVerdict::kDrop;
  }
  const size_t header_len = size_t{ip[0] & 0x0fu} * 4;
  const size_t total_len = Get16(ip.data() + 2);
  if (header_len < kIpv4Header || total_len < header_len || total_len > ip.size()) {
    ++counters_.rx_malformed;
    return RxVerdict::kDrop;
  }
  const uint32_t dst = Get32(ip.data() + 16);
  if (dst != local_ip_) {
    // Broadcasts and multicasts are the kernel's; another host's unicast is not ours at all.
    const bool broadcast =
        dst == 0xffffffffu || (dst | netmask_) == 0xffffffffu || (dst >> 28) == 0xe;
    if (broadcast) {
      ++counters_.rx_exception;
      return RxVerdict::kException;
    }
    ++counters_.rx_not_for_us;
    return RxVerdict::kDrop;
  }
  const uint8_t protocol = ip[9];
  if (protocol != kProtoUdp && protocol != kProtoIcmp) {
    ++counters_.rx_exception;  // TCP (TLS links, SIP), ...
    return RxVerdict::kException;
  }
  if (ChecksumFold(ChecksumAdd(0, ip.first(header_len))) != 0) {
    ++counters_.rx_bad_checksum;
    return RxVerdict::kDrop;
  }
  const uint16_t fragment = Get16(ip.data() + 6);
  if ((fragment & 0x3fff) != 0) {  // more fragments, or an offset
    if (protocol == kProtoUdp) {
      ++counters_.rx_fragments;
      return RxVerdict::kDrop;
    }
    ++counters_.rx_exception;
    return RxVerdict::kException;
  }
  const uint32_t src = Get32(ip.data() + 12);
  const std::span<const uint8_t> body = ip.subspan(header_len, total_len - header_len);

  if (protocol == kProtoIcmp) {
    if (body.size() < 8 || body[0] != kIcmpEchoRequest) {
      ++counters_.rx_exception;  // other ICMP (unreachable, ...) is the kernel's to see
      return RxVerdict::kException;
    }
    if (ChecksumFold(ChecksumAdd(0, body)) != 0) {
      ++counters_.rx_bad_checksum;
      return RxVerdict::kDrop;
    }
    const size_t len = kEthernetHeader + kIpv4Header + body.size();
    if (reply.size() < std::max(len, kMinFrame)) {
      ++counters_.rx_reply_too_large;
      return RxVerdict::kDrop;
    }
    ++counters_.rx_icmp_echo;
    uint8_t* p = reply.data();
    std::memset(p, 0, std::max(len, kMinFrame));
    WriteEthernet(p, MacAt(frame.data() + 6), options_.mac, kEtherTypeIpv4);
    uint8_t* r = p + kEthernetHeader;
    r[0] = 0x45;
    Put16(r + 2, static_cast<uint16_t>(kIpv4Header + body.size()));
    Put16(r + 4, Get16(ip.data() + 4));
    r[8] = options_.ttl;
    r[9] = kProtoIcmp;
    Put32(r + 12, local_ip_);
    Put32(r + 16, src);
    Put16(r + 10, ChecksumFold(ChecksumAdd(0, {r, kIpv4Header})));
    uint8_t* icmp = r + kIpv4Header;
    std::memcpy(icmp, body.data(), body.size());
    icmp[0] = kIcmpEchoReply;
    Put16(icmp + 2, 0);
    Put16(icmp + 2, ChecksumFold(ChecksumAdd(0, {icmp, body.size()})));
    *reply_len = std::max(len, kMinFrame);
    return RxVerdict::kReply;
  }

  if (body.size() < kUdpHeader) {
    ++counters_.rx_malformed;
    return RxVerdict::kDrop;
  }
  const uint16_t dst_port = Get16(body.data() + 2);
  const size_t udp_len = Get16(body.data() + 4);
  if (udp_len < kUdpHeader || udp_len > body.size()) {
    ++counters_.rx_malformed;
    return RxVerdict::kDrop;
  }
  if (dst_port != options_.local.port) {
    ++counters_.rx_exception;
    return RxVerdict::kException;
  }
  if (Get16(body.data() + 6) != 0 && !udp_checksum_verified_) {  // 0: none (allowed over IPv4)
    const uint32_t sum =
        ChecksumAdd(PseudoHeaderSum(src, dst, static_cast<uint16_t>(udp_len)), body.first(udp_len));
    if (ChecksumFold(sum) != 0) {
      ++counters_.rx_bad_checksum;
      return RxVerdict::kDrop;
    }
  }
  // Glean the sender: the node answers it next.
  Learn(src, MacAt(frame.data() + 6));
  ++counters_.rx_datagrams;
  datagram->from = Endpoint{};
  datagram->from.family = Endpoint::Family::kIpv4;
  Put32(datagram->from.address.data(), src);
  datagram->from.port = Get16(body.data());
  datagram->data = body.subspan(kUdpHeader, udp_len - kUdpHeader);
  return RxVerdict::kDatagram;
}

NetStack::RxVerdict NetStack::ReceiveIpv6(std::span<const uint8_t> frame, RxDatagram* datagram,
                                          std::span<uint8_t> reply, size_t* reply_len) {
  const std::span<const uint8_t> ip = frame.subspan(kEthernetHeader);
  if (ip.size() < kIpv6Header || (ip[0] >> 4) != 6) {
    ++counters_.rx_malformed;
    return RxVerdict::kDrop;
  }
  const size_t payload_len = Get16(ip.data() + 4);
  // Ethernet may pad a short frame: the payload length, not the frame, says where it ends.
  if (kIpv6Header + payload_len > ip.size() || IsMulticast6(ip.data() + 8)) {
    ++counters_.rx_malformed;
    return RxVerdict::kDrop;
  }
  const uint8_t next = ip[6];
  const uint8_t* dst = ip.data() + 24;
  const bool ours = IsOurIpv6(dst);
  const bool multicast = IsMulticast6(dst);
  if (!ours && !multicast) {
    ++counters_.rx_not_for_us;
    return RxVerdict::kDrop;
  }
  const std::span<const uint8_t> body = ip.subspan(kIpv6Header, payload_len);
  if (next == kProtoIcmp6 && body.size() >= 1 &&
      (body[0] == kIcmp6NeighborSolicitation || body[0] == kIcmp6NeighborAdvertisement)) {
    return ReceiveNd(frame, body, reply, reply_len);
  }
  if (multicast) {
    // Router advertisements, MLD queries, all-nodes traffic, ...: the kernel's.
    ++counters_.rx_exception;
    return RxVerdict::kException;
  }
  if (next == kProtoUdp) return ReceiveUdp6(frame, body, datagram);
  if (next == kProtoIcmp6) {
    if (body.size() >= 1 && body[0] == kIcmp6EchoRequest) {
      return ReceiveEcho6(frame, body, reply, reply_len);
    }
    ++counters_.rx_exception;  // redirects, errors, ...: the kernel's to see
    return RxVerdict::kException;
  }
  if (next == kProtoFragment6) {
    ++counters_.rx_fragments;
    return RxVerdict::kDrop;
  }
  if (IsExtensionHeader(next)) {
    ++counters_.rx_ipv6_extension;
    return RxVerdict::kDrop;
  }
  ++counters_.rx_exception;  // TCP (TLS links, SIP), ...
  return RxVerdict::kException;
}

NetStack::RxVerdict NetStack::ReceiveNd(std::span<const uint8_t> frame,
                                        std::span<const uint8_t> icmp, std::span<uint8_t> reply,
                                        size_t* reply_len) {
  const uint8_t* ip = frame.data() + kEthernetHeader;
  const uint8_t* src = ip + 8;
  const uint8_t* dst = ip + 24;
  if (icmp.size() < kNdMessage) {
    ++counters_.rx_malformed;
    return RxVerdict::kDrop;
  }
  const uint32_t sum = PseudoHeaderSum6(src, dst, static_cast<uint32_t>(icmp.size()), kProtoIcmp6);
  if (ChecksumFold(ChecksumAdd(sum, icmp)) != 0) {
    ++counters_.rx_bad_checksum;
    return RxVerdict::kDrop;
  }
  const bool solicitation = icmp[0] == kIcmp6NeighborSolicitation;
  const uint8_t* target = icmp.data() + 8;
  // RFC 4861 §7.1.1 and §7.1.2: a router may not have forwarded it (hop limit 255), code 0,
  // target not multicast, every option at least 8 bytes and inside the message.
  bool valid = ip[7] == kNdHopLimit && icmp[1] == 0 && !IsMulticast6(target);
  const uint8_t* link_layer = nullptr;  // the source (NS) or target (NA) link-layer option
  const uint8_t wanted = solicitation ? kNdSourceLinkLayer : kNdTargetLinkLayer;
  for (size_t at = kNdMessage; valid && at < icmp.size();) {
    const size_t len = size_t{icmp.size() - at >= 2 ? icmp[at + 1] : 0u} * 8;
    if (len == 0 || len > icmp.size() - at) {
      valid = false;
      break;
    }
    if (icmp[at] == wanted && len >= 8) link_layer = icmp.data() + at + 2;
    at += len;
  }
  const bool from_unspecified = IsUnspecified6(src);
  if (solicitation && from_unspecified) {
    // Duplicate address detection: only to a solicited-node address, no source link-layer.
    valid =
        valid && link_layer == nullptr && std::memcmp(dst, SolicitedNode(target).data(), 16) == 0;
  }
  if (!solicitation && IsMulticast6(dst) && (icmp[4] & kNaSolicited) != 0) valid = false;
  if (!valid) {
    ++counters_.rx_nd_invalid;
    return RxVerdict::kDrop;
  }

  if (!solicitation) {
    ++counters_.rx_neighbor_advertisements;
    if (!IsOurIpv6(target)) {
      Learn(Ipv6Endpoint(target),
            link_layer != nullptr ? MacAt(link_layer) : MacAt(frame.data() + 6));
    }
    ++counters_.rx_exception;  // the kernel behind the exception path learns it too
    return RxVerdict::kException;
  }

  if (!IsOurIpv6(target)) {
    // Another host's address (a solicited-node address may be shared), or address resolution
    // for the kernel's other addresses: not the node's to answer.
    ++counters_.rx_not_for_us;
    return RxVerdict::kDrop;
  }
  constexpr size_t kAdvertisement = kEthernetHeader + kIpv6Header + kNdMessage + 8;
  if (reply.size() < kAdvertisement) {
    ++counters_.rx_reply_too_large;
    return RxVerdict::kDrop;
  }
  ++counters_.rx_neighbor_solicitations;
  uint8_t* p = reply.data();
  uint8_t* na = p + kEthernetHeader + kIpv6Header;
  std::memset(na, 0, kNdMessage + 8);
  na[0] = kIcmp6NeighborAdvertisement;
  std::memcpy(na + 8, target, 16);
  na[kNdMessage] = kNdTargetLinkLayer;
  na[kNdMessage + 1] = 1;
  std::memcpy(na + kNdMessage + 2, options_.mac.data(), 6);
  if (from_unspecified) {
    // Someone probes the node's address (RFC 4862 DAD): defend it, to all-nodes, Solicited
    // clear (RFC 4861 §7.2.4). The prober is not learnt: it has no address yet.
    na[4] = kNaOverride;
    *reply_len = FinishIcmp6(p, MulticastMac6(kAllNodes), Ipv6At(target), kAllNodes, kNdHopLimit,
                             kNdMessage + 8);
    return RxVerdict::kReply;
  }
  const MacAddress solicitor = link_layer != nullptr ? MacAt(link_layer) : MacAt(frame.data() + 6);
  if (link_layer != nullptr) Learn(Ipv6Endpoint(src), solicitor);
  na[4] = kNaSolicited | kNaOverride;
  *reply_len = FinishIcmp6(p, solicitor, Ipv6At(target), Ipv6At(src), kNdHopLimit, kNdMessage + 8);
  return RxVerdict::kReply;
}

NetStack::RxVerdict NetStack::ReceiveEcho6(std::span<const uint8_t> frame,
                                           std::span<const uint8_t> icmp, std::span<uint8_t> reply,
                                           size_t* reply_len) {
  const uint8_t* ip = frame.data() + kEthernetHeader;
  if (icmp.size() < 8) {
    ++counters_.rx_malformed;
    return RxVerdict::kDrop;
  }
  const uint32_t sum =
      PseudoHeaderSum6(ip + 8, ip + 24, static_cast<uint32_t>(icmp.size()), kProtoIcmp6);
  if (ChecksumFold(ChecksumAdd(sum, icmp)) != 0) {
    ++counters_.rx_bad_checksum;
    return RxVerdict::kDrop;
  }
  if (IsUnspecified6(ip + 8)) {
    ++counters_.rx_malformed;  // no one to answer
    return RxVerdict::kDrop;
  }
  const size_t len = kEthernetHeader + kIpv6Header + icmp.size();
  if (reply.size() < std::max(len, kMinFrame)) {
    ++counters_.rx_reply_too_large;
    return RxVerdict::kDrop;
  }
  ++counters_.rx_icmp6_echo;
  uint8_t* echo = reply.data() + kEthernetHeader + kIpv6Header;
  std::memcpy(echo, icmp.data(), icmp.size());
  echo[0] = kIcmp6EchoReply;
  // From the address it was sent to: the node's own, or its link-local one.
  *reply_len = std::max(FinishIcmp6(reply.data(), MacAt(frame.data() + 6), Ipv6At(ip + 24),
                                    Ipv6At(ip + 8), options_.ttl, icmp.size()),
                        kMinFrame);
  return RxVerdict::kReply;
}

NetStack::RxVerdict NetStack::ReceiveUdp6(std::span<const uint8_t> frame,
                                          std::span<const uint8_t> body, RxDatagram* datagram) {
  const uint8_t* ip = frame.data() + kEthernetHeader;
  if (body.size() < kUdpHeader) {
    ++counters_.rx_malformed;
    return RxVerdict::kDrop;
  }
  const size_t udp_len = Get16(body.data() + 4);
  if (udp_len < kUdpHeader || udp_len > body.size()) {
    ++counters_.rx_malformed;
    return RxVerdict::kDrop;
  }
  // The node's datagrams come to its own address; the link-local one is the kernel's.
  if (Get16(body.data() + 2) != options_.local.port ||
      std::memcmp(ip + 24, local6_.data(), 16) != 0) {
    ++counters_.rx_exception;
    return RxVerdict::kException;
  }
  // RFC 8200 §8.1: the checksum is mandatory over IPv6; a zero one is discarded.
  const uint32_t sum = PseudoHeaderSum6(ip + 8, ip + 24, static_cast<uint32_t>(udp_len), kProtoUdp);
  if (Get16(body.data() + 6) == 0 ||
      (!udp_checksum_verified_ && ChecksumFold(ChecksumAdd(sum, body.first(udp_len))) != 0)) {
    ++counters_.rx_bad_checksum;
    return RxVerdict::kDrop;
  }
  if (IsUnspecified6(ip + 8)) {
    ++counters_.rx_malformed;
    return RxVerdict::kDrop;
  }
  const Endpoint from = Ipv6Endpoint(ip + 8);
  Learn(from, MacAt(frame.data() + 6));  // glean: the node answers it next
  ++counters_.rx_datagrams;
  datagram->from = from;
  datagram->from.port = Get16(body.data());
  datagram->data = body.subspan(kUdpHeader, udp_len - kUdpHeader);
  return RxVerdict::kDatagram;
}

size_t NetStack::FinishIcmp6(uint8_t* frame, const MacAddress& to_mac, const Ipv6Address& src,
                             const Ipv6Address& dst, uint8_t hop_limit, size_t icmp_len) const {
  WriteEthernet(frame, to_mac, options_.mac, kEtherTypeIpv6);
  uint8_t* ip = frame + kEthernetHeader;
  Put32(ip, 0x60000000);  // version 6, traffic class and flow label 0
  Put16(ip + 4, static_cast<uint16_t>(icmp_len));
  ip[6] = kProtoIcmp6;
  ip[7] = hop_limit;
  std::memcpy(ip + 8, src.data(), 16);
  std::memcpy(ip + 24, dst.data(), 16);
  uint8_t* icmp = ip + kIpv6Header;
  Put16(icmp + 2, 0);
  const uint32_t sum =
      PseudoHeaderSum6(src.data(), dst.data(), static_cast<uint32_t>(icmp_len), kProtoIcmp6);
  Put16(icmp + 2, ChecksumFold(ChecksumAdd(sum, {icmp, icmp_len})));
  return kEthernetHeader + kIpv6Header + icmp_len;
}

const Endpoint* NetStack::NextHop(const Endpoint& to) const {
  if (to.family != options_.local.family) return nullptr;
  if (!ipv6_) {
    const uint32_t ip = Ipv4Of(to);
    if (ip == 0 || ip == local_ip_) return nullptr;
    if ((ip & netmask_) == (local_ip_ & netmask_)) return &to;
    if (options_.gateway.has_value() && options_.gateway->family == Endpoint::Family::kIpv4) {
      return &*options_.gateway;
    }
    return nullptr;
  }
  const uint8_t* a = to.address.data();
  if (IsUnspecified6(a) || IsMulticast6(a) || IsOurIpv6(a)) return nullptr;
  // On-link: link-local, or the node's prefix.
  bool on_link = IsLinkLocal6(a);
  if (!on_link) {
    const size_t bytes = options_.prefix_length / 8;
    const unsigned bits = options_.prefix_length % 8;
    on_link = std::memcmp(a, local6_.data(), bytes) == 0 &&
              (bits == 0 || ((a[bytes] ^ local6_[bytes]) & (0xff00u >> bits)) == 0);
  }
  if (on_link) return &to;
  if (options_.gateway.has_value() && options_.gateway->family == Endpoint::Family::kIpv6) {
    return &*options_.gateway;
  }
  return nullptr;
}

NetStack::NeighbourKey NetStack::KeyOf(const Endpoint& address) {
  NeighbourKey k;
  std::memcpy(&k.high, address.address.data(), 8);
  std::memcpy(&k.low, address.address.data() + 8, 8);
  k.family = static_cast<uint8_t>(address.family);
  return k;
}

NetStack::NeighbourEntry* NetStack::Entry(const Endpoint& address, bool create) {
  const NeighbourKey key = KeyOf(address);
  auto it = neighbours_.find(key);
  if (it != neighbours_.end()) return &it->second;
  if (!create) return nullptr;
  if (neighbours_.size() >= options_.neighbour_capacity) {
    ++counters_.neighbour_cache_full;
    return nullptr;
  }
  return &neighbours_[key];
}

void NetStack::Learn(uint32_t ipv4, const MacAddress& mac) { Learn(Ipv4Endpoint(ipv4), mac); }

void NetStack::Learn(const Endpoint& address, const MacAddress& mac) {
  if (IsMulticastMac(mac.data())) return;
  Endpoint key = address;
  key.port = 0;
  if (key.family == Endpoint::Family::kIpv6 &&
      (IsMulticast6(key.address.data()) || IsUnspecified6(key.address.data()))) {
    return;
  }
  NeighbourEntry* e = Entry(key, true);
  if (e == nullptr) return;
  if (e->resolved && e->mac == mac) return;  // a refresh
  if (!e->resolved) ++counters_.neighbours_learnt;
  e->mac = mac;
  e->resolved = true;
  if (learnt_count_ < kMaxLearnt) learnt_[learnt_count_++] = {key, mac};
}

std::span<const NetStack::Learnt> NetStack::TakeLearnt() {
  const size_t n = learnt_count_;
  learnt_count_ = 0;
  return {learnt_.data(), n};
}

std::optional<MacAddress> NetStack::Neighbour(const Endpoint& address) const {
  auto it = neighbours_.find(KeyOf(address));
  if (it == neighbours_.end() || !it->second.resolved) return std::nullopt;
  return it->second.mac;
}

std::optional<MacAddress> NetStack::Neighbour(uint32_t ipv4) const {
  return Neighbour(Ipv4Endpoint(ipv4));
}

NetStack::TxVerdict NetStack::Resolve(const Endpoint& to, MacAddress* next_hop) {
  const Endpoint* hop = NextHop(to);
  if (hop == nullptr) {
    ++counters_.tx_unroutable;
    return TxVerdict::kUnroutable;
  }
  auto it = neighbours_.find(KeyOf(*hop));
  if (it == neighbours_.end() || !it->second.resolved) return TxVerdict::kResolve;
  *next_hop = it->second.mac;
  return TxVerdict::kReady;
}

bool NetStack::ResolutionDue(const Endpoint& to, uint64_t now_ns) {
  const Endpoint* hop = NextHop(to);
  if (hop == nullptr) return false;
  NeighbourEntry* e = Entry(*hop, true);
  if (e == nullptr || e->resolved) return false;
  if (e->requested && now_ns - e->last_request_ns < options_.arp_retry_ns) return false;
  e->requested = true;
  e->last_request_ns = now_ns;
  return true;
}

void NetStack::WriteArp(uint8_t* frame, uint16_t op, const MacAddress& to,
                        const MacAddress& target_mac, uint32_t target_ip) const {
  std::memset(frame, 0, kMinFrame);
  WriteEthernet(frame, to, options_.mac, kEtherTypeArp);
  uint8_t* a = frame + kEthernetHeader;
  Put16(a, 1);  // hardware type: Ethernet
  Put16(a + 2, kEtherTypeIpv4);
  a[4] = 6;
  a[5] = 4;
  Put16(a + 6, op);
  std::memcpy(a + 8, options_.mac.data(), 6);
  Put32(a + 14, local_ip_);
  std::memcpy(a + 18, target_mac.data(), 6);
  Put32(a + 24, target_ip);
}

size_t NetStack::WriteArpRequest(const Endpoint& to, std::span<uint8_t> out) {
  const Endpoint* hop = NextHop(to);
  if (ipv6_ || hop == nullptr || out.size() < kMinFrame) return 0;
  // Target MAC unknown: 0.
  WriteArp(out.data(), kArpRequest, kBroadcast, MacAddress{}, Ipv4Of(*hop));
  ++counters_.tx_arp_requests;
  return kMinFrame;
}

size_t NetStack::WriteNeighborSolicitation(const Endpoint& to, std::span<uint8_t> out) {
  const Endpoint* hop = NextHop(to);
  constexpr size_t kSolicitation = kEthernetHeader + kIpv6Header + kNdMessage + 8;
  if (!ipv6_ || hop == nullptr || out.size() < kSolicitation) return 0;
  const uint8_t* target = hop->address.data();
  uint8_t* ns = out.data() + kEthernetHeader + kIpv6Header;
  std::memset(ns, 0, kNdMessage + 8);
  ns[0] = kIcmp6NeighborSolicitation;
  std::memcpy(ns + 8, target, 16);
  ns[kNdMessage] = kNdSourceLinkLayer;
  ns[kNdMessage + 1] = 1;
  std::memcpy(ns + kNdMessage + 2, options_.mac.data(), 6);
  // A link-local neighbour is asked from the link-local address, so that it can answer on-link.
  const Ipv6Address group = SolicitedNode(target);
  ++counters_.tx_neighbor_solicitations;
  return FinishIcmp6(out.data(), MulticastMac6(group), IsLinkLocal6(target) ? link_local_ : local6_,
                     group, kNdHopLimit, kNdMessage + 8);
}

size_t NetStack::WriteResolutionRequest(const Endpoint& to, std::span<uint8_t> out) {
  return ipv6_ ? WriteNeighborSolicitation(to, out) : WriteArpRequest(to, out);
}

void NetStack::WriteUdpHeaders(const MacAddress& next_hop, const Endpoint& to,
                               std::span<const uint8_t> payload, std::span<uint8_t> headers) {
  WriteUdpHeaders(next_hop, to, payload.size(), ChecksumAdd(0, payload), headers);
}

void NetStack::WriteUdpHeaders(const MacAddress& next_hop, const Endpoint& to, size_t payload_size,
                               uint32_t payload_sum, std::span<uint8_t> headers) {
  WriteUdpHeaders(next_hop, to, payload_size, /*offloaded=*/false, payload_sum, headers);
}

void NetStack::WriteUdpHeadersForOffload(const MacAddress& next_hop, const Endpoint& to,
                                         size_t payload_size, std::span<uint8_t> headers) {
  WriteUdpHeaders(next_hop, to, payload_size, /*offloaded=*/true, 0, headers);
}

void NetStack::WriteUdpHeaders(const MacAddress& next_hop, const Endpoint& to, size_t payload_size,
                               bool offloaded, uint32_t payload_sum, std::span<uint8_t> headers) {
  uint8_t* p = headers.data();
  const uint16_t udp_len = static_cast<uint16_t>(kUdpHeader + payload_size);
  uint8_t* udp = nullptr;
  uint32_t sum = 0;
  if (ipv6_) {
    WriteEthernet(p, next_hop, options_.mac, kEtherTypeIpv6);
    uint8_t* ip = p + kEthernetHeader;
    Put32(ip, 0x60000000);  // version 6, traffic class and flow label 0
    Put16(ip + 4, udp_len);
    ip[6] = kProtoUdp;
    ip[7] = options_.ttl;
    std::memcpy(ip + 8, local6_.data(), 16);
    std::memcpy(ip + 24, to.address.data(), 16);
    udp = ip + kIpv6Header;
    sum = PseudoHeaderSum6(local6_.data(), to.address.data(), udp_len, kProtoUdp);
  } else {
    WriteEthernet(p, next_hop, options_.mac, kEtherTypeIpv4);
    uint8_t* ip = p + kEthernetHeader;
    const uint32_t dst = Ipv4Of(to);
    ip[0] = 0x45;
    ip[1] = 0;
    Put16(ip + 2, static_cast<uint16_t>(kIpv4Header + udp_len));
    Put16(ip + 4, 0);       // identification: unused, DF is set
    Put16(ip + 6, 0x4000);  // don't fragment: RELOAD framing keeps datagrams under the MTU
    ip[8] = options_.ttl;
    ip[9] = kProtoUdp;
    Put32(ip + 12, local_ip_);
    Put32(ip + 16, dst);
    // The sums come from the values, not read back from the frame. The header's words are the
    // pseudo-header's (addresses, protocol, UDP length) and version/IHL, the IP header's length
    // within total length, flags and TTL. Offloaded, the device fills in the header checksum.
    sum = PseudoHeaderSum(local_ip_, dst, udp_len);
    const uint32_t header_sum = sum + 0x4500 + kIpv4Header + 0x4000 + (uint32_t{options_.ttl} << 8);
    Put16(ip + 10, offloaded ? 0 : ChecksumFold(header_sum));
    udp = ip + kIpv4Header;
  }
  Put16(udp, options_.local.port);
  Put16(udp + 2, to.port);
  Put16(udp + 4, udp_len);
  Put16(udp + 6, 0);
  if (offloaded) {
    // Offloaded (DPDK's convention, rte_ipv4_phdr_cksum): the field holds the pseudo-header's
    // sum, folded and not complemented; the device adds the UDP header and payload.
    while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
    Put16(udp + 6, static_cast<uint16_t>(sum));
    return;
  }
  sum += uint32_t{options_.local.port} + to.port + udp_len;  // the UDP header, checksum 0
  const uint16_t checksum = ChecksumFold(sum + payload_sum);
  // RFC 768: 0 means "none" (and over IPv6 is not allowed); 0xffff is the same sum.
  Put16(udp + 6, checksum == 0 ? 0xffff : checksum);
}

}  // namespace p2psip::port

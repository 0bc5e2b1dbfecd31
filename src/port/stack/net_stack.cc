#include "p2psip/port/net_stack.h"

#include <cstring>

#include "absl/strings/str_format.h"

namespace p2psip::port {
namespace {

constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeArp = 0x0806;
constexpr size_t kEthernetHeader = 14;
constexpr size_t kIpv4Header = 20;
constexpr size_t kUdpHeader = 8;
constexpr size_t kArpIpv4 = 28;  // ARP for Ethernet/IPv4
constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kIcmpEchoReply = 0;
constexpr uint8_t kIcmpEchoRequest = 8;
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

void WriteEthernet(uint8_t* p, const MacAddress& dst, const MacAddress& src, uint16_t type) {
  std::memcpy(p, dst.data(), 6);
  std::memcpy(p + 6, src.data(), 6);
  Put16(p + 12, type);
}

// The pseudo-header sum of RFC 768 for IPv4 (addresses in host order).
uint32_t PseudoHeaderSum(uint32_t src, uint32_t dst, uint16_t udp_length) {
  return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + kProtoUdp + udp_length;
}

}  // namespace

uint32_t ChecksumAdd(uint32_t sum, std::span<const uint8_t> bytes) {
  size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) sum += Get16(bytes.data() + i);
  if (i < bytes.size()) sum += uint32_t{bytes[i]} << 8;
  // Fold now and then so that a long payload cannot overflow 32 bits.
  return (sum & 0xffff) + (sum >> 16);
}

uint16_t ChecksumFold(uint32_t sum) {
  while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
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
  local_ip_ = Ipv4Of(options_.local);
  const uint8_t prefix = options_.prefix_length > 32 ? 32 : options_.prefix_length;
  netmask_ = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
}

NetStack::RxVerdict NetStack::Receive(std::span<const uint8_t> frame, RxDatagram* datagram,
                                      std::span<uint8_t> reply, size_t* reply_len) {
  ++counters_.rx_frames;
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
  if (type == kEtherTypeArp) return ReceiveArp(frame.subspan(kEthernetHeader), reply, reply_len);
  if (type == kEtherTypeIpv4 && to_us) return ReceiveIpv4(frame, datagram, reply, reply_len);
  // IPv6 (with its neighbour discovery), IPv4 broadcasts and multicasts, VLANs, LLDP, ...: the
  // kernel's.
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
      if (NeighbourEntry* e = Entry(sender_ip, false); e != nullptr && e->resolved) {
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
    const bool broadcast = dst == 0xffffffffu || (dst | netmask_) == 0xffffffffu ||
                           (dst >> 28) == 0xe;
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
  if (Get16(body.data() + 6) != 0) {  // 0: the sender computed none (allowed over IPv4)
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

std::optional<uint32_t> NetStack::NextHop(const Endpoint& to) const {
  if (to.family != Endpoint::Family::kIpv4) return std::nullopt;
  const uint32_t ip = Ipv4Of(to);
  if (ip == 0 || ip == local_ip_) return std::nullopt;
  if ((ip & netmask_) == (local_ip_ & netmask_)) return ip;
  if (options_.gateway.has_value() && options_.gateway->family == Endpoint::Family::kIpv4) {
    return Ipv4Of(*options_.gateway);
  }
  return std::nullopt;
}

NetStack::NeighbourEntry* NetStack::Entry(uint32_t ipv4, bool create) {
  auto it = neighbours_.find(ipv4);
  if (it != neighbours_.end()) return &it->second;
  if (!create) return nullptr;
  if (neighbours_.size() >= options_.neighbour_capacity) {
    ++counters_.neighbour_cache_full;
    return nullptr;
  }
  return &neighbours_[ipv4];
}

void NetStack::Learn(uint32_t ipv4, const MacAddress& mac) {
  if (IsMulticastMac(mac.data())) return;
  NeighbourEntry* e = Entry(ipv4, true);
  if (e == nullptr) return;
  if (e->resolved && e->mac == mac) return;  // a refresh
  if (!e->resolved) ++counters_.neighbours_learnt;
  e->mac = mac;
  e->resolved = true;
  if (learnt_count_ < kMaxLearnt) learnt_[learnt_count_++] = {ipv4, mac};
}

std::span<const NetStack::Learnt> NetStack::TakeLearnt() {
  const size_t n = learnt_count_;
  learnt_count_ = 0;
  return {learnt_.data(), n};
}

std::optional<MacAddress> NetStack::Neighbour(uint32_t ipv4) const {
  auto it = neighbours_.find(ipv4);
  if (it == neighbours_.end() || !it->second.resolved) return std::nullopt;
  return it->second.mac;
}

NetStack::TxVerdict NetStack::Resolve(const Endpoint& to, MacAddress* next_hop) {
  const std::optional<uint32_t> hop = NextHop(to);
  if (!hop.has_value()) {
    ++counters_.tx_unroutable;
    return TxVerdict::kUnroutable;
  }
  auto it = neighbours_.find(*hop);
  if (it == neighbours_.end() || !it->second.resolved) return TxVerdict::kResolve;
  *next_hop = it->second.mac;
  return TxVerdict::kReady;
}

bool NetStack::ArpRequestDue(const Endpoint& to, uint64_t now_ns) {
  const std::optional<uint32_t> hop = NextHop(to);
  if (!hop.has_value()) return false;
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
  const std::optional<uint32_t> hop = NextHop(to);
  if (!hop.has_value() || out.size() < kMinFrame) return 0;
  WriteArp(out.data(), kArpRequest, kBroadcast, MacAddress{}, *hop);  // target MAC unknown: 0
  ++counters_.tx_arp_requests;
  return kMinFrame;
}

void NetStack::WriteUdpHeaders(const MacAddress& next_hop, const Endpoint& to,
                               std::span<const uint8_t> payload, std::span<uint8_t> headers) {
  uint8_t* p = headers.data();
  WriteEthernet(p, next_hop, options_.mac, kEtherTypeIpv4);
  uint8_t* ip = p + kEthernetHeader;
  const uint16_t udp_len = static_cast<uint16_t>(kUdpHeader + payload.size());
  const uint32_t dst = Ipv4Of(to);
  ip[0] = 0x45;
  ip[1] = 0;
  Put16(ip + 2, static_cast<uint16_t>(kIpv4Header + udp_len));
  Put16(ip + 4, 0);       // identification: unused, DF is set
  Put16(ip + 6, 0x4000);  // don't fragment: RELOAD framing keeps datagrams under the MTU
  ip[8] = options_.ttl;
  ip[9] = kProtoUdp;
  Put16(ip + 10, 0);
  Put32(ip + 12, local_ip_);
  Put32(ip + 16, dst);
  Put16(ip + 10, ChecksumFold(ChecksumAdd(0, {ip, kIpv4Header})));
  uint8_t* udp = ip + kIpv4Header;
  Put16(udp, options_.local.port);
  Put16(udp + 2, to.port);
  Put16(udp + 4, udp_len);
  Put16(udp + 6, 0);
  uint32_t sum = PseudoHeaderSum(local_ip_, dst, udp_len);
  sum = ChecksumAdd(sum, {udp, kUdpHeader});
  sum = ChecksumAdd(sum, payload);
  uint16_t checksum = ChecksumFold(sum);
  Put16(udp + 6, checksum == 0 ? 0xffff : checksum);  // RFC 768: 0 means "none"
}

}  // namespace p2psip::port

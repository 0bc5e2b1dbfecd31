// Writes the IPv6 frames NetStack produces (Neighbor Solicitation and Advertisement, the
// advertisement that defends against a DAD probe, ICMPv6 echo reply, UDP/IPv6 both ways) into
// an Ethernet pcap for tshark to judge (check_nd_tshark.py), with a manifest of what each frame
// must be. Two stacks talk to each other in memory; the addresses are from 2001:2::/48 (RFC
// 5180) and nothing is sent on any interface.
//
//   nd_pcap_writer OUT.pcap MANIFEST.tsv BROKEN.pcap
//
// BROKEN.pcap holds an echo reply and a datagram with one byte flipped after the checksum was
// written: tshark must call their checksums bad, so the check cannot pass vacuously.
#include <arpa/inet.h>

#include <cstdio>
#include <string>
#include <vector>

#include "p2psip/port/net_stack.h"
#include "pcap_file.h"

namespace {

using p2psip::port::Endpoint;
using p2psip::port::MacAddress;
using p2psip::port::NetStack;
using p2psip::port::NetStackOptions;
using p2psip::port::RxDatagram;
using Bytes = std::vector<uint8_t>;

constexpr uint16_t kPort = 40001;  // no Wireshark dissector claims it

NetStackOptions Options(uint8_t last, const char* address) {
  NetStackOptions o;
  o.mac = {0x02, 0, 0, 0, 0, last};
  o.local = *Endpoint::Parse(address);
  o.prefix_length = 64;
  return o;
}

std::string Text(const uint8_t* address) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(AF_INET6, address, buf, sizeof(buf));
  return buf;
}

struct Writer {
  p2psip::testing::PcapFile pcap;
  FILE* manifest;
  bool ok = true;

  // Records `frame` with what tshark must see: kind (ns, na, echo_request, echo_reply, udp),
  // the NA's Solicited flag ("-" otherwise).
  void Add(const Bytes& frame, const char* kind, const char* solicited = "-") {
    const int n = pcap.WriteFrame(frame);
    std::fprintf(manifest, "%d\t%s\t%s\t%s\t%u\t%s\n", n, kind, Text(frame.data() + 22).c_str(),
                 Text(frame.data() + 38).c_str(), frame[21], solicited);
  }
};

Bytes Receive(NetStack& stack, const Bytes& frame, NetStack::RxVerdict want, bool* ok) {
  Bytes reply(2048);
  size_t len = 0;
  RxDatagram datagram;
  if (stack.Receive(frame, &datagram, reply, &len) != want) {
    std::fprintf(stderr, "unexpected verdict\n");
    *ok = false;
  }
  reply.resize(len);
  return reply;
}

Bytes Udp(NetStack& from, const MacAddress& next_hop, const char* to, const std::string& text) {
  Bytes frame(from.udp_headroom() + text.size());
  std::copy(text.begin(), text.end(), frame.begin() + static_cast<long>(from.udp_headroom()));
  from.WriteUdpHeaders(next_hop, *Endpoint::Parse(to),
                       {frame.data() + from.udp_headroom(), text.size()},
                       {frame.data(), from.udp_headroom()});
  return frame;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: nd_pcap_writer OUT.pcap MANIFEST.tsv BROKEN.pcap\n");
    return 2;
  }
  using p2psip::testing::PcapFile;
  Writer w{PcapFile(argv[1], PcapFile::LinkType::kEthernet), std::fopen(argv[2], "w")};
  PcapFile broken(argv[3], PcapFile::LinkType::kEthernet);
  if (!w.pcap.ok() || w.manifest == nullptr || !broken.ok()) {
    std::fprintf(stderr, "cannot write the output files\n");
    return 1;
  }
  NetStack a(Options(0x0a, "[2001:2::1]:40001"));
  NetStack b(Options(0x0b, "[2001:2::2]:40001"));
  const std::string to_b = "[2001:2::2]:" + std::to_string(kPort);
  const std::string to_a = "[2001:2::1]:" + std::to_string(kPort);
  using V = NetStack::RxVerdict;

  // Resolution: A solicits B, B advertises.
  Bytes ns(NetStack::kMinResolutionFrame);
  ns.resize(a.WriteResolutionRequest(*Endpoint::Parse(to_b.c_str()), ns));
  w.Add(ns, "ns");
  const Bytes na = Receive(b, ns, V::kReply, &w.ok);
  w.Add(na, "na", "1");
  (void)Receive(a, na, V::kException, &w.ok);

  // The same for B's link-local address.
  ns.resize(NetStack::kMinResolutionFrame);
  ns.resize(a.WriteNeighborSolicitation(*Endpoint::Parse("[fe80::ff:fe00:b]:1"), ns));
  w.Add(ns, "ns");
  w.Add(Receive(b, ns, V::kReply, &w.ok), "na", "1");

  // A DAD probe for B's address (from ::, to its solicited-node group) and B's defence.
  Bytes probe = ns;
  std::fill(probe.begin() + 22, probe.begin() + 38, 0);  // source ::
  const uint8_t group[16] = {0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 2};
  std::copy(group, group + 16, probe.begin() + 38);
  probe[5] = 2;
  const uint8_t target[16] = {0x20, 0x01, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  std::copy(target, target + 16, probe.begin() + 62);
  probe.resize(14 + 40 + 24);  // no source link-layer option from ::
  probe[18] = 0;
  probe[19] = 24;
  probe[56] = probe[57] = 0;
  uint32_t sum = p2psip::port::ChecksumAdd(0, {probe.data() + 22, 32});
  sum += 24 + 58;
  uint16_t checksum =
      p2psip::port::ChecksumFold(p2psip::port::ChecksumAdd(sum, {probe.data() + 54, 24}));
  probe[56] = static_cast<uint8_t>(checksum >> 8);
  probe[57] = static_cast<uint8_t>(checksum);
  w.Add(probe, "ns");
  w.Add(Receive(b, probe, V::kReply, &w.ok), "na", "0");

  // An echo request A -> B (built here) and B's reply.
  Bytes echo = Udp(a, {0x02, 0, 0, 0, 0, 0x0b}, to_b.c_str(), "ping over IPv6!");  // 15 bytes
  echo[20] = 58;
  echo[21] = 64;
  const size_t icmp_len = echo.size() - 54;
  const Bytes message = {128, 0, 0, 0, 0x12, 0x34, 0, 1};
  std::copy(message.begin(), message.end(), echo.begin() + 54);
  sum = p2psip::port::ChecksumAdd(0, {echo.data() + 22, 32});
  sum += static_cast<uint32_t>(icmp_len) + 58;
  checksum =
      p2psip::port::ChecksumFold(p2psip::port::ChecksumAdd(sum, {echo.data() + 54, icmp_len}));
  echo[56] = static_cast<uint8_t>(checksum >> 8);
  echo[57] = static_cast<uint8_t>(checksum);
  w.Add(echo, "echo_request");
  Bytes reply = Receive(b, echo, V::kReply, &w.ok);
  w.Add(reply, "echo_reply");
  reply.back() ^= 0x01;
  broken.WriteFrame(reply);

  // Datagrams both ways, odd and even lengths.
  MacAddress mac;
  if (a.Resolve(*Endpoint::Parse(to_b.c_str()), &mac) != NetStack::TxVerdict::kReady) w.ok = false;
  Bytes datagram = Udp(a, mac, to_b.c_str(), "a RELOAD-sized datagram, odd");
  w.Add(datagram, "udp");
  (void)Receive(b, datagram, V::kDatagram, &w.ok);
  if (b.Resolve(*Endpoint::Parse(to_a.c_str()), &mac) != NetStack::TxVerdict::kReady) w.ok = false;
  datagram = Udp(b, mac, to_a.c_str(), "and the answer, even!!");
  w.Add(datagram, "udp");
  datagram.back() ^= 0x01;
  broken.WriteFrame(datagram);

  std::fclose(w.manifest);
  return w.ok ? 0 : 1;
}

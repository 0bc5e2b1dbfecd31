// Writes RELOAD frames into a classic pcap file (LINKTYPE_RAW: IPv4 packets, no link header) as
// UDP datagrams on port 6084, where Wireshark's reload-framing dissector listens. Addresses are
// loopback; nothing is sent anywhere, the packets exist only in the file. With
// LinkType::kEthernet it holds whole Ethernet frames instead (WriteFrame), as NetStack writes
// them.
#ifndef P2PSIP_TESTS_CONFORMANCE_PCAP_FILE_H_
#define P2PSIP_TESTS_CONFORMANCE_PCAP_FILE_H_

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>

namespace p2psip::testing {

class PcapFile {
 public:
  enum class LinkType : uint32_t { kRaw = 101, kEthernet = 1 };
  // Opens (truncates) `path`; ok() tells whether that worked.
  explicit PcapFile(const std::string& path, LinkType link = LinkType::kRaw);
  ~PcapFile();
  PcapFile(const PcapFile&) = delete;
  PcapFile& operator=(const PcapFile&) = delete;

  bool ok() const { return file_ != nullptr; }
  // Appends one IPv4/UDP datagram 127.0.0.<src_host>:6084 -> 127.0.0.<dst_host>:6084.
  // Returns the frame number (1-based, as tshark counts).
  int WriteUdp(std::span<const uint8_t> payload, uint8_t src_host, uint8_t dst_host);
  // Appends one packet of the file's link type as it is; returns its frame number.
  int WriteFrame(std::span<const uint8_t> packet);

 private:
  FILE* file_ = nullptr;
  int frames_ = 0;
};

}  // namespace p2psip::testing

#endif  // P2PSIP_TESTS_CONFORMANCE_PCAP_FILE_H_

#include "pcap_file.h"

#include <vector>

namespace p2psip::testing {
namespace {

constexpr uint16_t kReloadPort = 6084;

void PutLe32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void PutLe16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v));
  out.push_back(static_cast<uint8_t>(v >> 8));
}
void PutBe16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

}  // namespace

PcapFile::PcapFile(const std::string& path, LinkType link) {
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) return;
  std::vector<uint8_t> hdr;
  PutLe32(hdr, 0xA1B2C3D4);  // magic, microsecond timestamps
  PutLe16(hdr, 2);
  PutLe16(hdr, 4);
  PutLe32(hdr, 0);       // thiszone
  PutLe32(hdr, 0);       // sigfigs
  PutLe32(hdr, 262144);  // snaplen
  PutLe32(hdr, static_cast<uint32_t>(link));
  std::fwrite(hdr.data(), 1, hdr.size(), file_);
}

PcapFile::~PcapFile() {
  if (file_ != nullptr) std::fclose(file_);
}

int PcapFile::WriteUdp(std::span<const uint8_t> payload, uint8_t src_host, uint8_t dst_host) {
  if (file_ == nullptr) return -1;
  std::vector<uint8_t> ip;
  const uint16_t udp_len = static_cast<uint16_t>(8 + payload.size());
  const uint16_t ip_len = static_cast<uint16_t>(20 + udp_len);
  ip.push_back(0x45);
  ip.push_back(0);
  PutBe16(ip, ip_len);
  PutBe16(ip, static_cast<uint16_t>(frames_ + 1));  // identification
  PutBe16(ip, 0);                                   // flags, fragment offset
  ip.push_back(64);                                 // TTL
  ip.push_back(17);                                 // UDP
  PutBe16(ip, 0);                                   // checksum, patched below
  const uint8_t src[4] = {127, 0, 0, src_host};
  const uint8_t dst[4] = {127, 0, 0, dst_host};
  ip.insert(ip.end(), src, src + 4);
  ip.insert(ip.end(), dst, dst + 4);
  uint32_t sum = 0;
  for (size_t i = 0; i < 20; i += 2) sum += (ip[i] << 8) | ip[i + 1];
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  const uint16_t csum = static_cast<uint16_t>(~sum);
  ip[10] = static_cast<uint8_t>(csum >> 8);
  ip[11] = static_cast<uint8_t>(csum);
  PutBe16(ip, kReloadPort);
  PutBe16(ip, kReloadPort);
  PutBe16(ip, udp_len);
  PutBe16(ip, 0);  // UDP checksum optional over IPv4
  ip.insert(ip.end(), payload.begin(), payload.end());
  return WriteFrame(ip);
}

int PcapFile::WriteFrame(std::span<const uint8_t> packet) {
  if (file_ == nullptr) return -1;
  std::vector<uint8_t> rec;
  ++frames_;
  PutLe32(rec, 1700000000 + static_cast<uint32_t>(frames_));
  PutLe32(rec, 0);
  PutLe32(rec, static_cast<uint32_t>(packet.size()));
  PutLe32(rec, static_cast<uint32_t>(packet.size()));
  std::fwrite(rec.data(), 1, rec.size(), file_);
  std::fwrite(packet.data(), 1, packet.size(), file_);
  return frames_;
}

}  // namespace p2psip::testing

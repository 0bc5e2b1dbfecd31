#include "port/kernel/reuseport_steering.h"

#include <sys/socket.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "p2psip/port/flow_steering.h"

namespace p2psip::port::kernel {
namespace {

// A reuseport program sees the packet from the UDP payload on (the kernel pulled the UDP
// header), so the headers are read relative to the network header: SKF_NET_OFF + offset. A
// load that falls outside the packet ends the program with 0, i.e. socket 0.
constexpr uint32_t kNet = static_cast<uint32_t>(SKF_NET_OFF);
constexpr uint32_t kIpv4Source = 12;     // struct iphdr saddr
constexpr uint32_t kIpv6SourceLow = 20;  // last 32 bits of struct ipv6hdr saddr (8 + 12)
constexpr uint32_t kIpv6Udp = 40;        // the UDP header right after the fixed IPv6 header

sock_filter Stmt(uint16_t code, uint32_t k) { return sock_filter{code, 0, 0, k}; }

}  // namespace

std::vector<sock_filter> ReuseportSteeringProgram(Endpoint::Family family, uint32_t workers) {
  std::vector<sock_filter> p;
  if (family == Endpoint::Family::kIpv4) {
    p.push_back(Stmt(BPF_LDX | BPF_B | BPF_MSH, kNet));  // X = 4 * (ip[0] & 0xf): the IHL
    p.push_back(Stmt(BPF_LD | BPF_H | BPF_IND, kNet));   // A = udp source port
    p.push_back(Stmt(BPF_MISC | BPF_TAX, 0));            // X = port
    p.push_back(Stmt(BPF_LD | BPF_W | BPF_ABS, kNet + kIpv4Source));  // A = source address
  } else {
    p.push_back(Stmt(BPF_LD | BPF_H | BPF_ABS, kNet + kIpv6Udp));        // A = udp source port
    p.push_back(Stmt(BPF_MISC | BPF_TAX, 0));                            // X = port
    p.push_back(Stmt(BPF_LD | BPF_W | BPF_ABS, kNet + kIpv6SourceLow));  // A = address bits
  }
  // Loads are big-endian, so A holds the address as ntohl gives it: FlowOwner from here on.
  p.push_back(Stmt(BPF_ALU | BPF_ADD | BPF_X, 0));  // A = address + port
  p.push_back(Stmt(BPF_MISC | BPF_TAX, 0));         // X = A
  p.push_back(Stmt(BPF_ALU | BPF_RSH | BPF_K, kFlowSteeringShift));
  p.push_back(Stmt(BPF_ALU | BPF_XOR | BPF_X, 0));  // A = A ^ (A >> 16)
  p.push_back(Stmt(BPF_ALU | BPF_MUL | BPF_K, kFlowSteeringMultiplier));
  p.push_back(Stmt(BPF_ALU | BPF_RSH | BPF_K, kFlowSteeringShift));
  p.push_back(Stmt(BPF_ALU | BPF_MOD | BPF_K, workers));
  p.push_back(Stmt(BPF_RET | BPF_A, 0));
  return p;
}

absl::Status AttachReuseportSteering(int fd, Endpoint::Family family, uint32_t workers) {
  if (workers < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("reuseport steering: ", workers, " sockets, at least 2 needed"));
  }
  std::vector<sock_filter> program = ReuseportSteeringProgram(family, workers);
  sock_fprog fprog{static_cast<unsigned short>(program.size()), program.data()};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &fprog, sizeof(fprog)) != 0) {
    return absl::ErrnoToStatus(
        errno,
        absl::StrCat("SO_ATTACH_REUSEPORT_CBPF (per-worker steering of ", workers, " sockets)"));
  }
  return absl::OkStatus();
}

}  // namespace p2psip::port::kernel

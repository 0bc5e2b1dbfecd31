// Fuzz target for NetStack::Receive (src/port/stack), the first code on the kernel-bypass port
// to see a frame from the wire. Each frame goes to two stacks: an IPv4 node (198.18.0.2:6084,
// 02:00:00:00:00:02) and an IPv6 node (2001:2::2 port 40001, 02:00:00:00:00:0b; the corpus's
// ND, ICMPv6 and UDP/IPv6 frames are addressed to it). Invariants: a delivered datagram's
// payload lies inside the frame and its source is of the stack's family; a reply fits the
// buffer, is at least a minimum Ethernet frame and answers a frame MayReply admits; the counters
// account for every frame exactly once; the neighbour cache stays within its capacity.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "p2psip/port/net_stack.h"

namespace {

using p2psip::port::NetStack;

void Check(bool ok) {
  if (!ok) std::abort();
}

uint64_t Outcomes(const p2psip::port::NetStackCounters& c) {
  return c.rx_datagrams + c.rx_arp_requests + c.rx_icmp_echo + c.rx_neighbor_solicitations +
         c.rx_icmp6_echo + c.rx_nd_invalid + c.rx_exception + c.rx_not_for_us + c.rx_malformed +
         c.rx_bad_checksum + c.rx_fragments + c.rx_ipv6_extension + c.rx_reply_too_large;
}

void ReceiveOne(NetStack& stack, std::span<const uint8_t> frame, std::span<uint8_t> reply) {
  p2psip::port::RxDatagram datagram;
  size_t reply_len = 0;
  const uint64_t before = Outcomes(stack.counters());
  switch (stack.Receive(frame, &datagram, reply, &reply_len)) {
    case NetStack::RxVerdict::kDatagram:
      Check(datagram.data.data() >= frame.data() &&
            datagram.data.data() + datagram.data.size() <= frame.data() + frame.size());
      Check(datagram.from.family == stack.options().local.family);
      break;
    case NetStack::RxVerdict::kReply:
      Check(reply_len >= NetStack::kMinFrame && reply_len <= reply.size());
      Check(NetStack::MayReply(frame));  // the port gives reply room only where this says so
      break;
    case NetStack::RxVerdict::kException:
    case NetStack::RxVerdict::kDrop:
      Check(reply_len == 0);
      break;
  }
  // Each frame ends in exactly one outcome counter (net_stack.h).
  Check(Outcomes(stack.counters()) - before == 1);
  Check(stack.neighbour_count() <= stack.options().neighbour_capacity);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  p2psip::port::NetStackOptions options;
  options.mac = {0x02, 0, 0, 0, 0, 0x02};
  options.local = *p2psip::port::Endpoint::Parse("198.18.0.2:6084");
  options.neighbour_capacity = 8;
  NetStack stack(options);
  p2psip::port::NetStackOptions options6 = options;
  options6.mac = {0x02, 0, 0, 0, 0, 0x0b};
  options6.local = *p2psip::port::Endpoint::Parse("[2001:2::2]:40001");
  options6.prefix_length = 64;
  NetStack stack6(options6);
  std::vector<uint8_t> reply(256);
  // The input may hold several frames: each byte pair is a length, then that many bytes.
  size_t offset = 0;
  uint64_t frames = 0;
  while (offset + 2 <= size) {
    const size_t len =
        std::min<size_t>(size_t{data[offset]} << 8 | data[offset + 1], size - offset - 2);
    const std::span<const uint8_t> frame(data + offset + 2, len);
    offset += 2 + len;
    ReceiveOne(stack, frame, reply);
    ReceiveOne(stack6, frame, reply);
    ++frames;
  }
  Check(stack.counters().rx_frames == frames);
  Check(stack6.counters().rx_frames == frames);
  return 0;
}

// Fuzz target for NetStack::Receive (src/port/stack), the first code on the kernel-bypass port
// to see a frame from the wire. Invariants: a delivered datagram's payload lies inside the frame
// and its source is IPv4; a reply fits the buffer and is at
// least a minimum Ethernet frame; the counters account for every frame exactly once.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "p2psip/port/net_stack.h"

namespace {

using p2psip::port::NetStack;

void Check(bool ok) {
  if (!ok) std::abort();
}

uint64_t Outcomes(const p2psip::port::NetStackCounters& c) {
  return c.rx_datagrams + c.rx_arp_requests + c.rx_icmp_echo + c.rx_exception + c.rx_not_for_us +
         c.rx_malformed + c.rx_bad_checksum + c.rx_fragments + c.rx_reply_too_large;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  p2psip::port::NetStackOptions options;
  options.mac = {0x02, 0, 0, 0, 0, 0x02};
  options.local = *p2psip::port::Endpoint::Parse("198.18.0.2:6084");
  options.neighbour_capacity = 8;
  NetStack stack(options);
  std::vector<uint8_t> reply(256);
  // The input may hold several frames: each byte pair is a length, then that many bytes.
  size_t offset = 0;
  uint64_t frames = 0;
  while (offset + 2 <= size) {
    const size_t len = std::min<size_t>(size_t{data[offset]} << 8 | data[offset + 1],
                                        size - offset - 2);
    const std::span<const uint8_t> frame(data + offset + 2, len);
    offset += 2 + len;
    p2psip::port::RxDatagram datagram;
    size_t reply_len = 0;
    const uint64_t before = Outcomes(stack.counters());
    switch (stack.Receive(frame, &datagram, reply, &reply_len)) {
      case NetStack::RxVerdict::kDatagram:
        Check(datagram.data.data() >= frame.data() &&
              datagram.data.data() + datagram.data.size() <= frame.data() + frame.size());
        Check(datagram.from.family == p2psip::port::Endpoint::Family::kIpv4);
        break;
      case NetStack::RxVerdict::kReply:
        Check(reply_len >= NetStack::kMinFrame && reply_len <= reply.size());
        break;
      case NetStack::RxVerdict::kException:
      case NetStack::RxVerdict::kDrop:
        Check(reply_len == 0);
        break;
    }
    ++frames;
    // Each frame ends in exactly one outcome counter (net_stack.h).
    Check(Outcomes(stack.counters()) - before == 1);
    Check(stack.neighbour_count() <= options.neighbour_capacity);
  }
  Check(stack.counters().rx_frames == frames);
  return 0;
}

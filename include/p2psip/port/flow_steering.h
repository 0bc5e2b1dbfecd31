// Flow steering: which worker of a p2psipd group owns a remote endpoint (DESIGN.md §1, one owner
// per piece of state).
//
// A worker owns the link state (DTLS session, framing) of the peers whose datagrams reach its
// socket. The kernel's own SO_REUSEPORT hash is seeded at random per boot, so user space cannot
// tell where a peer's datagrams will land; the kernel port therefore attaches a classic BPF
// program to the group (UdpPort::CreateGroup) that computes FlowOwner below from the packet's
// source address and port, and the runtime calls the same function to pick the worker that owns
// a link, including one the node opens itself (it must send from the socket that receives the
// replies).
//
// The function, in 32-bit unsigned arithmetic (wrapping), reproduced instruction for
// instruction by the BPF program in src/port/kernel/reuseport_steering.cc:
//
//   a = addr32 + port          addr32: an IPv4 address as ntohl gives it (127.0.0.1 is
//                              0x7f000001); for IPv6 the last 32 bits of the address, read the
//                              same way; port in host order
//   a = a ^ (a >> 16)          folds the high half in (see below)
//   a = a * 2654435761         Knuth's multiplicative hash (about 2^32 / golden ratio)
//   a = a >> 16                the well-mixed middle bits
//   owner = a % workers
//
// Why the fold: bit k of a product depends only on bits 0..k of its factors, so without it a
// power-of-two worker count would look at the low 18 or so bits of addr32 + port only, and
// peers on one port whose addresses differ above that (10.0.0.1, 10.4.0.1, 10.8.0.1, ...) would
// all land on one worker.
//
// workers == 0 or 1 gives 0. Steering is an optimisation, not a guarantee: the IPv6 program
// assumes no extension headers, and a datagram the kernel cannot parse goes to socket 0, so the
// runtime still checks the owner of every datagram and forwards one that arrived elsewhere.
//
// Stateless and thread-safe.
#ifndef P2PSIP_PORT_FLOW_STEERING_H_
#define P2PSIP_PORT_FLOW_STEERING_H_

#include <cstdint>

#include "p2psip/port/port.h"

namespace p2psip::port {

inline constexpr uint32_t kFlowSteeringMultiplier = 2654435761u;
inline constexpr uint32_t kFlowSteeringShift = 16;

// The 32 address bits the hash uses: the IPv4 address, or an IPv6 address's last 32 bits, in
// host order (the most significant byte is the first on the wire).
uint32_t FlowSteeringAddressBits(const Endpoint& remote);

// The index (0 .. workers-1) of the socket of a CreateGroup(options, workers) group that the
// kernel delivers `remote`'s datagrams to, and so of the worker that owns its link.
uint32_t FlowOwner(const Endpoint& remote, uint32_t workers);

}  // namespace p2psip::port

#endif  // P2PSIP_PORT_FLOW_STEERING_H_

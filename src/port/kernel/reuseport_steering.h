// The classic BPF program that makes an SO_REUSEPORT group deliver each remote endpoint's
// datagrams to socket FlowOwner(remote, workers) (p2psip/port/flow_steering.h). Internal to
// src/port/kernel; UdpPort::CreateGroup attaches it.
#ifndef P2PSIP_SRC_PORT_KERNEL_REUSEPORT_STEERING_H_
#define P2PSIP_SRC_PORT_KERNEL_REUSEPORT_STEERING_H_

#include <linux/filter.h>

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "p2psip/port/port.h"

namespace p2psip::port::kernel {

// The program for sockets of `family` in a group of `workers` (>= 2) sockets. It returns the
// socket index, always < workers; the kernel numbers a group's sockets in the order they bound.
std::vector<sock_filter> ReuseportSteeringProgram(Endpoint::Family family, uint32_t workers);

// Attaches the program to the reuseport group of `fd` (bound, with SO_REUSEPORT): one call
// steers the whole group, sockets that join later included. An error names the errno.
absl::Status AttachReuseportSteering(int fd, Endpoint::Family family, uint32_t workers);

}  // namespace p2psip::port::kernel

#endif  // P2PSIP_SRC_PORT_KERNEL_REUSEPORT_STEERING_H_

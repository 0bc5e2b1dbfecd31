#include "p2psip/port/dpdk_port.h"

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace p2psip::port {
namespace {

uint64_t NowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

absl::StatusOr<uint16_t> PortByName(const std::string& name) {
  uint16_t id = 0;
  if (rte_eth_dev_get_port_by_name(name.c_str(), &id) != 0) {
    std::string known;
    uint16_t p = 0;
    RTE_ETH_FOREACH_DEV(p) {
      char n[RTE_ETH_NAME_MAX_LEN] = {};
      if (rte_eth_dev_get_name_by_port(p, n) == 0)
        absl::StrAppend(&known, known.empty() ? "" : ", ", n);
    }
    return absl::NotFoundError(absl::StrCat(
        "DPDK device '", name, "' not found (devices: ", known.empty() ? "none" : known, ")"));
  }
  return id;
}

// The checksum work a device takes over (DpdkPortOptions::checksum_offload).
struct ChecksumOffload {
  bool tx = false;  // it computes the IPv4 header and UDP checksums of what the port sends
  bool rx = false;  // it checks the UDP checksum of what it receives and says so in ol_flags
};

constexpr uint64_t kTxChecksumOffloads =
    RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;

// Configures `port` with `queues` RX/TX queue pairs on `pools` and starts it; with
// `want_offload`, turns on the checksum offloads the device has (*offload says which).
absl::Status StartDevice(uint16_t port, const std::string& name, uint16_t queues,
                         const DpdkPortOptions& options, std::span<rte_mempool* const> pools,
                         bool want_offload, ChecksumOffload* offload) {
  rte_eth_dev_info info{};
  if (int rc = rte_eth_dev_info_get(port, &info); rc != 0) {
    return absl::InternalError(absl::StrCat(name, ": rte_eth_dev_info_get: ", rte_strerror(-rc)));
  }
  *offload = {};
  if (want_offload) {
    offload->tx = (info.tx_offload_capa & kTxChecksumOffloads) == kTxChecksumOffloads;
    offload->rx = (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_UDP_CKSUM) != 0;
  }
  if (info.max_rx_queues < queues || info.max_tx_queues < queues) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, " has ", info.max_rx_queues, " RX and ", info.max_tx_queues, " TX queues; ", queues,
        " workers need as many of each (net_af_packet: qpairs=N, net_tap: queues=N)"));
  }
  rte_eth_conf conf{};
  if (queues > 1) {
    const uint64_t wanted = RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP;
    if ((info.flow_type_rss_offloads & wanted) != 0) {
      conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
      conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads & wanted;
    }
  }
  if (offload->tx) conf.txmode.offloads |= kTxChecksumOffloads;
  if (offload->rx) conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
  if (int rc = rte_eth_dev_configure(port, queues, queues, &conf); rc != 0) {
    return absl::InternalError(absl::StrCat(name, ": rte_eth_dev_configure: ", rte_strerror(-rc)));
  }
  uint16_t rx_desc = options.rx_descriptors;
  uint16_t tx_desc = options.tx_descriptors;
  (void)rte_eth_dev_adjust_nb_rx_tx_desc(port, &rx_desc, &tx_desc);
  const int socket = rte_eth_dev_socket_id(port);
  const unsigned socket_id = socket < 0 ? SOCKET_ID_ANY : static_cast<unsigned>(socket);
  for (uint16_t q = 0; q < queues; ++q) {
    if (int rc = rte_eth_rx_queue_setup(port, q, rx_desc, socket_id, nullptr, pools[q]); rc != 0) {
      return absl::InternalError(
          absl::StrCat(name, ": RX queue ", q, " setup: ", rte_strerror(-rc)));
    }
    if (int rc = rte_eth_tx_queue_setup(port, q, tx_desc, socket_id, nullptr); rc != 0) {
      return absl::InternalError(
          absl::StrCat(name, ": TX queue ", q, " setup: ", rte_strerror(-rc)));
    }
  }
  if (int rc = rte_eth_dev_start(port); rc != 0) {
    return absl::InternalError(absl::StrCat(name, ": rte_eth_dev_start: ", rte_strerror(-rc)));
  }
  return absl::OkStatus();
}

std::atomic<uint32_t> g_pool_serial{0};  // mempool names are global to the process

bool IsAfXdp(uint16_t port) {
  rte_eth_dev_info info{};
  return rte_eth_dev_info_get(port, &info) == 0 && info.driver_name != nullptr &&
         std::strcmp(info.driver_name, "net_af_xdp") == 0;
}

// DPDK 22.11's net_af_xdp registers a queue's mempool as the AF_XDP UMEM, from the page below
// its first object for populated_size * object size bytes, as if the objects lay back to back
// (drivers/net/af_xdp/rte_eth_af_xdp.c, xdp_umem_configure). A pool made the usual way keeps
// each mbuf inside one page, which leaves gaps at the page ends: with 4 KiB pages (--no-huge)
// one 2,368-byte mbuf a page, so the UMEM covers only the first ~58% of the pool. The kernel
// then rejects, as invalid descriptors and without a word, every frame sent from an mbuf past
// the UMEM (counted in XDP_STATISTICS tx_invalid_descs; the mbuf never completes and leaks),
// and skips such mbufs in the fill ring. So for net_af_xdp the pool is made without that page
// rule (objects back to back, RTE_MEMPOOL_F_NO_IOVA_CONTIG: the PMD does no DMA of its own), and
// checked against the range the PMD will register.
rte_mempool* CreatePacketPool(const std::string& name, unsigned n, unsigned cache, int socket,
                              bool back_to_back) {
  const int socket_id = socket < 0 ? SOCKET_ID_ANY : socket;
  if (!back_to_back) {
    return rte_pktmbuf_pool_create(name.c_str(), n, cache, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket_id);
  }
  // rte_pktmbuf_pool_create, with the flag.
  rte_pktmbuf_pool_private priv{};
  priv.mbuf_data_room_size = RTE_MBUF_DEFAULT_BUF_SIZE;
  priv.mbuf_priv_size = 0;
  rte_mempool* mp =
      rte_mempool_create_empty(name.c_str(), n, sizeof(rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE, cache,
                               sizeof(priv), socket_id, RTE_MEMPOOL_F_NO_IOVA_CONTIG);
  if (mp == nullptr) return nullptr;
  if (int rc = rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(), nullptr); rc != 0) {
    rte_mempool_free(mp);
    rte_errno = -rc;
    return nullptr;
  }
  rte_pktmbuf_pool_init(mp, &priv);
  if (int rc = rte_mempool_populate_default(mp); rc < 0) {
    rte_mempool_free(mp);
    rte_errno = -rc;
    return nullptr;
  }
  rte_mempool_obj_iter(mp, rte_pktmbuf_init, nullptr);
  return mp;
}

// Whether every object of `mp` lies in the UMEM that DPDK 22.11's net_af_xdp registers for it
// (see CreatePacketPool).
absl::Status CheckUmemCovers(const rte_mempool* mp) {
  const rte_mempool_memhdr* first = STAILQ_FIRST(&mp->mem_list);
  if (first == nullptr || mp->nb_mem_chunks != 1) {
    return absl::ResourceExhaustedError(
        absl::StrCat("net_af_xdp needs each queue's mempool in one piece of memory; ", mp->name,
                     " has ", mp->nb_mem_chunks, " (EAL memory is fragmented: raise -m)"));
  }
  const uintptr_t start = reinterpret_cast<uintptr_t>(first->addr);
  const uintptr_t base = start & ~(static_cast<uintptr_t>(getpagesize()) - 1);
  const uint64_t obj_size = rte_mempool_calc_obj_size(mp->elt_size, mp->flags, nullptr);
  const uintptr_t umem_end = base + uint64_t{mp->populated_size} * obj_size + (start - base);
  struct Span {
    uintptr_t end = 0;
    uint32_t header = 0;
    uint64_t size = 0;
  } span{0, mp->header_size, obj_size};
  rte_mempool_obj_iter(
      const_cast<rte_mempool*>(mp),
      [](rte_mempool*, void* arg, void* obj, unsigned) {
        auto* s = static_cast<Span*>(arg);
        s->end = std::max(s->end, reinterpret_cast<uintptr_t>(obj) - s->header + s->size);
      },
      &span);
  if (span.end > umem_end) {
    return absl::InternalError(absl::StrCat(
        "mempool ", mp->name, " reaches ", span.end - umem_end,
        " bytes past the UMEM net_af_xdp would register for it: frames in those mbufs would be "
        "dropped by the kernel as invalid descriptors"));
  }
  return absl::OkStatus();
}

// Gives the kernel interface behind `port` (a net_tap device) the node's MAC, address and
// prefix, and brings it up, so that the kernel answers the node's TCP, SSH, ... as if it owned
// the wire. Needs CAP_NET_ADMIN, as DPDK does anyway.
absl::Status ConfigureKernelInterface(uint16_t port, const std::string& name,
                                      const NetStackOptions& stack) {
  rte_ether_addr mac{};
  std::memcpy(mac.addr_bytes, stack.mac.data(), 6);
  if (int rc = rte_eth_dev_default_mac_addr_set(port, &mac); rc != 0) {
    return absl::InternalError(
        absl::StrCat(name, ": cannot set the exception device's MAC: ", rte_strerror(-rc)));
  }
  rte_eth_dev_info info{};
  if (int rc = rte_eth_dev_info_get(port, &info); rc != 0 || info.if_index == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        name, " has no kernel interface: the exception device must be a net_tap vdev"));
  }
  char ifname[IF_NAMESIZE] = {};
  if (if_indextoname(info.if_index, ifname) == nullptr) {
    return absl::InternalError(
        absl::StrCat(name, ": interface ", info.if_index, ": ", std::strerror(errno)));
  }
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  auto fail = [&](const char* what) {
    const int e = errno;
    close(fd);
    return absl::InternalError(
        absl::StrCat("exception interface ", ifname, ": ", what, ": ", std::strerror(e)));
  };
  ifreq req{};
  std::memcpy(req.ifr_name, ifname, sizeof(req.ifr_name) - 1);
  auto* in = reinterpret_cast<sockaddr_in*>(&req.ifr_addr);
  in->sin_family = AF_INET;
  std::memcpy(&in->sin_addr, stack.local.address.data(), 4);
  if (ioctl(fd, SIOCSIFADDR, &req) != 0) return fail("setting its address");
  const uint8_t prefix = std::min<uint8_t>(stack.prefix_length, 32);
  const uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  in->sin_addr.s_addr = htonl(mask);
  if (ioctl(fd, SIOCSIFNETMASK, &req) != 0) return fail("setting its netmask");
  if (ioctl(fd, SIOCGIFFLAGS, &req) != 0) return fail("reading its flags");
  req.ifr_flags = static_cast<short>(req.ifr_flags | IFF_UP);
  if (ioctl(fd, SIOCSIFFLAGS, &req) != 0) return fail("bringing it up");
  close(fd);
  return absl::OkStatus();
}

}  // namespace

// A neighbour one queue learnt, for the others (an element of Device::neighbour_rings).
struct NeighbourNote {
  uint8_t address[16];  // IPv4 in the first 4 bytes, or IPv6
  uint8_t family;       // Endpoint::Family
  uint8_t mac[6];
  uint8_t pad;
};
static_assert(sizeof(NeighbourNote) == 24);

struct DpdkPort::Device {
  uint16_t port = 0;
  std::optional<uint16_t> exception;
  std::vector<rte_mempool*> pools;  // one per queue (both devices' RX of that queue use it)
  ChecksumOffload offload;          // what the data device computes and checks for the port
  // With more than one queue, one ring per queue (any queue enqueues, its owner dequeues) of
  // neighbours the others learnt: the device hashes an ARP reply (or a Neighbor
  // Advertisement) to one queue only.
  std::vector<rte_ring*> neighbour_rings;
  // Set once configuration was attempted (close it) and once it started (stop it first).
  bool port_configured = false, port_started = false;
  bool exception_configured = false, exception_started = false;

  ~Device() {
    if (exception_started) (void)rte_eth_dev_stop(*exception);
    if (port_started) (void)rte_eth_dev_stop(port);
    // The queues reference the mempools until the devices are closed; closing is what an
    // operator expects of a port that goes away, and it lets the pools be freed.
    if (exception_configured) (void)rte_eth_dev_close(*exception);
    if (port_configured) (void)rte_eth_dev_close(port);
    for (rte_mempool* p : pools) rte_mempool_free(p);
    for (rte_ring* r : neighbour_rings) rte_ring_free(r);
  }
};

absl::StatusOr<std::vector<std::unique_ptr<DpdkPort>>> DpdkPort::CreateGroup(
    const DpdkPortOptions& options, size_t n) {
  if (n == 0 || n > RTE_MAX_QUEUES_PER_PORT) {
    return absl::InvalidArgumentError(
        absl::StrCat("a DPDK port group needs 1 to ", RTE_MAX_QUEUES_PER_PORT, " queues, not ", n));
  }
  if (options.stack.gateway.has_value() &&
      options.stack.gateway->family != options.stack.local.family) {
    return absl::InvalidArgumentError(
        "the DPDK port's gateway must be of its address's family (one family per port)");
  }
  // Giving the tap an IPv6 address makes its kernel send duplicate address detection and MLD
  // through the exception path, which no test here may put on a wire: not done untested.
  if (options.stack.local.family == Endpoint::Family::kIpv6 && !options.exception_device.empty() &&
      options.configure_exception_interface) {
    return absl::UnimplementedError(
        "an IPv6 DPDK port does not configure its exception interface itself: set "
        "configure_exception_interface to false and give the tap the node's address");
  }
  if (options.stack.local.port == 0) {
    return absl::InvalidArgumentError(
        "the DPDK port needs a UDP port (there is no kernel to "
        "pick an ephemeral one)");
  }
  if (options.burst_size == 0 || options.burst_size > kMaxChunk || options.max_pending == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("burst_size must be 1 to ", kMaxChunk, " and max_pending positive"));
  }
  auto device = std::make_shared<Device>();
  absl::StatusOr<uint16_t> port = PortByName(options.device);
  if (!port.ok()) return port.status();
  device->port = *port;
  if (!options.exception_device.empty()) {
    absl::StatusOr<uint16_t> exception = PortByName(options.exception_device);
    if (!exception.ok()) return exception.status();
    if (*exception == *port) {
      return absl::InvalidArgumentError("the exception device must differ from the data device");
    }
    device->exception = *exception;
  }
  const int socket = rte_eth_dev_socket_id(device->port);
  const bool af_xdp = IsAfXdp(device->port);
  for (size_t q = 0; q < n; ++q) {
    const std::string name = absl::StrCat("p2psip", g_pool_serial.fetch_add(1));
    rte_mempool* pool =
        CreatePacketPool(name, options.mbufs_per_queue,
                         std::min<unsigned>(256, options.mbufs_per_queue / 8), socket, af_xdp);
    if (pool == nullptr) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "cannot create a mempool of ", options.mbufs_per_queue, " mbufs: ",
          rte_strerror(rte_errno), " (EAL memory: raise -m, or fewer mbufs_per_queue)"));
    }
    device->pools.push_back(pool);
    if (af_xdp) {
      if (absl::Status s = CheckUmemCovers(pool); !s.ok()) return s;
    }
  }
  for (size_t q = 0; n > 1 && q < n; ++q) {
    const std::string name = absl::StrCat("p2psipnb", g_pool_serial.fetch_add(1));
    rte_ring* ring = rte_ring_create_elem(name.c_str(), sizeof(NeighbourNote), 256,
                                          socket < 0 ? SOCKET_ID_ANY : socket, RING_F_SC_DEQ);
    if (ring == nullptr) {
      return absl::ResourceExhaustedError(
          absl::StrCat("cannot create a ring: ", rte_strerror(rte_errno)));
    }
    device->neighbour_rings.push_back(ring);
  }
  const uint16_t queues = static_cast<uint16_t>(n);
  device->port_configured = true;
  if (absl::Status s = StartDevice(device->port, options.device, queues, options, device->pools,
                                   options.checksum_offload, &device->offload);
      !s.ok()) {
    return s;
  }
  device->port_started = true;
  if (device->exception.has_value()) {
    device->exception_configured = true;
    // The kernel's frames pass through as they are: no offload on the exception device.
    ChecksumOffload none;
    if (absl::Status s = StartDevice(*device->exception, options.exception_device, queues, options,
                                     device->pools, false, &none);
        !s.ok()) {
      return s;
    }
    device->exception_started = true;
  }
  DpdkPortOptions resolved = options;
  bool zero_mac = true;
  for (uint8_t b : resolved.stack.mac) zero_mac = zero_mac && b == 0;
  if (zero_mac) {
    rte_ether_addr mac{};
    if (int rc = rte_eth_macaddr_get(device->port, &mac); rc != 0) {
      return absl::InternalError(
          absl::StrCat(options.device, ": no MAC address: ", rte_strerror(-rc)));
    }
    std::memcpy(resolved.stack.mac.data(), mac.addr_bytes, 6);
  }
  // A unicast MAC the device does not own is only received in promiscuous mode.
  (void)rte_eth_promiscuous_enable(device->port);
  if (device->exception.has_value() && options.configure_exception_interface) {
    if (absl::Status s =
            ConfigureKernelInterface(*device->exception, options.exception_device, resolved.stack);
        !s.ok()) {
      return s;
    }
  }

  std::vector<std::unique_ptr<DpdkPort>> ports;
  for (uint16_t q = 0; q < queues; ++q) {
    ports.push_back(std::unique_ptr<DpdkPort>(new DpdkPort(device, q, resolved)));
  }
  return ports;
}

DpdkPort::DpdkPort(std::shared_ptr<Device> device, uint16_t queue, const DpdkPortOptions& options)
    : device_(std::move(device)),
      queue_(queue),
      options_(options),
      stack_(options.stack),
      headroom_(stack_.udp_headroom()) {
  held_.reserve(options_.burst_size);
  scratch_.resize(options_.burst_size);
  to_wire_.reserve(kMaxChunk);
  to_kernel_.reserve(options_.burst_size);
  pending_.reserve(options_.max_pending);
}

DpdkPort::~DpdkPort() {
  FreeHeld();
  for (Pending& p : pending_) rte_pktmbuf_free(p.mbuf);
}

void DpdkPort::FreeHeld() {
  if (held_.empty()) return;
  rte_pktmbuf_free_bulk(held_.data(), static_cast<unsigned>(held_.size()));
  held_.clear();
}

rte_mbuf* DpdkPort::Allocate() {
  rte_mbuf* m = rte_pktmbuf_alloc(device_->pools[queue_]);
  if (m == nullptr) ++stats_.tx_no_mbuf;
  return m;
}

size_t DpdkPort::SendFrames(rte_mbuf** frames, size_t n) {
  size_t sent = 0;
  while (sent < n) {
    const uint16_t chunk = static_cast<uint16_t>(std::min<size_t>(n - sent, UINT16_MAX));
    const uint16_t took = rte_eth_tx_burst(device_->port, queue_, frames + sent, chunk);
    sent += took;
    if (took < chunk) break;
  }
  if (sent < n) rte_pktmbuf_free_bulk(frames + sent, static_cast<unsigned>(n - sent));
  return sent;
}

bool DpdkPort::tx_checksum_offload() const { return device_->offload.tx; }
bool DpdkPort::rx_checksum_offload() const { return device_->offload.rx; }

void DpdkPort::WriteHeaders(rte_mbuf* m, const MacAddress& next_hop, const Endpoint& to,
                            uint32_t payload_sum) {
  uint8_t* frame = rte_pktmbuf_mtod(m, uint8_t*);
  const size_t payload_size = m->data_len - headroom_;
  if (!device_->offload.tx) {
    stack_.WriteUdpHeaders(next_hop, to, payload_size, payload_sum, {frame, headroom_});
    return;
  }
  stack_.WriteUdpHeadersForOffload(next_hop, to, payload_size, {frame, headroom_});
  constexpr uint16_t kEthernet = 14, kIpv4 = 20, kIpv6 = 40, kUdp = 8;
  static_assert(NetStack::kUdpHeadroom == kEthernet + kIpv4 + kUdp);
  static_assert(NetStack::kUdp6Headroom == kEthernet + kIpv6 + kUdp);
  m->l2_len = kEthernet;
  if (to.family == Endpoint::Family::kIpv6) {
    m->l3_len = kIpv6;
    m->ol_flags |= RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM;
  } else {
    m->l3_len = kIpv4;
    m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM;
  }
  ++stats_.tx_checksum_by_device;
}

size_t DpdkPort::SendDatagrams(rte_mbuf** frames, size_t n) {
  // The lengths are read before the device owns the mbufs (it may free them at once).
  uint64_t bytes[kMaxChunk];
  assert(n <= kMaxChunk);
  for (size_t i = 0; i < n; ++i) bytes[i] = frames[i]->data_len - headroom_;
  if (device_->offload.tx) {
    // What a device needs done to offloaded frames beyond DPDK's convention (most need none).
    const uint16_t ready =
        rte_eth_tx_prepare(device_->port, queue_, frames, static_cast<uint16_t>(n));
    if (ready < n) {  // the first one it refused, and the rest: dropped and counted
      stats_.tx_not_prepared += n - ready;
      counters_.tx_dropped += n - ready;
      rte_pktmbuf_free_bulk(frames + ready, static_cast<unsigned>(n - ready));
      n = ready;
    }
  }
  const size_t sent = SendFrames(frames, n);
  for (size_t i = 0; i < sent; ++i) counters_.tx_bytes += bytes[i];
  counters_.tx_datagrams += sent;
  counters_.tx_dropped += n - sent;
  return sent;
}

void DpdkPort::ForwardFromKernel() {
  if (!device_->exception.has_value()) return;
  const uint16_t n = rte_eth_rx_burst(*device_->exception, queue_, scratch_.data(),
                                      static_cast<uint16_t>(scratch_.size()));
  if (n == 0) return;
  const size_t sent = SendFrames(scratch_.data(), n);
  stats_.exception_from_kernel += sent;
  counters_.tx_dropped += n - sent;
}

void DpdkPort::RegisterThread() {
  // The worker threads are the node's, not EAL lcores: registered, they get an lcore id and with
  // it the mempools' per-lcore caches (otherwise every mbuf comes from the pool's shared ring).
  if (rte_lcore_id() == LCORE_ID_ANY) (void)rte_thread_register();
  thread_checked_ = true;
}

void DpdkPort::LearnFromSiblings() {
  if (device_->neighbour_rings.empty()) return;
  NeighbourNote notes[16];
  const unsigned n = rte_ring_sc_dequeue_burst_elem(device_->neighbour_rings[queue_], notes,
                                                    sizeof(NeighbourNote), 16, nullptr);
  for (unsigned i = 0; i < n; ++i) {
    MacAddress mac;
    std::memcpy(mac.data(), notes[i].mac, 6);
    Endpoint address;
    address.family = static_cast<Endpoint::Family>(notes[i].family);
    std::memcpy(address.address.data(), notes[i].address, 16);
    stack_.Learn(address, mac);
  }
  if (n > 0) (void)stack_.TakeLearnt();  // the siblings know these already
}

void DpdkPort::TellSiblings() {
  const std::span<const NetStack::Learnt> learnt = stack_.TakeLearnt();
  if (learnt.empty() || device_->neighbour_rings.empty()) return;
  for (const NetStack::Learnt& l : learnt) {
    NeighbourNote note{};
    std::memcpy(note.address, l.address.address.data(), 16);
    note.family = static_cast<uint8_t>(l.address.family);
    std::memcpy(note.mac, l.mac.data(), 6);
    for (size_t q = 0; q < device_->neighbour_rings.size(); ++q) {
      if (q == queue_) continue;
      if (rte_ring_mp_enqueue_elem(device_->neighbour_rings[q], &note, sizeof(note)) != 0) {
        ++stats_.neighbour_notes_dropped;  // full: that queue will resolve for itself
      }
    }
  }
}

size_t DpdkPort::RxBurst(std::span<RxDatagram> out) {
  if (!thread_checked_) RegisterThread();
  FreeHeld();  // the previous burst's payloads are no longer the caller's
  LearnFromSiblings();
  ForwardFromKernel();
  const size_t want = std::min(out.size(), scratch_.size());
  const uint16_t n =
      rte_eth_rx_burst(device_->port, queue_, scratch_.data(), static_cast<uint16_t>(want));
  if (n == 0) {
    if (!pending_.empty()) FlushPending(NowNs());  // ARP (NS) retries and timeouts
    return 0;
  }
  ++stats_.rx_bursts;
  size_t delivered = 0;
  to_wire_.clear();
  to_kernel_.clear();
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = scratch_[i];
    if (m->nb_segs != 1) {
      ++stats_.rx_multi_segment;
      rte_pktmbuf_free(m);
      continue;
    }
    const std::span<const uint8_t> frame(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len);
    // Replies are written straight into a fresh mbuf, taken only for what the stack may answer.
    rte_mbuf* reply = NetStack::MayReply(frame) ? Allocate() : nullptr;
    std::span<uint8_t> reply_room;
    if (reply != nullptr) {
      reply_room = {rte_pktmbuf_mtod(reply, uint8_t*), rte_pktmbuf_tailroom(reply)};
    }
    size_t reply_len = 0;
    // RX checksum offload: a UDP checksum the device found right is not summed again; any
    // other verdict (bad, unknown, none) leaves the check to the stack, which counts failures.
    NetStack::UdpChecksum udp_checksum = NetStack::UdpChecksum::kUnchecked;
    if (device_->offload.rx &&
        (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD) {
      udp_checksum = NetStack::UdpChecksum::kVerifiedByDevice;
    }
    switch (stack_.Receive(frame, &out[delivered], reply_room, &reply_len, udp_checksum)) {
      case NetStack::RxVerdict::kDatagram:
        if (udp_checksum == NetStack::UdpChecksum::kVerifiedByDevice)
          ++stats_.rx_checksum_by_device;
        ++counters_.rx_datagrams;
        counters_.rx_bytes += out[delivered].data.size();
        ++delivered;
        held_.push_back(m);
        m = nullptr;
        break;
      case NetStack::RxVerdict::kReply:
        reply->data_len = static_cast<uint16_t>(reply_len);
        reply->pkt_len = static_cast<uint32_t>(reply_len);
        to_wire_.push_back(reply);
        reply = nullptr;
        ++stats_.tx_replies;
        break;
      case NetStack::RxVerdict::kException:
        if (device_->exception.has_value()) {
          to_kernel_.push_back(m);
          m = nullptr;
        } else {
          ++stats_.exception_dropped;
        }
        break;
      case NetStack::RxVerdict::kDrop:
        break;
    }
    if (reply != nullptr) rte_pktmbuf_free(reply);
    if (m != nullptr) rte_pktmbuf_free(m);
  }
  if (!to_wire_.empty()) SendFrames(to_wire_.data(), to_wire_.size());
  if (!to_kernel_.empty()) {
    const uint16_t took = rte_eth_tx_burst(*device_->exception, queue_, to_kernel_.data(),
                                           static_cast<uint16_t>(to_kernel_.size()));
    stats_.exception_to_kernel += took;
    if (took < to_kernel_.size()) {
      stats_.exception_dropped += to_kernel_.size() - took;
      rte_pktmbuf_free_bulk(to_kernel_.data() + took,
                            static_cast<unsigned>(to_kernel_.size() - took));
    }
  }
  TellSiblings();
  if (!pending_.empty()) FlushPending(NowNs());
  return delivered;
}

void DpdkPort::FlushPending(uint64_t now_ns) {
  to_wire_.clear();
  size_t kept = 0;
  for (size_t i = 0; i < pending_.size(); ++i) {
    Pending p = pending_[i];
    MacAddress mac;
    const NetStack::TxVerdict v = stack_.Resolve(p.to, &mac);
    if (v == NetStack::TxVerdict::kReady) {
      const uint8_t* frame = rte_pktmbuf_mtod(p.mbuf, const uint8_t*);
      const std::span<const uint8_t> payload(frame + headroom_, p.mbuf->data_len - headroom_);
      WriteHeaders(p.mbuf, mac, p.to, device_->offload.tx ? 0 : ChecksumAdd(0, payload));
      to_wire_.push_back(p.mbuf);
      if (to_wire_.size() == kMaxChunk) {
        SendDatagrams(to_wire_.data(), to_wire_.size());
        to_wire_.clear();
      }
      continue;
    }
    if (v == NetStack::TxVerdict::kUnroutable ||
        now_ns - p.since_ns >= options_.pending_timeout_ns) {
      ++stats_.tx_unresolved;
      ++counters_.tx_dropped;
      rte_pktmbuf_free(p.mbuf);
      continue;
    }
    if (stack_.ResolutionDue(p.to, now_ns)) {
      if (rte_mbuf* arp = Allocate(); arp != nullptr) {
        const size_t len = stack_.WriteResolutionRequest(
            p.to, {rte_pktmbuf_mtod(arp, uint8_t*), rte_pktmbuf_tailroom(arp)});
        arp->data_len = static_cast<uint16_t>(len);
        arp->pkt_len = static_cast<uint32_t>(len);
        if (SendFrames(&arp, 1) == 0) ++counters_.tx_dropped;
      }
    }
    pending_[kept++] = p;
  }
  pending_.resize(kept);
  if (!to_wire_.empty()) SendDatagrams(to_wire_.data(), to_wire_.size());
  to_wire_.clear();
}

size_t DpdkPort::TxBurst(std::span<const TxDatagram> datagrams) {
  if (!thread_checked_) RegisterThread();
  size_t accepted = 0;
  size_t offset = 0;
  uint64_t now_ns = 0;
  while (offset < datagrams.size()) {
    const size_t chunk = std::min(datagrams.size() - offset, scratch_.size());
    to_wire_.clear();
    size_t udp_frames = 0;  // the first udp_frames entries of to_wire_ are datagrams
    rte_mbuf** mbufs = scratch_.data();
    if (rte_pktmbuf_alloc_bulk(device_->pools[queue_], mbufs, static_cast<unsigned>(chunk)) != 0) {
      stats_.tx_no_mbuf += chunk;
      counters_.tx_dropped += chunk;
      offset += chunk;
      continue;
    }
    size_t arp_count = 0;
    rte_mbuf* arps[8];
    for (size_t i = 0; i < chunk; ++i) {
      const TxDatagram& d = datagrams[offset + i];
      rte_mbuf* m = mbufs[i];
      uint8_t* frame = nullptr;
      if (headroom_ + d.data.size() <= rte_pktmbuf_tailroom(m)) {
        frame = reinterpret_cast<uint8_t*>(
            rte_pktmbuf_append(m, static_cast<uint16_t>(headroom_ + d.data.size())));
      }
      if (frame == nullptr) {
        ++stats_.tx_too_large;
        ++counters_.tx_dropped;
        rte_pktmbuf_free(m);
        continue;
      }
      // Without TX offload, one pass copies the payload and sums it for the UDP checksum.
      uint32_t payload_sum = 0;
      if (device_->offload.tx) {
        std::memcpy(frame + headroom_, d.data.data(), d.data.size());
      } else {
        payload_sum = ChecksumCopy(frame + headroom_, d.data, 0);
      }
      MacAddress mac;
      switch (stack_.Resolve(d.to, &mac)) {
        case NetStack::TxVerdict::kReady:
          WriteHeaders(m, mac, d.to, payload_sum);
          to_wire_.push_back(m);
          ++udp_frames;
          break;
        case NetStack::TxVerdict::kResolve: {
          if (now_ns == 0) now_ns = NowNs();
          if (pending_.size() >= options_.max_pending) {
            ++stats_.tx_unresolved;
            ++counters_.tx_dropped;
            rte_pktmbuf_free(m);
            break;
          }
          pending_.push_back({d.to, m, now_ns});
          ++stats_.tx_pending;
          ++accepted;  // the port holds it: sent once resolved, or dropped and counted
          if (arp_count < std::size(arps) && stack_.ResolutionDue(d.to, now_ns)) {
            if (rte_mbuf* arp = Allocate(); arp != nullptr) {
              const size_t len = stack_.WriteResolutionRequest(
                  d.to, {rte_pktmbuf_mtod(arp, uint8_t*), rte_pktmbuf_tailroom(arp)});
              arp->data_len = static_cast<uint16_t>(len);
              arp->pkt_len = static_cast<uint32_t>(len);
              arps[arp_count++] = arp;
            }
          }
          break;
        }
        case NetStack::TxVerdict::kUnroutable:
          ++stats_.tx_unroutable;
          ++counters_.tx_dropped;
          rte_pktmbuf_free(m);
          break;
      }
    }
    if (arp_count > 0) SendFrames(arps, arp_count);
    if (udp_frames > 0) accepted += SendDatagrams(to_wire_.data(), udp_frames);
    offset += chunk;
  }
  return accepted;
}

std::vector<std::pair<std::string, uint64_t>> DpdkPort::DetailCounters() const {
  const NetStackCounters& k = stack_.counters();
  const DpdkPortStats& d = stats_;
  return {
      {"stack.rx_frames", k.rx_frames},
      {"stack.rx_datagrams", k.rx_datagrams},
      {"stack.rx_arp_requests", k.rx_arp_requests},
      {"stack.rx_arp_replies", k.rx_arp_replies},
      {"stack.rx_icmp_echo", k.rx_icmp_echo},
      {"stack.rx_neighbor_solicitations", k.rx_neighbor_solicitations},
      {"stack.rx_neighbor_advertisements", k.rx_neighbor_advertisements},
      {"stack.rx_icmp6_echo", k.rx_icmp6_echo},
      {"stack.rx_nd_invalid", k.rx_nd_invalid},
      {"stack.rx_reply_too_large", k.rx_reply_too_large},
      {"stack.rx_exception", k.rx_exception},
      {"stack.rx_not_for_us", k.rx_not_for_us},
      {"stack.rx_malformed", k.rx_malformed},
      {"stack.rx_bad_checksum", k.rx_bad_checksum},
      {"stack.rx_fragments", k.rx_fragments},
      {"stack.rx_ipv6_extension", k.rx_ipv6_extension},
      {"stack.tx_arp_requests", k.tx_arp_requests},
      {"stack.tx_neighbor_solicitations", k.tx_neighbor_solicitations},
      {"stack.tx_unroutable", k.tx_unroutable},
      {"stack.neighbours", stack_.neighbour_count()},
      {"stack.neighbour_cache_full", k.neighbour_cache_full},
      {"dpdk.rx_bursts", d.rx_bursts},
      {"dpdk.rx_multi_segment", d.rx_multi_segment},
      {"dpdk.tx_replies", d.tx_replies},
      {"dpdk.tx_no_mbuf", d.tx_no_mbuf},
      {"dpdk.tx_too_large", d.tx_too_large},
      {"dpdk.tx_pending", d.tx_pending},
      {"dpdk.tx_unresolved", d.tx_unresolved},
      {"dpdk.tx_unroutable", d.tx_unroutable},
      {"dpdk.exception_to_kernel", d.exception_to_kernel},
      {"dpdk.exception_from_kernel", d.exception_from_kernel},
      {"dpdk.exception_dropped", d.exception_dropped},
      {"dpdk.neighbour_notes_dropped", d.neighbour_notes_dropped},
      {"dpdk.rx_checksum_by_device", d.rx_checksum_by_device},
      {"dpdk.tx_checksum_by_device", d.tx_checksum_by_device},
      {"dpdk.tx_not_prepared", d.tx_not_prepared},
  };
}

}  // namespace p2psip::port

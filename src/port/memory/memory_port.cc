#include "p2psip/port/memory_port.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace p2psip::port {

MemoryNetwork::MemoryNetwork(MemoryNetworkOptions options)
    : options_(options), rng_(options.seed) {}

MemoryNetwork::~MemoryNetwork() = default;

absl::StatusOr<std::unique_ptr<MemoryPort>> MemoryNetwork::Attach(const Endpoint& endpoint) {
  if (options_.queue_capacity == 0) {
    return absl::InvalidArgumentError("memory network: queue_capacity is 0");
  }
  std::lock_guard lock(mu_);
  Endpoint local = endpoint;
  if (local.port == 0) {
    // Ephemeral ports as the kernel hands them out: the next free one, wrapping in the range.
    for (int tries = 0; tries < 65536 - 49152; ++tries) {
      local.port = next_ephemeral_;
      next_ephemeral_ = next_ephemeral_ == 65535 ? 49152 : next_ephemeral_ + 1;
      if (!ports_.contains(local)) break;
    }
  }
  if (local.port == 0 || ports_.contains(local)) {
    return absl::AlreadyExistsError(
        absl::StrCat("memory network: ", local.ToString(), " is already attached"));
  }
  const int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return absl::ErrnoToStatus(errno, "memory network: eventfd");
  std::unique_ptr<MemoryPort> port(new MemoryPort(this, local, fd, options_.queue_capacity));
  ports_[local] = port.get();
  return port;
}

void MemoryNetwork::SetCaptureHook(CaptureHook hook) {
  std::lock_guard lock(mu_);
  capture_ = std::move(hook);
}

void MemoryNetwork::set_loss(double loss) {
  std::lock_guard lock(mu_);
  options_.loss = loss;
}

MemoryNetworkStats MemoryNetwork::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

bool MemoryNetwork::Send(const Endpoint& from, const TxDatagram& datagram) {
  std::lock_guard lock(mu_);
  if (capture_) capture_(from, datagram.to, datagram.data);
  auto it = ports_.find(datagram.to);
  if (it == ports_.end()) {
    ++stats_.dropped_unknown;
    return false;
  }
  if (options_.loss > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < options_.loss) {
    ++stats_.lost;
    return true;
  }
  if (!it->second->Enqueue(from, datagram.data)) {
    ++stats_.dropped_full;
    return false;
  }
  ++stats_.delivered;
  return true;
}

void MemoryNetwork::Detach(const Endpoint& endpoint) {
  std::lock_guard lock(mu_);
  ports_.erase(endpoint);
}

MemoryPort::MemoryPort(MemoryNetwork* network, Endpoint local, int event_fd, size_t capacity)
    : network_(network), local_(local), event_fd_(event_fd), queue_(capacity) {}

MemoryPort::~MemoryPort() {
  // Detached first, so that no sender can be inside Enqueue once the queue goes away.
  network_->Detach(local_);
  close(event_fd_);
}

bool MemoryPort::Enqueue(const Endpoint& from, std::span<const uint8_t> data) {
  std::lock_guard lock(queue_mu_);
  if (count_ == queue_.size()) return false;
  Slot& slot = queue_[(head_ + count_) % queue_.size()];
  slot.from = from;
  slot.data.assign(data.begin(), data.end());
  if (count_++ == 0) {
    // Empty to non-empty: make the eventfd readable. Under the queue lock, so that the counter
    // and the queue agree (RxBurst clears it under the same lock).
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(event_fd_, &one, sizeof(one));
  }
  return true;
}

size_t MemoryPort::RxBurst(std::span<RxDatagram> out) {
  if (out.empty()) return 0;
  if (rx_.size() < out.size()) rx_.resize(out.size());
  size_t n = 0;
  {
    std::lock_guard lock(queue_mu_);
    n = std::min(out.size(), count_);
    for (size_t i = 0; i < n; ++i) {
      Slot& slot = queue_[head_];
      // Swap, not copy: the queue slot takes back the buffer handed out last time.
      rx_[i].from = slot.from;
      std::swap(rx_[i].data, slot.data);
      head_ = (head_ + 1) % queue_.size();
    }
    count_ -= n;
    if (n > 0 && count_ == 0) {
      uint64_t value = 0;
      [[maybe_unused]] ssize_t r = read(event_fd_, &value, sizeof(value));
    }
  }
  for (size_t i = 0; i < n; ++i) {
    out[i] = RxDatagram{rx_[i].from, rx_[i].data};
    ++counters_.rx_datagrams;
    counters_.rx_bytes += rx_[i].data.size();
  }
  return n;
}

size_t MemoryPort::TxBurst(std::span<const TxDatagram> datagrams) {
  size_t accepted = 0;
  for (const TxDatagram& d : datagrams) {
    if (network_->Send(local_, d)) {
      ++accepted;
      ++counters_.tx_datagrams;
      counters_.tx_bytes += d.data.size();
    } else {
      ++counters_.tx_dropped;
    }
  }
  return accepted;
}

size_t MemoryPort::queued() const {
  std::lock_guard lock(queue_mu_);
  return count_;
}

}  // namespace p2psip::port

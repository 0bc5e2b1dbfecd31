#include "p2psip/runtime/cross_core.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace p2psip::runtime {

absl::StatusOr<std::unique_ptr<Waker>> Waker::Create() {
  const int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("eventfd: ", std::strerror(errno)));
  return std::unique_ptr<Waker>(new Waker(fd));
}

Waker::~Waker() { close(fd_); }

void Waker::Awake() {
  sleeping_.store(false, std::memory_order_relaxed);
  uint64_t value;
  while (read(fd_, &value, sizeof(value)) == sizeof(value)) {
  }
}

void Waker::Signal() {
  const uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: the consumer will wake anyway.
  (void)!write(fd_, &one, sizeof(one));
}

absl::StatusOr<std::unique_ptr<Fabric>> Fabric::Create(uint32_t workers, size_t ring_capacity) {
  if (workers == 0) return absl::InvalidArgumentError("no workers");
  absl::StatusOr<std::unique_ptr<RingMesh<CrossCoreMessage>>> mesh =
      RingMesh<CrossCoreMessage>::Create(workers + 1, ring_capacity);
  if (!mesh.ok()) return mesh.status();
  std::vector<std::unique_ptr<Waker>> wakers;
  for (uint32_t i = 0; i <= workers; ++i) {
    absl::StatusOr<std::unique_ptr<Waker>> w = Waker::Create();
    if (!w.ok()) return w.status();
    wakers.push_back(*std::move(w));
  }
  return std::unique_ptr<Fabric>(new Fabric(workers, *std::move(mesh), std::move(wakers)));
}

bool Fabric::HasWork(uint32_t part) const {
  for (uint32_t from = 0; from < parts(); ++from) {
    if (from != part && ring(from, part)->size_approx() > 0) return true;
  }
  return false;
}

Outgoing::Outgoing(Fabric* fabric, uint32_t self, size_t max_backlog)
    : fabric_(fabric), self_(self), max_backlog_(max_backlog), queued_(fabric->parts()) {}

void Outgoing::Post(uint32_t to, CrossCoreMessage message) {
  if (to >= queued_.size() || to == self_) {
    ++counters_.dropped;  // a bug in the caller; never a ring to itself
    return;
  }
  std::deque<CrossCoreMessage>& q = queued_[to];
  if (q.size() >= max_backlog_) {
    using T = CrossCoreMessage::Type;
    const bool retransmitted =
        message.type == T::kDatagram || message.type == T::kSend || message.type == T::kNodeMessage;
    if (retransmitted) {
      ++counters_.dropped;
      return;
    }
  }
  ++counters_.posted;
  q.push_back(std::move(message));
}

void Outgoing::Broadcast(const CrossCoreMessage& message) {
  for (uint32_t to = 0; to < queued_.size(); ++to) {
    if (to != self_) Post(to, message);
  }
}

void Outgoing::Flush() {
  for (uint32_t to = 0; to < queued_.size(); ++to) {
    std::deque<CrossCoreMessage>& q = queued_[to];
    if (q.empty()) continue;
    const size_t n = fabric_->ring(self_, to)->EnqueueBurst(q.begin(), q.end());
    q.erase(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(n));
    if (!q.empty()) counters_.deferred += q.size();
    if (n > 0) fabric_->waker(to).Wake();
  }
}

bool Outgoing::empty() const {
  for (const auto& q : queued_) {
    if (!q.empty()) return false;
  }
  return true;
}

}  // namespace p2psip::runtime

#include "p2psip/runtime/node_runtime.h"

#include <pthread.h>

#include <chrono>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace p2psip::runtime {

absl::StatusOr<std::unique_ptr<NodeRuntime>> NodeRuntime::Create(NodeRuntimeOptions options,
                                                                 const Clock* clock) {
  const size_t n = options.ports.size();
  if (n == 0 || n > kMaxWorkers) {
    return absl::InvalidArgumentError(
        absl::StrCat("workers: ", n, " (one port per worker, 1 to ", kMaxWorkers, ")"));
  }
  if (!options.make_signer || !options.make_random) {
    return absl::InvalidArgumentError("make_signer and make_random are required");
  }
  if (!options.links.local.port) options.links.local = options.ports[0]->local_endpoint();
  std::unique_ptr<NodeRuntime> rt(new NodeRuntime());
  rt->clock_ = clock;
  absl::StatusOr<std::unique_ptr<Fabric>> fabric =
      Fabric::Create(static_cast<uint32_t>(n), options.ring_capacity);
  if (!fabric.ok()) return fabric.status();
  rt->fabric_ = *std::move(fabric);
  absl::StatusOr<std::unique_ptr<QsbrDomain>> qsbr = QsbrDomain::Create(n);
  if (!qsbr.ok()) return qsbr.status();
  rt->qsbr_ = *std::move(qsbr);
  rt->routing_ = std::make_unique<RcuPublisher<core::RoutingSnapshot>>(rt->qsbr_.get());

  std::unique_ptr<StreamLinks> streams;
  if (options.tls_listen.has_value()) {
    LinkManagerOptions stream_links = std::move(options.stream_links);
    stream_links.id_stride = kLinkIdStride;
    stream_links.id_offset = kControlLinkOwner;
    absl::StatusOr<std::unique_ptr<StreamLinks>> made =
        StreamLinks::Create(*options.tls_listen, std::move(stream_links));
    if (!made.ok()) return made.status();
    streams = *std::move(made);
    options.config.tls_address = streams->local_endpoint().ToWire();
  }
  for (uint32_t i = 0; i < n; ++i) {
    absl::StatusOr<std::unique_ptr<core::Signer>> signer = options.make_signer();
    if (!signer.ok()) return signer.status();
    rt->workers_.push_back(
        std::make_unique<Worker>(rt->fabric_.get(), i, std::move(options.ports[i]), options.links,
                                 options.config, *std::move(signer), options.make_random(i), clock,
                                 rt->qsbr_.get(), rt->routing_.get(), options.worker));
  }
  absl::StatusOr<std::unique_ptr<core::Signer>> signer = options.make_signer();
  if (!signer.ok()) return signer.status();
  rt->control_ =
      std::make_unique<ControlPlane>(rt->fabric_.get(), options.config, *std::move(signer),
                                     options.make_random(static_cast<uint32_t>(n)), clock,
                                     rt->routing_.get(), options.links, std::move(streams));
  return rt;
}

NodeRuntime::~NodeRuntime() { Stop(); }

void NodeRuntime::Start() {
  // The first snapshot (not yet joined) before the workers run, so that they always have one.
  control_->Start();
  for (size_t i = 0; i < workers_.size(); ++i) {
    Worker* worker = workers_[i].get();
    threads_.emplace_back([this, worker, i] {
      // Named for top -H, perf and gdb: "p2psip-w<index>" (the kernel keeps 15 characters).
      const std::string name = absl::StrCat("p2psip-w", i).substr(0, 15);
      (void)pthread_setname_np(pthread_self(), name.c_str());
      worker->Run(stop_);
    });
  }
}

void NodeRuntime::Leave(uint64_t handoff_wait_us, uint64_t linger_us) {
  control_->HandOff();
  const uint64_t handoff_until = clock_->NowUs() + handoff_wait_us;
  while (control_->handoffs_pending() > 0 && clock_->NowUs() < handoff_until) {
    control_->RunOnce(10);
  }
  if (control_->handoffs_pending() > 0) {
    spdlog::warn("{} workers did not finish handing their data over in time",
                 control_->handoffs_pending());
  }
  control_->Leave();
  const uint64_t until = clock_->NowUs() + linger_us;
  while (clock_->NowUs() < until) control_->RunOnce(10);
  control_->CloseAll();
  // Let the workers send the close_notify alerts.
  const uint64_t closing = clock_->NowUs() + 100'000;
  while (clock_->NowUs() < closing) control_->RunOnce(10);
}

void NodeRuntime::Stop() {
  if (threads_.empty()) return;
  stop_.store(true, std::memory_order_release);
  for (uint32_t i = 0; i < fabric_->workers(); ++i) fabric_->waker(i).Wake();
  // Wake signals a worker that is asleep (or about to be); one that had not yet prepared to
  // sleep sees the flag after at most one poll (200 ms).
  for (auto& t : threads_) t.join();
  threads_.clear();
  routing_->Synchronize(std::chrono::milliseconds(100));
}

}  // namespace p2psip::runtime

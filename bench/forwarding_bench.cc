// The forwarding step of a transit peer (RFC 6940 §6.1.2) on an encoded message: view the
// forwarding header, decrement the TTL, append the previous hop to the Via List. Measured on a
// batch of message buffers with mbuf-like headroom, refreshed outside the timed region, and
// beside it the same step done by fully decoding and re-encoding the message.
#include <cstring>
#include <vector>

#include "benchmark/benchmark.h"
#include "p2psip/wire/forwarding_view.h"
#include "p2psip/wire/message.h"

namespace p2psip::wire {
namespace {

constexpr size_t kHeadroom = 128;  // RTE_PKTMBUF_HEADROOM
constexpr size_t kBatch = 1024;

NodeId Id(uint8_t fill) { return NodeId(std::vector<uint8_t>(16, fill)); }

std::vector<uint8_t> SampleMessage(size_t body) {
  Message m;
  m.header.overlay = 0x9aa32b8d;
  m.header.transaction_id = 0x0102030405060708;
  m.header.via_list = {Destination::Node(Id(1))};
  m.header.destination_list = {Destination::Node(Id(0xf0)), Destination::Node(Id(0xf1))};
  m.contents.message_code = static_cast<uint16_t>(MessageCode::kFetchReq);
  m.contents.body.assign(body, 0x5a);
  m.security.signature.identity = SignerIdentity::CertHash(kHashSha256, std::vector<uint8_t>(32));
  return *EncodeMessage(m);
}

void BM_ForwardingStepInPlace(benchmark::State& state) {
  const std::vector<uint8_t> msg = SampleMessage(static_cast<size_t>(state.range(0)));
  const size_t stride = kHeadroom + msg.size();
  std::vector<uint8_t> pool(stride * kBatch);
  const NodeId prev_hop = Id(0x42);
  size_t i = kBatch;
  for (auto _ : state) {
    if (i == kBatch) {
      state.PauseTiming();
      for (size_t k = 0; k < kBatch; ++k) {
        std::memcpy(pool.data() + k * stride + kHeadroom, msg.data(), msg.size());
      }
      i = 0;
      state.ResumeTiming();
    }
    uint8_t* data = pool.data() + i * stride + kHeadroom;
    ForwardingView v;
    if (ForwardingView::Parse(data, msg.size(), &v) != ViewError::kOk || !v.DecrementTtl() ||
        !v.AppendVia(prev_hop, kHeadroom)) {
      state.SkipWithError("forwarding step failed");
      break;
    }
    benchmark::DoNotOptimize(v.data());
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
// Bodies of 100 B (a Fetch request) and 1200 B (near a path MTU): the in-place step should not
// depend on the body size.
BENCHMARK(BM_ForwardingStepInPlace)->Arg(100)->Arg(1200);

void BM_ForwardingStepFullCodec(benchmark::State& state) {
  const std::vector<uint8_t> msg = SampleMessage(static_cast<size_t>(state.range(0)));
  const NodeId prev_hop = Id(0x42);
  for (auto _ : state) {
    auto m = DecodeMessage(msg);
    if (!m.ok()) {
      state.SkipWithError("decode failed");
      break;
    }
    m->header.ttl--;
    m->header.via_list.push_back(Destination::Node(prev_hop));
    auto out = EncodeMessage(*m);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ForwardingStepFullCodec)->Arg(100)->Arg(1200);

}  // namespace
}  // namespace p2psip::wire

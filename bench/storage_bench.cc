// Store and Fetch on one storage shard (RFC 6940 §7), SIP-REGISTRATION records: a route
// registration (~40 bytes) per AOR, keyed by the registering Node-ID, with an RSA-2048-sized
// signature. The shard checks the access policy (USER-NODE-MATCH: one SHA-1 of the user name)
// but does not verify signatures — that is the crypto layer's work, measured separately when
// it arrives. So these are the "without signatures" figures of issue 5.
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "p2psip/core/storage/storage_shard.h"
#include "p2psip/wire/codec.h"
#include "p2psip/wire/hashes.h"
#include "p2psip/wire/usage_values.h"

namespace p2psip::core::storage {
namespace {

constexpr int kUsers = 10000;

struct User {
  SignerInfo signer;
  wire::StoreReq store;
  wire::FetchReq fetch;
};

std::vector<User> MakeUsers() {
  std::vector<User> users(kUsers);
  for (int i = 0; i < kUsers; ++i) {
    User& u = users[i];
    std::vector<uint8_t> id(16);
    for (int b = 0; b < 4; ++b) id[b] = static_cast<uint8_t>(i >> (8 * b));
    id[15] = 0x5A;
    const NodeId node(id);
    u.signer = {node, {node}, "user" + std::to_string(i) + "@dht.example.com"};
    const ResourceId resource = wire::ChordResourceId(u.signer.user_name);
    wire::StoredData sd;
    sd.storage_time = 1;
    sd.lifetime = 3600;
    sd.value = wire::DictionaryEntry{
        id, wire::DataValue{true, *wire::EncodeToBytes(wire::SipRegistration::Route(
                                      "", {wire::Destination::Node(node)}))}};
    sd.signature.hash_algorithm = wire::kHashSha256;
    sd.signature.signature_algorithm = wire::kSigRsa;
    sd.signature.identity =
        wire::SignerIdentity::CertHash(wire::kHashSha256, std::vector<uint8_t>(32, 0x11));
    sd.signature.value.assign(256, 0x22);
    wire::StoreKindData kd;
    kd.kind = wire::kKindSipRegistration;
    kd.values = {sd};
    u.store.resource = resource;
    u.store.kind_data = {kd};
    wire::StoredDataSpecifier spec;
    spec.kind = wire::kKindSipRegistration;
    spec.model = wire::DataModel::kDictionary;  // no keys: every registration (RFC 7904 §4.2)
    u.fetch.resource = resource;
    u.fetch.specifiers = {spec};
  }
  return users;
}

void BM_ShardStoreSipRegistration(benchmark::State& state) {
  const KindRegistry kinds = KindRegistry::WithBuiltins();
  StorageShard shard(&kinds);
  std::vector<User> users = MakeUsers();
  uint64_t i = 0;
  for (auto _ : state) {
    User& u = users[i % kUsers];
    // Each store of the same AOR must be strictly newer: the first round creates the records,
    // later rounds replace them.
    u.store.kind_data[0].values[0].storage_time = ++i;
    const std::vector<std::vector<SignerInfo>> signers = {{u.signer}};
    auto result = shard.Store(u.store, u.signer, signers, 1000);
    if (!std::holds_alternative<wire::StoreAns>(result)) {
      state.SkipWithError(std::get<StorageError>(result).reason.c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["records"] = static_cast<double>(shard.value_count());
}
BENCHMARK(BM_ShardStoreSipRegistration);

void BM_ShardFetchSipRegistration(benchmark::State& state) {
  const KindRegistry kinds = KindRegistry::WithBuiltins();
  StorageShard shard(&kinds);
  const std::vector<User> users = MakeUsers();
  for (const User& u : users) {
    const std::vector<std::vector<SignerInfo>> signers = {{u.signer}};
    shard.Store(u.store, u.signer, signers, 1000);
  }
  uint64_t i = 0;
  for (auto _ : state) {
    auto result = shard.Fetch(users[i++ % kUsers].fetch, 2000);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["records"] = static_cast<double>(shard.value_count());
}
BENCHMARK(BM_ShardFetchSipRegistration);

}  // namespace
}  // namespace p2psip::core::storage

#include "p2psip/core/storage/storage_shard.h"

#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <cstdio>
#include <string>
#include <vector>

#include "p2psip/core/storage/kinds.h"
#include "p2psip/wire/body.h"
#include "p2psip/wire/hashes.h"

namespace p2psip::core::storage {
namespace {

using wire::ArrayEntry;
using wire::ArrayRange;
using wire::DataModel;
using wire::DataValue;
using wire::DictionaryEntry;
using wire::ErrorCode;
using wire::StoredData;

constexpr uint64_t kNow = 1'700'000'000'000;
const std::string kAlice = "alice@dht.example.com";
const std::string kBob = "bob@dht.example.com";

// Private kinds (USER-MATCH, so that alice may write at H(alice)) with small limits.
constexpr uint32_t kSingleKind = 0xF0000001;
constexpr uint32_t kArrayKind = 0xF0000002;
constexpr uint32_t kDictKind = 0xF0000003;

NodeId Node(uint8_t fill) { return NodeId(std::vector<uint8_t>(16, fill)); }

SignerInfo User(const std::string& name, uint8_t node_fill = 0xA1) {
  return SignerInfo{Node(node_fill), {Node(node_fill)}, name};
}

ResourceId Res(const std::string& name) { return wire::ChordResourceId(name); }

wire::Signature Sig() {
  wire::Signature s;
  s.hash_algorithm = wire::kHashSha256;
  s.signature_algorithm = wire::kSigRsa;
  s.identity = wire::SignerIdentity::CertHash(wire::kHashSha256, std::vector<uint8_t>(32, 0x11));
  s.value = std::vector<uint8_t>(8, 0x22);
  return s;
}

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

StoredData Single(const std::string& v, uint64_t storage_time, uint32_t lifetime = 3600,
                  bool exists = true) {
  return StoredData{storage_time, lifetime, DataValue{exists, Bytes(v)}, Sig()};
}
StoredData Entry(uint32_t index, const std::string& v, uint64_t storage_time,
                 uint32_t lifetime = 3600) {
  return StoredData{storage_time, lifetime, ArrayEntry{index, DataValue{true, Bytes(v)}}, Sig()};
}
StoredData Dict(const std::string& key, const std::string& v, uint64_t storage_time,
                uint32_t lifetime = 3600, bool exists = true) {
  return StoredData{storage_time, lifetime,
                    DictionaryEntry{Bytes(key), DataValue{exists, Bytes(v)}}, Sig()};
}

KindRegistry Registry() {
  KindRegistry r = KindRegistry::WithBuiltins();
  EXPECT_TRUE(r.Add({kSingleKind, "", DataModel::kSingle, AccessPolicy::kUserMatch, 1, 16}).ok());
  EXPECT_TRUE(r.Add({kArrayKind, "", DataModel::kArray, AccessPolicy::kUserMatch, 4, 16}).ok());
  EXPECT_TRUE(r.Add({kDictKind, "", DataModel::kDictionary, AccessPolicy::kUserMatch, 4, 16}).ok());
  return r;
}

wire::StoredDataSpecifier Spec(uint32_t kind, DataModel model, uint64_t generation = 0) {
  wire::StoredDataSpecifier s;
  s.kind = kind;
  s.model = model;
  s.generation = generation;
  return s;
}

class StorageShardTest : public ::testing::Test {
 protected:
  // Stores `kind_data` at H(signer's user name) with every value signed by `signer`.
  StorageResult<wire::StoreAns> Store(std::vector<wire::StoreKindData> kind_data,
                                      const SignerInfo& signer, uint64_t now = kNow,
                                      uint8_t replica = 0) {
    return StoreAt(Res(signer.user_name), std::move(kind_data), signer, signer, now, replica);
  }
  StorageResult<wire::StoreAns> StoreAt(const ResourceId& resource,
                                        std::vector<wire::StoreKindData> kind_data,
                                        const SignerInfo& request_signer,
                                        const SignerInfo& value_signer, uint64_t now = kNow,
                                        uint8_t replica = 0) {
    wire::StoreReq req;
    req.resource = resource;
    req.replica_number = replica;
    req.kind_data = std::move(kind_data);
    std::vector<std::vector<SignerInfo>> signers;
    for (const wire::StoreKindData& kd : req.kind_data) {
      signers.emplace_back(kd.values.size(), value_signer);
    }
    return shard_.Store(req, request_signer, signers, now);
  }
  wire::FetchAns Fetch(const ResourceId& resource, std::vector<wire::StoredDataSpecifier> specs,
                       uint64_t now = kNow) {
    auto r = shard_.Fetch(wire::FetchReq{resource, std::move(specs)}, now);
    EXPECT_TRUE(std::holds_alternative<wire::FetchAns>(r));
    return std::holds_alternative<wire::FetchAns>(r) ? std::get<wire::FetchAns>(r)
                                                     : wire::FetchAns{};
  }
  static wire::StoreAns Ok(const StorageResult<wire::StoreAns>& r) {
    EXPECT_TRUE(std::holds_alternative<wire::StoreAns>(r))
        << (std::holds_alternative<StorageError>(r) ? std::get<StorageError>(r).reason : "");
    return std::holds_alternative<wire::StoreAns>(r) ? std::get<wire::StoreAns>(r)
                                                     : wire::StoreAns{};
  }
  template <class T>
  static StorageError Err(const StorageResult<T>& r) {
    EXPECT_TRUE(std::holds_alternative<StorageError>(r));
    return std::holds_alternative<StorageError>(r) ? std::get<StorageError>(r) : StorageError{};
  }

  KindRegistry kinds_ = Registry();
  StorageShard shard_{&kinds_};
  SignerInfo alice_ = User(kAlice);
  ResourceId alice_res_ = Res(kAlice);
};

TEST_F(StorageShardTest, StoreThenFetchSingleRoundTrips) {
  const wire::StoreAns ans = Ok(Store({{kSingleKind, 0, true, {Single("v1", 100)}, {}}}, alice_));
  ASSERT_EQ(ans.kind_responses.size(), 1u);
  EXPECT_EQ(ans.kind_responses[0].kind, kSingleKind);
  EXPECT_EQ(ans.kind_responses[0].generation_counter, 1u);
  EXPECT_TRUE(ans.kind_responses[0].replicas.empty());

  const wire::FetchAns f = Fetch(alice_res_, {Spec(kSingleKind, DataModel::kSingle)});
  ASSERT_EQ(f.kind_responses.size(), 1u);
  EXPECT_EQ(f.kind_responses[0].generation, 1u);
  ASSERT_EQ(f.kind_responses[0].values.size(), 1u);
  EXPECT_EQ(f.kind_responses[0].values[0], Single("v1", 100));
  EXPECT_EQ(shard_.resource_count(), 1u);
  EXPECT_EQ(shard_.value_count(), 1u);
}

TEST_F(StorageShardTest, FetchOfAbsentSingleIsSynthesized) {
  const wire::FetchAns f = Fetch(alice_res_, {Spec(kSingleKind, DataModel::kSingle)});
  ASSERT_EQ(f.kind_responses.size(), 1u);
  EXPECT_EQ(f.kind_responses[0].generation, 0u);
  ASSERT_EQ(f.kind_responses[0].values.size(), 1u);
  const StoredData& sd = f.kind_responses[0].values[0];
  EXPECT_EQ(sd.storage_time, 0u);
  EXPECT_EQ(sd.lifetime, 0u);
  EXPECT_EQ(sd.value, wire::StoredDataValue(DataValue{false, {}}));
  EXPECT_TRUE(sd.signature.IsAnonymous());
  EXPECT_EQ(sd.signature.identity.type, wire::SignerIdentityType::kNone);
  EXPECT_TRUE(sd.signature.value.empty());
}

TEST_F(StorageShardTest, StoreUnknownKindListsUnknownKinds) {
  wire::StoreKindData raw{0x7000, 0, false, {}, {{1, 2, 3}}};
  const StorageError e = Err(Store({{kSingleKind, 0, true, {Single("v", 1)}, {}},
                                    {0xF0000099, 0, true, {Single("v", 1)}, {}},
                                    raw},
                                   alice_));
  EXPECT_EQ(e.code, ErrorCode::kUnknownKind);
  wire::ErrorResponse resp{static_cast<uint16_t>(ErrorCode::kUnknownKind), e.error_info};
  std::vector<uint32_t> unknown;
  wire::DecodeError de;
  ASSERT_TRUE(wire::DecodeUnknownKinds(resp, &unknown, &de));
  EXPECT_EQ(unknown, (std::vector<uint32_t>{0xF0000099, 0x7000}));
  EXPECT_EQ(shard_.value_count(), 0u);
}

TEST_F(StorageShardTest, FetchAndStatUnknownKindListUnknownKinds) {
  wire::StoredDataSpecifier raw = Spec(0x7000, DataModel::kSingle);
  raw.model_known = false;
  for (const auto& code :
       {Err(shard_.Fetch({alice_res_, {Spec(kSingleKind, DataModel::kSingle), raw}}, kNow)),
        Err(shard_.Stat({alice_res_, {raw, Spec(0xF0000099, DataModel::kSingle)}}, kNow))}) {
    EXPECT_EQ(code.code, ErrorCode::kUnknownKind);
    std::vector<uint32_t> unknown;
    wire::DecodeError de;
    ASSERT_TRUE(wire::DecodeUnknownKinds({0x0C, code.error_info}, &unknown, &de));
    EXPECT_FALSE(unknown.empty());
    EXPECT_EQ(unknown[0], 0x7000u);
  }
}

TEST_F(StorageShardTest, StoreDuplicateKindIsInvalidMessage) {
  const StorageError e = Err(Store(
      {{kSingleKind, 0, true, {Single("a", 1)}, {}}, {kSingleKind, 0, true, {Single("b", 2)}, {}}},
      alice_));
  EXPECT_EQ(e.code, ErrorCode::kInvalidMessage);
  EXPECT_EQ(shard_.value_count(), 0u);
}

TEST_F(StorageShardTest, StoreIdentityNoneIsForbidden) {
  StoredData sd = Single("v", 1);
  sd.signature.identity = wire::SignerIdentity::None();
  EXPECT_EQ(Err(Store({{kSingleKind, 0, true, {sd}, {}}}, alice_)).code, ErrorCode::kForbidden);
}

TEST_F(StorageShardTest, StoreAnonymousAlgorithmIsForbidden) {
  StoredData sd = Single("v", 1);
  sd.signature.hash_algorithm = wire::kHashNone;
  sd.signature.signature_algorithm = wire::kSigAnonymous;
  EXPECT_EQ(Err(Store({{kSingleKind, 0, true, {sd}, {}}}, alice_)).code, ErrorCode::kForbidden);
}

TEST_F(StorageShardTest, StoreValueSignerPolicyViolationIsForbidden) {
  // Bob signs the value, Alice the request, at H(alice): USER-MATCH fails for the value.
  const StorageError e =
      Err(StoreAt(alice_res_, {{kSingleKind, 0, true, {Single("v", 1)}, {}}}, alice_, User(kBob)));
  EXPECT_EQ(e.code, ErrorCode::kForbidden);
  EXPECT_FALSE(e.reason.empty());
  EXPECT_EQ(shard_.value_count(), 0u);
}

TEST_F(StorageShardTest, StoreRequestSignerPolicyViolationIsForbidden) {
  const StorageError e =
      Err(StoreAt(alice_res_, {{kSingleKind, 0, true, {Single("v", 1)}, {}}}, User(kBob), alice_));
  EXPECT_EQ(e.code, ErrorCode::kForbidden);
  // A replica store is sent by another peer: only the value signers are checked.
  Ok(StoreAt(alice_res_, {{kSingleKind, 5, true, {Single("v", 1)}, {}}}, User(kBob), alice_, kNow,
             1));
}

TEST_F(StorageShardTest, SipRegistrationNeedsKeyEqualToSignerNodeId) {
  const SignerInfo alice = User(kAlice, 0xA1);
  const std::string own_key(16, static_cast<char>(0xA1));
  const std::string other_key(16, static_cast<char>(0xB2));
  Ok(Store({{wire::kKindSipRegistration, 0, true, {Dict(own_key, "sip:a@1.2.3.4", 1)}, {}}},
           alice));
  EXPECT_EQ(
      Err(Store({{wire::kKindSipRegistration, 0, true, {Dict(other_key, "x", 2)}, {}}}, alice))
          .code,
      ErrorCode::kForbidden);
}

TEST_F(StorageShardTest, GenerationCounterTooLowListsCurrentCounters) {
  Ok(Store({{kSingleKind, 0, true, {Single("a", 1)}, {}}}, alice_));
  Ok(Store({{kSingleKind, 1, true, {Single("b", 2)}, {}}}, alice_));  // matches: becomes 2
  const StorageError e = Err(Store(
      {{kSingleKind, 1, true, {Single("c", 3)}, {}}, {kArrayKind, 0, true, {Entry(0, "x", 3)}, {}}},
      alice_));
  EXPECT_EQ(e.code, ErrorCode::kGenerationCounterTooLow);
  wire::StoreAns current;
  wire::DecodeError de;
  ASSERT_TRUE(wire::DecodeGenerationCounterTooLow({0x05, e.error_info}, &current, &de));
  ASSERT_EQ(current.kind_responses.size(), 2u);
  EXPECT_EQ(current.kind_responses[0].kind, kSingleKind);
  EXPECT_EQ(current.kind_responses[0].generation_counter, 2u);
  EXPECT_EQ(current.kind_responses[1].kind, kArrayKind);
  EXPECT_EQ(current.kind_responses[1].generation_counter, 0u);
  // A counter of 0 means "don't care".
  EXPECT_EQ(Ok(Store({{kSingleKind, 0, true, {Single("c", 3)}, {}}}, alice_))
                .kind_responses[0]
                .generation_counter,
            3u);
}

TEST_F(StorageShardTest, DataTooOldForEqualAndOlderStorageTime) {
  Ok(Store({{kSingleKind, 0, true, {Single("a", 100)}, {}}}, alice_));
  EXPECT_EQ(Err(Store({{kSingleKind, 0, true, {Single("b", 100)}, {}}}, alice_)).code,
            ErrorCode::kDataTooOld);
  EXPECT_EQ(Err(Store({{kSingleKind, 0, true, {Single("b", 99)}, {}}}, alice_)).code,
            ErrorCode::kDataTooOld);
  Ok(Store({{kSingleKind, 0, true, {Single("b", 101)}, {}}}, alice_));
  // Only the value at the same array index counts.
  Ok(Store({{kArrayKind, 0, true, {Entry(0, "x", 50)}, {}}}, alice_));
  Ok(Store({{kArrayKind, 0, true, {Entry(1, "y", 10)}, {}}}, alice_));
  EXPECT_EQ(Err(Store({{kArrayKind, 0, true, {Entry(0, "z", 50)}, {}}}, alice_)).code,
            ErrorCode::kDataTooOld);
}

TEST_F(StorageShardTest, DataTooLargeForSize) {
  EXPECT_EQ(
      Err(Store({{kSingleKind, 0, true, {Single(std::string(17, 'x'), 1)}, {}}}, alice_)).code,
      ErrorCode::kDataTooLarge);
  Ok(Store({{kSingleKind, 0, true, {Single(std::string(16, 'x'), 1)}, {}}}, alice_));
}

TEST_F(StorageShardTest, DataTooLargeForCount) {
  Ok(Store({{kArrayKind, 0, true, {Entry(0, "a", 1), Entry(1, "b", 1), Entry(2, "c", 1)}, {}}},
           alice_));
  // Replacing existing indices does not grow the count.
  Ok(Store({{kArrayKind, 0, true, {Entry(0, "a", 2), Entry(3, "d", 2)}, {}}}, alice_));
  EXPECT_EQ(
      Err(Store({{kArrayKind, 0, true, {Entry(wire::kArrayAppend, "e", 3)}, {}}}, alice_)).code,
      ErrorCode::kDataTooLarge);
  EXPECT_EQ(shard_.value_count(), 4u);
}

TEST_F(StorageShardTest, ErrorOrderTooOldBeforeTooLarge) {
  Ok(Store({{kSingleKind, 0, true, {Single("a", 100)}, {}}}, alice_));
  EXPECT_EQ(Err(Store({{kArrayKind, 0, true, {Entry(0, std::string(40, 'x'), 1)}, {}},
                       {kSingleKind, 0, true, {Single("b", 50)}, {}}},
                      alice_))
                .code,
            ErrorCode::kDataTooOld);
}

TEST_F(StorageShardTest, StoreIsAtomicAcrossKinds) {
  Ok(Store({{kSingleKind, 0, true, {Single("old", 1)}, {}}}, alice_));
  // The single kind would succeed; the array value is too large: nothing changes.
  EXPECT_EQ(
      Err(Store({{kSingleKind, 0, true, {Single("new", 2)}, {}},
                 {kArrayKind, 0, true, {Entry(0, "ok", 2), Entry(1, std::string(20, 'x'), 2)}, {}}},
                alice_))
          .code,
      ErrorCode::kDataTooLarge);
  const wire::FetchAns f = Fetch(
      alice_res_, {Spec(kSingleKind, DataModel::kSingle), Spec(kArrayKind, DataModel::kArray)});
  EXPECT_EQ(f.kind_responses[0].generation, 1u);
  EXPECT_EQ(f.kind_responses[0].values[0], Single("old", 1));
  EXPECT_EQ(f.kind_responses[1].generation, 0u);
  EXPECT_TRUE(f.kind_responses[1].values.empty());
  EXPECT_EQ(shard_.value_count(), 1u);
}

TEST_F(StorageShardTest, ArrayAppendTakesTheCurrentLength) {
  Ok(Store({{kArrayKind, 0, true, {Entry(wire::kArrayAppend, "a", 1)}, {}}}, alice_));
  Ok(Store({{kArrayKind,
             0,
             true,
             {Entry(wire::kArrayAppend, "b", 2), Entry(wire::kArrayAppend, "c", 2)},
             {}}},
           alice_));
  wire::StoredDataSpecifier spec = Spec(kArrayKind, DataModel::kArray);
  spec.indices = {{0, wire::kArrayLastIndex}};
  const wire::FetchAns f = Fetch(alice_res_, {spec});
  ASSERT_EQ(f.kind_responses[0].values.size(), 3u);
  EXPECT_EQ(f.kind_responses[0].values[0], Entry(0, "a", 1));
  EXPECT_EQ(f.kind_responses[0].values[1], Entry(1, "b", 2));
  EXPECT_EQ(f.kind_responses[0].values[2], Entry(2, "c", 2));
  EXPECT_EQ(f.kind_responses[0].generation, 2u);
}

TEST_F(StorageShardTest, ArrayRangesSynthesizeGaps) {
  Ok(Store({{kArrayKind, 0, true, {Entry(0, "a", 1), Entry(2, "c", 1), Entry(5, "f", 1)}, {}}},
           alice_));
  wire::StoredDataSpecifier spec = Spec(kArrayKind, DataModel::kArray);
  spec.indices = {{5, wire::kArrayLastIndex}, {0, 3}};
  const wire::FetchAns f = Fetch(alice_res_, {spec});
  const std::vector<StoredData>& v = f.kind_responses[0].values;
  ASSERT_EQ(v.size(), 5u);
  EXPECT_EQ(v[0], Entry(5, "f", 1));
  EXPECT_EQ(v[1], Entry(0, "a", 1));
  EXPECT_EQ(v[2].value, wire::StoredDataValue(ArrayEntry{1, DataValue{false, {}}}));
  EXPECT_TRUE(v[2].signature.IsAnonymous());
  EXPECT_EQ(v[3], Entry(2, "c", 1));
  EXPECT_EQ(v[4].value, wire::StoredDataValue(ArrayEntry{3, DataValue{false, {}}}));
}

TEST_F(StorageShardTest, ArrayRangesMustBeOrderedAndDisjoint) {
  wire::StoredDataSpecifier backwards = Spec(kArrayKind, DataModel::kArray);
  backwards.indices = {{3, 1}};
  wire::StoredDataSpecifier overlap = Spec(kArrayKind, DataModel::kArray);
  overlap.indices = {{0, 4}, {4, 6}};
  wire::StoredDataSpecifier overlap_last = Spec(kArrayKind, DataModel::kArray);
  overlap_last.indices = {{2, wire::kArrayLastIndex}, {7, 8}};
  for (const auto& spec : {backwards, overlap, overlap_last}) {
    EXPECT_EQ(Err(shard_.Fetch({alice_res_, {spec}}, kNow)).code, ErrorCode::kInvalidMessage);
    EXPECT_EQ(Err(shard_.Stat({alice_res_, {spec}}, kNow)).code, ErrorCode::kInvalidMessage);
  }
}

TEST_F(StorageShardTest, DictionaryWithAndWithoutKeys) {
  Ok(Store({{kDictKind,
             0,
             true,
             {Dict("zeta", "3", 1), Dict("alpha", "1", 1), Dict("mid", "2", 1)},
             {}}},
           alice_));
  wire::StoredDataSpecifier keyed = Spec(kDictKind, DataModel::kDictionary);
  keyed.keys = {Bytes("mid"), Bytes("nope")};
  const wire::FetchAns f = Fetch(alice_res_, {keyed, Spec(kDictKind, DataModel::kDictionary)});
  ASSERT_EQ(f.kind_responses.size(), 2u);
  const std::vector<StoredData>& k = f.kind_responses[0].values;
  ASSERT_EQ(k.size(), 2u);
  EXPECT_EQ(k[0], Dict("mid", "2", 1));
  EXPECT_EQ(k[1].value,
            wire::StoredDataValue(DictionaryEntry{Bytes("nope"), DataValue{false, {}}}));
  const std::vector<StoredData>& all = f.kind_responses[1].values;
  ASSERT_EQ(all.size(), 3u);  // sorted by key
  EXPECT_EQ(all[0], Dict("alpha", "1", 1));
  EXPECT_EQ(all[1], Dict("mid", "2", 1));
  EXPECT_EQ(all[2], Dict("zeta", "3", 1));
}

TEST_F(StorageShardTest, ExistsFalseRemovesByReplacementAndExpires) {
  Ok(Store({{kDictKind, 0, true, {Dict("k", "v", 1, 100)}, {}}}, alice_));
  Ok(Store({{kDictKind, 0, true, {Dict("k", "", 2, 200, false)}, {}}}, alice_));
  const wire::FetchAns f = Fetch(alice_res_, {Spec(kDictKind, DataModel::kDictionary)});
  ASSERT_EQ(f.kind_responses[0].values.size(), 1u);
  EXPECT_EQ(f.kind_responses[0].values[0], Dict("k", "", 2, 200, false));
  EXPECT_EQ(f.kind_responses[0].generation, 2u);
  // The tombstone is stored like any value, and expires.
  EXPECT_EQ(shard_.value_count(), 1u);
  const uint64_t later = kNow + 200'000;
  EXPECT_TRUE(Fetch(alice_res_, {Spec(kDictKind, DataModel::kDictionary)}, later)
                  .kind_responses[0]
                  .values.empty());
  shard_.Expire(later);
  EXPECT_EQ(shard_.value_count(), 0u);
  EXPECT_EQ(shard_.resource_count(), 0u);
}

TEST_F(StorageShardTest, ExpiredValuesAreNeitherReturnedNorCounted) {
  Ok(Store({{kArrayKind, 0, true, {Entry(0, "short", 1, 10), Entry(1, "long", 1, 100)}, {}}},
           alice_));
  wire::StoredDataSpecifier spec = Spec(kArrayKind, DataModel::kArray);
  spec.indices = {{0, wire::kArrayLastIndex}};
  wire::FetchAns f = Fetch(alice_res_, {spec}, kNow + 9'999);
  ASSERT_EQ(f.kind_responses[0].values.size(), 2u);
  EXPECT_EQ(f.kind_responses[0].values[0].lifetime, 1u);  // what remains, rounded up
  EXPECT_EQ(f.kind_responses[0].values[1].lifetime, 91u);
  f = Fetch(alice_res_, {spec}, kNow + 10'000);
  ASSERT_EQ(f.kind_responses[0].values.size(), 2u);
  EXPECT_FALSE(std::get<ArrayEntry>(f.kind_responses[0].values[0].value).value.exists);
  EXPECT_EQ(f.kind_responses[0].values[0].storage_time, 0u);
  // The expired slot is free: an older storage_time is accepted, and it does not count.
  Ok(Store({{kArrayKind, 0, true, {Entry(0, "again", 0), Entry(2, "x", 0), Entry(3, "y", 0)}, {}}},
           alice_, kNow + 10'000));
  shard_.Expire(kNow + 10'000);
  EXPECT_EQ(shard_.value_count(), 4u);
  shard_.Expire(kNow + 3'700'000);
  EXPECT_EQ(shard_.value_count(), 0u);
  EXPECT_EQ(shard_.resource_count(), 0u);
  // All values gone: the counter starts again.
  EXPECT_EQ(Fetch(alice_res_, {spec}, kNow + 3'700'000).kind_responses[0].generation, 0u);
}

TEST_F(StorageShardTest, ReplicaStoreAdoptsCounterAndLifetime) {
  const SignerInfo peer = User(kBob, 0xB2);  // the replicating peer, not the owner
  const wire::StoreAns ans = Ok(StoreAt(
      alice_res_, {{kSingleKind, 42, true, {Single("v", 7, 30)}, {}}}, peer, alice_, kNow, 1));
  EXPECT_EQ(ans.kind_responses[0].generation_counter, 42u);
  const wire::FetchAns f = Fetch(alice_res_, {Spec(kSingleKind, DataModel::kSingle)});
  EXPECT_EQ(f.kind_responses[0].generation, 42u);
  EXPECT_EQ(f.kind_responses[0].values[0].lifetime, 30u);
  EXPECT_EQ(Err(StoreAt(alice_res_, {{kSingleKind, 0, true, {Single("w", 8)}, {}}}, peer, alice_,
                        kNow, 2))
                .code,
            ErrorCode::kInvalidMessage);
  // The value signer is still checked on replicas.
  EXPECT_EQ(
      Err(StoreAt(alice_res_, {{kSingleKind, 50, true, {Single("w", 8)}, {}}}, peer, peer, kNow, 1))
          .code,
      ErrorCode::kForbidden);
  // An original store afterwards continues from the adopted counter.
  EXPECT_EQ(Ok(Store({{kSingleKind, 42, true, {Single("w", 8)}, {}}}, alice_))
                .kind_responses[0]
                .generation_counter,
            43u);
}

TEST_F(StorageShardTest, FetchWithCurrentGenerationReturnsNoValues) {
  Ok(Store({{kSingleKind, 0, true, {Single("v", 1)}, {}}}, alice_));
  const wire::FetchAns same = Fetch(alice_res_, {Spec(kSingleKind, DataModel::kSingle, 1)});
  EXPECT_EQ(same.kind_responses[0].generation, 1u);
  EXPECT_TRUE(same.kind_responses[0].values.empty());
  const wire::FetchAns older = Fetch(alice_res_, {Spec(kSingleKind, DataModel::kSingle, 7)});
  EXPECT_EQ(older.kind_responses[0].values.size(), 1u);
}

std::vector<uint8_t> ExpectedHash(const std::string& value) {
  std::vector<uint8_t> input = {
      static_cast<uint8_t>(value.size() >> 24), static_cast<uint8_t>(value.size() >> 16),
      static_cast<uint8_t>(value.size() >> 8), static_cast<uint8_t>(value.size())};
  input.insert(input.end(), value.begin(), value.end());
  std::vector<uint8_t> out(SHA256_DIGEST_LENGTH);
  SHA256(input.data(), input.size(), out.data());
  return out;
}

TEST_F(StorageShardTest, StatHashesLengthPrefixedValues) {
  Ok(Store({{kSingleKind, 0, true, {Single("hello", 5, 60)}, {}},
            {kArrayKind, 0, true, {Entry(1, "abc", 6, 60)}, {}}},
           alice_));
  wire::StoredDataSpecifier array = Spec(kArrayKind, DataModel::kArray);
  array.indices = {{0, 1}};
  const auto r = shard_.Stat({alice_res_, {Spec(kSingleKind, DataModel::kSingle), array}}, kNow);
  ASSERT_TRUE(std::holds_alternative<wire::StatAns>(r));
  const wire::StatAns& s = std::get<wire::StatAns>(r);
  ASSERT_EQ(s.kind_responses.size(), 2u);
  ASSERT_EQ(s.kind_responses[0].values.size(), 1u);
  const wire::StoredMetaData& single = s.kind_responses[0].values[0];
  EXPECT_EQ(single.storage_time, 5u);
  EXPECT_EQ(single.lifetime, 60u);
  const auto& m = std::get<wire::MetaData>(single.metadata);
  EXPECT_TRUE(m.exists);
  EXPECT_EQ(m.value_length, 5u);
  EXPECT_EQ(m.hash_algorithm, wire::kHashSha256);
  EXPECT_EQ(m.hash_value, ExpectedHash("hello"));
  ASSERT_EQ(s.kind_responses[1].values.size(), 2u);
  const auto& gap = std::get<wire::ArrayEntryMeta>(s.kind_responses[1].values[0].metadata);
  EXPECT_EQ(gap.index, 0u);
  EXPECT_FALSE(gap.value.exists);
  EXPECT_EQ(gap.value.hash_value, ExpectedHash(""));
  const auto& one = std::get<wire::ArrayEntryMeta>(s.kind_responses[1].values[1].metadata);
  EXPECT_EQ(one.index, 1u);
  EXPECT_EQ(one.value.value_length, 3u);
  EXPECT_EQ(one.value.hash_value, ExpectedHash("abc"));
}

TEST_F(StorageShardTest, FindClosestClockwiseWithWraparound) {
  std::vector<ResourceId> stored;
  for (int i = 0; i < 5; ++i) {
    const SignerInfo u = User("user" + std::to_string(i) + "@dht.example.com");
    Ok(Store({{kSingleKind, 0, true, {Single("v", 1)}, {}}}, u));
    stored.push_back(Res(u.user_name));
  }
  std::sort(stored.begin(), stored.end());
  auto find = [&](const ResourceId& at, std::vector<uint32_t> kinds) {
    const auto r = shard_.Find({at, std::move(kinds)}, kNow);
    EXPECT_TRUE(std::holds_alternative<wire::FindAns>(r));
    return std::holds_alternative<wire::FindAns>(r) ? std::get<wire::FindAns>(r) : wire::FindAns{};
  };
  // Exactly at a stored id: that id.
  EXPECT_EQ(find(stored[2], {kSingleKind}).results[0].closest, stored[2]);
  // Just after stored[1]: stored[2].
  std::vector<uint8_t> after(stored[1].bytes().begin(), stored[1].bytes().end());
  after.back() += 1;
  EXPECT_EQ(find(ResourceId(after), {kSingleKind}).results[0].closest, stored[2]);
  // Past the largest: wraps to the smallest.
  std::vector<uint8_t> past(stored[4].bytes().begin(), stored[4].bytes().end());
  past.back() += 1;
  ASSERT_NE(past.back(), 0);  // no carry in this fixed data
  const wire::FindAns a = find(ResourceId(past), {kSingleKind, kArrayKind, 0xF0000099u});
  ASSERT_EQ(a.results.size(), 3u);
  EXPECT_EQ(a.results[0].kind, kSingleKind);
  EXPECT_EQ(a.results[0].closest, stored[0]);
  EXPECT_TRUE(a.results[1].closest.empty());  // known kind, nothing stored
  EXPECT_TRUE(a.results[2].closest.empty());  // unknown kind
  EXPECT_EQ(Err(shard_.Find({stored[0], {kSingleKind, kArrayKind, kSingleKind}}, kNow)).code,
            ErrorCode::kInvalidMessage);
  // Expired values are not found.
  const auto expired = shard_.Find({stored[0], {kSingleKind}}, kNow + 3'600'000);
  ASSERT_TRUE(std::holds_alternative<wire::FindAns>(expired));
  EXPECT_TRUE(std::get<wire::FindAns>(expired).results[0].closest.empty());
}

TEST_F(StorageShardTest, MemoryBytesPerRecord) {
  constexpr int kRecords = 10'000;
  size_t payload = 0;  // value bytes plus encoded signature bytes
  for (int i = 0; i < kRecords; ++i) {
    const SignerInfo u = User("u" + std::to_string(i) + "@dht.example.com");
    const StoredData sd = Single("0123456789abcdef", 1);
    std::vector<uint8_t> sig;
    wire::ByteWriter w(&sig);
    wire::Encode(w, sd.signature);
    payload += std::get<DataValue>(sd.value).value.size() + sig.size();
    Ok(Store({{kSingleKind, 0, true, {sd}, {}}}, u));
  }
  ASSERT_EQ(shard_.value_count(), static_cast<size_t>(kRecords));
  const double per_record = static_cast<double>(shard_.MemoryBytes()) / kRecords;
  const double overhead = static_cast<double>(shard_.MemoryBytes() - payload) / kRecords;
  std::printf("StorageShard: %.1f bytes/record, %.1f beyond value and signature (%d records)\n",
              per_record, overhead, kRecords);
  EXPECT_LT(per_record, 512.0);
}

// --- Replica stores merge (digest §15.3) ------------------------------------------------------

TEST_F(StorageShardTest, ReplicaStoreMergesKeepingTheNewestValue) {
  const SignerInfo peer = User(kBob, 0xB2);  // the replicating peer
  auto replica = [&](uint64_t generation, StoredData sd) {
    return Ok(StoreAt(alice_res_, {{kSingleKind, generation, true, {std::move(sd)}, {}}}, peer,
                      alice_, kNow, 1))
        .kind_responses[0]
        .generation_counter;
  };
  auto held = [&] {
    return Fetch(alice_res_, {Spec(kSingleKind, DataModel::kSingle)}).kind_responses[0];
  };
  Ok(Store({{kSingleKind, 0, true, {Single("a", 100)}, {}}}, alice_));  // counter 1
  // Equal storage_time: skipped, no error; the counter becomes the larger one.
  EXPECT_EQ(replica(5, Single("b", 100)), 5u);
  EXPECT_EQ(held().values[0], Single("a", 100));
  EXPECT_EQ(held().generation, 5u);
  // Older: skipped; a smaller counter does not lower it.
  EXPECT_EQ(replica(3, Single("c", 90)), 5u);
  EXPECT_EQ(held().values[0], Single("a", 100));
  EXPECT_EQ(held().generation, 5u);
  // Newer: replaces.
  EXPECT_EQ(replica(4, Single("d", 110)), 5u);
  EXPECT_EQ(held().values[0], Single("d", 110));
  EXPECT_EQ(held().generation, 5u);
  EXPECT_EQ(replica(9, Single("e", 120)), 9u);
  EXPECT_EQ(held().values[0], Single("e", 120));
  EXPECT_EQ(held().generation, 9u);
  EXPECT_EQ(shard_.value_count(), 1u);
}

TEST_F(StorageShardTest, ReplicaStoreMergesPerSlot) {
  const SignerInfo peer = User(kBob, 0xB2);
  Ok(Store({{kArrayKind, 0, true, {Entry(0, "x", 50), Entry(1, "y", 50)}, {}}}, alice_));
  // Index 0 older (kept), index 1 newer (replaced), index 2 new (added).
  Ok(StoreAt(
      alice_res_,
      {{kArrayKind, 2, true, {Entry(0, "old", 40), Entry(1, "new", 60), Entry(2, "z", 1)}, {}}},
      peer, alice_, kNow, 2));
  wire::StoredDataSpecifier spec = Spec(kArrayKind, DataModel::kArray);
  spec.indices = {{0, wire::kArrayLastIndex}};
  const wire::FetchAns f = Fetch(alice_res_, {spec});
  ASSERT_EQ(f.kind_responses[0].values.size(), 3u);
  EXPECT_EQ(f.kind_responses[0].values[0], Entry(0, "x", 50));
  EXPECT_EQ(f.kind_responses[0].values[1], Entry(1, "new", 60));
  EXPECT_EQ(f.kind_responses[0].values[2], Entry(2, "z", 1));
  EXPECT_EQ(f.kind_responses[0].generation, 2u);
}

TEST_F(StorageShardTest, ReplicaStoreOfOnlyStaleValuesChangesNothingButTheCounter) {
  const SignerInfo peer = User(kBob, 0xB2);
  Ok(Store({{kSingleKind, 0, true, {Single("a", 100, 3600)}, {}}}, alice_));
  Ok(StoreAt(alice_res_, {{kSingleKind, 1, true, {Single("a", 100, 30)}, {}}}, peer, alice_,
             kNow + 1000, 1));
  // The lifetime is that of the value kept, not of the skipped copy.
  EXPECT_EQ(Fetch(alice_res_, {Spec(kSingleKind, DataModel::kSingle)}, kNow + 1000)
                .kind_responses[0]
                .values[0]
                .lifetime,
            3599u);
  EXPECT_EQ(shard_.value_count(), 1u);
}

TEST_F(StorageShardTest, OriginalStoreStillRejectsEqualStorageTimeAfterAReplica) {
  const SignerInfo peer = User(kBob, 0xB2);
  Ok(StoreAt(alice_res_, {{kSingleKind, 3, true, {Single("r", 100)}, {}}}, peer, alice_, kNow, 1));
  EXPECT_EQ(Err(Store({{kSingleKind, 0, true, {Single("o", 100)}, {}}}, alice_)).code,
            ErrorCode::kDataTooOld);
  EXPECT_EQ(Err(Store({{kSingleKind, 0, true, {Single("o", 99)}, {}}}, alice_)).code,
            ErrorCode::kDataTooOld);
  EXPECT_EQ(Ok(Store({{kSingleKind, 0, true, {Single("o", 101)}, {}}}, alice_))
                .kind_responses[0]
                .generation_counter,
            4u);
}

// --- ExportReplica, ResourceIds, Erase --------------------------------------------------------

TEST_F(StorageShardTest, ExportReplicaRoundTripsIntoAnotherShard) {
  Ok(Store({{kSingleKind, 0, true, {Single("one", 10, 600)}, {}},
            {kArrayKind, 0, true, {Entry(0, "a", 10, 600), Entry(3, "d", 10, 60)}, {}},
            {kDictKind, 0, true, {Dict("k1", "v1", 10, 600), Dict("k2", "", 10, 600, false)}, {}}},
           alice_));
  Ok(Store({{kSingleKind, 0, true, {Single("two", 20, 600)}, {}}}, alice_));  // counter 2

  const uint64_t later = kNow + 10'000;
  const wire::StoreReq req = shard_.ExportReplica(alice_res_, 1, later);
  EXPECT_EQ(req.resource, alice_res_);
  EXPECT_EQ(req.replica_number, 1u);
  ASSERT_EQ(req.kind_data.size(), 3u);
  for (const wire::StoreKindData& kd : req.kind_data) {
    EXPECT_EQ(kd.generation_counter, kd.kind == kSingleKind ? 2u : 1u) << kd.kind;
    for (const StoredData& sd : kd.values) {
      EXPECT_EQ(sd.signature, Sig());
      EXPECT_LE(sd.lifetime, 590u);  // what is left of it
    }
  }

  StorageShard other(&kinds_);
  std::vector<std::vector<SignerInfo>> signers;
  for (const wire::StoreKindData& kd : req.kind_data)
    signers.emplace_back(kd.values.size(), alice_);
  const auto stored = other.Store(req, User(kBob, 0xB2), signers, later);
  ASSERT_TRUE(std::holds_alternative<wire::StoreAns>(stored))
      << std::get<StorageError>(stored).reason;
  EXPECT_EQ(other.value_count(), shard_.value_count());

  wire::StoredDataSpecifier array = Spec(kArrayKind, DataModel::kArray);
  array.indices = {{0, wire::kArrayLastIndex}};
  const std::vector<wire::StoredDataSpecifier> specs = {
      Spec(kSingleKind, DataModel::kSingle), array, Spec(kDictKind, DataModel::kDictionary)};
  for (const uint64_t t : {later, later + 30'000, later + 100'000}) {
    const auto a = shard_.Fetch({alice_res_, specs}, t);
    const auto b = other.Fetch({alice_res_, specs}, t);
    ASSERT_TRUE(std::holds_alternative<wire::FetchAns>(a));
    ASSERT_TRUE(std::holds_alternative<wire::FetchAns>(b));
    EXPECT_EQ(std::get<wire::FetchAns>(b), std::get<wire::FetchAns>(a)) << t;
  }
  const wire::FetchAns f = Fetch(alice_res_, specs, later);
  EXPECT_EQ(f.kind_responses[0].values[0], Single("two", 20, 590));
  EXPECT_EQ(f.kind_responses[1].values.size(), 4u);  // 0, gaps 1 and 2, 3
}

TEST_F(StorageShardTest, ExportReplicaLifetimeShrinksAndExpiredValuesStayBehind) {
  Ok(Store({{kArrayKind, 0, true, {Entry(0, "short", 1, 10), Entry(1, "long", 1, 100)}, {}}},
           alice_));
  auto lifetimes = [&](uint64_t now) {
    std::vector<uint32_t> out;
    const wire::StoreReq req = shard_.ExportReplica(alice_res_, 2, now);
    for (const wire::StoreKindData& kd : req.kind_data) {
      for (const StoredData& sd : kd.values) out.push_back(sd.lifetime);
    }
    return out;
  };
  EXPECT_EQ(lifetimes(kNow), (std::vector<uint32_t>{10, 100}));
  EXPECT_EQ(lifetimes(kNow + 5'000), (std::vector<uint32_t>{5, 95}));
  EXPECT_EQ(lifetimes(kNow + 10'000), (std::vector<uint32_t>{90}));  // "short" has expired
  const wire::StoreReq req = shard_.ExportReplica(alice_res_, 2, kNow + 10'000);
  ASSERT_EQ(req.kind_data.size(), 1u);
  ASSERT_EQ(req.kind_data[0].values.size(), 1u);
  EXPECT_EQ(req.kind_data[0].values[0], Entry(1, "long", 1, 90));
  // Everything expired, or nothing held: no kind data at all.
  EXPECT_TRUE(shard_.ExportReplica(alice_res_, 1, kNow + 100'000).kind_data.empty());
  const wire::StoreReq none = shard_.ExportReplica(Res(kBob), 1, kNow);
  EXPECT_TRUE(none.kind_data.empty());
  EXPECT_EQ(none.resource, Res(kBob));
}

TEST_F(StorageShardTest, ResourceIdsAndErase) {
  EXPECT_TRUE(shard_.ResourceIds().empty());
  std::vector<ResourceId> expected;
  for (int i = 0; i < 3; ++i) {
    const SignerInfo u = User("user" + std::to_string(i) + "@dht.example.com");
    Ok(Store({{kSingleKind, 0, true, {Single("v", 1)}, {}}}, u));
    expected.push_back(Res(u.user_name));
  }
  auto sorted = [](std::vector<ResourceId> ids) {
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  EXPECT_EQ(sorted(shard_.ResourceIds()), sorted(expected));

  const SignerInfo u1 = User("user1@dht.example.com");
  shard_.Erase(expected[1]);
  EXPECT_EQ(shard_.resource_count(), 2u);
  EXPECT_EQ(shard_.value_count(), 2u);
  EXPECT_EQ(sorted(shard_.ResourceIds()), sorted({expected[0], expected[2]}));
  const wire::FetchAns f = Fetch(expected[1], {Spec(kSingleKind, DataModel::kSingle)});
  ASSERT_EQ(f.kind_responses.size(), 1u);
  EXPECT_EQ(f.kind_responses[0].generation, 0u);
  ASSERT_EQ(f.kind_responses[0].values.size(), 1u);
  EXPECT_FALSE(std::get<DataValue>(f.kind_responses[0].values[0].value).exists);
  shard_.Erase(expected[1]);  // already gone: nothing happens
  shard_.Erase(Res(kBob));
  EXPECT_EQ(shard_.resource_count(), 2u);
  // An erased Resource-ID starts afresh: an older storage_time is accepted, the counter is 1.
  const wire::StoreAns again = Ok(Store({{kSingleKind, 0, true, {Single("w", 0)}, {}}}, u1));
  ASSERT_EQ(again.kind_responses.size(), 1u);
  EXPECT_EQ(again.kind_responses[0].generation_counter, 1u);
}

}  // namespace
}  // namespace p2psip::core::storage

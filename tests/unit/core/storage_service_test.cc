// StorageService: storage at one peer (RFC 6940 §7) and replication (§10.4), driven through a
// fake Topology (neighbours set by the test) and a fake StorageHost that records the replica
// stores the service sends.
#include "core/storage_service.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "p2psip/core/storage/kinds.h"
#include "p2psip/wire/codec.h"
#include "p2psip/wire/hashes.h"
#include "p2psip/wire/stored_data.h"

namespace p2psip::core {
namespace {

using storage::StorageError;
using storage::StorageResult;
using wire::ArrayEntry;
using wire::DataModel;
using wire::DataValue;
using wire::DictionaryEntry;
using wire::ErrorCode;
using wire::MessageCode;
using wire::StoredData;

constexpr uint64_t kNow = 1'700'000'000'000;
constexpr uint64_t kHold = 30'000;
constexpr uint32_t kTurn = wire::kKindTurnService;
constexpr uint32_t kSip = wire::kKindSipRegistration;
constexpr uint32_t kCertByNode = wire::kKindCertificateByNode;

NodeId Id(uint8_t b) { return NodeId(std::vector<uint8_t>(16, b)); }

// r + d on the ring (d may be negative).
RingId Off(RingId r, int d) {
  return d >= 0 ? r + static_cast<uint64_t>(d) : r - RingId(static_cast<RingId::U128>(-d));
}

// The i-th NODE-MULTIPLE Resource-ID of `node`: H(Node-ID ‖ i) (digest §15.5).
ResourceId TurnRes(const NodeId& node, uint8_t i) {
  std::vector<uint8_t> in(node.bytes().begin(), node.bytes().end());
  in.push_back(i);
  return wire::ChordResourceId(in);
}

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

// A node that writes values: its SimulationSigner and what a verifier learns about it.
struct Writer {
  explicit Writer(uint8_t fill, std::string user = "")
      : id(Id(fill)), signer(id, user), info{id, {id}, user} {}
  StoredData Sign(const ResourceId& res, uint32_t kind, uint64_t storage_time,
                  wire::StoredDataValue value, uint32_t lifetime = 3600) {
    std::vector<uint8_t> in;
    wire::StoredDataSignatureInput(res.bytes(), kind, storage_time, value, &in);
    return StoredData{storage_time, lifetime, std::move(value), signer.Sign(in)};
  }
  StoredData Single(const ResourceId& res, const std::string& v, uint64_t storage_time,
                    uint32_t lifetime = 3600) {
    return Sign(res, kTurn, storage_time, DataValue{true, Bytes(v)}, lifetime);
  }
  NodeId id;
  SimulationSigner signer;
  SignerInfo info;
};

// What a peer's certificate says (the request signer of a replica store).
SignerInfo Peer(RingId r) { return SignerInfo{r.ToNodeId(), {r.ToNodeId()}, ""}; }

wire::StoreReq Req(const ResourceId& res, uint32_t kind, std::vector<StoredData> values,
                   uint8_t replica = 0, uint64_t generation = 0) {
  wire::StoreReq req;
  req.resource = res;
  req.replica_number = replica;
  req.kind_data.push_back({kind, generation, true, std::move(values), {}});
  return req;
}

wire::StoredDataSpecifier Spec(uint32_t kind, DataModel model) {
  wire::StoredDataSpecifier s;
  s.kind = kind;
  s.model = model;
  return s;
}

class FakeTopology final : public Topology {
 public:
  explicit FakeTopology(RingId self) : self_(self) {}

  bool IsResponsible(RingId id) const override {
    if (responsible) return *responsible;
    return preds.empty() || InHalfOpen(id, preds[0], self_);
  }
  std::optional<RingId> NextHop(RingId) const override { return std::nullopt; }
  void Start(uint64_t, Outbox*) override {}
  void OnLinkUp(LinkId, const NodeId&, uint64_t, Outbox*) override {}
  void OnLinkDown(LinkId, const NodeId&, uint64_t, Outbox*) override {}
  absl::Status HandleRequest(const InboundRequest&, wire::Body*, Outbox*) override {
    return absl::UnimplementedError("fake");
  }
  void OnAnswer(const InboundAnswer&, Outbox*) override {}
  uint64_t NextDeadline() const override { return UINT64_MAX; }
  void OnTimer(uint64_t, Outbox*) override {}
  void Leave(uint64_t, Outbox*) override {}
  std::span<const RingId> predecessors() const override { return preds; }
  std::span<const RingId> successors() const override { return succs; }
  // The lists are assigned directly by the tests: a version made of their contents.
  uint64_t neighbors_version() const override {
    uint64_t h = 0xCBF29CE484222325ull;
    for (const auto* list : {&preds, &succs}) {
      h = (h ^ list->size()) * 0x100000001B3ull;
      for (RingId r : *list) h = ((h ^ r.hi()) * 0x100000001B3ull ^ r.lo()) * 0x100000001B3ull;
    }
    return h;
  }
  bool joined() const override { return true; }
  size_t MemoryBytes() const override { return 0; }

  std::vector<RingId> preds, succs;  // closest first
  std::optional<bool> responsible;   // overrides "id in (preds[0], self]"

 private:
  RingId self_;
};

// A SimulationSigner whose verifications also hand out a "certificate" (the bytes "cert:" and
// the signer's Node-ID), as CertificateSigner hands out the X.509 DER, so that the service's
// retention of certificates can be observed.
class CertifyingSigner final : public Signer {
 public:
  explicit CertifyingSigner(NodeId self) : inner_(std::move(self)) {}
  static std::vector<uint8_t> CertOf(const NodeId& id) {
    std::vector<uint8_t> der = Bytes("cert:");
    der.insert(der.end(), id.bytes().begin(), id.bytes().end());
    return der;
  }
  wire::Signature Sign(std::span<const uint8_t> input) override { return inner_.Sign(input); }
  std::optional<SignerInfo> Verify(std::span<const uint8_t> input, const wire::Signature& signature,
                                   std::span<const wire::GenericCertificate> certs) override {
    std::optional<SignerInfo> info = inner_.Verify(input, signature, certs);
    if (info)
      info->certificate = std::make_shared<const std::vector<uint8_t>>(CertOf(info->node_id));
    return info;
  }

 private:
  SimulationSigner inner_;
};

std::vector<wire::GenericCertificate> CertsOf(std::initializer_list<NodeId> ids) {
  std::vector<wire::GenericCertificate> out;
  for (const NodeId& id : ids) out.push_back({0, CertifyingSigner::CertOf(id)});
  return out;
}

class FakeHost final : public StorageHost {
 public:
  struct Sent {
    NodeId peer;
    wire::StoreReq request;
    std::vector<wire::GenericCertificate> certificates;
  };
  explicit FakeHost(RingId self) : topo(self), signer_(self.ToNodeId()) {}
  const Topology& topology() const override { return topo; }
  Signer& signer() override { return signer_; }
  void SendReplica(const NodeId& peer, const wire::StoreReq& request,
                   std::span<const wire::GenericCertificate> certificates, uint64_t,
                   Outbox*) override {
    sent.push_back({peer, request, {certificates.begin(), certificates.end()}});
  }

  FakeTopology topo;
  std::vector<Sent> sent;

 private:
  CertifyingSigner signer_;
};

// One storage service at ring position `self` with its fakes.
struct Rig {
  explicit Rig(RingId self_id, size_t shards = 1) : self(self_id), host(self_id) {
    config.id = self.ToNodeId();
    config.replica_holddown_ms = kHold;
    config.storage_shards = shards;
    service = std::make_unique<StorageService>(config, &kinds, &host, &counters);
  }

  StorageResult<wire::Body> Handle(MessageCode code, const wire::Body& body,
                                   const SignerInfo& signer, uint64_t now = kNow) {
    return service->Handle(static_cast<uint16_t>(code), body, signer, {}, now, &out);
  }
  StorageResult<wire::Body> Store(const wire::StoreReq& req, const SignerInfo& signer,
                                  uint64_t now = kNow) {
    return Handle(MessageCode::kStoreReq, req, signer, now);
  }
  wire::FetchAns Fetch(const ResourceId& res, uint32_t kind, DataModel model, uint64_t now = kNow) {
    auto r = service->FetchLocal(wire::FetchReq{res, {Spec(kind, model)}}, now);
    EXPECT_TRUE(std::holds_alternative<wire::FetchAns>(r));
    return std::holds_alternative<wire::FetchAns>(r) ? std::get<wire::FetchAns>(r)
                                                     : wire::FetchAns{};
  }
  // The stored single value of `kind` at `res`, if any.
  std::optional<StoredData> Held(const ResourceId& res, uint32_t kind = kTurn,
                                 uint64_t now = kNow) {
    const wire::FetchAns f = Fetch(res, kind, DataModel::kSingle, now);
    if (f.kind_responses.empty() || f.kind_responses[0].values.empty()) return std::nullopt;
    const StoredData& sd = f.kind_responses[0].values[0];
    if (!std::get<DataValue>(sd.value).exists) return std::nullopt;
    return sd;
  }
  // The neighbour set, then a settled maintenance pass so that later changes are compared
  // against it; the replica stores it sent are forgotten.
  void Settle(std::vector<RingId> preds, std::vector<RingId> succs, uint64_t now = kNow) {
    host.topo.preds = std::move(preds);
    host.topo.succs = std::move(succs);
    service->CheckNeighbours(now);
    service->OnTimer(now + kHold, &out);
    host.sent.clear();
  }

  RingId self;
  NodeConfig config;
  storage::KindRegistry kinds = storage::KindRegistry::WithBuiltins();
  FakeHost host;
  NodeCounters counters;
  std::unique_ptr<StorageService> service;
  Outbox out;
};

wire::StoreAns OkStore(const StorageResult<wire::Body>& r) {
  const auto* error = std::get_if<StorageError>(&r);
  EXPECT_EQ(error, nullptr) << (error != nullptr ? error->reason : "");
  if (error != nullptr) return {};
  const auto* ans = std::get_if<wire::StoreAns>(&std::get<wire::Body>(r));
  EXPECT_NE(ans, nullptr);
  return ans != nullptr ? *ans : wire::StoreAns{};
}

StorageError Err(const StorageResult<wire::Body>& r) {
  EXPECT_TRUE(std::holds_alternative<StorageError>(r));
  return std::holds_alternative<StorageError>(r) ? std::get<StorageError>(r) : StorageError{};
}

// --- Store at the responsible peer -----------------------------------------------------------

class StorageServiceTest : public ::testing::Test {
 protected:
  // Self just after the writer's first TURN resource, with three predecessors and successors
  // around it.
  StorageServiceTest()
      : writer_(0xC1), res_(TurnRes(writer_.id, 1)), x_(RingId::Of(res_)), rig_(Off(x_, 100)) {
    preds_ = {Off(x_, -100), Off(x_, -200), Off(x_, -300)};
    succs_ = {Off(x_, 200), Off(x_, 300), Off(x_, 400)};
    rig_.Settle(preds_, succs_);
  }

  Writer writer_;
  ResourceId res_;
  RingId x_;
  Rig rig_;
  std::vector<RingId> preds_, succs_;
};

TEST_F(StorageServiceTest, OriginalStoreAppliesAndReplicatesToTwoSuccessors) {
  const StoredData sd = writer_.Single(res_, "turn:1", 100);
  const wire::StoreAns ans = OkStore(rig_.Store(Req(res_, kTurn, {sd}), writer_.info));
  ASSERT_EQ(ans.kind_responses.size(), 1u);
  EXPECT_EQ(ans.kind_responses[0].generation_counter, 1u);
  EXPECT_EQ(ans.kind_responses[0].replicas,
            (std::vector<NodeId>{succs_[0].ToNodeId(), succs_[1].ToNodeId()}));
  EXPECT_EQ(rig_.counters.stores_applied, 1u);
  EXPECT_EQ(rig_.counters.replica_stores_sent, 2u);
  ASSERT_TRUE(rig_.Held(res_).has_value());
  EXPECT_EQ(rig_.Held(res_)->value, sd.value);

  ASSERT_EQ(rig_.host.sent.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const FakeHost::Sent& s = rig_.host.sent[i];
    EXPECT_EQ(s.peer, succs_[i].ToNodeId());
    EXPECT_EQ(s.request.resource, res_);
    EXPECT_EQ(s.request.replica_number, i + 1);
    ASSERT_EQ(s.request.kind_data.size(), 1u);
    EXPECT_EQ(s.request.kind_data[0].kind, kTurn);
    EXPECT_EQ(s.request.kind_data[0].generation_counter, 1u);
    ASSERT_EQ(s.request.kind_data[0].values.size(), 1u);
    const StoredData& copy = s.request.kind_data[0].values[0];
    EXPECT_EQ(copy.value, sd.value);
    EXPECT_EQ(copy.storage_time, sd.storage_time);
    EXPECT_EQ(copy.signature, sd.signature);  // the writer's, not the replicating peer's
    EXPECT_EQ(copy.lifetime, sd.lifetime);
  }

  // A newer value: the copies carry the new counter.
  rig_.host.sent.clear();
  const StoredData newer = writer_.Single(res_, "turn:2", 200);
  EXPECT_EQ(OkStore(rig_.Store(Req(res_, kTurn, {newer}), writer_.info))
                .kind_responses[0]
                .generation_counter,
            2u);
  ASSERT_EQ(rig_.host.sent.size(), 2u);
  for (const FakeHost::Sent& s : rig_.host.sent) {
    EXPECT_EQ(s.request.kind_data[0].generation_counter, 2u);
    EXPECT_EQ(s.request.kind_data[0].values[0].signature, newer.signature);
  }
}

TEST_F(StorageServiceTest, SignersCertificateIsRetainedAndTravelsWithTheValue) {
  OkStore(rig_.Store(Req(res_, kTurn, {writer_.Single(res_, "turn:1", 100)}), writer_.info));
  EXPECT_EQ(rig_.service->certificate_count(), 1u);
  // The replica stores carry it, so the successors can verify a signer they never met.
  ASSERT_EQ(rig_.host.sent.size(), 2u);
  for (const FakeHost::Sent& sent : rig_.host.sent) {
    EXPECT_EQ(sent.certificates, CertsOf({writer_.id}));
  }
  // A second value by the same signer adds no second copy of the certificate.
  OkStore(rig_.Store(Req(res_, kTurn, {writer_.Single(res_, "turn:2", 200)}), writer_.info));
  EXPECT_EQ(rig_.service->certificate_count(), 1u);
  // So does the FetchAns: the certificate of the signer of each value returned, once.
  std::vector<wire::GenericCertificate> carried;
  auto fetched = rig_.service->Handle(static_cast<uint16_t>(MessageCode::kFetchReq),
                                      wire::FetchReq{res_, {Spec(kTurn, DataModel::kSingle)}},
                                      SignerInfo{}, {}, kNow, &rig_.out, &carried);
  ASSERT_TRUE(std::holds_alternative<wire::Body>(fetched));
  EXPECT_EQ(carried, CertsOf({writer_.id}));
  // A fetch of a Resource-ID with nothing stored carries none.
  carried.clear();
  const ResourceId empty = TurnRes(writer_.id, 2);
  rig_.host.topo.responsible = true;
  rig_.service->Handle(static_cast<uint16_t>(MessageCode::kFetchReq),
                       wire::FetchReq{empty, {Spec(kTurn, DataModel::kSingle)}}, SignerInfo{}, {},
                       kNow, &rig_.out, &carried);
  EXPECT_TRUE(carried.empty());
}

TEST_F(StorageServiceTest, CertificatesOfExpiredValuesAreReleased) {
  rig_.host.topo.responsible = true;
  Writer other(0xD2);
  const ResourceId other_res = TurnRes(other.id, 1);
  OkStore(rig_.Store(Req(res_, kTurn, {writer_.Single(res_, "short", 100, 10)}), writer_.info));
  OkStore(
      rig_.Store(Req(other_res, kTurn, {other.Single(other_res, "long", 100, 3600)}), other.info));
  EXPECT_EQ(rig_.service->certificate_count(), 2u);
  // After the first value's lifetime, the next expiry pass keeps only the live signer's.
  rig_.service->OnTimer(kNow + 120'000, &rig_.out);
  EXPECT_EQ(rig_.service->certificate_count(), 1u);
  std::vector<wire::GenericCertificate> carried;
  rig_.service->Handle(static_cast<uint16_t>(MessageCode::kFetchReq),
                       wire::FetchReq{other_res, {Spec(kTurn, DataModel::kSingle)}}, SignerInfo{},
                       {}, kNow + 120'000, &rig_.out, &carried);
  EXPECT_EQ(carried, CertsOf({other.id}));
}

TEST_F(StorageServiceTest, OriginalStoreWhenNotResponsibleIsForbidden) {
  rig_.host.topo.responsible = false;
  const StorageError e =
      Err(rig_.Store(Req(res_, kTurn, {writer_.Single(res_, "v", 100)}), writer_.info));
  EXPECT_EQ(e.code, ErrorCode::kForbidden);
  EXPECT_EQ(rig_.service->value_count(), 0u);
  EXPECT_TRUE(rig_.host.sent.empty());
  EXPECT_EQ(rig_.counters.storage_errors, 1u);
  EXPECT_EQ(rig_.counters.stores_applied, 0u);
}

TEST_F(StorageServiceTest, ReplicaStoreFromANonNeighbourIsForbidden) {
  const StorageError e = Err(
      rig_.Store(Req(res_, kTurn, {writer_.Single(res_, "v", 100)}, 1, 1), Peer(Off(x_, 5000))));
  EXPECT_EQ(e.code, ErrorCode::kForbidden);
  EXPECT_EQ(rig_.service->value_count(), 0u);
  // Not even the writer itself may send a replica store unless it is a neighbour.
  EXPECT_EQ(
      Err(rig_.Store(Req(res_, kTurn, {writer_.Single(res_, "v", 100)}, 1, 1), writer_.info)).code,
      ErrorCode::kForbidden);
}

TEST_F(StorageServiceTest, ReplicaStoreFromAPeerCloserThanTheFurthestPredecessorIsPlausible) {
  // A peer between our furthest known predecessor and us may be one we have not learned of.
  OkStore(
      rig_.Store(Req(res_, kTurn, {writer_.Single(res_, "v", 100)}, 1, 1), Peer(Off(x_, -150))));
  // While fewer than three predecessors are known, any peer is plausible.
  rig_.host.topo.preds = {preds_[0], preds_[1]};
  OkStore(
      rig_.Store(Req(res_, kTurn, {writer_.Single(res_, "w", 200)}, 1, 1), Peer(Off(x_, 5000))));
  EXPECT_EQ(rig_.counters.stores_applied, 2u);
}

TEST_F(StorageServiceTest, ReplicaStoreFromANeighbourIsAppliedAndNotReplicatedFurther) {
  // A Resource-ID the predecessor is responsible for: we hold its first replica.
  rig_.host.topo.responsible = false;
  for (const RingId from : {preds_[0], succs_[2]}) {
    rig_.host.sent.clear();
    const StoredData sd = writer_.Single(res_, "v", from == preds_[0] ? 100 : 200);
    const wire::StoreAns ans = OkStore(rig_.Store(Req(res_, kTurn, {sd}, 1, 7), Peer(from)));
    ASSERT_EQ(ans.kind_responses.size(), 1u);
    EXPECT_TRUE(ans.kind_responses[0].replicas.empty());
    EXPECT_EQ(ans.kind_responses[0].generation_counter, 7u);
    EXPECT_TRUE(rig_.host.sent.empty());
    ASSERT_TRUE(rig_.Held(res_).has_value());
    EXPECT_EQ(rig_.Held(res_)->storage_time, sd.storage_time);
  }
  EXPECT_EQ(rig_.counters.stores_applied, 2u);
  EXPECT_EQ(rig_.counters.replica_stores_sent, 0u);
}

TEST_F(StorageServiceTest, ValueSignedOverOtherBytesIsForbiddenAndCounted) {
  StoredData sd = writer_.Single(res_, "genuine", 100);
  std::get<DataValue>(sd.value).value = Bytes("forged!");
  const StorageError e = Err(rig_.Store(Req(res_, kTurn, {sd}), writer_.info));
  EXPECT_EQ(e.code, ErrorCode::kForbidden);
  EXPECT_EQ(rig_.counters.bad_value_signatures, 1u);
  EXPECT_EQ(rig_.service->value_count(), 0u);
  EXPECT_EQ(rig_.service->resource_count(), 0u);
  EXPECT_TRUE(rig_.host.sent.empty());

  // Signed at another Resource-ID, or with another storage_time: the same.
  StoredData moved = writer_.Single(TurnRes(writer_.id, 2), "v", 100);
  EXPECT_EQ(Err(rig_.Store(Req(res_, kTurn, {moved}), writer_.info)).code, ErrorCode::kForbidden);
  StoredData retimed = writer_.Single(res_, "v", 100);
  retimed.storage_time = 101;
  EXPECT_EQ(Err(rig_.Store(Req(res_, kTurn, {retimed}), writer_.info)).code, ErrorCode::kForbidden);
  EXPECT_EQ(rig_.counters.bad_value_signatures, 3u);
  // One bad value among good ones fails the whole request.
  StoredData good = writer_.Single(res_, "ok", 100);
  EXPECT_EQ(Err(rig_.Store(Req(res_, kTurn, {good, sd}), writer_.info)).code,
            ErrorCode::kForbidden);
  EXPECT_EQ(rig_.service->value_count(), 0u);
}

TEST_F(StorageServiceTest, ReplicaWithBadSignatureIsForbidden) {
  rig_.host.topo.responsible = false;
  StoredData sd = writer_.Single(res_, "genuine", 100);
  sd.signature.value[0] ^= 1;
  EXPECT_EQ(Err(rig_.Store(Req(res_, kTurn, {sd}, 1, 1), Peer(preds_[0]))).code,
            ErrorCode::kForbidden);
  EXPECT_EQ(rig_.counters.bad_value_signatures, 1u);
  EXPECT_EQ(rig_.service->value_count(), 0u);
}

TEST_F(StorageServiceTest, UnknownKindIsErrorUnknownKindWithErrorInfo) {
  rig_.host.topo.responsible = true;
  const uint32_t unknown = 0xF0000099;
  const StoredData sd = writer_.Sign(res_, unknown, 100, DataValue{true, Bytes("v")});
  const StorageError e = Err(rig_.Store(Req(res_, unknown, {sd}), writer_.info));
  EXPECT_EQ(e.code, ErrorCode::kUnknownKind);
  ASSERT_FALSE(e.error_info.empty());
  std::vector<uint32_t> kinds;
  wire::DecodeError de;
  ASSERT_TRUE(wire::DecodeUnknownKinds(
      {static_cast<uint16_t>(ErrorCode::kUnknownKind), e.error_info}, &kinds, &de));
  EXPECT_EQ(kinds, std::vector<uint32_t>{unknown});
  EXPECT_EQ(rig_.service->value_count(), 0u);
  // Fetch and Stat of it too.
  EXPECT_EQ(
      Err(rig_.Handle(MessageCode::kFetchReq,
                      wire::FetchReq{res_, {Spec(unknown, DataModel::kSingle)}}, writer_.info))
          .code,
      ErrorCode::kUnknownKind);
}

TEST_F(StorageServiceTest, SipRegistrationWithAnotherNodesKeyIsForbidden) {
  Writer alice(0xA1, "alice@dht.example.com");
  const ResourceId aor = wire::ChordResourceId(alice.info.user_name);
  rig_.host.topo.responsible = true;
  const std::vector<uint8_t> other_key(16, 0xB2);
  const StoredData wrong =
      alice.Sign(aor, kSip, 100, DictionaryEntry{other_key, DataValue{true, Bytes("sip:a")}});
  EXPECT_EQ(Err(rig_.Store(Req(aor, kSip, {wrong}), alice.info)).code, ErrorCode::kForbidden);
  EXPECT_EQ(rig_.counters.bad_value_signatures, 0u);  // the signature was fine
  EXPECT_EQ(rig_.service->value_count(), 0u);
  // Keyed by its own Node-ID it is accepted.
  const std::vector<uint8_t> own_key(alice.id.bytes().begin(), alice.id.bytes().end());
  const StoredData right =
      alice.Sign(aor, kSip, 100, DictionaryEntry{own_key, DataValue{true, Bytes("sip:a")}});
  OkStore(rig_.Store(Req(aor, kSip, {right}), alice.info));
  EXPECT_EQ(rig_.service->value_count(), 1u);
}

// RFC 7904 §3.3: with a domain restriction, a SIP-REGISTRATION whose AOR (the signer's user
// name) is outside the allowed domains is refused even though the access policy passes.
TEST_F(StorageServiceTest, SipRegistrationOutsideTheDomainRestrictionIsForbidden) {
  rig_.config.sip_domain_restriction = std::make_shared<const storage::DomainRestriction>(
      storage::DomainRestriction::OverlayDomain("dht.example.com"));
  rig_.host.topo.responsible = true;
  auto registration = [](Writer& w) {
    const std::vector<uint8_t> key(w.id.bytes().begin(), w.id.bytes().end());
    return w.Sign(wire::ChordResourceId(w.info.user_name), kSip, 100,
                  DictionaryEntry{key, DataValue{true, Bytes("sip:x")}});
  };
  Writer mallory(0xE1, "mallory@evil.example");
  const StorageError e = Err(
      rig_.Store(Req(wire::ChordResourceId(mallory.info.user_name), kSip, {registration(mallory)}),
                 mallory.info));
  EXPECT_EQ(e.code, ErrorCode::kForbidden);
  EXPECT_NE(e.reason.find("evil.example"), std::string::npos) << e.reason;
  EXPECT_EQ(rig_.service->value_count(), 0u);
  Writer alice(0xA1, "alice@dht.example.com");
  OkStore(rig_.Store(Req(wire::ChordResourceId(alice.info.user_name), kSip, {registration(alice)}),
                     alice.info));
  EXPECT_EQ(rig_.service->value_count(), 1u);
}

TEST_F(StorageServiceTest, OriginalWithSameStorageTimeIsTooOld) {
  OkStore(rig_.Store(Req(res_, kTurn, {writer_.Single(res_, "a", 100)}), writer_.info));
  EXPECT_EQ(Err(rig_.Store(Req(res_, kTurn, {writer_.Single(res_, "b", 100)}), writer_.info)).code,
            ErrorCode::kDataTooOld);
  EXPECT_EQ(std::get<DataValue>(rig_.Held(res_)->value).value, Bytes("a"));
}

TEST_F(StorageServiceTest, FetchAndStatAnswerWhatWasStored) {
  const StoredData sd = writer_.Single(res_, "turn:fetch", 100, 600);
  OkStore(rig_.Store(Req(res_, kTurn, {sd}), writer_.info));

  auto f =
      rig_.Handle(MessageCode::kFetchReq, wire::FetchReq{res_, {Spec(kTurn, DataModel::kSingle)}},
                  writer_.info, kNow + 10'000);
  ASSERT_TRUE(std::holds_alternative<wire::Body>(f));
  const auto& fetch = std::get<wire::FetchAns>(std::get<wire::Body>(f));
  ASSERT_EQ(fetch.kind_responses.size(), 1u);
  EXPECT_EQ(fetch.kind_responses[0].generation, 1u);
  ASSERT_EQ(fetch.kind_responses[0].values.size(), 1u);
  StoredData expected = sd;
  expected.lifetime = 590;
  EXPECT_EQ(fetch.kind_responses[0].values[0], expected);

  auto s = rig_.Handle(MessageCode::kStatReq,
                       wire::StatReq{res_, {Spec(kTurn, DataModel::kSingle)}}, writer_.info);
  ASSERT_TRUE(std::holds_alternative<wire::Body>(s));
  const auto& stat = std::get<wire::StatAns>(std::get<wire::Body>(s));
  ASSERT_EQ(stat.kind_responses.size(), 1u);
  ASSERT_EQ(stat.kind_responses[0].values.size(), 1u);
  EXPECT_EQ(stat.kind_responses[0].values[0].storage_time, 100u);
  const auto& meta = std::get<wire::MetaData>(stat.kind_responses[0].values[0].metadata);
  EXPECT_TRUE(meta.exists);
  EXPECT_EQ(meta.value_length, Bytes("turn:fetch").size());
}

TEST_F(StorageServiceTest, FindWhenNotResponsibleIsNotFound) {
  OkStore(rig_.Store(Req(res_, kTurn, {writer_.Single(res_, "v", 100)}), writer_.info));
  auto found = rig_.Handle(MessageCode::kFindReq, wire::FindReq{res_, {kTurn}}, writer_.info);
  ASSERT_TRUE(std::holds_alternative<wire::Body>(found));
  EXPECT_EQ(std::get<wire::FindAns>(std::get<wire::Body>(found)).results[0].closest, res_);
  rig_.host.topo.responsible = false;
  EXPECT_EQ(
      Err(rig_.Handle(MessageCode::kFindReq, wire::FindReq{res_, {kTurn}}, writer_.info)).code,
      ErrorCode::kNotFound);
}

// --- Array append: the copy carries the real index, the signature the append index ----------

TEST(StorageServiceArrayTest, ReplicaOfAnAppendedEntryVerifiesAtAnotherPeer) {
  Writer w(0xC7);
  const ResourceId res = wire::ChordResourceId(w.id.bytes());  // CERTIFICATE_BY_NODE: H(Node-ID)
  const RingId x = RingId::Of(res);
  Rig a(Off(x, 100));
  const RingId b_at = Off(x, 200);
  a.Settle({Off(x, -100)}, {b_at, Off(x, 300)});
  const auto entry = [](const std::string& v) {
    return ArrayEntry{wire::kArrayAppend, DataValue{true, Bytes(v)}};
  };
  OkStore(a.Store(Req(res, kCertByNode, {w.Sign(res, kCertByNode, 100, entry("cert-1"))}), w.info));
  a.host.sent.clear();
  OkStore(a.Store(Req(res, kCertByNode, {w.Sign(res, kCertByNode, 200, entry("cert-2"))}), w.info));

  // The copy to the first successor holds both entries at their real indices.
  ASSERT_FALSE(a.host.sent.empty());
  const wire::StoreReq copy = a.host.sent[0].request;
  ASSERT_EQ(copy.kind_data.size(), 1u);
  ASSERT_EQ(copy.kind_data[0].values.size(), 2u);
  EXPECT_EQ(std::get<ArrayEntry>(copy.kind_data[0].values[0].value).index, 0u);
  EXPECT_EQ(std::get<ArrayEntry>(copy.kind_data[0].values[1].value).index, 1u);

  // Index 1 does not verify as it stands (it was signed as an append, with index 0)...
  {
    const StoredData& second = copy.kind_data[0].values[1];
    std::vector<uint8_t> in;
    wire::StoredDataSignatureInput(res.bytes(), kCertByNode, second.storage_time, second.value,
                                   &in);
    SimulationSigner verifier(Id(0x01));
    ASSERT_FALSE(verifier.Verify(in, second.signature, {}).has_value());
  }
  // ...yet the successor accepts it.
  Rig b(b_at);
  b.Settle({a.self, Off(x, -100)}, {Off(x, 300)});
  b.host.topo.responsible = false;
  OkStore(b.Store(copy, Peer(a.self)));
  EXPECT_EQ(b.counters.bad_value_signatures, 0u);
  wire::StoredDataSpecifier spec = Spec(kCertByNode, DataModel::kArray);
  spec.indices = {{0, wire::kArrayLastIndex}};
  auto fa = a.service->FetchLocal(wire::FetchReq{res, {spec}}, kNow);
  auto fb = b.service->FetchLocal(wire::FetchReq{res, {spec}}, kNow);
  ASSERT_TRUE(std::holds_alternative<wire::FetchAns>(fa));
  ASSERT_TRUE(std::holds_alternative<wire::FetchAns>(fb));
  EXPECT_EQ(std::get<wire::FetchAns>(fb), std::get<wire::FetchAns>(fa));
  EXPECT_EQ(std::get<wire::FetchAns>(fb).kind_responses[0].values.size(), 2u);

  // The retry does not open a hole: other bytes at index 1 are still refused.
  wire::StoreReq forged = copy;
  std::get<ArrayEntry>(forged.kind_data[0].values[1].value).value.value = Bytes("cert-X");
  forged.kind_data[0].values[1].storage_time = 300;
  EXPECT_EQ(Err(b.Store(forged, Peer(a.self))).code, ErrorCode::kForbidden);
}

// --- Maintenance ------------------------------------------------------------------------------

// Two Resource-IDs X and Y of one writer, ordered so that Y follows X clockwise; self sits just
// after Y with neighbours spaced around, and both values are stored as originals.
class StorageServiceMaintenanceTest : public ::testing::Test {
 protected:
  StorageServiceMaintenanceTest()
      : writer_(0xC2),
        rx_(TurnRes(writer_.id, 1)),
        ry_(TurnRes(writer_.id, 2)),
        x_(RingId::Of(rx_)),
        y_(RingId::Of(ry_)),
        rig_(Off(y_, 100)) {
    preds_ = {Off(x_, -100), Off(x_, -200), Off(x_, -300)};
    succs_ = {Off(y_, 200), Off(y_, 300), Off(y_, 400)};
    rig_.Settle(preds_, succs_);
    for (const ResourceId& r : {rx_, ry_}) {
      OkStore(rig_.Store(Req(r, kTurn, {writer_.Single(r, "turn", 100)}), writer_.info));
    }
    rig_.host.sent.clear();
    now_ = kNow + 2 * kHold;
  }

  // The peers a replica of `res` was sent to.
  std::vector<NodeId> SentTo(const ResourceId& res) const {
    std::vector<NodeId> peers;
    for (const FakeHost::Sent& s : rig_.host.sent) {
      if (s.request.resource == res) peers.push_back(s.peer);
    }
    return peers;
  }

  Writer writer_;
  ResourceId rx_, ry_;
  RingId x_, y_;
  Rig rig_;
  std::vector<RingId> preds_, succs_;
  uint64_t now_;
};

TEST_F(StorageServiceMaintenanceTest, ASettledViewSendsNothing) {
  rig_.service->CheckNeighbours(now_);
  rig_.service->OnTimer(now_ + kHold, &rig_.out);
  EXPECT_TRUE(rig_.host.sent.empty());
  EXPECT_EQ(rig_.service->resource_count(), 2u);
}

TEST_F(StorageServiceMaintenanceTest, JoinOfANewPredecessorIsServedAtOnce) {
  // J joins between X and Y: X is now J's, Y still ours.
  const RingId j = Off(x_, 50);
  const uint64_t sent_before = rig_.counters.replica_stores_sent;
  rig_.host.topo.preds = {j, preds_[0], preds_[1]};
  rig_.service->CheckNeighbours(now_);
  EXPECT_EQ(rig_.service->NextDeadline(), now_);
  rig_.service->OnTimer(now_, &rig_.out);
  ASSERT_EQ(rig_.host.sent.size(), 1u);
  const FakeHost::Sent& s = rig_.host.sent[0];
  EXPECT_EQ(s.peer, j.ToNodeId());
  EXPECT_EQ(s.request.resource, rx_);
  EXPECT_GE(s.request.replica_number, 1u);
  ASSERT_EQ(s.request.kind_data.size(), 1u);
  EXPECT_EQ(s.request.kind_data[0].generation_counter, 1u);
  ASSERT_EQ(s.request.kind_data[0].values.size(), 1u);
  EXPECT_EQ(std::get<DataValue>(s.request.kind_data[0].values[0].value).value, Bytes("turn"));
  EXPECT_EQ(rig_.counters.replica_stores_sent, sent_before + 1);
  // We stay a holder of X (J's first replica): nothing is dropped.
  EXPECT_EQ(rig_.counters.resources_dropped, 0u);
  EXPECT_EQ(rig_.service->resource_count(), 2u);
  // Done: nothing more is due for the join.
  EXPECT_GT(rig_.service->NextDeadline(), now_);
  rig_.host.sent.clear();
  rig_.service->OnTimer(now_ + kHold, &rig_.out);
  EXPECT_TRUE(rig_.host.sent.empty());
}

TEST_F(StorageServiceMaintenanceTest, SuccessorChangeWaitsForTheHolddown) {
  const RingId n = Off(y_, 150);  // a new immediate successor
  rig_.host.topo.succs = {n, succs_[0], succs_[1]};
  rig_.service->CheckNeighbours(now_);
  EXPECT_EQ(rig_.service->NextDeadline(), now_ + kHold);
  rig_.service->OnTimer(now_, &rig_.out);
  rig_.service->OnTimer(now_ + kHold - 1, &rig_.out);
  EXPECT_TRUE(rig_.host.sent.empty());
  rig_.service->OnTimer(now_ + kHold, &rig_.out);
  // Both X and Y now have N as their first replica.
  EXPECT_EQ(SentTo(rx_), std::vector<NodeId>{n.ToNodeId()});
  EXPECT_EQ(SentTo(ry_), std::vector<NodeId>{n.ToNodeId()});
  EXPECT_EQ(rig_.host.sent.size(), 2u);
  for (const FakeHost::Sent& s : rig_.host.sent) EXPECT_EQ(s.request.replica_number, 1u);
  EXPECT_EQ(rig_.counters.resources_dropped, 0u);
}

TEST_F(StorageServiceMaintenanceTest, AShortLivedChangeMovesNothing) {
  rig_.host.topo.succs = {Off(y_, 150), succs_[0], succs_[1]};
  rig_.service->CheckNeighbours(now_);
  rig_.host.topo.succs = succs_;
  rig_.service->CheckNeighbours(now_ + 1000);
  rig_.service->OnTimer(now_ + kHold, &rig_.out);
  EXPECT_TRUE(rig_.host.sent.empty());
}

TEST_F(StorageServiceMaintenanceTest, DropsAResourceWithThreePeersBeforeUs) {
  // Three peers join one after the other between X and Y, each closer to us than the last.
  const RingId j1 = Off(x_, 10), j2 = Off(x_, 20), j3 = Off(x_, 30);
  std::vector<RingId> preds = preds_;
  uint64_t t = now_;
  for (const RingId j : {j1, j2, j3}) {
    preds.insert(preds.begin(), j);
    preds.resize(3);
    rig_.host.topo.preds = preds;
    rig_.service->CheckNeighbours(t);
    EXPECT_EQ(rig_.service->NextDeadline(), t);
    rig_.service->OnTimer(t, &rig_.out);
    if (j != j3) {
      EXPECT_EQ(rig_.counters.resources_dropped, 0u);
      EXPECT_TRUE(rig_.Held(rx_).has_value());
    }
    t += 1000;
  }
  // Not dropped yet: the view must hold still for the drop delay first; a change meanwhile
  // (here the same view again: no change) would postpone it.
  EXPECT_EQ(rig_.counters.resources_dropped, 0u);
  EXPECT_TRUE(rig_.Held(rx_).has_value());
  const uint64_t due = t - 1000 + rig_.config.drop_delay_ms;  // the last change + the delay
  EXPECT_LE(rig_.service->NextDeadline(), due);
  rig_.service->OnTimer(due - 1, &rig_.out);
  EXPECT_TRUE(rig_.Held(rx_).has_value());
  rig_.service->OnTimer(due, &rig_.out);
  EXPECT_EQ(rig_.counters.resources_dropped, 1u);
  EXPECT_FALSE(rig_.Held(rx_).has_value());
  EXPECT_TRUE(rig_.Held(ry_).has_value());
  EXPECT_EQ(rig_.service->resource_count(), 1u);
  // X went to J1 when it joined (it became responsible for X).
  ASSERT_FALSE(SentTo(rx_).empty());
  EXPECT_EQ(SentTo(rx_)[0], j1.ToNodeId());
  EXPECT_TRUE(SentTo(ry_).empty());
}

TEST_F(StorageServiceMaintenanceTest, ADropWaitsForTheViewToHoldStillAndIsUndoneByACorrection) {
  // A view that says X is not ours (three peers before us past X)...
  std::vector<RingId> preds = {Off(x_, 30), Off(x_, 20), Off(x_, 10)};
  rig_.host.topo.preds = preds;
  rig_.service->CheckNeighbours(now_);
  rig_.service->OnTimer(now_, &rig_.out);
  const uint64_t due = now_ + rig_.config.drop_delay_ms;
  EXPECT_LE(rig_.service->NextDeadline(), due);
  // ...is corrected before the delay is over (one of them was a dead peer not yet noticed):
  // the drop is postponed, and under the corrected view X is ours again and stays.
  rig_.host.topo.preds = {Off(x_, 30), Off(x_, 20), preds_[0]};
  rig_.service->CheckNeighbours(now_ + 5000);
  rig_.service->OnTimer(now_ + 5000, &rig_.out);
  rig_.service->OnTimer(due, &rig_.out);
  EXPECT_TRUE(rig_.Held(rx_).has_value());
  const uint64_t later = rig_.service->NextDeadline();
  rig_.service->OnTimer(std::max(later, due + rig_.config.drop_delay_ms), &rig_.out);
  EXPECT_EQ(rig_.counters.resources_dropped, 0u);
  EXPECT_TRUE(rig_.Held(rx_).has_value());
}

TEST_F(StorageServiceMaintenanceTest, NothingIsDroppedWhenFewerThanThreePredecessorsAreKnown) {
  // Two known predecessors, both between X and us: a third one may sit before them, so we
  // cannot tell whether we still hold X.
  rig_.host.topo.preds = {Off(x_, 30), Off(x_, 20)};
  rig_.service->CheckNeighbours(now_);
  rig_.service->OnTimer(now_ + kHold, &rig_.out);
  EXPECT_EQ(rig_.counters.resources_dropped, 0u);
  EXPECT_TRUE(rig_.Held(rx_).has_value());
  EXPECT_EQ(rig_.service->resource_count(), 2u);
}

TEST_F(StorageServiceMaintenanceTest, AFailedReplicaStoreReoffersEverythingAfterTheHolddown) {
  const uint64_t t = kNow + kHold + 5000;  // before the next expiry sweep (kNow + kHold + 60 s)
  const uint64_t idle = rig_.service->NextDeadline();
  ASSERT_GT(idle, t + kHold);
  rig_.service->OnReplicaAnswer(absl::OkStatus(), t);
  EXPECT_EQ(rig_.counters.replica_stores_failed, 0u);
  EXPECT_EQ(rig_.service->NextDeadline(), idle);
  rig_.service->OnReplicaAnswer(absl::AbortedError("Error_Forbidden: no"), t);
  rig_.service->OnReplicaAnswer(absl::DeadlineExceededError("timeout"), t + 10);
  EXPECT_EQ(rig_.counters.replica_stores_failed, 2u);
  EXPECT_EQ(rig_.service->NextDeadline(), t + kHold);
  rig_.service->OnTimer(t + kHold - 1, &rig_.out);
  EXPECT_TRUE(rig_.host.sent.empty());
  rig_.service->OnTimer(t + kHold, &rig_.out);
  const std::vector<NodeId> both = {succs_[0].ToNodeId(), succs_[1].ToNodeId()};
  EXPECT_EQ(SentTo(rx_), both);
  EXPECT_EQ(SentTo(ry_), both);
  // Once only.
  rig_.host.sent.clear();
  rig_.service->OnTimer(t + 3 * kHold, &rig_.out);
  EXPECT_TRUE(rig_.host.sent.empty());
}

// --- HandOff ----------------------------------------------------------------------------------

TEST(StorageServiceHandOffTest, HandsEachResourceToItsNewHolder) {
  // Three Resource-IDs r0 < r1 < r2 (numerically, chosen from one writer's TURN ids):
  // r2 is ours, r1 our predecessor's (we are its first replica), r0 our second predecessor's
  // (we are its second replica).
  Writer w(0xC3);
  std::vector<ResourceId> ids;
  for (uint8_t i = 1; i <= 3; ++i) ids.push_back(TurnRes(w.id, i));
  std::ranges::sort(
      ids, [](const ResourceId& a, const ResourceId& b) { return RingId::Of(a) < RingId::Of(b); });
  const RingId r0 = RingId::Of(ids[0]), r1 = RingId::Of(ids[1]), r2 = RingId::Of(ids[2]);
  ASSERT_GT(Distance(r0, r1), 1000u);
  ASSERT_GT(Distance(r1, r2), 1000u);
  const RingId p2 = Off(r0, -10), p1 = Off(r0, 10), p0 = Off(r1, 10), self = Off(r2, 10);
  const std::vector<RingId> succs = {Off(self, 10), Off(self, 20), Off(self, 30)};
  Rig rig(self);
  rig.Settle({p0, p1, p2}, succs);
  OkStore(rig.Store(Req(ids[2], kTurn, {w.Single(ids[2], "mine", 100)}), w.info));
  OkStore(rig.Store(Req(ids[1], kTurn, {w.Single(ids[1], "first", 100)}, 1, 1), Peer(p0)));
  OkStore(rig.Store(Req(ids[0], kTurn, {w.Single(ids[0], "second", 100)}, 2, 1), Peer(p1)));
  ASSERT_EQ(rig.service->resource_count(), 3u);
  rig.host.sent.clear();

  rig.service->HandOff(kNow + 1000, &rig.out);
  std::map<ResourceId, std::set<NodeId>> to;
  for (const FakeHost::Sent& s : rig.host.sent) {
    EXPECT_GE(s.request.replica_number, 1u);
    EXPECT_FALSE(s.request.kind_data.empty());
    to[s.request.resource].insert(s.peer);
  }
  EXPECT_EQ(rig.host.sent.size(), 4u);
  EXPECT_EQ(to[ids[2]], (std::set<NodeId>{succs[0].ToNodeId(), succs[2].ToNodeId()}));
  EXPECT_EQ(to[ids[1]], (std::set<NodeId>{succs[1].ToNodeId()}));
  EXPECT_EQ(to[ids[0]], (std::set<NodeId>{succs[0].ToNodeId()}));
}

// --- Shards -----------------------------------------------------------------------------------

TEST(StorageServiceShardsTest, ManyResourcesOverFourShards) {
  Rig rig(RingId::FromParts(0x8000000000000000ull, 0), 4);  // no predecessors: responsible
  std::vector<ResourceId> ids;
  for (uint8_t fill = 0xD0; fill < 0xD5; ++fill) {
    Writer w(fill);
    for (uint8_t i = 1; i <= 20; ++i) {
      const ResourceId r = TurnRes(w.id, i);
      OkStore(rig.Store(Req(r, kTurn, {w.Single(r, "v" + std::to_string(i), 100 + i)}), w.info));
      ids.push_back(r);
    }
  }
  EXPECT_EQ(rig.service->resource_count(), ids.size());
  EXPECT_EQ(rig.service->value_count(), ids.size());
  for (const ResourceId& r : ids) {
    auto f = rig.Handle(MessageCode::kFetchReq,
                        wire::FetchReq{r, {Spec(kTurn, DataModel::kSingle)}}, SignerInfo{});
    ASSERT_TRUE(std::holds_alternative<wire::Body>(f));
    const auto& ans = std::get<wire::FetchAns>(std::get<wire::Body>(f));
    ASSERT_EQ(ans.kind_responses[0].values.size(), 1u);
    EXPECT_TRUE(std::get<DataValue>(ans.kind_responses[0].values[0].value).exists);
  }
  // Find: the closest stored id at or after the requested one, over every shard.
  std::vector<ResourceId> probes = ids;
  for (const ResourceId& r : ids) probes.push_back(Off(RingId::Of(r), 1).ToResourceId());
  probes.push_back(RingId().ToResourceId());
  for (const ResourceId& at : probes) {
    const RingId from = RingId::Of(at);
    const ResourceId* best = nullptr;
    for (const ResourceId& r : ids) {
      if (best == nullptr || Distance(from, RingId::Of(r)) < Distance(from, RingId::Of(*best))) {
        best = &r;
      }
    }
    auto found = rig.Handle(MessageCode::kFindReq, wire::FindReq{at, {kTurn, kSip}}, SignerInfo{});
    ASSERT_TRUE(std::holds_alternative<wire::Body>(found));
    const auto& ans = std::get<wire::FindAns>(std::get<wire::Body>(found));
    ASSERT_EQ(ans.results.size(), 2u);
    EXPECT_EQ(ans.results[0].kind, kTurn);
    EXPECT_EQ(ans.results[0].closest, *best);
    EXPECT_EQ(ans.results[1].kind, kSip);
    EXPECT_TRUE(ans.results[1].closest.empty());
  }
}

}  // namespace
}  // namespace p2psip::core

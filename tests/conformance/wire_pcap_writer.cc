// Encodes RELOAD messages with p2psip's codec into a pcap that tshark decodes independently
// (see check_tshark.py): a request and an answer of every method, every data model, ACK
// frames, a fragmented message and an error answer of every code.
//
//   wire_pcap_writer WIRE.pcap MANIFEST.tsv BROKEN.pcap [SEED_DIR]
//
// MANIFEST lists, per frame: number, kind (data | fragment | ack), expected message code,
// transaction id, expected error code (or -), description. BROKEN.pcap holds one message whose
// length field lies (the checker's negative control). With SEED_DIR, every encoded frame,
// message and forwarding header is also written as a fuzz seed under SEED_DIR/{framing,
// message,forwarding_header}/ — the corpora start from traffic tshark has vetted.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "p2psip/wire/body.h"
#include "p2psip/wire/codec.h"
#include "p2psip/wire/fragmentation.h"
#include "p2psip/wire/framing.h"
#include "p2psip/wire/hashes.h"
#include "p2psip/wire/stored_data.h"
#include "p2psip/wire/usage_values.h"
#include "pcap_file.h"

namespace p2psip::wire {
namespace {

// A self-signed P-256 certificate whose subjectAltName carries a RELOAD URI and a user name, so
// that tshark's X.509 decoding of the certificate kinds sees a real certificate.
constexpr char kCertificateHex[] =
    "308201c030820166a0030201020214787574985c1cd4b7739f823bc3e7c55afcfdaa9f300a06082a8648ce3d040302"
    "30"
    "00301e170d3236313132343233313131375a170d3336313132313233313131375a30003059301306072a8648ce3d02"
    "01"
    "06082a8648ce3d030107034200047d85460e181bfce79d145f0706a12dc9ca5f878eebadee1062e7d1ac7d8cc8f4b9"
    "bd"
    "06556382dafb150aaa361f340c1d2e1cd9aebd74ce75c723a6797cefbe09a381bd3081ba301d0603551d0e04160414"
    "a1"
    "5de183e6cebe2e8d22cd288ce67609a78a093c301f0603551d23041830168014a15de183e6cebe2e8d22cd288ce676"
    "09"
    "a78a093c300f0603551d130101ff040530030101ff30670603551d110101ff045d305b864272656c6f61643a2f2f30"
    "31"
    "31303030313132323333343435353636373738383939616162626363646465656666406f7665726c61792e6578616d"
    "70"
    "6c652e6f72672f8115616c696365406468742e6578616d706c652e636f6d300a06082a8648ce3d0403020348003045"
    "02"
    "2100e2ec06b3b7f00a059c7ec04bfc9ccc58db750aa2164b0a9084ffb7583adf45d502200cb21fe39c16640d70b18b"
    "f5"
    "61f50d6a35805ab76ab6676ba26ce5eb35c4c6fa";

std::vector<uint8_t> FromHex(const char* hex) {
  auto raw = HexToBytes(hex);
  return {raw->begin(), raw->end()};
}

NodeId Id(uint8_t fill) {
  std::vector<uint8_t> b(16);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(fill + i);
  return NodeId(b);
}

Signature FakeSignature() {
  // Real signatures arrive with the security work; tshark does not verify them either.
  Signature s;
  s.hash_algorithm = kHashSha256;
  s.signature_algorithm = kSigRsa;
  s.identity = SignerIdentity::CertHash(kHashSha256, std::vector<uint8_t>(32, 0xab));
  s.value = std::vector<uint8_t>(64, 0x5c);
  return s;
}

StoredData Stored(StoredDataValue value) {
  StoredData d;
  d.storage_time = 1700000000000;
  d.lifetime = 3600;
  d.value = std::move(value);
  d.signature = FakeSignature();
  return d;
}

StoreKindData KindData(uint32_t kind, uint64_t generation, std::vector<StoredData> values) {
  StoreKindData k;
  k.kind = kind;
  k.generation_counter = generation;
  k.values = std::move(values);
  return k;
}

FetchKindResponse FetchKind(uint32_t kind, uint64_t generation, std::vector<StoredData> values) {
  FetchKindResponse k;
  k.kind = kind;
  k.generation = generation;
  k.values = std::move(values);
  return k;
}

std::vector<uint8_t> IdBytes(const NodeId& id) { return {id.bytes().begin(), id.bytes().end()}; }

class Writer {
 public:
  Writer(testing::PcapFile* pcap, std::ofstream* manifest, std::string seed_dir)
      : pcap_(pcap), manifest_(manifest), seed_dir_(std::move(seed_dir)) {}

  // Sends `body` as message `code` from host a to host b (answers go the other way).
  void Send(uint16_t code, const Body& body, const std::string& desc, uint16_t error_code = 0,
            std::vector<MessageExtension> extensions = {}) {
    auto contents = MakeContents(code, body);
    if (!contents.ok()) Die(desc + ": " + std::string(contents.status().message()));
    contents->extensions = std::move(extensions);
    Message m = Envelope(code, std::move(*contents));
    auto bytes = EncodeMessage(m);
    if (!bytes.ok()) Die(desc + ": " + std::string(bytes.status().message()));
    const bool answer = IsResponse(code);
    const int frame = WriteData(*bytes, answer);
    *manifest_ << frame << "\tdata\t" << absl::StrFormat("0x%04x", code) << "\t"
               << absl::StrFormat("0x%016x", m.header.transaction_id) << "\t"
               << (error_code ? absl::StrFormat("0x%02x", error_code) : std::string("-")) << "\t"
               << desc << "\n";
    Seed("message", std::vector<uint8_t>{0}, *bytes);
    Seed("forwarding_header", std::vector<uint8_t>{0},
         std::vector<uint8_t>(bytes->begin(), bytes->begin() + m.header.WireSize()));
  }

  void SendFragmented(uint16_t code, const Body& body, const std::string& desc, size_t mtu) {
    auto contents = MakeContents(code, body);
    Message m = Envelope(code, std::move(*contents));
    auto bytes = *EncodeMessage(m);
    auto frags = FragmentMessage(bytes, mtu);
    if (!frags.ok() || frags->size() < 2) Die("fragmenting " + desc);
    for (size_t i = 0; i < frags->size(); ++i) {
      const bool last = i + 1 == frags->size();
      const int frame = WriteData((*frags)[i], false);
      // tshark shows the message code in the frame that completes reassembly.
      *manifest_ << frame << "\t" << (last ? "data" : "fragment") << "\t"
                 << absl::StrFormat("0x%04x", code) << "\t"
                 << absl::StrFormat("0x%016x", m.header.transaction_id) << "\t-\t" << desc
                 << absl::StrFormat(" (fragment %d of %d)", i + 1, frags->size()) << "\n";
      Seed("forwarding_header", std::vector<uint8_t>{0}, (*frags)[i]);
    }
    Seed("message", std::vector<uint8_t>{0}, bytes);
  }

  void Ack(uint32_t seq, uint32_t received, bool from_b) {
    std::vector<uint8_t> frame;
    ByteWriter w(&frame);
    EncodeAckFrame(w, seq, received);
    const int n = pcap_->WriteUdp(frame, from_b ? 2 : 1, from_b ? 1 : 2);
    *manifest_ << n << "\tack\t-\t-\t-\tACK " << seq << "\n";
    Seed("framing", {}, frame);
  }

 private:
  Message Envelope(uint16_t code, MessageContents contents) {
    Message m;
    m.header.overlay = OverlayHash("overlay.example.org");
    m.header.configuration_sequence = 1;
    // A request and its answer share the transaction id.
    if (IsRequest(code) || txid_ == 0) txid_ = 0x1000000000000000ull + (++count_ * 0x1111);
    m.header.transaction_id = txid_;
    const bool answer = IsResponse(code);
    m.header.ttl = answer ? 97 : 100;
    if (answer) {
      m.header.destination_list = {Destination::Node(Id(0x00))};
    } else {
      m.header.via_list = {Destination::Node(Id(0x30))};
      m.header.destination_list = {Destination::Node(Id(0xf0))};
    }
    m.contents = std::move(contents);
    m.security.certificates = {{0, FromHex(kCertificateHex)}};
    m.security.signature = FakeSignature();
    return m;
  }

  int WriteData(const std::vector<uint8_t>& message, bool from_b) {
    std::vector<uint8_t> frame;
    ByteWriter w(&frame);
    uint32_t& seq = from_b ? seq_b_ : seq_a_;
    EncodeDataFrame(w, seq++, message);
    Seed("framing", {}, frame);
    return pcap_->WriteUdp(frame, from_b ? 2 : 1, from_b ? 1 : 2);
  }

  void Seed(const char* target, std::vector<uint8_t> prefix, const std::vector<uint8_t>& bytes) {
    if (seed_dir_.empty()) return;
    const std::filesystem::path dir = std::filesystem::path(seed_dir_) / target;
    std::filesystem::create_directories(dir);
    prefix.insert(prefix.end(), bytes.begin(), bytes.end());
    std::ofstream(dir / absl::StrFormat("conformance-%03d", ++seeds_), std::ios::binary)
        .write(reinterpret_cast<const char*>(prefix.data()), prefix.size());
  }

  [[noreturn]] static void Die(const std::string& why) {
    std::fprintf(stderr, "wire_pcap_writer: %s\n", why.c_str());
    std::exit(1);
  }

  testing::PcapFile* pcap_;
  std::ofstream* manifest_;
  std::string seed_dir_;
  uint64_t txid_ = 0;
  uint64_t count_ = 0;
  uint32_t seq_a_ = 0, seq_b_ = 0;
  int seeds_ = 0;
};

IceCandidate Candidate(uint8_t type) {
  IceCandidate c;
  c.addr_port = *IpAddressPort::Parse(type == kCandTypeHost ? "192.0.2.1" : "198.51.100.7", 6084);
  c.overlay_link = kOverlayLinkDtlsUdpSr;
  c.foundation = absl::StrFormat("f%d", type);
  c.priority = (type == kCandTypeHost ? 126u : type == kCandTypeSrflx ? 100u : 0u) << 24 | 255;
  c.type = type;
  if (type != kCandTypeHost) c.rel_addr_port = *IpAddressPort::Parse("192.0.2.1", 6084);
  c.extensions = {{{'x'}, {'1'}}};
  return c;
}

void WriteAll(Writer& w) {
  using C = MessageCode;
  const auto code = [](C c) { return static_cast<uint16_t>(c); };
  const ResourceId alice = ChordResourceId("alice@dht.example.com");
  const ResourceId turn = ChordResourceId("turn-1");

  w.Send(code(C::kProbeReq), ProbeReq{{kProbeResponsibleSet, kProbeNumResources, kProbeUptime}},
         "Probe request");
  w.Ack(0, 0, true);
  w.Send(code(C::kProbeAns),
         ProbeAns{{{kProbeResponsibleSet, 1000000, {}},
                   {kProbeNumResources, 42, {}},
                   {kProbeUptime, 3600, {}}}},
         "Probe answer");

  AttachReqAns attach{
      "ufrag1",
      "password-1234567890123",
      std::string(kIceRolePassive),
      {Candidate(kCandTypeHost), Candidate(kCandTypeSrflx), Candidate(kCandTypeRelay)},
      true};
  w.Send(code(C::kAttachReq), attach, "Attach request (host, srflx, relay candidates)");
  attach.role = std::string(kIceRoleActive);
  w.Send(code(C::kAttachAns), attach, "Attach answer");

  // Store and Fetch of all three data models.
  SipRegistration route = SipRegistration::Route("", {Destination::Node(Id(0x00))});
  std::vector<uint8_t> route_bytes = *EncodeToBytes(route);
  StoreReq store;
  store.resource = alice;
  store.kind_data = {
      KindData(kKindSipRegistration, 1,
               {Stored(DictionaryEntry{IdBytes(Id(0x00)), DataValue{true, route_bytes}})}),
      KindData(kKindCertificateByUser, 0,
               {Stored(ArrayEntry{0xFFFFFFFF, DataValue{true, FromHex(kCertificateHex)}})})};
  w.Send(code(C::kStoreReq), store, "Store request: dictionary (SIP-REGISTRATION) + array");
  w.Send(code(C::kStoreAns),
         StoreAns{{{kKindSipRegistration, 2, {Id(0x50), Id(0x60)}},
                   {kKindCertificateByUser, 1, {Id(0x50), Id(0x60)}}}},
         "Store answer");

  TurnServer ts{1, *IpAddressPort::Parse("192.0.2.1", 3478)};
  StoreReq store_single;
  store_single.resource = turn;
  store_single.kind_data = {
      KindData(kKindTurnService, 0, {Stored(DataValue{true, *EncodeToBytes(ts)})})};
  w.Send(code(C::kStoreReq), store_single, "Store request: single value (TURN-SERVICE)");
  w.Send(code(C::kStoreAns), StoreAns{{{kKindTurnService, 1, {}}}}, "Store answer (single)");

  FetchReq fetch;
  fetch.resource = alice;
  StoredDataSpecifier dict_spec;
  dict_spec.kind = kKindSipRegistration;
  dict_spec.model = DataModel::kDictionary;  // no keys: every entry (RFC 7904 §4.2)
  StoredDataSpecifier array_spec;
  array_spec.kind = kKindCertificateByUser;
  array_spec.model = DataModel::kArray;
  array_spec.indices = {{0, 0xFFFFFFFF}};
  StoredDataSpecifier single_spec;
  single_spec.kind = kKindTurnService;
  single_spec.model = DataModel::kSingle;
  fetch.specifiers = {dict_spec, array_spec, single_spec};
  w.Send(code(C::kFetchReq), fetch, "Fetch request: dictionary, array range, single");
  FetchAns fetch_ans;
  fetch_ans.kind_responses = {
      FetchKind(
          kKindSipRegistration, 2,
          {Stored(DictionaryEntry{std::vector<uint8_t>(16, 1), DataValue{true, route_bytes}}),
           Stored(DictionaryEntry{
               std::vector<uint8_t>(16, 2),
               DataValue{true, *EncodeToBytes(SipRegistration::Uri("bob@dht.example.com"))}})}),
      FetchKind(kKindCertificateByUser, 1,
                {Stored(ArrayEntry{0, DataValue{true, FromHex(kCertificateHex)}})}),
      FetchKind(kKindTurnService, 1, {Stored(DataValue{true, *EncodeToBytes(ts)})})};
  w.Send(code(C::kFetchAns), fetch_ans, "Fetch answer: all three data models");

  StatReq stat;
  stat.resource = alice;
  stat.specifiers = {dict_spec};
  w.Send(code(C::kStatReq), stat, "Stat request");
  StatAns stat_ans;
  StoredMetaData meta;
  meta.storage_time = 1700000000000;
  meta.lifetime = 3600;
  meta.metadata = DictionaryEntryMeta{std::vector<uint8_t>(16, 1),
                                      {true, 20, kHashSha256, std::vector<uint8_t>(32, 7)}};
  StatKindResponse stat_kind;
  stat_kind.kind = kKindSipRegistration;
  stat_kind.generation = 2;
  stat_kind.values = {meta};
  stat_ans.kind_responses = {stat_kind};
  w.Send(code(C::kStatAns), stat_ans, "Stat answer");

  w.Send(code(C::kFindReq), FindReq{turn, {kKindTurnService}}, "Find request");
  w.Send(code(C::kFindAns), FindAns{{{kKindTurnService, turn}}}, "Find answer");

  w.Send(code(C::kJoinReq), JoinReq{Id(0x00), {}}, "Join request");
  w.Send(code(C::kJoinAns), JoinAns{{}}, "Join answer");
  w.Send(code(C::kLeaveReq),
         LeaveReq{Id(0x00), *EncodeToBytes(ChordLeaveData::FromSucc({Id(0x50), Id(0x60)}))},
         "Leave request (ChordLeaveData from_succ)");
  w.Send(code(C::kLeaveAns), LeaveAns{}, "Leave answer");
  w.Send(code(C::kUpdateReq), ChordUpdate::PeerReady(10), "Update request: peer_ready");
  w.Send(code(C::kUpdateAns), UpdateAns{}, "Update answer");
  w.Send(code(C::kUpdateReq), ChordUpdate::Neighbors(20, {Id(0x10)}, {Id(0x50), Id(0x60)}),
         "Update request: neighbors");
  w.Send(code(C::kUpdateAns), UpdateAns{}, "Update answer");
  w.Send(code(C::kUpdateReq),
         ChordUpdate::Full(30, {Id(0x10)}, {Id(0x50)}, {Id(0x70), Id(0x80), Id(0x90)}),
         "Update request: full");
  w.Send(code(C::kUpdateAns), UpdateAns{}, "Update answer");
  w.Send(code(C::kRouteQueryReq), RouteQueryReq{true, Destination::Resource(alice), {}},
         "RouteQuery request");
  w.Send(code(C::kRouteQueryAns), ChordRouteQueryAns{Id(0x50)}, "RouteQuery answer");

  DiagnosticsRequest diag;
  diag.expiration = 60;
  diag.timestamp_initiated = 1700000000000;
  diag.dm_flags = kDmFlagsAll;
  w.Send(code(C::kPingReq), PingReq{std::vector<uint8_t>(8, 0)},
         "Ping request with Diagnostic_Ping extension", 0,
         {MessageExtension{kExtensionDiagnosticPing, false, *EncodeToBytes(diag)}});
  w.Send(code(C::kPingAns), PingAns{0x1122334455667788, 1700000000000}, "Ping answer");

  AppAttachReq app;
  app.ufrag = "appufrag";
  app.password = "app-password-123456789";
  app.application = kApplicationSip;
  app.role = std::string(kIceRolePassive);
  app.candidates = {Candidate(kCandTypeHost)};
  w.Send(code(C::kAppAttachReq), app, "AppAttach request (SIP 5060)");
  AppAttachAns app_ans{app.ufrag, app.password, app.application, std::string(kIceRoleActive),
                       app.candidates};
  w.Send(code(C::kAppAttachAns), app_ans, "AppAttach answer");

  ConfigUpdateReq cfg;
  cfg.type = kConfigUpdateConfig;
  cfg.config_data =
      "<overlay xmlns=\"urn:ietf:params:xml:ns:p2p:config-base\"><configuration "
      "instance-name=\"overlay.example.org\" sequence=\"2\"></configuration></overlay>";
  w.Send(code(C::kConfigUpdateReq), cfg, "ConfigUpdate request: config");
  w.Send(code(C::kConfigUpdateAns), ConfigUpdateAns{}, "ConfigUpdate answer");
  ConfigUpdateReq kinds;
  kinds.type = kConfigUpdateKind;
  kinds.kinds = {
      {"<kind-block><kind id=\"4026531841\"><data-model>SINGLE</data-model>"
       "</kind></kind-block>"}};
  w.Send(code(C::kConfigUpdateReq), kinds, "ConfigUpdate request: kinds");
  w.Send(code(C::kConfigUpdateAns), ConfigUpdateAns{}, "ConfigUpdate answer");

  w.Send(code(C::kPathTrackReq), PathTrackReq{Destination::Node(Id(0xf0)), diag},
         "PathTrack request (RFC 7851)");
  DiagnosticsResponse resp;
  resp.expiration = 60;
  resp.timestamp_initiated = diag.timestamp_initiated;
  resp.timestamp_received = diag.timestamp_initiated + 5;
  resp.hop_counter = 3;
  resp.info = {DiagnosticInfo::Scalar(kDiagRoutingTableSize, 23),
               DiagnosticInfo::SoftwareVersion("p2psip 0.1")};
  w.Send(code(C::kPathTrackAns), PathTrackAns{Destination::Node(Id(0x50)), resp},
         "PathTrack answer (RFC 7851)");

  w.Send(code(C::kExpAReq), ExperimentalBody{{1, 2, 3}}, "exp_a request");
  w.Send(code(C::kExpAAns), ExperimentalBody{{}}, "exp_a answer");
  w.Send(code(C::kExpBReq), ExperimentalBody{{4}}, "exp_b request");
  w.Send(code(C::kExpBAns), ExperimentalBody{{}}, "exp_b answer");

  // An error answer of every code.
  for (uint16_t ec : kAllErrorCodes) {
    w.Send(code(C::kPingReq), PingReq{}, "Ping request (answered by an error)");
    ErrorResponse error = ErrorResponse::WithText(static_cast<ErrorCode>(ec), ErrorCodeName(ec));
    if (ec == static_cast<uint16_t>(ErrorCode::kGenerationCounterTooLow)) {
      error = MakeGenerationCounterTooLowError(StoreAns{{{kKindSipRegistration, 7, {}}}});
    } else if (ec == static_cast<uint16_t>(ErrorCode::kUnknownKind)) {
      error = MakeUnknownKindError({0xF0000001, 0xF0000002});
    }
    w.Send(code(C::kError), error,
           absl::StrFormat("Error answer %s (0x%02x)", ErrorCodeName(ec), ec), ec);
  }

  // A Fetch answer too big for a 600-byte path MTU, in fragments.
  w.SendFragmented(code(C::kFetchAns), fetch_ans, "fragmented Fetch answer", 600);
  w.Ack(5, 0x1F, false);
}

}  // namespace
}  // namespace p2psip::wire

int main(int argc, char** argv) {
  using namespace p2psip::wire;
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s WIRE.pcap MANIFEST.tsv BROKEN.pcap [SEED_DIR]\n", argv[0]);
    return 2;
  }
  p2psip::testing::PcapFile pcap(argv[1]);
  std::ofstream manifest(argv[2]);
  if (!pcap.ok() || !manifest) {
    std::fprintf(stderr, "wire_pcap_writer: cannot write %s or %s\n", argv[1], argv[2]);
    return 1;
  }
  manifest << "# frame\tkind\tcode\ttxid\terror\tdescription\n";
  Writer w(&pcap, &manifest, argc > 4 ? argv[4] : "");
  WriteAll(w);

  // Negative control: a Ping whose length field claims 8 bytes more than there are.
  p2psip::testing::PcapFile broken(argv[3]);
  Message m;
  m.header.overlay = OverlayHash("overlay.example.org");
  m.header.transaction_id = 1;
  m.header.destination_list = {Destination::Node(Id(0xf0))};
  m.contents = *MakeContents(0x17, PingReq{});
  auto bytes = *EncodeMessage(m);
  bytes[19] += 8;
  std::vector<uint8_t> frame;
  ByteWriter fw(&frame);
  EncodeDataFrame(fw, 0, bytes);
  broken.WriteUdp(frame, 1, 2);
  return 0;
}

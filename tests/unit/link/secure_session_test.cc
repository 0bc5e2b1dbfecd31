// SecureSession handshakes and authentication (RFC 6940 §6.6.1, §11.3; digest §8), DTLS and
// TLS, RSA and ECDSA: mutual authentication against the overlay TrustStore at the injected
// time, the expected Node-ID, and each way a peer can be refused.
#include "p2psip/link/secure_session.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <ostream>
#include <string>

#include "secure_test_util.h"

namespace p2psip::link {
namespace {

using namespace ::p2psip::link::testing;  // NOLINT(build/namespaces)
using State = SecureSession::State;

struct Param {
  SecureTransport transport;
  SignatureScheme scheme;
  const char* name;
};
void PrintTo(const Param& p, std::ostream* os) { *os << p.name; }

class SecureSessionTest : public ::testing::TestWithParam<Param> {
 protected:
  SecureTransport transport() const { return GetParam().transport; }
  SignatureScheme scheme() const { return GetParam().scheme; }
  Identity Node(int which, uint8_t id, bool foreign = false, int64_t not_after = kNowS + kDay) {
    return Issue(Ca(scheme(), foreign), scheme(), which, id, kNowS - kDay, not_after);
  }
  std::shared_ptr<const SecureContext> Context(const Identity& who) {
    return MakeContext(who, scheme(), transport());
  }
};

TEST_P(SecureSessionTest, MutualHandshakeAndDataBothWays) {
  const Identity a = Node(0, 0xA1), b = Node(1, 0xB2);
  SessionPair p = Connect(Context(a), Context(b), b.id, a.id);
  ASSERT_EQ(p.client.state(), State::kEstablished) << p.client.status();
  ASSERT_EQ(p.server.state(), State::kEstablished) << p.server.status();
  EXPECT_EQ(p.client.PeerNodeIds(), std::vector<NodeId>{b.id});
  EXPECT_EQ(p.server.PeerNodeIds(), std::vector<NodeId>{a.id});
  ASSERT_TRUE(p.client.PeerCertificate().has_value());
  EXPECT_EQ(*p.client.PeerCertificate(), b.cert);
  EXPECT_EQ(*p.server.PeerCertificate(), a.cert);
  const std::string suite(p.client.CipherSuite());
  EXPECT_EQ(suite, p.server.CipherSuite());
  EXPECT_EQ(suite, scheme() == SignatureScheme::kEcdsaP256Sha256
                       ? "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
                       : "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
  EXPECT_EQ(p.client.counters().handshakes_completed, 1u);
  EXPECT_EQ(p.server.counters().handshakes_completed, 1u);

  ASSERT_TRUE(p.client.Send(B("ping from the client")).ok());
  ASSERT_TRUE(p.server.Send(B("answer from the server")).ok());
  ASSERT_TRUE(p.server.Send(Bytes(1400, 0x5A)).ok());
  Pump(p.client, p.server, kNowMs);
  const auto at_server = p.server.TakeReceived();
  const auto at_client = p.client.TakeReceived();
  ASSERT_EQ(at_server.size(), 1u);
  EXPECT_EQ(at_server[0], B("ping from the client"));
  Bytes joined;  // TLS may coalesce; DTLS keeps one element per record
  for (const Bytes& r : at_client) joined.insert(joined.end(), r.begin(), r.end());
  Bytes expected = B("answer from the server");
  expected.insert(expected.end(), 1400, 0x5A);
  EXPECT_EQ(joined, expected);
  if (transport() == SecureTransport::kDatagram) {
    EXPECT_EQ(at_client.size(), 2u);
  }
  EXPECT_EQ(p.server.counters().records_sealed, 2u);
  EXPECT_EQ(p.client.counters().records_opened, at_client.size());
  EXPECT_EQ(p.client.counters().bad_records_dropped, 0u);
}

TEST_P(SecureSessionTest, ClientRejectsServerWithWrongNodeId) {
  const Identity a = Node(0, 0xA1), b = Node(1, 0xB2);
  SessionPair p = Connect(Context(a), Context(b), Id(0xC3), a.id);
  EXPECT_EQ(p.client.state(), State::kFailed);
  EXPECT_EQ(p.client.failure(), HandshakeFailure::kWrongNodeId);
  EXPECT_EQ(p.client.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(p.client.status().message().find(b.id.ToHex()), std::string_view::npos);
  EXPECT_EQ(p.client.counters().failures(HandshakeFailure::kWrongNodeId), 1u);
  EXPECT_FALSE(p.server.established());
  EXPECT_TRUE(p.client.PeerNodeIds().empty());
}

TEST_P(SecureSessionTest, ServerRejectsClientWithWrongNodeId) {
  const Identity a = Node(0, 0xA1), b = Node(1, 0xB2);
  SessionPair p = Connect(Context(a), Context(b), b.id, Id(0xC3));
  EXPECT_EQ(p.server.failure(), HandshakeFailure::kWrongNodeId) << p.server.status();
  EXPECT_EQ(p.client.failure(), HandshakeFailure::kPeerAlert) << p.client.status();
  EXPECT_NE(p.client.status().message().find("access denied"), std::string_view::npos)
      << p.client.status();
}

TEST_P(SecureSessionTest, CertificateFromForeignCaRejected) {
  const Identity a = Node(0, 0xA1, /*foreign=*/true), b = Node(1, 0xB2);
  SessionPair p = Connect(Context(a), Context(b), b.id, a.id);
  EXPECT_EQ(p.server.failure(), HandshakeFailure::kUnknownCa) << p.server.status();
  EXPECT_EQ(crypto::CertificateErrorOf(p.server.status()), crypto::CertificateError::kUnknownCa);
  EXPECT_EQ(p.server.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(p.client.failure(), HandshakeFailure::kPeerAlert);
  EXPECT_NE(p.client.status().message().find("unknown CA"), std::string_view::npos)
      << p.client.status();
}

TEST_P(SecureSessionTest, ExpiredCertificateRejected) {
  const Identity a = Node(0, 0xA1);
  const Identity b = Node(1, 0xB2, false, /*not_after=*/kNowS - 60);  // the server's expired
  SessionPair p = Connect(Context(a), Context(b), b.id, a.id);
  EXPECT_EQ(p.client.failure(), HandshakeFailure::kExpired) << p.client.status();
  EXPECT_EQ(crypto::CertificateErrorOf(p.client.status()), crypto::CertificateError::kExpired);
  EXPECT_EQ(p.client.counters().failures(HandshakeFailure::kExpired), 1u);
  EXPECT_FALSE(p.server.established());
  // The same certificates an hour before they expired are fine: the time is the injected one.
  SessionPair earlier = Connect(Context(a), Context(b), b.id, a.id, uint64_t{kNowS - 3600} * 1000);
  EXPECT_TRUE(earlier.client.established()) << earlier.client.status();
}

TEST_P(SecureSessionTest, AnyTrustedPeerWithoutExpectedNodeId) {
  const Identity a = Node(0, 0xA1), b = Node(1, 0xB2);
  SessionPair p = Connect(Context(a), Context(b), std::nullopt, std::nullopt);
  EXPECT_TRUE(p.client.established()) << p.client.status();
  EXPECT_EQ(p.server.PeerNodeIds(), std::vector<NodeId>{a.id});
}

TEST_P(SecureSessionTest, SendNeedsAnEstablishedSessionAndARecordSize) {
  const Identity a = Node(0, 0xA1), b = Node(1, 0xB2);
  auto client = SecureSession::Create(Context(a), SecureRole::kClient, b.id, kNowMs);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_TRUE(client->HasOutput());  // the ClientHello
  EXPECT_EQ(client->Send(B("early")).code(), absl::StatusCode::kFailedPrecondition);
  SessionPair p = Connect(Context(a), Context(b), b.id, a.id);
  ASSERT_TRUE(p.client.established());
  EXPECT_EQ(p.client.Send({}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(p.client.Send(Bytes(16385, 1)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(p.client.Send(Bytes(16384, 1)).ok());
}

TEST_P(SecureSessionTest, CloseNotifyClosesThePeer) {
  const Identity a = Node(0, 0xA1), b = Node(1, 0xB2);
  SessionPair p = Connect(Context(a), Context(b), b.id, a.id);
  ASSERT_TRUE(p.server.established());
  p.client.Close();
  EXPECT_EQ(p.client.state(), State::kClosed);
  Pump(p.client, p.server, kNowMs);
  EXPECT_EQ(p.server.state(), State::kClosed);
  EXPECT_TRUE(p.server.status().ok());
  EXPECT_EQ(p.client.Send(B("late")).code(), absl::StatusCode::kFailedPrecondition);
}

// A BoringSSL client configured without any certificate: something SecureContext never
// builds, so the test makes it directly. Memory BIOs: each read sees what was written since.
class NoCertificateClient {
 public:
  explicit NoCertificateClient(bool dtls) : ctx_(SSL_CTX_new(dtls ? DTLS_method() : TLS_method())) {
    SSL_CTX_set_min_proto_version(ctx_.get(), dtls ? DTLS1_2_VERSION : TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx_.get(), dtls ? DTLS1_2_VERSION : TLS1_2_VERSION);
    SSL_CTX_set_custom_verify(ctx_.get(), SSL_VERIFY_NONE,
                              [](SSL*, uint8_t*) { return ssl_verify_ok; });
    ssl_.reset(SSL_new(ctx_.get()));
    in_ = BIO_new(BIO_s_mem());
    out_ = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(in_, -1);
    SSL_set_bio(ssl_.get(), in_, out_);
    if (dtls) {
      SSL_set_options(ssl_.get(), SSL_OP_NO_QUERY_MTU);
      SSL_set_mtu(ssl_.get(), 1400);
    }
    SSL_set_connect_state(ssl_.get());
  }
  Bytes Step(const Bytes& input) {
    if (!input.empty()) BIO_write(in_, input.data(), static_cast<int>(input.size()));
    SSL_do_handshake(ssl_.get());
    const uint8_t* data = nullptr;
    size_t length = 0;
    BIO_mem_contents(out_, &data, &length);
    Bytes out(data, data + length);
    BIO_reset(out_);
    return out;
  }

 private:
  bssl::UniquePtr<SSL_CTX> ctx_;
  bssl::UniquePtr<SSL> ssl_;
  BIO* in_;   // owned by ssl_
  BIO* out_;  // owned by ssl_
};

TEST_P(SecureSessionTest, ServerRequiresAClientCertificate) {
  const Identity b = Node(1, 0xB2);
  auto server = SecureSession::Create(Context(b), SecureRole::kServer, std::nullopt, kNowMs);
  ASSERT_TRUE(server.ok());
  NoCertificateClient client(transport() == SecureTransport::kDatagram);
  Bytes to_server = client.Step({});
  for (int i = 0; i < 8 && !to_server.empty() && server->state() == State::kHandshaking; ++i) {
    (void)server->OnReceive(to_server, kNowMs);
    Bytes to_client;
    for (const Bytes& d : server->TakeOutput())
      to_client.insert(to_client.end(), d.begin(), d.end());
    to_server = client.Step(to_client);
  }
  EXPECT_EQ(server->state(), State::kFailed);
  EXPECT_EQ(server->failure(), HandshakeFailure::kNoPeerCertificate) << server->status();
  EXPECT_EQ(server->status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(server->counters().failures(HandshakeFailure::kNoPeerCertificate), 1u);
}

TEST(SecureContextTest, RefusesAKeyThatIsNotTheLeafs) {
  const Identity a =
      Issue(Ca(SignatureScheme::kEcdsaP256Sha256), SignatureScheme::kEcdsaP256Sha256, 0, 0xA1);
  const Identity b =
      Issue(Ca(SignatureScheme::kEcdsaP256Sha256), SignatureScheme::kEcdsaP256Sha256, 1, 0xB2);
  auto context =
      SecureContext::Create(*a.key, {b.cert}, Trust(SignatureScheme::kEcdsaP256Sha256), {});
  EXPECT_EQ(context.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SecureContext::Create(*a.key, {}, Trust(SignatureScheme::kEcdsaP256Sha256), {})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  SecureContextOptions tiny;
  tiny.dtls_mtu = 100;
  EXPECT_EQ(SecureContext::Create(*a.key, {a.cert}, Trust(SignatureScheme::kEcdsaP256Sha256), tiny)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(
    All, SecureSessionTest,
    ::testing::Values(
        Param{SecureTransport::kDatagram, SignatureScheme::kEcdsaP256Sha256, "dtls_ecdsa"},
        Param{SecureTransport::kDatagram, SignatureScheme::kRsa2048Sha256, "dtls_rsa"},
        Param{SecureTransport::kStream, SignatureScheme::kEcdsaP256Sha256, "tls_ecdsa"},
        Param{SecureTransport::kStream, SignatureScheme::kRsa2048Sha256, "tls_rsa"}),
    [](const auto& test) { return std::string(test.param.name); });

}  // namespace
}  // namespace p2psip::link

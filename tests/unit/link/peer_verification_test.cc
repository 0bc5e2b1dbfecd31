// The peer-certificate rule of a (D)TLS handshake, on its own (digest §8): chains BoringSSL
// would hand the verify callback, including ones the in-memory handshakes cannot easily make
// (no chain, bytes that are not a certificate, a certificate not yet valid).
#include "link/peer_verification.h"

#include <gtest/gtest.h>
#include <openssl/pool.h>
#include <openssl/ssl.h>

#include "secure_test_util.h"

namespace p2psip::link::internal {
namespace {

using namespace ::p2psip::link::testing;  // NOLINT(build/namespaces)

constexpr SignatureScheme kScheme = SignatureScheme::kEcdsaP256Sha256;

bssl::UniquePtr<STACK_OF(CRYPTO_BUFFER)> Chain(const std::vector<Bytes>& ders) {
  bssl::UniquePtr<STACK_OF(CRYPTO_BUFFER)> chain(sk_CRYPTO_BUFFER_new_null());
  for (const Bytes& der : ders) {
    bssl::UniquePtr<CRYPTO_BUFFER> buffer(CRYPTO_BUFFER_new(der.data(), der.size(), nullptr));
    EXPECT_TRUE(bssl::PushToStack(chain.get(), std::move(buffer)));
  }
  return chain;
}

Bytes Der(const crypto::Certificate& c) { return Bytes(c.der().begin(), c.der().end()); }

TEST(PeerVerificationTest, AcceptsATrustedLeafWithTheExpectedNodeId) {
  const Identity a = Issue(Ca(kScheme), kScheme, 0, 0xA1);
  auto chain = Chain({Der(a.cert)});
  const PeerVerdict v = VerifyPeerChain(chain.get(), *Trust(kScheme), kNowS, a.id);
  EXPECT_EQ(v.failure, HandshakeFailure::kNone) << v.status;
  ASSERT_TRUE(v.leaf.has_value());
  EXPECT_EQ(*v.leaf, a.cert);
  // Extra certificates after the leaf are treated as (unneeded) intermediates.
  auto longer = Chain({Der(a.cert), Der(Ca(kScheme).root())});
  EXPECT_EQ(VerifyPeerChain(longer.get(), *Trust(kScheme), kNowS, a.id).failure,
            HandshakeFailure::kNone);
}

TEST(PeerVerificationTest, NoChainIsNoCertificate) {
  auto empty = Chain({});
  for (const STACK_OF(CRYPTO_BUFFER) * c : {static_cast<STACK_OF(CRYPTO_BUFFER)*>(nullptr),
                                            static_cast<STACK_OF(CRYPTO_BUFFER)*>(empty.get())}) {
    const PeerVerdict v = VerifyPeerChain(c, *Trust(kScheme), kNowS, std::nullopt);
    EXPECT_EQ(v.failure, HandshakeFailure::kNoPeerCertificate);
    EXPECT_EQ(v.status.code(), absl::StatusCode::kUnauthenticated);
    EXPECT_FALSE(v.leaf.has_value());
  }
}

TEST(PeerVerificationTest, BytesThatAreNotACertificateAreRefused) {
  auto chain = Chain({B("not a certificate")});
  const PeerVerdict v = VerifyPeerChain(chain.get(), *Trust(kScheme), kNowS, std::nullopt);
  EXPECT_EQ(v.failure, HandshakeFailure::kBadPeerCertificate);
  EXPECT_EQ(v.alert, SSL_AD_UNSUPPORTED_CERTIFICATE);
}

TEST(PeerVerificationTest, EachChainErrorKeepsItsReason) {
  const Identity a = Issue(Ca(kScheme), kScheme, 0, 0xA1, kNowS + kDay, kNowS + 2 * kDay);
  auto chain = Chain({Der(a.cert)});
  PeerVerdict v = VerifyPeerChain(chain.get(), *Trust(kScheme), kNowS, std::nullopt);
  EXPECT_EQ(v.failure, HandshakeFailure::kNotYetValid) << v.status;
  EXPECT_EQ(crypto::CertificateErrorOf(v.status), crypto::CertificateError::kNotYetValid);
  v = VerifyPeerChain(chain.get(), *Trust(kScheme), kNowS + 3 * kDay, std::nullopt);
  EXPECT_EQ(v.failure, HandshakeFailure::kExpired) << v.status;
  EXPECT_EQ(v.alert, SSL_AD_CERTIFICATE_EXPIRED);
  // Trusted by another overlay only: unknown CA, whatever the time.
  v = VerifyPeerChain(chain.get(), *Trust(SignatureScheme::kRsa2048Sha256), kNowS + kDay + 60,
                      std::nullopt);
  EXPECT_EQ(v.failure, HandshakeFailure::kUnknownCa) << v.status;
  EXPECT_EQ(v.alert, SSL_AD_UNKNOWN_CA);
}

TEST(PeerVerificationTest, WrongNodeIdIsAccessDenied) {
  const Identity a = Issue(Ca(kScheme), kScheme, 0, 0xA1);
  auto chain = Chain({Der(a.cert)});
  const PeerVerdict v = VerifyPeerChain(chain.get(), *Trust(kScheme), kNowS, Id(0xB2));
  EXPECT_EQ(v.failure, HandshakeFailure::kWrongNodeId);
  EXPECT_EQ(v.status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(v.alert, SSL_AD_ACCESS_DENIED);
  EXPECT_FALSE(v.leaf.has_value());
}

}  // namespace
}  // namespace p2psip::link::internal

#include "p2psip/crypto/signing_key.h"

#include <gtest/gtest.h>
#include <openssl/bytestring.h>
#include <openssl/ec_key.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/rsa.h>

#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "p2psip/wire/constants.h"

namespace p2psip::crypto {

// Names the parameter in gtest's messages (found by argument-dependent lookup).
void PrintTo(SignatureScheme scheme, std::ostream* os) {
  *os << (scheme == SignatureScheme::kRsa2048Sha256 ? "rsa-2048" : "ecdsa-p256");
}

namespace {

using Bytes = std::vector<uint8_t>;

Bytes Input(std::string_view s) { return Bytes(s.begin(), s.end()); }

// A key straight from BoringSSL, of any type and size, to feed the parsers what they must refuse.
// `param` is the RSA modulus size or the EC curve NID; unused for Ed25519.
bssl::UniquePtr<EVP_PKEY> RawKey(int type, int param) {
  bssl::UniquePtr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_id(type, nullptr));
  EXPECT_NE(ctx, nullptr);
  EXPECT_TRUE(EVP_PKEY_keygen_init(ctx.get()));
  if (type == EVP_PKEY_RSA) {
    EXPECT_TRUE(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), param));
  } else if (type == EVP_PKEY_EC) {
    EXPECT_TRUE(EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx.get(), param));
  }
  EVP_PKEY* key = nullptr;
  EXPECT_TRUE(EVP_PKEY_keygen(ctx.get(), &key));
  return bssl::UniquePtr<EVP_PKEY>(key);
}

template <class Fn, class T>
Bytes Marshal(Fn marshal, const T* key) {
  bssl::ScopedCBB cbb;
  uint8_t* der = nullptr;
  size_t length = 0;
  EXPECT_TRUE(CBB_init(cbb.get(), 0) && marshal(cbb.get(), key) &&
              CBB_finish(cbb.get(), &der, &length));
  bssl::UniquePtr<uint8_t> owned(der);
  return Bytes(der, der + length);
}

Bytes Pkcs8(const EVP_PKEY* key) { return Marshal(EVP_marshal_private_key, key); }
Bytes Spki(const EVP_PKEY* key) { return Marshal(EVP_marshal_public_key, key); }

bssl::UniquePtr<EVP_PKEY> ParsePkcs8(const Bytes& der) {
  CBS cbs;
  CBS_init(&cbs, der.data(), der.size());
  return bssl::UniquePtr<EVP_PKEY>(EVP_parse_private_key(&cbs));
}

// The raw (non-PKCS#8) private key form: RSAPrivateKey or ECPrivateKey with its curve.
Bytes RawPrivateKeyDer(const EVP_PKEY* key) {
  if (EVP_PKEY_id(key) == EVP_PKEY_RSA) {
    return Marshal(RSA_marshal_private_key, EVP_PKEY_get0_RSA(key));
  }
  return Marshal([](CBB* cbb, const EC_KEY* ec) { return EC_KEY_marshal_private_key(cbb, ec, 0); },
                 EVP_PKEY_get0_EC_KEY(key));
}

// Keys are slow to generate (RSA especially, more so under sanitizers): two per scheme, shared.
const SigningKey& Key(SignatureScheme scheme, int which = 0) {
  static const std::vector<SigningKey> keys = [] {
    std::vector<SigningKey> k;
    for (SignatureScheme s : {SignatureScheme::kRsa2048Sha256, SignatureScheme::kEcdsaP256Sha256}) {
      for (int i = 0; i < 2; ++i) k.push_back(*SigningKey::Generate(s));
    }
    return k;
  }();
  return keys[(scheme == SignatureScheme::kRsa2048Sha256 ? 0 : 2) + which];
}

VerifyingKey PublicOf(const SigningKey& key) {
  absl::StatusOr<VerifyingKey> v = VerifyingKey::FromPublicKeyDer(key.PublicKeyDer());
  EXPECT_TRUE(v.ok()) << v.status();
  return *std::move(v);
}

Bytes SignOrDie(const SigningKey& key, const Bytes& input) {
  absl::StatusOr<Bytes> sig = key.Sign(input);
  EXPECT_TRUE(sig.ok()) << sig.status();
  return sig.ok() ? *sig : Bytes{};
}

TEST(WirePairTest, ReloadSignatureAndHashAlgorithm) {
  EXPECT_EQ(WirePair(SignatureScheme::kRsa2048Sha256), (SignatureAndHash{4, 1}));
  EXPECT_EQ(WirePair(SignatureScheme::kEcdsaP256Sha256), (SignatureAndHash{4, 3}));
  EXPECT_EQ(SchemeFromWire(4, 1), SignatureScheme::kRsa2048Sha256);
  EXPECT_EQ(SchemeFromWire(4, 3), SignatureScheme::kEcdsaP256Sha256);
}

TEST(WirePairTest, OtherPairsAreNotVerified) {
  EXPECT_EQ(SchemeFromWire(wire::kHashNone, wire::kSigAnonymous), std::nullopt);
  EXPECT_EQ(SchemeFromWire(wire::kHashSha1, wire::kSigRsa), std::nullopt);    // SHA-1
  EXPECT_EQ(SchemeFromWire(wire::kHashSha1, wire::kSigEcdsa), std::nullopt);  // SHA-1
  EXPECT_EQ(SchemeFromWire(5, 1), std::nullopt);                              // SHA-384
  EXPECT_EQ(SchemeFromWire(4, 2), std::nullopt);                              // DSA
  EXPECT_EQ(SchemeFromWire(4, 0), std::nullopt);
}

class SigningKeyTest : public testing::TestWithParam<SignatureScheme> {
 protected:
  const SigningKey& key() const { return Key(GetParam()); }
  const Bytes input_ = Input("resource|kind|storage_time|value|signer identity");
};

TEST_P(SigningKeyTest, GeneratedKeyHasItsScheme) {
  EXPECT_EQ(key().scheme(), GetParam());
  EXPECT_EQ(PublicOf(key()).scheme(), GetParam());
}

TEST_P(SigningKeyTest, SignatureVerifies) {
  const Bytes sig = SignOrDie(key(), input_);
  if (GetParam() == SignatureScheme::kRsa2048Sha256) {
    EXPECT_EQ(sig.size(), 256u);
  } else {
    ASSERT_LE(sig.size(), 72u);
    EXPECT_EQ(sig[0], 0x30);  // DER SEQUENCE { r, s }
  }
  EXPECT_TRUE(PublicOf(key()).Verify(input_, sig));
}

TEST_P(SigningKeyTest, EmptyInputSignsAndVerifies) {
  const Bytes sig = SignOrDie(key(), {});
  EXPECT_TRUE(PublicOf(key()).Verify({}, sig));
  EXPECT_FALSE(PublicOf(key()).Verify(input_, sig));
}

TEST_P(SigningKeyTest, FlippedInputByteFails) {
  const Bytes sig = SignOrDie(key(), input_);
  const VerifyingKey pub = PublicOf(key());
  for (size_t i = 0; i < input_.size(); ++i) {
    Bytes bad = input_;
    bad[i] ^= 0x01;
    EXPECT_FALSE(pub.Verify(bad, sig)) << "byte " << i;
  }
  Bytes longer = input_;
  longer.push_back(0);
  EXPECT_FALSE(pub.Verify(longer, sig));
  EXPECT_FALSE(pub.Verify(Bytes(input_.begin(), input_.end() - 1), sig));
}

TEST_P(SigningKeyTest, FlippedSignatureByteFails) {
  const Bytes sig = SignOrDie(key(), input_);
  const VerifyingKey pub = PublicOf(key());
  for (size_t i = 0; i < sig.size(); ++i) {
    Bytes bad = sig;
    bad[i] ^= 0x01;
    EXPECT_FALSE(pub.Verify(input_, bad)) << "byte " << i;
  }
}

TEST_P(SigningKeyTest, TruncatedExtendedOrEmptySignatureFails) {
  const Bytes sig = SignOrDie(key(), input_);
  const VerifyingKey pub = PublicOf(key());
  EXPECT_FALSE(pub.Verify(input_, Bytes(sig.begin(), sig.end() - 1)));
  EXPECT_FALSE(pub.Verify(input_, Bytes(sig.begin(), sig.begin() + 1)));
  EXPECT_FALSE(pub.Verify(input_, {}));
  Bytes extended = sig;
  extended.push_back(0);
  EXPECT_FALSE(pub.Verify(input_, extended));
  EXPECT_TRUE(pub.Verify(input_, sig));  // the same key still verifies after the failures
}

TEST_P(SigningKeyTest, AnotherKeysSignatureFails) {
  const Bytes other = SignOrDie(Key(GetParam(), 1), input_);
  EXPECT_FALSE(PublicOf(key()).Verify(input_, other));
  EXPECT_TRUE(PublicOf(Key(GetParam(), 1)).Verify(input_, other));
}

TEST_P(SigningKeyTest, OtherSchemesSignatureFails) {
  const SignatureScheme other = GetParam() == SignatureScheme::kRsa2048Sha256
                                    ? SignatureScheme::kEcdsaP256Sha256
                                    : SignatureScheme::kRsa2048Sha256;
  EXPECT_FALSE(PublicOf(key()).Verify(input_, SignOrDie(Key(other), input_)));
}

TEST_P(SigningKeyTest, PublicKeyDerRoundTrip) {
  const Bytes spki = key().PublicKeyDer();
  absl::StatusOr<VerifyingKey> pub = VerifyingKey::FromPublicKeyDer(spki);
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(pub->scheme(), GetParam());
  EXPECT_TRUE(pub->Verify(input_, SignOrDie(key(), input_)));
  // What BoringSSL itself marshals for the key.
  EXPECT_EQ(spki, Spki(ParsePkcs8(key().PrivateKeyDer()).get()));
}

TEST_P(SigningKeyTest, PrivateKeyDerRoundTrip) {
  absl::StatusOr<SigningKey> copy = SigningKey::FromPrivateKeyDer(key().PrivateKeyDer());
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ(copy->scheme(), GetParam());
  EXPECT_EQ(copy->PublicKeyDer(), key().PublicKeyDer());
  EXPECT_TRUE(PublicOf(key()).Verify(input_, SignOrDie(*copy, input_)));
}

TEST_P(SigningKeyTest, RawPrivateKeyFormIsAccepted) {
  const Bytes raw = RawPrivateKeyDer(ParsePkcs8(key().PrivateKeyDer()).get());
  ASSERT_NE(raw, key().PrivateKeyDer());
  absl::StatusOr<SigningKey> copy = SigningKey::FromPrivateKeyDer(raw);
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ(copy->scheme(), GetParam());
  EXPECT_TRUE(PublicOf(key()).Verify(input_, SignOrDie(*copy, input_)));
}

TEST_P(SigningKeyTest, TrailingBytesAfterKeyAreRejected) {
  Bytes priv = key().PrivateKeyDer();
  priv.push_back(0);
  EXPECT_EQ(SigningKey::FromPrivateKeyDer(priv).status().code(),
            absl::StatusCode::kInvalidArgument);
  Bytes raw = RawPrivateKeyDer(ParsePkcs8(key().PrivateKeyDer()).get());
  raw.push_back(0);
  EXPECT_EQ(SigningKey::FromPrivateKeyDer(raw).status().code(), absl::StatusCode::kInvalidArgument);
  Bytes spki = key().PublicKeyDer();
  spki.push_back(0);
  EXPECT_EQ(VerifyingKey::FromPublicKeyDer(spki).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(SigningKeyTest, PublicAndPrivateFormsAreNotInterchangeable) {
  EXPECT_EQ(SigningKey::FromPrivateKeyDer(key().PublicKeyDer()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyingKey::FromPublicKeyDer(key().PrivateKeyDer()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(SigningKeyTest, CopiesOfAVerifyingKeyVerifyFromSeveralThreads) {
  const Bytes sig = SignOrDie(key(), input_);
  const VerifyingKey original = PublicOf(key());
  VerifyingKey assigned = PublicOf(Key(GetParam(), 1));
  assigned = original;
  std::vector<std::thread> threads;
  std::vector<int> verified(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t, copy = VerifyingKey(original)] {
      for (int i = 0; i < 20; ++i) verified[t] += (t % 2 ? copy : assigned).Verify(input_, sig);
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(verified, std::vector<int>(4, 20));
}

INSTANTIATE_TEST_SUITE_P(Schemes, SigningKeyTest,
                         testing::Values(SignatureScheme::kRsa2048Sha256,
                                         SignatureScheme::kEcdsaP256Sha256),
                         [](const testing::TestParamInfo<SignatureScheme>& p) {
                           return p.param == SignatureScheme::kRsa2048Sha256
                                      ? std::string("Rsa2048")
                                      : std::string("EcdsaP256");
                         });

void ExpectRejected(const EVP_PKEY* key, const char* why) {
  absl::StatusOr<SigningKey> priv = SigningKey::FromPrivateKeyDer(Pkcs8(key));
  EXPECT_EQ(priv.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(priv.status().message().find(why), absl::string_view::npos) << priv.status();
  absl::StatusOr<VerifyingKey> pub = VerifyingKey::FromPublicKeyDer(Spki(key));
  EXPECT_EQ(pub.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(pub.status().message().find(why), absl::string_view::npos) << pub.status();
}

TEST(KeyParsingTest, Rsa1024IsRejected) {
  bssl::UniquePtr<EVP_PKEY> rsa1024 = RawKey(EVP_PKEY_RSA, 1024);
  ExpectRejected(rsa1024.get(), "1024 bits");
  EXPECT_EQ(SigningKey::FromPrivateKeyDer(RawPrivateKeyDer(rsa1024.get())).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(KeyParsingTest, Rsa3072IsAccepted) {
  bssl::UniquePtr<EVP_PKEY> rsa3072 = RawKey(EVP_PKEY_RSA, 3072);
  absl::StatusOr<SigningKey> priv = SigningKey::FromPrivateKeyDer(Pkcs8(rsa3072.get()));
  ASSERT_TRUE(priv.ok()) << priv.status();
  EXPECT_EQ(priv->scheme(), SignatureScheme::kRsa2048Sha256);
  absl::StatusOr<VerifyingKey> pub = VerifyingKey::FromPublicKeyDer(Spki(rsa3072.get()));
  ASSERT_TRUE(pub.ok()) << pub.status();
  const Bytes input = Input("three thousand and seventy-two");
  const Bytes sig = SignOrDie(*priv, input);
  EXPECT_EQ(sig.size(), 384u);
  EXPECT_TRUE(pub->Verify(input, sig));
}

TEST(KeyParsingTest, P384IsRejected) {
  bssl::UniquePtr<EVP_PKEY> p384 = RawKey(EVP_PKEY_EC, NID_secp384r1);
  ExpectRejected(p384.get(), "secp384r1");
  EXPECT_EQ(SigningKey::FromPrivateKeyDer(RawPrivateKeyDer(p384.get())).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(KeyParsingTest, Ed25519IsRejected) {
  bssl::UniquePtr<EVP_PKEY> ed25519 = RawKey(EVP_PKEY_ED25519, 0);
  ExpectRejected(ed25519.get(), "unsupported key type");
}

TEST(KeyParsingTest, GarbageIsRejected) {
  const Bytes valid_priv = Key(SignatureScheme::kEcdsaP256Sha256).PrivateKeyDer();
  const Bytes valid_pub = Key(SignatureScheme::kEcdsaP256Sha256).PublicKeyDer();
  const std::vector<Bytes> garbage = {
      {},
      {0x00},
      {0x30, 0x00},
      {0x30, 0x82, 0xFF, 0xFF, 0x02, 0x01, 0x00},
      Input("-----BEGIN PRIVATE KEY-----"),
      Bytes(valid_priv.begin(), valid_priv.end() - 1),
      Bytes(valid_pub.begin(), valid_pub.end() - 1),
      Bytes(valid_priv.begin() + 1, valid_priv.end()),
  };
  for (size_t i = 0; i < garbage.size(); ++i) {
    EXPECT_EQ(SigningKey::FromPrivateKeyDer(garbage[i]).status().code(),
              absl::StatusCode::kInvalidArgument)
        << "garbage " << i;
    EXPECT_EQ(VerifyingKey::FromPublicKeyDer(garbage[i]).status().code(),
              absl::StatusCode::kInvalidArgument)
        << "garbage " << i;
  }
}

}  // namespace
}  // namespace p2psip::crypto

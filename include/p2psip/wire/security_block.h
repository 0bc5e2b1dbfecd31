// SecurityBlock (RFC 6940 §6.3.4): the certificates and the signature that end every message,
// and the Signature / SignerIdentity that also sign every StoredData (§7).
//
//   GenericCertificate = CertificateType type · opaque certificate<0..2^16-1>
//   SignerIdentity     = SignerIdentityType type · uint16 length · value[length]
//                        (cert_hash, cert_hash_node_id: HashAlgorithm · opaque hash<0..2^8-1>;
//                         none: empty)
//   Signature          = SignatureAndHashAlgorithm (hash, then sig) · SignerIdentity ·
//                        opaque signature_value<0..2^16-1>
//   SecurityBlock      = GenericCertificate certificates<0..2^16-1> · Signature
#ifndef P2PSIP_WIRE_SECURITY_BLOCK_H_
#define P2PSIP_WIRE_SECURITY_BLOCK_H_

#include <cstdint>
#include <vector>

#include "p2psip/wire/byte_reader.h"
#include "p2psip/wire/byte_writer.h"
#include "p2psip/wire/constants.h"

namespace p2psip::wire {

struct GenericCertificate {
  uint8_t type = static_cast<uint8_t>(CertificateType::kX509);
  std::vector<uint8_t> certificate;  // DER for X.509
  friend bool operator==(const GenericCertificate&, const GenericCertificate&) = default;
};

struct SignerIdentity {
  SignerIdentityType type = SignerIdentityType::kNone;
  // cert_hash / cert_hash_node_id: the hash algorithm and the hash.
  uint8_t hash_algorithm = kHashNone;
  std::vector<uint8_t> hash;
  // Identity types this codec does not know: the raw value (the length lets us skip it).
  std::vector<uint8_t> unknown_value;

  static SignerIdentity None() { return {}; }
  static SignerIdentity CertHash(uint8_t alg, std::vector<uint8_t> h) {
    return {SignerIdentityType::kCertHash, alg, std::move(h), {}};
  }
  static SignerIdentity CertHashNodeId(uint8_t alg, std::vector<uint8_t> h) {
    return {SignerIdentityType::kCertHashNodeId, alg, std::move(h), {}};
  }
  friend bool operator==(const SignerIdentity&, const SignerIdentity&) = default;
};

struct Signature {
  uint8_t hash_algorithm = kHashNone;           // TLS 1.2 HashAlgorithm
  uint8_t signature_algorithm = kSigAnonymous;  // TLS 1.2 SignatureAlgorithm
  SignerIdentity identity;
  std::vector<uint8_t> value;
  // The {0,0} / identity none form used for synthesized "nonexistent" values (§7.4.2).
  bool IsAnonymous() const {
    return hash_algorithm == kHashNone && signature_algorithm == kSigAnonymous;
  }
  friend bool operator==(const Signature&, const Signature&) = default;
};

struct SecurityBlock {
  std::vector<GenericCertificate> certificates;
  Signature signature;
  friend bool operator==(const SecurityBlock&, const SecurityBlock&) = default;
};

bool Decode(ByteReader& r, GenericCertificate* out);
void Encode(ByteWriter& w, const GenericCertificate& v);
bool Decode(ByteReader& r, SignerIdentity* out);
void Encode(ByteWriter& w, const SignerIdentity& v);
bool Decode(ByteReader& r, Signature* out);
void Encode(ByteWriter& w, const Signature& v);
bool Decode(ByteReader& r, SecurityBlock* out);
void Encode(ByteWriter& w, const SecurityBlock& v);

}  // namespace p2psip::wire

#endif  // P2PSIP_WIRE_SECURITY_BLOCK_H_

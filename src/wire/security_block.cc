#include "p2psip/wire/security_block.h"

namespace p2psip::wire {

bool Decode(ByteReader& r, GenericCertificate* out) {
  return r.ReadU8(&out->type, "certificate.type") &&
         r.ReadOpaque(2, &out->certificate, "certificate.certificate");
}

void Encode(ByteWriter& w, const GenericCertificate& v) {
  w.WriteU8(v.type);
  w.WriteOpaque(2, v.certificate, "certificate.certificate");
}

bool Decode(ByteReader& r, SignerIdentity* out) {
  const uint32_t start = r.offset();
  uint8_t type = 0;
  ByteReader value;
  if (!r.ReadU8(&type, "signer_identity.type") ||
      !r.ReadVector(2, &value, "signer_identity.length")) {
    return false;
  }
  *out = SignerIdentity{};
  out->type = static_cast<SignerIdentityType>(type);
  switch (out->type) {
    case SignerIdentityType::kInvalid:
      return r.FailAt(DecodeErrorCode::kBadValue, start, "signer_identity.type (0 is invalid)");
    case SignerIdentityType::kCertHash:
    case SignerIdentityType::kCertHashNodeId:
      return value.ReadU8(&out->hash_algorithm, "signer_identity.hash_alg") &&
             value.ReadOpaque(1, &out->hash, "signer_identity.hash") &&
             value.ExpectEnd("signer_identity.length");
    case SignerIdentityType::kNone:
      return value.ExpectEnd("signer_identity.length (none carries no value)");
    default: {
      auto raw = value.rest();
      out->unknown_value.assign(raw.begin(), raw.end());
      return true;
    }
  }
}

void Encode(ByteWriter& w, const SignerIdentity& v) {
  w.WriteU8(static_cast<uint8_t>(v.type));
  const size_t mark = w.BeginVector(2);
  switch (v.type) {
    case SignerIdentityType::kCertHash:
    case SignerIdentityType::kCertHashNodeId:
      w.WriteU8(v.hash_algorithm);
      w.WriteOpaque(1, v.hash, "signer_identity.hash");
      break;
    case SignerIdentityType::kNone:
    case SignerIdentityType::kInvalid:
      break;
    default:
      w.WriteBytes(v.unknown_value);
      break;
  }
  w.EndVector(mark, 2, "signer_identity.length");
}

bool Decode(ByteReader& r, Signature* out) {
  return r.ReadU8(&out->hash_algorithm, "signature.algorithm.hash") &&
         r.ReadU8(&out->signature_algorithm, "signature.algorithm.signature") &&
         Decode(r, &out->identity) && r.ReadOpaque(2, &out->value, "signature.signature_value");
}

void Encode(ByteWriter& w, const Signature& v) {
  w.WriteU8(v.hash_algorithm);
  w.WriteU8(v.signature_algorithm);
  Encode(w, v.identity);
  w.WriteOpaque(2, v.value, "signature.signature_value");
}

bool Decode(ByteReader& r, SecurityBlock* out) {
  return ReadList(r, 2, &out->certificates, "security_block.certificates") &&
         Decode(r, &out->signature);
}

void Encode(ByteWriter& w, const SecurityBlock& v) {
  WriteList(w, 2, v.certificates, "security_block.certificates");
  Encode(w, v.signature);
}

}  // namespace p2psip::wire

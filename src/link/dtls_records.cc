#include "link/dtls_records.h"

#include <openssl/mem.h>
#include <openssl/nid.h>

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace p2psip::link::internal {
namespace {

constexpr uint64_t kSequenceMask = (uint64_t{1} << 48) - 1;
constexpr uint8_t kVersionHigh = 0xfe, kVersionLow = 0xfd;  // DTLS 1.2

void Put(uint8_t* p, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) {
    p[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}
uint64_t Get(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = v << 8 | p[i];
  return v;
}

// Additional data of RFC 5246 §6.2.3.3 with DTLS's epoch ‖ sequence as the sequence number.
void AdditionalData(uint8_t ad[13], uint16_t epoch, uint64_t seq, uint8_t type, size_t length) {
  Put(ad, epoch, 2);
  Put(ad + 2, seq, 6);
  ad[8] = type;
  ad[9] = kVersionHigh;
  ad[10] = kVersionLow;
  Put(ad + 11, length, 2);
}

}  // namespace

absl::StatusOr<std::unique_ptr<DtlsRecords>> DtlsRecords::Create(const SSL* ssl, bool client) {
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
  if (cipher == nullptr || SSL_version(ssl) != DTLS1_2_VERSION) {
    return absl::UnimplementedError("not an established DTLS 1.2 session");
  }
  const EVP_AEAD* aead = nullptr;
  switch (SSL_CIPHER_get_cipher_nid(cipher)) {
    case NID_aes_128_gcm:
      aead = EVP_aead_aes_128_gcm();
      break;
    case NID_aes_256_gcm:
      aead = EVP_aead_aes_256_gcm();
      break;
    default:
      return absl::UnimplementedError(
          absl::StrCat("no fast records for ", SSL_CIPHER_standard_name(cipher)));
  }
  const size_t key_len = EVP_AEAD_key_length(aead);
  constexpr size_t kSalt = 4;
  std::array<uint8_t, 2 * (32 + kSalt)> block{};
  const size_t block_len = SSL_get_key_block_len(ssl);
  if (block_len != 2 * (key_len + kSalt) || !SSL_generate_key_block(ssl, block.data(), block_len)) {
    return absl::InternalError("BoringSSL gave no key block");
  }
  // client key ‖ server key ‖ client salt ‖ server salt (no MAC keys for an AEAD suite).
  const uint8_t* client_key = block.data();
  const uint8_t* server_key = block.data() + key_len;
  const uint8_t* client_salt = block.data() + 2 * key_len;
  const uint8_t* server_salt = client_salt + kSalt;
  std::unique_ptr<DtlsRecords> owned(new DtlsRecords());
  DtlsRecords& r = *owned;
  if (!EVP_AEAD_CTX_init(r.seal_.get(), aead, client ? client_key : server_key, key_len, kGcmTag,
                         nullptr) ||
      !EVP_AEAD_CTX_init(r.open_.get(), aead, client ? server_key : client_key, key_len, kGcmTag,
                         nullptr)) {
    OPENSSL_cleanse(block.data(), block.size());
    return absl::InternalError("EVP_AEAD_CTX_init failed");
  }
  std::memcpy(r.write_salt_.data(), client ? client_salt : server_salt, kSalt);
  std::memcpy(r.read_salt_.data(), client ? server_salt : client_salt, kSalt);
  const uint64_t write = SSL_get_write_sequence(ssl);
  const uint64_t read = SSL_get_read_sequence(ssl);
  r.epoch_ = static_cast<uint16_t>(write >> 48);
  if (r.epoch_ == 0 || static_cast<uint16_t>(read >> 48) != r.epoch_) {
    return absl::InternalError("the session's read and write epochs differ");
  }
  r.write_seq_ = write & kSequenceMask;
  // What BoringSSL saw of this epoch (its Finished, perhaps records that came with it) counts as
  // seen; anything older is refused.
  r.read_max_ = read & kSequenceMask;
  r.window_ = ~uint64_t{0};
  OPENSSL_cleanse(block.data(), block.size());  // the keys live on in the AEAD contexts only
  return owned;
}

bool DtlsRecords::Fresh(uint64_t seq) const {
  if (seq > read_max_) return true;
  const uint64_t back = read_max_ - seq;
  return back < 64 && (window_ & (uint64_t{1} << back)) == 0;
}

void DtlsRecords::Mark(uint64_t seq) {
  if (seq > read_max_) {
    const uint64_t shift = seq - read_max_;
    window_ = shift >= 64 ? 1 : (window_ << shift) | 1;
    read_max_ = seq;
  } else {
    window_ |= uint64_t{1} << (read_max_ - seq);
  }
}

DtlsRecords::Open DtlsRecords::OpenRecord(std::span<const uint8_t> record,
                                          std::vector<uint8_t>* plaintext) {
  if (record.size() < kDtlsRecordHeader) return Open::kRejected;
  const uint8_t type = record[0];
  const uint16_t epoch = static_cast<uint16_t>(Get(record.data() + 3, 2));
  if (type != kContentApplicationData || epoch != epoch_) return Open::kNotMine;
  const size_t length = Get(record.data() + 11, 2);
  if (record[1] != kVersionHigh || record[2] != kVersionLow ||
      record.size() != kDtlsRecordHeader + length || length < kGcmExplicitNonce + kGcmTag) {
    return Open::kRejected;
  }
  const uint64_t seq = Get(record.data() + 5, 6);
  if (!Fresh(seq)) return Open::kRejected;
  const uint8_t* body = record.data() + kDtlsRecordHeader;
  uint8_t nonce[12];
  std::memcpy(nonce, read_salt_.data(), 4);
  std::memcpy(nonce + 4, body, kGcmExplicitNonce);
  const size_t sealed = length - kGcmExplicitNonce;
  const size_t content = sealed - kGcmTag;
  uint8_t ad[13];
  AdditionalData(ad, epoch, seq, type, content);
  plaintext->resize(content);
  size_t out_len = 0;
  if (!EVP_AEAD_CTX_open(open_.get(), plaintext->data(), &out_len, content, nonce, sizeof(nonce),
                         body + kGcmExplicitNonce, sealed, ad, sizeof(ad)) ||
      out_len != content) {
    plaintext->clear();
    return Open::kRejected;
  }
  Mark(seq);
  return Open::kOpened;
}

bool DtlsRecords::SealRecord(uint8_t type, std::span<const uint8_t> plaintext,
                             std::vector<uint8_t>* out) {
  if (write_seq_ > kSequenceMask) return false;
  const uint64_t seq = write_seq_++;
  const size_t length = kGcmExplicitNonce + plaintext.size() + kGcmTag;
  const size_t at = out->size();
  out->resize(at + kDtlsRecordHeader + length);
  uint8_t* r = out->data() + at;
  r[0] = type;
  r[1] = kVersionHigh;
  r[2] = kVersionLow;
  Put(r + 3, epoch_, 2);
  Put(r + 5, seq, 6);
  Put(r + 11, length, 2);
  uint8_t* explicit_nonce = r + kDtlsRecordHeader;
  std::memcpy(explicit_nonce, r + 3, kGcmExplicitNonce);  // epoch ‖ sequence
  uint8_t nonce[12];
  std::memcpy(nonce, write_salt_.data(), 4);
  std::memcpy(nonce + 4, explicit_nonce, kGcmExplicitNonce);
  uint8_t ad[13];
  AdditionalData(ad, epoch_, seq, type, plaintext.size());
  size_t out_len = 0;
  if (!EVP_AEAD_CTX_seal(seal_.get(), explicit_nonce + kGcmExplicitNonce, &out_len,
                         plaintext.size() + kGcmTag, nonce, sizeof(nonce), plaintext.data(),
                         plaintext.size(), ad, sizeof(ad)) ||
      out_len != plaintext.size() + kGcmTag) {
    out->resize(at);
    return false;
  }
  return true;
}

}  // namespace p2psip::link::internal

#include "link/peer_verification.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace p2psip::link::internal {
namespace {

HandshakeFailure FromCertificateError(crypto::CertificateError error) {
  switch (error) {
    case crypto::CertificateError::kExpired:
      return HandshakeFailure::kExpired;
    case crypto::CertificateError::kNotYetValid:
      return HandshakeFailure::kNotYetValid;
    case crypto::CertificateError::kUnknownCa:
      return HandshakeFailure::kUnknownCa;
    case crypto::CertificateError::kBadSignature:
      return HandshakeFailure::kBadSignature;
    case crypto::CertificateError::kInvalidChain:
      return HandshakeFailure::kInvalidChain;
  }
  return HandshakeFailure::kInvalidChain;
}

uint8_t AlertFor(HandshakeFailure failure) {
  switch (failure) {
    case HandshakeFailure::kExpired:
      return SSL_AD_CERTIFICATE_EXPIRED;
    case HandshakeFailure::kUnknownCa:
      return SSL_AD_UNKNOWN_CA;
    case HandshakeFailure::kWrongNodeId:
      // RFC 5246 §7.2.2: a valid certificate, refused by access control.
      return SSL_AD_ACCESS_DENIED;
    case HandshakeFailure::kBadPeerCertificate:
      return SSL_AD_UNSUPPORTED_CERTIFICATE;
    default:
      return SSL_AD_BAD_CERTIFICATE;
  }
}

PeerVerdict Refuse(HandshakeFailure why, absl::Status status) {
  return PeerVerdict{.failure = why, .status = std::move(status), .alert = AlertFor(why)};
}

// A chain failure from TrustStore::Verify, reworded for the link, with its payload (the
// crypto::CertificateError that CertificateErrorOf reads) kept.
absl::Status PeerChainError(const absl::Status& verify) {
  absl::Status out(verify.code(), absl::StrCat("peer certificate rejected: ", verify.message()));
  verify.ForEachPayload(
      [&](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

}  // namespace

PeerVerdict VerifyPeerChain(const STACK_OF(CRYPTO_BUFFER) * chain, const crypto::TrustStore& trust,
                            int64_t now_s, const std::optional<NodeId>& expected_peer) {
  if (chain == nullptr || sk_CRYPTO_BUFFER_num(chain) == 0) {
    return Refuse(HandshakeFailure::kNoPeerCertificate,
                  absl::UnauthenticatedError("the peer sent no certificate"));
  }
  std::vector<crypto::Certificate> certs;
  for (size_t i = 0; i < sk_CRYPTO_BUFFER_num(chain); ++i) {
    const CRYPTO_BUFFER* buffer = sk_CRYPTO_BUFFER_value(chain, i);
    absl::StatusOr<crypto::Certificate> cert =
        crypto::Certificate::FromDer({CRYPTO_BUFFER_data(buffer), CRYPTO_BUFFER_len(buffer)});
    if (!cert.ok()) {
      return Refuse(HandshakeFailure::kBadPeerCertificate,
                    absl::InvalidArgumentError(absl::StrCat(
                        "peer certificate ", i, " unusable: ", cert.status().message())));
    }
    certs.push_back(*std::move(cert));
  }
  const std::span<const crypto::Certificate> intermediates(certs.data() + 1, certs.size() - 1);
  absl::StatusOr<std::vector<crypto::Certificate>> verified =
      trust.Verify(certs.front(), intermediates, now_s);
  if (!verified.ok()) {
    const std::optional<crypto::CertificateError> error =
        crypto::CertificateErrorOf(verified.status());
    return Refuse(error ? FromCertificateError(*error) : HandshakeFailure::kInvalidChain,
                  PeerChainError(verified.status()));
  }
  const std::vector<NodeId>& ids = certs.front().node_ids();
  if (expected_peer && std::find(ids.begin(), ids.end(), *expected_peer) == ids.end()) {
    std::vector<std::string> hex;
    for (const NodeId& id : ids) hex.push_back(id.ToHex());
    return Refuse(HandshakeFailure::kWrongNodeId,
                  absl::PermissionDeniedError(
                      absl::StrCat("peer certificate is for Node-ID [", absl::StrJoin(hex, ", "),
                                   "], not the expected ", expected_peer->ToHex())));
  }
  return PeerVerdict{.leaf = certs.front()};
}

}  // namespace p2psip::link::internal

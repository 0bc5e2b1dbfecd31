// Internal to src/link: the peer-certificate decision of a (D)TLS handshake (RFC 6940 §11.3,
// §6.5.1.1; digest §8), apart from BoringSSL's state machine so that it reads (and is tested)
// as one rule: the chain the peer sent must verify against the overlay TrustStore at the
// session's time, and its leaf must carry the Node-ID the caller meant to reach, if it named one.
#ifndef P2PSIP_LINK_PEER_VERIFICATION_H_
#define P2PSIP_LINK_PEER_VERIFICATION_H_

#include <openssl/pool.h>

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "p2psip/crypto/certificate.h"
#include "p2psip/ids.h"
#include "p2psip/link/secure_session.h"

namespace p2psip::link::internal {

struct PeerVerdict {
  HandshakeFailure failure = HandshakeFailure::kNone;  // kNone: accepted
  absl::Status status;                                 // why not, when refused
  uint8_t alert = 0;                                   // the TLS alert to send, when refused
  std::optional<crypto::Certificate> leaf;             // when accepted
};

// `chain` as BoringSSL received it (leaf first; may be null or empty).
PeerVerdict VerifyPeerChain(const STACK_OF(CRYPTO_BUFFER) * chain, const crypto::TrustStore& trust,
                            int64_t now_s, const std::optional<NodeId>& expected_peer);

}  // namespace p2psip::link::internal

#endif  // P2PSIP_LINK_PEER_VERIFICATION_H_

// What the sans-I/O core asks of the world, and what it hands back.
//
// The core never touches a socket, a thread or a clock (DESIGN.md §1). Events come in as calls
// on Node (bytes arrived on a link, a link came up or failed, time advanced, an application
// request) with the current time as an argument; the effects come out in an Outbox that the
// caller drains after each call: messages to send on links, links to open or close, results
// for the application. Randomness comes from an injected Random.
#ifndef P2PSIP_CORE_ENVIRONMENT_H_
#define P2PSIP_CORE_ENVIRONMENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "p2psip/ids.h"
#include "p2psip/wire/ip_address_port.h"
#include "p2psip/wire/security_block.h"

namespace p2psip::core {

// A link to a directly connected node, numbered by the link layer (the runtime or the
// simulator); 0 is never a valid id.
using LinkId = uint32_t;
inline constexpr LinkId kNoLink = 0;

// Injected randomness (transaction ids, jitter, finger choice). Deterministic in tests and the
// simulator; a CSPRNG in p2psipd.
class Random {
 public:
  virtual ~Random() = default;
  virtual uint64_t Next64() = 0;
  // Uniform in [0, n); n > 0.
  uint64_t Uniform(uint64_t n) { return Next64() % n; }
};

// SplitMix64: small, fast, reproducible; for tests and the simulator (not for transaction ids
// an attacker could predict: p2psipd injects a CSPRNG).
class SplitMix64 final : public Random {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next64() override {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

// What a verified signature says about its signer, from the signer's certificate (RFC 6940
// §11.3): the Node-ID its SignerIdentity names, every Node-ID the certificate holds, and the
// user name (rfc822Name). Access control (§7.3) decides on these.
struct SignerInfo {
  NodeId node_id;
  std::vector<NodeId> node_ids;  // node_id among them
  std::string user_name;         // e.g. "alice@dht.example.com"; empty if the cert has none
  // The signer's certificate (DER), shared with the verifier's cache, or null where the signer
  // has none (SimulationSigner). A storing peer retains it for as long as it holds a value the
  // certificate signed, and hands it out with the value (RFC 6940 §6.3.4, digest §15.18).
  std::shared_ptr<const std::vector<uint8_t>> certificate;
};

// Signs what this node originates and verifies what it receives (RFC 6940 §6.3.4, §7.1). The
// real implementation (X.509 + BoringSSL) arrives with the security work; see SimulationSigner.
class Signer {
 public:
  virtual ~Signer() = default;
  // The Signature over `input` = overlay ‖ transaction_id ‖ MessageContents (or, for stored
  // data, the §7.1 input without the identity); the signer appends its own SignerIdentity to
  // the input as §6.3.4 requires, and returns the signature with that identity.
  virtual wire::Signature Sign(std::span<const uint8_t> input) = 0;
  // Checks `signature` over `input` (with the certificates the message carried) and returns
  // what the signer's certificate says, or nullopt when it does not verify.
  virtual std::optional<SignerInfo> Verify(
      std::span<const uint8_t> input, const wire::Signature& signature,
      std::span<const wire::GenericCertificate> certificates) = 0;
  // The certificates a message this node signs carries so that its receivers can verify it
  // (§6.3.4: the signer's own certificate, then any intermediates). None by default.
  virtual std::vector<wire::GenericCertificate> Certificates() const { return {}; }
};

// SIMULATION ONLY, NOT SECURE: "signs" with a keyless 64-bit FNV-1a digest of the input and the
// signer's identity, and names the signer (Node-ID and user name) in the identity itself, as a
// certificate would. It catches corrupted, misrouted or misattributed messages and values in
// tests and the simulator; it authenticates nothing. p2psipd never uses it.
class SimulationSigner final : public Signer {
 public:
  explicit SimulationSigner(NodeId self, std::string user_name = "")
      : self_(std::move(self)), user_name_(std::move(user_name)) {}
  wire::Signature Sign(std::span<const uint8_t> input) override;
  std::optional<SignerInfo> Verify(std::span<const uint8_t> input, const wire::Signature& signature,
                                   std::span<const wire::GenericCertificate> certificates) override;

 private:
  NodeId self_;
  std::string user_name_;
};

// Messages and link requests the core wants carried out. Drained by the caller after every
// call into the core; the core only appends.
struct Outbox {
  struct Send {
    LinkId link = kNoLink;
    std::vector<uint8_t> message;  // one encoded RELOAD message (the link layer frames it)
  };
  struct Connect {
    NodeId peer;                  // the Node-ID the link must authenticate as
    wire::IpAddressPort address;  // where the peer said it can be reached (its candidate)
    // The candidate's OverlayLinkType (wire/attach.h): DTLS over UDP, or TLS over TCP
    // (kOverlayLinkTlsTcpFhNoIce). 0: DTLS (a bootstrap node's configured address).
    uint8_t link_type = 0;
  };
  // A message for this node that another part of it handles (Node::SetDispatcher): the
  // runtime passes it, as it arrived, to that part's Node::OnHandedOff.
  struct Handoff {
    uint32_t part = 0;
    LinkId link = kNoLink;         // the link it arrived on (kNoLink: originated locally)
    std::vector<uint8_t> message;  // as it arrived
  };
  struct Result {
    uint64_t request_id = 0;    // the id the application request was given
    absl::Status status;        // OK, or why it failed (timeout, error answer...)
    NodeId responder;           // who answered
    int hops = 0;               // forwarding peers between us and the responder
    std::vector<uint8_t> body;  // the answer's body
  };

  std::vector<Send> sends;
  std::vector<Connect> connects;
  std::vector<LinkId> closes;
  std::vector<Result> results;
  std::vector<Handoff> handoffs;

  bool empty() const {
    return sends.empty() && connects.empty() && closes.empty() && results.empty() &&
           handoffs.empty();
  }
  void clear() {
    sends.clear();
    connects.clear();
    closes.clear();
    results.clear();
    handoffs.clear();
  }
};

}  // namespace p2psip::core

#endif  // P2PSIP_CORE_ENVIRONMENT_H_

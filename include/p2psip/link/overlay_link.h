// OverlayLink: one overlay link as the runtime drives it (RFC 6940 §6.6): a DTLS 1.2 or TLS 1.2
// session (SecureSession) carrying the framing layer (FramedLink), sans-I/O.
//
//   OnReceive(bytes, now)  a datagram (DTLS) or a chunk of the TCP stream (TLS) from the socket;
//                          the RELOAD messages it completes are appended to *messages (in
//                          buffers from TakeBuffer: recycle them when done, buffer_pool.h)
//   Send(message, now)     a RELOAD message; before the handshake completes it waits here
//   OnTimer(now)           handshake retransmission and framing timers
//   NextDeadline(now)      when OnTimer has work next (kNever: none)
//   TakeOutput()           ciphertext for the socket (DTLS: one element per datagram); the
//                          framing's pending ACK (one for all the DATA received since the
//                          last call, FramedLink) is sealed first, so call it once per burst
//   PollEvent()            the framing's events: delivered, given up, suspect/failed/restored
//
// In DTLS each frame is one record (digest §2.1); in TLS the frames form a byte stream that the
// link cuts back into frames with their own lengths. A stream that does not parse as frames,
// like a session that fails, ends the link: state() is kFailed and status() says why.
//
// Time is microseconds of the runtime's clock; the session is given now_us / 1000 (its
// certificates are checked against that time, so the clock must be the wall clock there).
// One owner (the worker the link is steered to); not thread-safe.
#ifndef P2PSIP_LINK_OVERLAY_LINK_H_
#define P2PSIP_LINK_OVERLAY_LINK_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "p2psip/ids.h"
#include "p2psip/link/framed_link.h"
#include "p2psip/link/secure_context.h"
#include "p2psip/link/secure_session.h"

namespace p2psip::link {

struct OverlayLinkCounters {
  uint64_t waiting_refused = 0;    // Send before the handshake with the wait queue full
  uint64_t frames_too_large = 0;   // DTLS: a frame larger than one record (never sent)
  uint64_t stream_bad_frames = 0;  // TLS: the stream did not parse as frames (link failed)
};

class OverlayLink {
 public:
  enum class State : uint8_t { kHandshaking, kUp, kFailed, kClosed };

  // `context` decides DTLS or TLS (its transport); `framing.mode` must match it.
  static absl::StatusOr<std::unique_ptr<OverlayLink>> Create(
      std::shared_ptr<const SecureContext> context, SecureRole role,
      std::optional<NodeId> expected_peer, const FramedLinkOptions& framing, uint64_t now_us);

  absl::Status OnReceive(std::span<const uint8_t> bytes, uint64_t now_us,
                         std::vector<std::vector<uint8_t>>* messages);
  SendResult Send(std::span<const uint8_t> message, uint64_t now_us);
  void OnTimer(uint64_t now_us);
  uint64_t NextDeadline(uint64_t now_us) const;
  std::vector<std::vector<uint8_t>> TakeOutput();
  // The same, appended to *out (the link keeps its vector's capacity).
  void TakeOutput(std::vector<std::vector<uint8_t>>* out);
  bool PollEvent(LinkEvent* event) { return framing_->PollEvent(event); }
  // Sends close_notify; the link is closed afterwards.
  void Close();

  State state() const;
  // Why the link failed (OK otherwise).
  absl::Status status() const;
  // After the handshake: the Node-IDs of the peer's verified certificate.
  const std::vector<NodeId>& PeerNodeIds() const { return session_.PeerNodeIds(); }
  const SecureSession& session() const { return session_; }
  const FramedLink& framing() const { return *framing_; }
  const OverlayLinkCounters& counters() const { return counters_; }

 private:
  OverlayLink(SecureSession session, std::unique_ptr<FramedLink> framing, bool stream);
  // Moves what waited for the handshake into the framing, then every frame into the session.
  void Pump(uint64_t now_us);
  // Every frame the framing has queued into the session, then the session's output to output_.
  void SealFrames();
  // The framing's pending ACK, sealed.
  void FlushAck();
  // TLS: cuts the decrypted stream into frames.
  void ConsumeStream(uint64_t now_us, std::vector<std::vector<uint8_t>>* messages);
  void Deliver(std::span<const uint8_t> frame, uint64_t now_us,
               std::vector<std::vector<uint8_t>>* messages);

  SecureSession session_;
  std::vector<std::vector<uint8_t>> records_;  // OnReceive's scratch: the records it opened
  std::unique_ptr<FramedLink> framing_;
  const bool stream_;
  std::deque<std::vector<uint8_t>> waiting_;  // messages sent before the handshake completed
  std::vector<uint8_t> stream_in_;            // TLS: decrypted bytes not yet a whole frame
  std::vector<std::vector<uint8_t>> output_;
  absl::Status stream_error_;
  bool closed_ = false;
  OverlayLinkCounters counters_;
};

}  // namespace p2psip::link

#endif  // P2PSIP_LINK_OVERLAY_LINK_H_

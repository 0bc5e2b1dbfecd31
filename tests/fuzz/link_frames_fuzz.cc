// Fuzz target: a FramedLink (p2psip::link) driven by arbitrary bytes with a fake clock. The
// first byte picks the mode, sender and small bounds; the rest is a list of operations: send a
// message, receive raw bytes as a frame, receive a well-formed ACK of one of our own DATA frames
// or a DATA frame, advance the clock, fire the timer, drain the output and the events.
// Invariants (__builtin_trap on violation): in flight <= window <= cap; held messages <=
// queue capacity; every frame the link emits decodes; after OnTimer(now) nothing is overdue;
// the counters add up (frames in = data + duplicates + acks + malformed; acked + given up <=
// sent; each message ends at most once); every ACK names only DATA frames that arrived, and
// once drained (FlushAck) every DATA frame that arrived since the last drain is named by one,
// with ACKs coalesced (bit 6 of the first byte clear) or one per DATA.
#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

#include "p2psip/link/framed_link.h"
#include "p2psip/wire/byte_writer.h"
#include "p2psip/wire/decode_error.h"

using namespace p2psip;
using link::FramedLink;

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

void CheckInvariants(const FramedLink& l) {
  const link::Sender& s = l.sender();
  const link::LinkCounters& c = l.counters();
  Check(l.messages_held() <= l.options().queue_capacity);
  Check(c.frames_in == c.data_delivered + c.data_duplicates + c.acks_in + c.malformed);
  const link::SenderCounters& sc = s.counters();
  Check(sc.messages_acked + sc.messages_given_up <= sc.messages_sent);
  if (l.options().mode == link::LinkMode::kDatagram) {
    Check(s.in_flight() <= s.max_window());
    Check(s.window() <= s.max_window());
    Check(s.queued() + s.in_flight() == l.messages_held());
    Check(sc.max_in_flight <= s.max_window());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t config = data[0];
  link::FramedLinkOptions o;
  o.mode = (config & 1) ? link::LinkMode::kStream : link::LinkMode::kDatagram;
  o.sender = (config & 2) ? link::SenderKind::kStopAndWait : link::SenderKind::kWindowed;
  o.queue_capacity = 1 + ((config >> 2) & 7);
  o.max_message_size = 64;
  o.max_events = 16;
  o.windowed.initial_window = 1 + ((config >> 5) & 1);
  o.windowed.max_window = 2 + (config >> 6);
  o.coalesce_acks = (config & 0x40) == 0;
  o.stream.max_tracked = 4;
  auto created = FramedLink::Create(o);
  Check(created.ok());
  FramedLink& l = **created;

  uint64_t now = 0;
  std::vector<uint32_t> our_sequences;  // DATA frames this link emitted
  std::set<uint32_t> arrived;           // DATA sequences fed in
  std::set<uint32_t> unanswered;        // ... and not yet named by an ACK the link emitted
  std::vector<uint8_t> frame;
  uint64_t ended = 0;  // delivered + given-up events seen
  size_t i = 1;
  while (i < size) {
    const uint8_t op = data[i++];
    const size_t len = std::min<size_t>(op >> 3, size - i);
    const uint8_t* arg = data + i;
    i += len;
    switch (op & 7) {
      case 0:
        (void)l.Send({arg, len}, now);
        break;
      case 1: {
        (void)l.OnReceive({arg, len}, now);
        wire::FrameView f;
        wire::DecodeError e;
        if (wire::DecodeFrame({arg, len}, &f, &e) && f.type == wire::kFrameData) {
          arrived.insert(f.sequence);  // raw bytes that happen to be a DATA frame
          unanswered.insert(f.sequence);
        }
        break;
      }
      case 2: {  // ACK of one of our transmissions (or a little beyond), bitmask from the input
        if (our_sequences.empty() || len < 1) break;
        uint32_t received = 0;
        std::memcpy(&received, arg + 1, std::min<size_t>(len - 1, 4));
        const uint32_t seq = our_sequences[arg[0] % our_sequences.size()] + (arg[0] >> 7);
        frame.clear();
        wire::ByteWriter w(&frame);
        wire::EncodeAckFrame(w, seq, received);
        Check(l.OnReceive(frame, now).kind == link::ReceiveKind::kAck);
        break;
      }
      case 3: {  // a DATA frame with a sequence number from the input
        uint32_t seq = 0;
        std::memcpy(&seq, arg, std::min<size_t>(len, 4));
        frame.clear();
        wire::ByteWriter w(&frame);
        wire::EncodeDataFrame(w, seq, {arg, len});
        const link::ReceiveKind k = l.OnReceive(frame, now).kind;
        Check(k == link::ReceiveKind::kData || k == link::ReceiveKind::kDuplicateData);
        arrived.insert(seq);
        unanswered.insert(seq);
        break;
      }
      case 4:
        now += (uint64_t{len} + 1) * 7919;  // µs; a few ms per step
        break;
      case 5:
        if (l.NextDeadline() != link::kNever) now = std::max(now, l.NextDeadline());
        l.OnTimer(now);
        Check(l.NextDeadline() > now);  // nothing left overdue
        break;
      case 6:
        l.FlushAck();
        while (l.HasOutput()) {
          wire::FrameView f;
          wire::DecodeError e;
          Check(wire::DecodeFrame(l.FrontFrame(), &f, &e));
          if (f.type == wire::kFrameData) {
            if (our_sequences.size() >= 64) our_sequences.erase(our_sequences.begin());
            our_sequences.push_back(f.sequence);
          } else {
            Check(arrived.count(f.sequence) == 1);
            unanswered.erase(f.sequence);
            for (uint32_t bit = 0; bit < 32; ++bit) {
              if (((f.received >> bit) & 1) == 0) continue;
              Check(arrived.count(f.sequence - bit - 1) == 1);
              unanswered.erase(f.sequence - bit - 1);
            }
          }
          l.PopFrame();
        }
        Check(unanswered.empty());
        break;
      case 7: {
        link::LinkEvent ev;
        while (l.PollEvent(&ev)) {
          if (ev.type == link::LinkEvent::Type::kDelivered ||
              ev.type == link::LinkEvent::Type::kGivenUp) {
            ++ended;
          }
        }
        break;
      }
    }
    if (l.output_size() > 4096) {
      while (l.HasOutput()) l.PopFrame();
      unanswered.clear();  // their ACKs were thrown away unread
    }
    CheckInvariants(l);
  }
  const link::SenderCounters& sc = l.sender().counters();
  if (o.mode == link::LinkMode::kDatagram) {
    Check(ended <= sc.messages_acked + sc.messages_given_up);
  }
  return 0;
}

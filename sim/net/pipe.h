// The simulated network's connection: an in-memory duplex byte pipe whose two
// ends are rt::Transports (architecture.md, "The simulated network").
//
//   sim::net::PipeEnds ends = sim::net::MakePipe({.capacity_bytes = 4096});
//   Manager client(std::move(ends.a), ...);  Manager server(std::move(ends.b), ...);
//   ends.pipe->Reset();                       // fault: the connection resets
//
// Like a stream socket:
//   * bytes arrive in order and are never lost while the pipe is up;
//   * a Read returns a CHOSEN number of the available bytes, 1 to all of
//     them (sim::Choose, kind kNet; choice 0 = all, so the default schedule
//     reads whole writes), which explores every way a write can be cut;
//   * a Write blocks while the peer's receive buffer (capacity_bytes per
//     direction) is full; it may deliver part of its bytes before blocking;
//   * a TryWrite never blocks: it takes a CHOSEN number of the bytes that
//     fit (kNet; choice 0 = all that fit, possibly none), which explores a
//     writer finding the transport full at every point;
//   * Close: later local Reads and Writes fail with kClosed; a pending one
//     is woken and fails; the peer reads what was already sent, then EOF
//     (kEof), and its Writes fail with kClosed ("broken pipe");
//   * CloseWrite (half-close, TCP's shutdown(SHUT_WR)): later local Writes
//     fail with kClosed; the peer reads what was sent, then EOF; both ends
//     may still read and the peer may still write;
//   * Reset (the fault hook): both ends' pending and later operations fail
//     with kClosed "connection reset by peer"; bytes in flight are lost.
//     With reset_one_in = N > 0 each Read/Write also asks sim::Choose(N,
//     kFault) and a 1 resets the pipe there (a fault at a chosen point).
//   * Vanish(end) (half-open: the end's host is gone, no FIN, no RST): that
//     end's operations fail with kClosed; the peer hears nothing: its reads
//     block once what was sent is drained, its writes fill the buffer and
//     then block, until the peer gives up (a deadline) or a Reset.
//   * keepalive > 0 (TCP keepalive with TCP_USER_TIMEOUT, both ends): an end
//     whose peer vanished learns it `keepalive` after the vanish (the
//     probes, and any unacknowledged data, go unanswered): once it has read
//     what had arrived, its pending and later Reads, Writes and TryWrites
//     fail with kConnection "connection timed out", as ETIMEDOUT does. A
//     partition is not modelled as a loss: its bytes wait for the heal.
//   * SetSlowReader(end, ...): every Read of that end first sleeps in
//     virtual time and takes at most a few bytes (a reader that lags).
// With a LinkTiming (the world's links, world.h), written bytes become
// readable only at their delivery time in virtual time (latency drawn per
// write, an optional bandwidth, order kept), and not at all while the link
// is held (a partition): the capacity counts bytes in flight too, as a TCP
// window does.
// Built on rt primitives only (one rt::Mutex, two condition variables per
// direction), so every operation is a scheduling point and a stuck reader or
// writer shows in a deadlock report by its wait label. Simulator only: it
// asks sim::Choose.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>

#include "drpc/base/bytes.h"
#include "drpc/base/status.h"
#include "drpc/rt/condvar.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/transport.h"
#include "drpc/sim/ids.h"

namespace drpc::sim::net {

// A link's timing, for a pipe between two simulated hosts (world.h). Called
// with the pipe's lock held: no rt operations.
class LinkTiming {
 public:
  virtual ~LinkTiming() = default;
  // Virtual nanoseconds from sending to arrival for a write of `from_end`
  // (drawn per delivery: it may ask sim::Choose).
  virtual Nanos Latency(int from_end) = 0;
  // Bytes a direction carries per virtual second; 0: no limit.
  virtual uint64_t BytesPerSecond() const = 0;
  // True while bytes from `from_end` cannot arrive (a partition); they wait
  // and arrive after the heal (the world calls Pipe::Poke then).
  virtual bool Held(int from_end) const = 0;
};

struct PipeOptions {
  size_t capacity_bytes = 64 * 1024;   // per direction: bytes written but not yet read
  bool chosen_reads = true;            // false: a Read takes all it can (no kNet choice)
  bool chosen_try_writes = true;       // false: a TryWrite takes all that fits (no kNet choice)
  uint64_t reset_one_in = 0;           // 0: no random resets
  std::shared_ptr<LinkTiming> timing;  // null: bytes are readable once written
  Nanos keepalive = 0;                 // 0: a vanished peer is never detected
};

class Pipe;

struct PipeEnds {
  std::unique_ptr<rt::Transport> a;
  std::unique_ptr<rt::Transport> b;
  std::shared_ptr<Pipe> pipe;  // for faults and observation; the ends share it
};

PipeEnds MakePipe(PipeOptions options = {});

// The shared state of both directions. Only MakePipe makes one.
class Pipe {
 public:
  explicit Pipe(PipeOptions options);
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;

  // Resets the connection (see the header comment). Idempotent.
  void Reset();
  // Half-open: `end` vanishes without a word to the peer. Idempotent.
  void Vanish(int end);
  // Every Read of `end` first sleeps `delay` and then takes at most
  // `max_bytes` (0 `delay` and max_bytes: an ordinary reader again).
  void SetSlowReader(int end, Nanos delay, size_t max_bytes);
  // Wakes readers to look again (a held link was released).
  void Poke();
  bool vanished(int end) const;
  // Bytes written towards `end` (0 = a, 1 = b) and not yet read.
  size_t buffered(int end) const;
  bool was_reset() const;

  // The two ends' operations (end 0 = a, 1 = b).
  ReadResult Read(int end, MutableBytes buffer);
  Status Write(int end, Bytes data);
  rt::WriteResult TryWrite(int end, Bytes data);
  // As Write and TryWrite for `parts` joined (one run of bytes, one choice).
  Status WriteV(int end, std::span<const Bytes> parts);
  rt::WriteResult TryWriteV(int end, std::span<const Bytes> parts);
  Status Close(int end);
  Status CloseWrite(int end);

 private:
  // Bytes travelling one way: a fixed-capacity ring.
  struct Direction {
    explicit Direction(size_t capacity, const char* readable_name, const char* writable_name);
    std::unique_ptr<uint8_t[]> bytes;
    size_t head = 0;  // oldest unread byte
    size_t size = 0;
    bool sender_closed = false;    // the writing end closed: EOF once drained
    bool receiver_closed = false;  // the reading end closed: writes fail
    rt::CondVar readable;          // the receiving end waits for bytes
    rt::CondVar writable;          // the sending end waits for space
    // With a LinkTiming: when the bytes of each write arrive, oldest first
    // (their sizes add up to `size`; due times never decrease).
    struct Segment {
      size_t bytes;
      Nanos due;
    };
    std::deque<Segment> segments;
    Nanos wire_free = 0;  // when the link is done sending what it was given
    Nanos last_due = 0;
  };

  // Bytes `end` may read now; the delivery time of the next bytes in
  // flight (kNever if none, or the link is held). mu_ held.
  size_t ReadableLocked(int end, Nanos* next_due) const;
  void ConsumeLocked(Direction& in, size_t n);
  void ClearLocked(Direction& d);

  // An operation's fault point: may reset the pipe (reset_one_in). mu_ held.
  void MaybeInjectResetLocked();
  void ResetLocked();
  Status ClosedStatusLocked(int end) const;
  // When `end` learns by keepalive that its peer vanished (kNever: it does
  // not). mu_ held.
  Nanos KeepaliveDueLocked(int end) const;
  bool KeepaliveExpiredLocked(int end) const;
  Status KeepaliveErrorLocked() const;
  // Why `end` cannot write now (ok if it can). mu_ held.
  Status WriteBlockedStatusLocked(int end) const;
  // Copies bytes [from, from + n) of `parts` joined into the ring of `out`.
  // mu_ held, n fits.
  void CopyInLocked(int from_end, Direction& out, std::span<const Bytes> parts, size_t from,
                    size_t n);

  const PipeOptions options_;
  mutable rt::Mutex mu_;
  Direction to_b_;  // written by a, read by b
  Direction to_a_;  // written by b, read by a
  bool closed_[2] = {false, false};
  bool write_closed_[2] = {false, false};  // CloseWrite was called on that end
  bool reset_ = false;
  bool vanished_[2] = {false, false};
  Nanos vanished_at_[2] = {0, 0};
  Nanos slow_delay_[2] = {0, 0};
  size_t slow_max_bytes_[2] = {0, 0};

  Direction& Outgoing(int end) { return end == 0 ? to_b_ : to_a_; }
  Direction& Incoming(int end) { return end == 0 ? to_a_ : to_b_; }
};

}  // namespace drpc::sim::net

// ConnectionTimeouts: how long a connection waits on its peer before the
// manager closes it (ManagerOptions::timeouts; docs/manager.md, "Timeouts").
// Zero turns one off.
//
//   ManagerOptions options;
//   options.timeouts.idle = std::chrono::minutes(1);
//   options.timeouts.write_stall = rt::Duration::zero();  // off
//
// A timed-out connection is closed abortively (the peer reads EOF, or a
// reset if it still writes) and every stream of it ends with the error
// (kClosed, code Unavailable), naming the timeout. All of them run on the
// connection's deadline watcher task, in rt time: virtual time in the
// simulator. ConnectionTimer and TimedTransport are the manager's own.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "drpc/base/status.h"
#include "drpc/base/unique_function.h"
#include "drpc/rt/time.h"
#include "drpc/rt/transport.h"
#include "drpc/stream/stream.h"

namespace drpc::manager {

struct ConnectionTimeouts {
  // Server: from the connection's start until its first complete frame
  // (gRPC's handshake timeout, 120 s in grpc-go, grpc-core and grpc-java).
  rt::Duration first_frame = std::chrono::seconds(120);
  // Server: no stream registered for this long, counted from the end of the
  // last one (or the start). gRPC's max connection idle is off by default;
  // drpc bounds it because an idle connection still costs its tasks.
  rt::Duration idle = std::chrono::minutes(5);
  // Either role: the reader has part of a frame and waits this long for the
  // rest, with no complete frame meanwhile (a slowloris peer). Time the
  // reader spends routing (a full receive ring) does not count.
  rt::Duration partial_frame = std::chrono::seconds(30);
  // Either role: a transport write makes no progress (a piece of
  // kWriteProgressBytes, or the whole write if smaller) for this long: the
  // peer stopped reading. gRPC has no such timer; its keepalive ping
  // timeout (20 s) catches a peer that stops answering.
  rt::Duration write_stall = std::chrono::seconds(30);
};

// While write_stall is on, a blocking transport write that finds the
// transport full goes on in pieces of this size, so a slow but reading peer
// shows progress (what the transport takes at once is progress too).
inline constexpr size_t kWriteProgressBytes = 16 * 1024;

// The progress stamps of one connection and the deadlines they give.
// Stamps are relaxed atomics set by the reader and the writer (no lock, no
// scheduling point); the watcher asks for the next deadline under the
// stream table's lock (StreamTable::WaitExpired) and is woken only when a
// timer starts earlier than it would wake anyway, so a busy connection
// costs about one watcher wake-up per timeout period. Thread-safe.
class ConnectionTimer {
 public:
  // `wake_watcher` makes the watcher ask Arm again (StreamTable::WakeWatcher).
  ConnectionTimer(const ConnectionTimeouts& timeouts, stream::Role role,
                  UniqueFunction<void()> wake_watcher);
  ConnectionTimer(const ConnectionTimer&) = delete;
  ConnectionTimer& operator=(const ConnectionTimer&) = delete;

  // The reader is about to read from the transport with `buffered` bytes
  // of an unfinished frame.
  void BeforeRead(size_t buffered);
  // The reader has a complete frame.
  void FrameRead();
  // A blocking transport write begins, makes progress, ends.
  void WriteBegins();
  void WriteProgress();
  void WriteEnds();
  bool watches_writes() const { return timeouts_.write_stall > rt::Duration::zero(); }

  struct Plan {
    rt::TimePoint wake = rt::kNoDeadline;  // the earliest running timer's deadline
    bool wake_on_empty = false;            // the table's emptying starts a timer sooner
  };
  // The watcher's next wake-up, given when the stream table last became
  // empty (kNoDeadline: streams are registered). Called under the table's
  // lock, which is what orders it with the table's emptying.
  Plan Arm(rt::TimePoint now, rt::TimePoint empty_since);
  // The error of the first timeout that has passed by `now`; ok if none.
  Status Expired(rt::TimePoint now, rt::TimePoint empty_since) const;

 private:
  static constexpr int64_t kNone = INT64_MAX;
  rt::TimePoint Next(rt::TimePoint empty_since) const;
  // A timer started with this deadline: wake the watcher if it would wake later.
  void Started(int64_t deadline);

  const ConnectionTimeouts timeouts_;
  const bool server_;
  UniqueFunction<void()> wake_watcher_;
  const int64_t started_at_;
  std::atomic<bool> got_frame_{false};
  std::atomic<int64_t> partial_since_{kNone};  // ns; kNone: no partial frame waits
  std::atomic<int64_t> write_since_{kNone};    // ns of the last progress; kNone: not writing
  std::atomic<int64_t> armed_{kNone};          // when the watcher will wake next
};

// The connection's transport as the manager uses it while write_stall is
// on: a blocking write takes what the transport takes at once (TryWrite),
// then kWriteProgressBytes pieces while it is full, each stamped on
// `timer`. Everything else passes through.
std::unique_ptr<rt::Transport> TimedTransport(std::unique_ptr<rt::Transport> inner,
                                              ConnectionTimer& timer);

}  // namespace drpc::manager

// StreamTable: the connection's registry of live streams and their
// deadlines (Go's activeStreams, drpc-protocol.md §4.2, §4.6, §4.7).
//
//   table.Add(stream, limit, deadline)   creators (NewClientStream, the reader)
//   table.Get(id)                        the reader, routing a frame
//   table.OnFinished(id)                 a stream's fin callback: it leaves
//   table.Close()                        terminate: no more Adds; snapshot
//   table.WaitEmpty(label)               Close: every stream finished
//   table.WaitExpired(label)             the deadline watcher task
//
// Streams leave through their fin callback, not through a task per stream
// (Go runs manageStream per stream; OS threads are not goroutines). Once
// closed, Add refuses, so a stream can never be registered after the
// snapshot that terminate cancels; that is what lets Close wait for the
// table to empty (the later era's fix of the wait-group race, §4.10).
// After Close returns the table is sealed: a stream finishing after that
// would mean Close returned while part of the connection still ran, and is
// reported as a broken invariant.
//
// Deadlines: one ordered set of (deadline, stream id) for the whole
// connection, so a single watcher task serves every stream; equal deadlines
// expire in stream id order, which keeps simulated runs deterministic.
// The watcher sleeps on a condition variable of its own, notified only
// when the earliest deadline moves earlier or the table closes: streams
// without a deadline (the common case) never wake it, and one whose
// deadline is removed (it finished, or the deadline was pushed back) at
// most lets it wake once at the old time and find nothing due. A wake-up
// costs a context switch, which on a small machine is most of a unary
// call's cost (bench/rpc).
//
// Thread-safe (one rt::Mutex, two condition variables). Lock order: the
// table's lock is a leaf: nothing is called on a stream while it is held.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "drpc/rt/condvar.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/time.h"
#include "drpc/stream/stream.h"

namespace drpc::manager {

enum class AddResult : uint8_t {
  kAdded,
  kClosed,     // the table was closed (the connection is terminating)
  kDuplicate,  // a stream with that id is registered
  kFull,       // `limit` streams are registered
};

class StreamTable {
 public:
  using StreamPtr = std::shared_ptr<stream::Stream>;

  StreamTable();
  StreamTable(const StreamTable&) = delete;
  StreamTable& operator=(const StreamTable&) = delete;

  // Registers `stream` unless the table is closed, has its id, or holds
  // `limit` streams; with `wait_for_room`, waits while it is full instead
  // (the legacy one-stream-at-a-time mode). `deadline` (kNoDeadline: none)
  // is when the watcher soft-cancels it.
  //
  // kCheckClosed = false exists only for a planted bug (a registry that
  // takes streams after it was closed, ManagerBug::kRegisterAfterClose).
  template <bool kCheckClosed = true>
  AddResult Add(StreamPtr stream, size_t limit, rt::TimePoint deadline, bool wait_for_room);

  StreamPtr Get(uint64_t id) const;
  // Sets or replaces a registered stream's deadline; false if not registered.
  bool SetDeadline(uint64_t id, rt::TimePoint deadline);

  // The fin callback's half: removes the stream and its deadline, returns it
  // (null if it was not registered). Reports a stream finishing after Seal.
  StreamPtr OnFinished(uint64_t id);

  // Marks the table closed and returns every registered stream, in id order,
  // for the caller to cancel outside the lock. Idempotent (later calls
  // return nothing). Wakes every waiter.
  std::vector<StreamPtr> Close();
  // Blocks until no stream is registered.
  void WaitEmpty(const char* label);
  // After Close and WaitEmpty: nothing may finish any more.
  void Seal();
  // Test-and-planted-bug helper: forgets every stream without waiting.
  std::vector<StreamPtr> TakeAll();

  // Blocks until a deadline passes (returns the expired streams, removing
  // their deadlines) or the table is closed (returns an empty vector).
  std::vector<StreamPtr> WaitExpired(const char* label);

  size_t size() const;
  bool closed() const;
  size_t deadlines() const;
  // How many times WaitExpired came back from a wait (notified, timed out
  // or spurious): what the watcher task costs in wake-ups.
  uint64_t watcher_wakeups() const;

 private:
  struct Entry {
    uint64_t id = 0;
    StreamPtr stream;
    rt::TimePoint deadline = rt::kNoDeadline;
  };
  // The entry of `id`, or null. mu_ held.
  Entry* FindLocked(uint64_t id);
  const Entry* FindLocked(uint64_t id) const;
  AddResult AddLocked(rt::Lock& lock, StreamPtr stream, size_t limit, rt::TimePoint deadline,
                      bool wait_for_room, bool check_closed);
  void SetDeadlineLocked(Entry& entry, uint64_t id, rt::TimePoint deadline);
  // The earliest deadline (kNoDeadline: none). mu_ held.
  rt::TimePoint EarliestLocked() const;

  mutable rt::Mutex mu_;
  rt::CondVar changed_;       // a stream left or the table closed (WaitEmpty, legacy Add)
  rt::CondVar watcher_wake_;  // the earliest deadline moved earlier, or the table closed
  // Sorted by id; a flat vector, not a map: no allocation per stream once it
  // has grown to the connection's peak (ids come in increasing order, so an
  // Add is an append; a finish moves the later entries down, cheap at the
  // few thousand streams a connection allows).
  std::vector<Entry> streams_;                                // guarded by mu_
  std::set<std::pair<rt::TimePoint, uint64_t>> by_deadline_;  // guarded by mu_
  bool closed_ = false;                                       // guarded by mu_
  bool sealed_ = false;                                       // guarded by mu_
  uint64_t watcher_wakeups_ = 0;                              // guarded by mu_
};

template <bool kCheckClosed>
AddResult StreamTable::Add(StreamPtr stream, size_t limit, rt::TimePoint deadline,
                           bool wait_for_room) {
  rt::Lock lock(mu_);
  return AddLocked(lock, std::move(stream), limit, deadline, wait_for_room, kCheckClosed);
}

}  // namespace drpc::manager

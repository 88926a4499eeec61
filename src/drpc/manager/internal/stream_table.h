// StreamTable: a connection's registry of live streams and their deadlines
// (drpc-protocol.md §4.2, §4.6, §4.7). Internal to the manager; why it is
// shaped this way (streams leave through their fin callback, one deadline
// set per connection, sealing) is in docs/manager.md, "The stream table".
//
//   table.Add(stream, limit, deadline, wait_for_room)  NewClientStream, the reader
//   table.Get(id)                                      the reader, routing a frame
//   table.OnFinished(id)                               a stream's fin callback
//   table.Close()                                      terminate: no more Adds
//   table.WaitEmpty(label); table.Seal();              Close
//   table.WaitExpired(label)                           the deadline watcher
//
// Thread-safe. Its lock is a leaf: nothing is called on a stream under it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "drpc/rt/condvar.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/signal.h"
#include "drpc/rt/time.h"
#include "drpc/stream/stream.h"

namespace drpc::manager {
class ConnectionTimer;  // manager/timeouts.h
}

namespace drpc::manager {

enum class ClaimResult : uint8_t {
  kClaimed,
  kClosed,    // the table was closed (the connection is terminating)
  kDeadline,  // the deadline passed first
  kCanceled,  // the cancel signal was set first
};

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

  // Legacy one-stream-at-a-time mode: waits until fewer than `limit`
  // streams are registered or claimed, and claims room for one, which the
  // next Add with `claimed` uses. Ends early when the table closes, at
  // `deadline`, or once `cancel` (may be null) is set; whoever sets
  // `cancel` calls WakeClaimers so the waiter sees it.
  ClaimResult ClaimRoom(size_t limit, rt::TimePoint deadline, const rt::Signal* cancel);
  void WakeClaimers();

  // Registers `stream` unless the table is closed, has its id, or holds
  // `limit` streams. `claimed`: uses (and in every case gives back) the
  // room ClaimRoom claimed. `deadline` (kNoDeadline: none) is when the
  // watcher soft-cancels it.
  AddResult Add(StreamPtr stream, size_t limit, rt::TimePoint deadline, bool claimed);

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
  // Forgets every stream without waiting (plant kManagerCloseWaitsForTermOnly).
  std::vector<StreamPtr> TakeAll();

  // Blocks until a deadline passes (returns the expired streams, removing
  // their deadlines), the table is closed, or, with a `timer`, the
  // connection's next timeout (ConnectionTimer::Arm) is due (both return an
  // empty vector: tell them apart with closed()).
  std::vector<StreamPtr> WaitExpired(const char* label, ConnectionTimer* timer = nullptr);
  // Makes a waiting WaitExpired ask its timer again (a timer started).
  void WakeWatcher();
  // When the table last became empty (at construction, or when its last
  // stream finished); kNoDeadline while streams are registered.
  rt::TimePoint empty_since() const;

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
  void SetDeadlineLocked(Entry& entry, uint64_t id, rt::TimePoint deadline);
  // The earliest deadline (kNoDeadline: none). mu_ held.
  rt::TimePoint EarliestLocked() const;
  // The last stream left: the idle timer starts (empty_since_). mu_ held.
  void BecameEmptyLocked();

  mutable rt::Mutex mu_;
  rt::CondVar
      changed_;  // a stream left, the table closed, a claimer's cancel (WaitEmpty, ClaimRoom)
  rt::CondVar watcher_wake_;  // the earliest deadline moved earlier, or the table closed
  // Sorted by id; a flat vector, not a map: no allocation per stream once it
  // has grown to the connection's peak (ids come in increasing order, so an
  // Add is an append; a finish moves the later entries down, cheap at the
  // few thousand streams a connection allows).
  std::vector<Entry> streams_;                                // guarded by mu_
  std::set<std::pair<rt::TimePoint, uint64_t>> by_deadline_;  // guarded by mu_
  size_t claimed_ = 0;            // guarded by mu_: rooms claimed by ClaimRoom, not yet Added
  bool closed_ = false;           // guarded by mu_
  rt::TimePoint empty_since_;     // guarded by mu_
  bool wake_on_empty_ = false;    // guarded by mu_: the watcher's timer asked for it (Arm)
  bool sealed_ = false;           // guarded by mu_
  uint64_t watcher_wakeups_ = 0;  // guarded by mu_
};

}  // namespace drpc::manager

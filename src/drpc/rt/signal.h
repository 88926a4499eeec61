// rt::Signal: set once with an error (ok allowed), tested without blocking,
// waited on (drpcsignal.Signal, drpc-protocol.md §5.7).
//
//   rt::Signal done{"call.done"};
//   done.set(CanceledError());          // the first set wins
//   size_t i = rt::wait_any({&done, &other}, "call.wait");
//
// Works the same in both backends. A Signal must outlive every wait on it in
// progress. See docs/rt.md.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <span>
#include <vector>

#include "drpc/base/status.h"
#include "drpc/rt/atomic.h"
#include "drpc/rt/condvar.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/time.h"

namespace drpc::rt {

class Signal {
 public:
  explicit Signal(const char* name = "signal");
  Signal(const Signal&) = delete;
  Signal& operator=(const Signal&) = delete;

  // Sets the signal with `err` (ok is allowed: "set, no error"). Returns true
  // if this call set it; later calls change nothing and return false.
  bool set(Status err);
  bool is_set() const { return set_.load(); }
  // The error it was set with; ok while unset.
  Status err() const;

  void wait(const char* label);
  // True if the signal is set by the end of the wait.
  bool wait_until(TimePoint deadline, const char* label);

  // Unsets a set signal for its owner to use again, where nobody else can
  // reach it: no wait on it in progress and no other reference (the
  // MuxWriter recycles its drain signal this way: no allocation per wait).
  void Rearm();

  const char* name() const { return name_; }

 private:
  friend size_t wait_any_until(std::span<Signal* const>, TimePoint, const char*);
  struct Waiter;
  void Subscribe(Waiter* waiter);
  void Unsubscribe(Waiter* waiter);

  const char* name_;
  mutable Mutex mu_;
  CondVar cv_;
  Atomic<bool> set_;
  Status err_;                    // guarded by mu_, written once
  std::vector<Waiter*> waiters_;  // guarded by mu_: wait_any callers
};

// Blocks until one of `signals` (non-empty, no nulls) is set and returns the
// lowest index that is set, or signals.size() if `deadline` passed first.
size_t wait_any_until(std::span<Signal* const> signals, TimePoint deadline, const char* label);
inline size_t wait_any(std::span<Signal* const> signals, const char* label) {
  return wait_any_until(signals, kNoDeadline, label);
}
inline size_t wait_any(std::initializer_list<Signal*> signals, const char* label) {
  return wait_any(std::span<Signal* const>(signals.begin(), signals.size()), label);
}

}  // namespace drpc::rt

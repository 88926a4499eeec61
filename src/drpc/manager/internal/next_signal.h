// NextSignal: the signal the next occurrence of an event will set (the
// MuxWriter's next drain, its next completed write), recycled so that a
// waiter at every event allocates nothing. Not thread-safe: its owner
// guards it with its own mutex.
//
//   std::shared_ptr<rt::Signal> s = next.Get();      // a waiter, mu held
//   ... unlock; s->wait(...); lock ...
//   std::shared_ptr<rt::Signal> fired = next.Take(); // the event, mu held
//   ... unlock; if (fired) fired->set(OkStatus()); lock ...
//   next.KeepSpent(std::move(fired));                // mu held
//   next.Fire();  // the same three steps with mu held throughout
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <utility>

#include "drpc/base/status.h"
#include "drpc/rt/signal.h"

namespace drpc::manager {

class NextSignal {
 public:
  explicit NextSignal(const char* name) : name_(name) {}

  // The signal the next event sets: made on first need, or a spent one
  // rearmed once its waiters are all gone (they drop their copies before
  // they take the owner's mutex again, or under it).
  std::shared_ptr<rt::Signal> Get() {
    if (next_ != nullptr) return next_;
    for (std::shared_ptr<rt::Signal>& spent : spent_) {
      if (spent != nullptr && spent.use_count() == 1) {
        std::atomic_thread_fence(std::memory_order_acquire);  // after the waiters' last look
        spent->Rearm();
        next_ = std::move(spent);
        return next_;
      }
    }
    next_ = std::make_shared<rt::Signal>(name_);
    return next_;
  }

  // The event happened: the signal to set (null if nobody asked for one).
  std::shared_ptr<rt::Signal> Take() { return std::exchange(next_, nullptr); }

  // The event happened, and its waiters may be woken under the owner's
  // mutex: Take, set, KeepSpent.
  void Fire() {
    if (std::shared_ptr<rt::Signal> fired = Take()) {
      fired->set(OkStatus());
      KeepSpent(std::move(fired));
    }
  }

  // A signal that was set, to rearm later (two are kept, as a waiter may
  // still hold the last one).
  void KeepSpent(std::shared_ptr<rt::Signal> fired) {
    if (fired == nullptr) return;
    for (std::shared_ptr<rt::Signal>& spent : spent_) {
      if (spent == nullptr) {
        spent = std::move(fired);
        return;
      }
    }
    spent_[0] = std::move(fired);  // both kept: one goes
  }

 private:
  const char* const name_;
  std::shared_ptr<rt::Signal> next_;
  std::array<std::shared_ptr<rt::Signal>, 2> spent_;
};

}  // namespace drpc::manager

// rt::CondVar: a condition variable over rt::Mutex, like
// std::condition_variable. Every wait names its site with a `label` (a string
// literal), so a deadlock report says where each task is stuck.
//
//   rt::Lock lock(mu_);
//   cv_.wait(lock, [&] { return !queue_.empty(); }, "queue.pop");
//
// In the simulator notify_one wakes a waiter the decision source picks, so
// code that relies on FIFO wake-ups fails there. See docs/rt.md.
#pragma once

#include "drpc/rt/internal/backend.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/time.h"

namespace drpc::rt {

enum class WaitStatus { kNotified, kTimeout };

class CondVar {
 public:
  explicit CondVar(const char* name = "condvar");
  ~CondVar();
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  void notify_one();
  void notify_all();

  // Releases `lock`, waits for a notification, re-acquires. May wake without
  // a notification; prefer the predicate forms.
  void wait(Lock& lock, const char* label);
  WaitStatus wait_until(Lock& lock, TimePoint deadline, const char* label);

  template <class Predicate>
  void wait(Lock& lock, Predicate ready, const char* label) {
    while (!ready()) wait(lock, label);
  }
  // Returns ready() as of the end of the wait: false means the deadline passed.
  template <class Predicate>
  bool wait_until(Lock& lock, TimePoint deadline, Predicate ready, const char* label) {
    while (!ready()) {
      if (wait_until(lock, deadline, label) == WaitStatus::kTimeout) return ready();
    }
    return true;
  }

  const char* name() const { return name_; }

 private:
  const char* name_;
  detail::CondVarState state_;
};

}  // namespace drpc::rt

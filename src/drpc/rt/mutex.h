// rt::Mutex: a mutual-exclusion lock that mirrors std::mutex (it is a
// Lockable, so std::unique_lock and std::lock_guard work). In the simulator
// every lock and unlock is a scheduling point and a blocked lock parks the
// task, so lock-order deadlocks are found and reported by name.
#pragma once

#include <mutex>  // std::unique_lock, std::lock_guard

#include "drpc/rt/backend.h"

namespace drpc::rt {

class Mutex {
 public:
  // `name` must outlive the mutex (a string literal): it appears in traces
  // and deadlock reports.
  explicit Mutex(const char* name = "mutex");
  ~Mutex();
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock();
  bool try_lock();
  void unlock();

  const char* name() const { return name_; }

 private:
  friend class CondVar;
  const char* name_;
  detail::MutexState state_;
};

using Lock = std::unique_lock<Mutex>;
using LockGuard = std::lock_guard<Mutex>;

}  // namespace drpc::rt

// rt::Mutex: a mutual-exclusion lock like std::mutex (a Lockable, so
// std::unique_lock and std::lock_guard work). `name` (a string literal) shows
// in traces and deadlock reports.
//
//   rt::Mutex mu_{"table.mu"};
//   rt::LockGuard guard(mu_);
//
// In the simulator every lock and unlock is a scheduling point, so lock-order
// deadlocks are found and reported by name. See docs/rt.md.
#pragma once

#include <mutex>  // std::unique_lock, std::lock_guard

#include "drpc/rt/internal/backend.h"

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

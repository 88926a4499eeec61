// InspectableMutex: an rt::Mutex plus an rt::Atomic<bool> that says whether
// someone holds it (drpc-protocol.md §2.1). A stream serializes its readers
// and its writers with two of these, and its two-phase shutdown asks "is a
// read or a write in progress?" without taking them: fin may be set only
// when term is set and neither is held.
//
// Ordering contract (the stream's shutdown relies on it): lock() stores
// held = true after the mutex is taken and unlock() stores held = false
// before the mutex is let go, both sequentially consistent. So held() ==
// true implies the mutex is locked, and a task that stores held and then
// loads another flag races safely with a task that stores that flag and then
// loads held() (at least one of the two sees the other's store).
//
// It is a Lockable (lock / try_lock / unlock), so std::unique_lock works.
// Names mirror std, as for the rt primitives it wraps.
#pragma once

#include "drpc/base/check.h"
#include "drpc/rt/atomic.h"
#include "drpc/rt/mutex.h"

namespace drpc::stream {

class InspectableMutex {
 public:
  // `name` must outlive the mutex (a string literal).
  explicit InspectableMutex(const char* name) : mu_(name), held_(false, name) {}
  InspectableMutex(const InspectableMutex&) = delete;
  InspectableMutex& operator=(const InspectableMutex&) = delete;

  void lock() {
    mu_.lock();
    DRPC_ASSERT(!held_.load(), "InspectableMutex: held flag set while the mutex was free");
    held_.store(true);
  }
  bool try_lock() {
    if (!mu_.try_lock()) return false;
    DRPC_ASSERT(!held_.load(), "InspectableMutex: held flag set while the mutex was free");
    held_.store(true);
    return true;
  }
  void unlock() {
    DRPC_ASSERT(held_.load(), "InspectableMutex: unlock of a mutex that is not held");
    held_.store(false);
    mu_.unlock();
  }

  // True from just after lock() took the mutex until just before unlock()
  // lets it go. Any task may ask; it never blocks.
  bool held() const { return held_.load(); }

  const char* name() const { return mu_.name(); }

 private:
  rt::Mutex mu_;
  rt::Atomic<bool> held_;
};

}  // namespace drpc::stream

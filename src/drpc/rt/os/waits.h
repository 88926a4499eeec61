// The thread backend's record of waits in progress, for rt::WaitingTasks()
// (rt/waits.h). Each blocking call of the backend (condvar waits, and so
// signals; sleeps; joins; blocking socket I/O) holds a WaitScope for as long
// as it blocks:
//
//   internal::WaitScope waiting(label, name_);
//   state_.cv.wait(inner);
//
// Diagnostics only: costs two uncontended mutex operations per wait and
// never influences what the waiter does.
#pragma once

#include <cstdint>

namespace drpc::rt::internal {

// rt::current_task().id without copying the task's name (task.cc).
uint64_t CurrentTaskId();

class WaitScope {
 public:
  // `label` and `object` must outlive the wait (string literals or the
  // waited-on object's name).
  WaitScope(const char* label, const char* object);
  ~WaitScope();
  WaitScope(const WaitScope&) = delete;
  WaitScope& operator=(const WaitScope&) = delete;
};

}  // namespace drpc::rt::internal

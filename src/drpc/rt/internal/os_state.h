// OS backend state behind the rt types: the fiber backend's
// (fiber_state.h), or with DRPC_RT_THREADS=1 (drpc_rt_threads) the thread
// backend's, the standard library's primitives. Internal: included by
// rt/internal/backend.h (docs/rt.md, "Three backends, one API").
#pragma once

#if !defined(DRPC_RT_THREADS) || !DRPC_RT_THREADS
#include "drpc/rt/internal/fiber_state.h"
#else

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "drpc/base/check.h"  // DRPC_CHECKED

namespace drpc::rt::detail {

struct MutexState {
  std::mutex mu;
#if DRPC_CHECKED
  // The thread holding `mu`, or a default id. Only ever compared with the
  // calling thread's id, so relaxed order is enough: a thread always sees its
  // own last store. Catches self-deadlock (recursive lock), unlock by a
  // non-owner and waits without the lock, which std::mutex leaves undefined.
  std::atomic<std::thread::id> owner{};
#endif
};

struct CondVarState {
  std::condition_variable cv;
};

struct TaskState {
  uint64_t id = 0;
  std::string name;  // kept for the report if the handle is dropped unjoined
};

template <class T>
class AtomicCell {
 public:
  AtomicCell(T initial, const char* /*name*/) : value_(initial) {}
  T load() const { return value_.load(); }
  void store(T v) { value_.store(v); }
  T exchange(T v) { return value_.exchange(v); }
  bool compare_exchange(T& expected, T desired) {
    return value_.compare_exchange_strong(expected, desired);
  }
  T fetch_add(T d) { return value_.fetch_add(d); }
  T fetch_sub(T d) { return value_.fetch_sub(d); }

 private:
  std::atomic<T> value_;
};

}  // namespace drpc::rt::detail

#endif  // DRPC_RT_THREADS

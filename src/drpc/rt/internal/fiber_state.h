// Fiber OS backend state behind the rt types (docs/rt.md, "The fiber
// backend"). Internal: included by rt/internal/backend.h.
//
// A mutex or condvar here never blocks an OS thread across a park: its
// state is a spin lock held for a few instructions and a list of parked
// waiters, each woken through its fiber::Waker.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "drpc/base/check.h"  // DRPC_CHECKED

namespace drpc::rt::fiber {
struct WaitNode;
struct TaskRecord;
}  // namespace drpc::rt::fiber

namespace drpc::rt::detail {

// A test-and-test-and-set lock for a few instructions at a time (never
// held across a park or a system call).
class SpinLock {
 public:
  void lock() {
    while (locked_.exchange(true, std::memory_order_acquire)) {
      while (locked_.load(std::memory_order_relaxed)) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
      }
    }
  }
  void unlock() { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

// Waiters parked on a mutex or condvar, oldest first (intrusive: the nodes
// live on the waiters' stacks).
struct WaitList {
  fiber::WaitNode* head = nullptr;
  fiber::WaitNode* tail = nullptr;
};

struct MutexState {
  std::atomic<bool> locked{false};
  std::atomic<uint32_t> waiters{0};  // tasks between deciding to park and being woken
  SpinLock spin;
  WaitList queue;  // guarded by spin
#if DRPC_CHECKED
  // The task (or plain thread) holding the mutex, or null: only compared
  // with the caller's own token, so relaxed order is enough.
  std::atomic<const void*> owner{nullptr};
#endif
};

struct CondVarState {
  SpinLock spin;
  WaitList queue;  // guarded by spin
};

struct TaskState {
  uint64_t id = 0;
  std::string name;
  fiber::TaskRecord* record = nullptr;
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

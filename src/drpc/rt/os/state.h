// OS backend state behind the rt types: the standard library's primitives.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace drpc::rt::detail {

struct MutexState {
  std::mutex mu;
};

struct CondVarState {
  std::condition_variable cv;
};

struct TaskState {
  std::thread thread;
};

template <class T>
class AtomicCell {
 public:
  AtomicCell(T initial, const char* /*name*/) : value_(initial) {}
  T load() const { return value_.load(); }
  void store(T v) { value_.store(v); }
  T exchange(T v) { return value_.exchange(v); }
  bool compare_exchange(T& expected, T desired) { return value_.compare_exchange_strong(expected, desired); }
  T fetch_add(T d) { return value_.fetch_add(d); }
  T fetch_sub(T d) { return value_.fetch_sub(d); }

 private:
  std::atomic<T> value_;
};

}  // namespace drpc::rt::detail

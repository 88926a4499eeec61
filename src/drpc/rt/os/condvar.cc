// rt::CondVar on std::condition_variable. rt::Lock is a
// std::unique_lock<rt::Mutex>; std::condition_variable needs a
// std::unique_lock<std::mutex>, so each wait adopts the rt::Mutex's inner
// std::mutex for its duration and releases it again (without unlocking)
// before returning, leaving the caller's Lock the owner throughout.
#include "drpc/rt/condvar.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>

#include "drpc/base/check.h"
#include "drpc/rt/os/waits.h"

namespace drpc::rt {

static_assert(std::is_same_v<std::chrono::steady_clock::duration, Duration>,
              "rt::Clock time points map 1:1 onto steady_clock ones");

namespace {

// Clears and restores the checked-build owner of the mutex around a wait, in
// which the std::condition_variable releases and re-takes it behind the
// rt::Mutex's back.
class OwnerHandoff {
 public:
  explicit OwnerHandoff(detail::MutexState& state, const char* mutex_name) : state_(state) {
#if DRPC_CHECKED
    DRPC_ASSERT(
        state_.owner.load(std::memory_order_relaxed) == std::this_thread::get_id(),
        std::string("condvar wait on mutex '") + mutex_name + "' which this thread does not hold");
    state_.owner.store(std::thread::id(), std::memory_order_relaxed);
#endif
  }
  ~OwnerHandoff() {
#if DRPC_CHECKED
    state_.owner.store(std::this_thread::get_id(), std::memory_order_relaxed);
#endif
  }
  OwnerHandoff(const OwnerHandoff&) = delete;
  OwnerHandoff& operator=(const OwnerHandoff&) = delete;

 private:
  [[maybe_unused]] detail::MutexState& state_;
};

}  // namespace

CondVar::CondVar(const char* name) : name_(name) {
  DRPC_ASSERT(name != nullptr, "a condvar needs a name");
}

CondVar::~CondVar() = default;

void CondVar::notify_one() { state_.cv.notify_one(); }

void CondVar::notify_all() { state_.cv.notify_all(); }

void CondVar::wait(Lock& lock, const char* label) {
  DRPC_ASSERT(lock.owns_lock(), std::string("condvar '") + name_ + "' wait at '" + label +
                                    "' without holding the lock");
  Mutex& mutex = *lock.mutex();
  OwnerHandoff handoff(mutex.state_, mutex.name());
  std::unique_lock<std::mutex> inner(mutex.state_.mu, std::adopt_lock);
  internal::WaitScope waiting(label, name_);  // for rt::WaitingTasks
  state_.cv.wait(inner);
  inner.release();  // the caller's Lock still owns the mutex
}

WaitStatus CondVar::wait_until(Lock& lock, TimePoint deadline, const char* label) {
  // "Never" is a plain wait: converting TimePoint::max() into a timed wait
  // buys nothing and is where clock arithmetic overflows.
  if (deadline == kNoDeadline) {
    wait(lock, label);
    return WaitStatus::kNotified;
  }
  DRPC_ASSERT(lock.owns_lock(), std::string("condvar '") + name_ + "' wait at '" + label +
                                    "' without holding the lock");
  Mutex& mutex = *lock.mutex();
  std::cv_status status;
  {
    OwnerHandoff handoff(mutex.state_, mutex.name());
    std::unique_lock<std::mutex> inner(mutex.state_.mu, std::adopt_lock);
    internal::WaitScope waiting(label, name_);  // for rt::WaitingTasks
    status = state_.cv.wait_until(
        inner, std::chrono::steady_clock::time_point(deadline.time_since_epoch()));
    inner.release();
  }
  return status == std::cv_status::timeout ? WaitStatus::kTimeout : WaitStatus::kNotified;
}

}  // namespace drpc::rt

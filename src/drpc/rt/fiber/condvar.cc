// rt::CondVar on fibers: waiters park in a list (oldest first) that notify
// pops; a timed wait also arms a reactor timer, and whichever of the two
// wakes it first decides: a waiter still in the list when it resumes timed
// out, one that a notify popped was notified (even if its timer fired too),
// so notify_one never wakes nobody.
#include "drpc/rt/condvar.h"

#include <boost/asio/steady_timer.hpp>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "drpc/base/check.h"
#include "drpc/rt/fiber/scheduler.h"
#include "drpc/rt/fiber/timer_wake.h"

namespace drpc::rt {

CondVar::CondVar(const char* name) : name_(name) {
  DRPC_ASSERT(name != nullptr, "a condvar needs a name");
}

CondVar::~CondVar() = default;

void CondVar::notify_one() {
  fiber::Waker waker;
  {
    std::lock_guard<detail::SpinLock> guard(state_.spin);
    if (fiber::WaitNode* node = fiber::PopFront(state_.queue)) waker = node->waker;
  }
  waker.Wake();
}

void CondVar::notify_all() {
  // Copies the wakers under the spin lock and wakes after it, as notify_one
  // does: a waiter whose timer fired may resume the moment its node leaves
  // the list, and its node (on its stack) with it, but a Waker is a copy
  // whose late Wake does nothing. Not under the lock: a Wake may post to
  // the reactor, whose futex wake can block this thread while a waiter
  // woken on another worker spins on the lock.
  constexpr size_t kInline = 16;
  fiber::Waker wakers[kInline];
  std::vector<fiber::Waker> more;
  size_t n = 0;
  {
    std::lock_guard<detail::SpinLock> guard(state_.spin);
    while (fiber::WaitNode* node = fiber::PopFront(state_.queue)) {
      if (n < kInline) {
        wakers[n++] = node->waker;
      } else {
        more.push_back(node->waker);
      }
    }
  }
  for (size_t i = 0; i < n; ++i) wakers[i].Wake();
  for (const fiber::Waker& waker : more) waker.Wake();
}

void CondVar::wait(Lock& lock, const char* label) { (void)wait_until(lock, kNoDeadline, label); }

WaitStatus CondVar::wait_until(Lock& lock, TimePoint deadline, const char* label) {
  DRPC_ASSERT(lock.owns_lock(), std::string("condvar '") + name_ + "' wait at '" + label +
                                    "' without holding the lock");
  Mutex& mutex = *lock.mutex();
  fiber::WaitNode node;
  std::optional<boost::asio::steady_timer> timer;
  if (deadline != kNoDeadline) timer.emplace(fiber::Io());
  fiber::ParkLabeled(label, name_, [&](fiber::Waker waker) {
    node.waker = waker;
    {
      std::lock_guard<detail::SpinLock> guard(state_.spin);
      fiber::PushBack(state_.queue, &node);
    }
    if (timer) fiber::ArmTimer(*timer, deadline, waker);
    mutex.unlock();  // checks the owner in checked builds
  });
  WaitStatus status = WaitStatus::kNotified;
  {
    std::lock_guard<detail::SpinLock> guard(state_.spin);
    if (node.queued) {  // the timer, not a notify, woke us
      fiber::Remove(state_.queue, &node);
      status = WaitStatus::kTimeout;
    }
  }
  timer.reset();  // cancels it if it has not fired (its late Wake is harmless)
  mutex.lock();
  return status;
}

}  // namespace drpc::rt

#include "drpc/rt/condvar.h"

#include <string>

#include "drpc/base/check.h"
#include "drpc/rt/fault.h"
#include "sim/rt/mutex_internal.h"
#include "sim/sched/scheduler.h"

namespace drpc::rt {

CondVar::CondVar(const char* name) : name_(name) {}

CondVar::~CondVar() {
  sim::Scheduler* scheduler = sim::Scheduler::current();
  if (scheduler == nullptr || !scheduler->in_fiber() ||
      !scheduler->InThisRun(state_.waiters.object)) {
    return;
  }
  DRPC_ASSERT(state_.waiters.size == 0,
              std::string("condvar \"") + name_ + "\" destroyed while fibers wait on it");
}

void CondVar::notify_one() {
  sim::Scheduler& scheduler = sim::Scheduler::ForOperation("rt::CondVar::notify_one");
  scheduler.SchedulingPoint("notify_one", scheduler.Touch(state_.waiters, "condvar", name_));
  scheduler.WakeOne(state_.waiters);
}

void CondVar::notify_all() {
  sim::Scheduler& scheduler = sim::Scheduler::ForOperation("rt::CondVar::notify_all");
  scheduler.SchedulingPoint("notify_all", scheduler.Touch(state_.waiters, "condvar", name_));
  scheduler.WakeAll(state_.waiters);
}

void CondVar::wait(Lock& lock, const char* label) { wait_until(lock, kNoDeadline, label); }

WaitStatus CondVar::wait_until(Lock& lock, TimePoint deadline, const char* label) {
  sim::Scheduler& scheduler = sim::Scheduler::ForOperation("rt::CondVar::wait");
  DRPC_ASSERT(lock.owns_lock(), std::string("wait on condvar \"") + name_ + "\" without the lock");
  detail::MutexState& mutex = lock.mutex()->state_;
  const char* mutex_name = lock.mutex()->name_;
  DRPC_ASSERT(
      scheduler.InThisRun(mutex.waiters.object) && mutex.waiters.owner == scheduler.running(),
      std::string("wait on condvar \"") + name_ + "\" with mutex \"" + mutex_name +
          "\" not held by this fiber");
  scheduler.SchedulingPoint("wait", scheduler.Touch(state_.waiters, "condvar", name_));
  const sim::Nanos deadline_ns = deadline.time_since_epoch().count();
  if (deadline_ns <= scheduler.now()) return WaitStatus::kTimeout;
  if (DRPC_FAULT(kSpuriousWakeup)) {
    // A wake-up nobody sent, as POSIX allows: the mutex is given up and
    // taken again (others may run between), and the waiter sees "notified".
    // Code that waits without looping on its predicate then goes on with a
    // condition that does not hold.
    detail::ReleaseMutex(scheduler, mutex, mutex_name);
    scheduler.SchedulingPoint("spurious_wakeup", scheduler.Touch(state_.waiters, "condvar", name_));
    detail::AcquireMutex(scheduler, mutex, mutex_name);
    return WaitStatus::kNotified;
  }
  // Queue first, then release: a notify between the two cannot be lost.
  scheduler.Block(&state_.waiters, label, deadline_ns);
  detail::ReleaseMutex(scheduler, mutex, mutex_name);
  const sim::WakeReason reason = scheduler.SwitchAway();
  detail::AcquireMutex(scheduler, mutex, mutex_name);
  return reason == sim::WakeReason::kTimeout ? WaitStatus::kTimeout : WaitStatus::kNotified;
}

}  // namespace drpc::rt

#include "drpc/rt/mutex.h"

#include <string>

#include "drpc/base/check.h"
#include "sim/rt/mutex_internal.h"
#include "sim/sched/scheduler.h"

namespace drpc::rt {
namespace detail {

void AcquireMutex(sim::Scheduler& scheduler, MutexState& state, const char* name) {
  const sim::FiberId me = scheduler.running();
  DRPC_ASSERT(state.waiters.owner != me, std::string("mutex \"") + name +
                                             "\" locked again by the fiber holding it "
                                             "(rt::Mutex is not recursive)");
  // Each round parks until an unlock wakes this fiber; the run's step limit
  // bounds how often another fiber can take the mutex first.
  while (state.waiters.owner != sim::kNoFiber) {
    scheduler.Park(&state.waiters, "lock", sim::kNever);
  }
  state.waiters.owner = me;
  scheduler.NoteLock(+1);  // a fiber holding a lock is not killed (host crash)
}

void ReleaseMutex(sim::Scheduler& scheduler, MutexState& state, const char* name) {
  DRPC_ASSERT(state.waiters.owner == scheduler.running(),
              std::string("unlock of mutex \"") + name + "\" by a fiber that does not hold it");
  state.waiters.owner = sim::kNoFiber;
  scheduler.WakeOne(state.waiters);
  scheduler.NoteLock(-1);  // last: a task of a crashed host dies here
}

}  // namespace detail

Mutex::Mutex(const char* name) : name_(name) {}

Mutex::~Mutex() {
  // Checked only inside the run that used it: after a failed run the holder
  // may have been abandoned mid-section, which is no news.
  sim::Scheduler* scheduler = sim::Scheduler::current();
  if (scheduler == nullptr || !scheduler->in_fiber() ||
      !scheduler->InThisRun(state_.waiters.object)) {
    return;
  }
  DRPC_ASSERT(state_.waiters.owner == sim::kNoFiber,
              std::string("mutex \"") + name_ + "\" destroyed while held");
  DRPC_ASSERT(state_.waiters.size == 0,
              std::string("mutex \"") + name_ + "\" destroyed while fibers wait for it");
}

void Mutex::lock() {
  sim::Scheduler& scheduler = sim::Scheduler::ForOperation("rt::Mutex::lock");
  scheduler.SchedulingPoint("lock", scheduler.Touch(state_.waiters, "mutex", name_));
  detail::AcquireMutex(scheduler, state_, name_);
}

bool Mutex::try_lock() {
  sim::Scheduler& scheduler = sim::Scheduler::ForOperation("rt::Mutex::try_lock");
  scheduler.SchedulingPoint("try_lock", scheduler.Touch(state_.waiters, "mutex", name_));
  if (state_.waiters.owner != sim::kNoFiber) return false;
  state_.waiters.owner = scheduler.running();
  scheduler.NoteLock(+1);
  return true;
}

void Mutex::unlock() {
  sim::Scheduler& scheduler = sim::Scheduler::ForOperation("rt::Mutex::unlock");
  scheduler.SchedulingPoint("unlock", scheduler.Touch(state_.waiters, "mutex", name_));
  detail::ReleaseMutex(scheduler, state_, name_);
}

}  // namespace drpc::rt

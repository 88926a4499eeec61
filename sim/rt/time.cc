#include "drpc/rt/time.h"

#include "drpc/base/check.h"
#include "sim/sched/scheduler.h"

namespace drpc::rt {

// Reading virtual time is not a scheduling point: time only moves while
// every fiber is blocked, so no other fiber can change what this returns.
Clock::time_point Clock::now() {
  return time_point(duration(sim::Scheduler::ForOperation("rt::Clock::now").now()));
}

void sleep_until(TimePoint deadline) {
  sim::Scheduler& scheduler = sim::Scheduler::ForOperation("rt::sleep_until");
  DRPC_ASSERT(deadline != kNoDeadline, "rt::sleep_until(kNoDeadline) would sleep forever");
  scheduler.SchedulingPoint("sleep", 0);
  const sim::Nanos deadline_ns = deadline.time_since_epoch().count();
  if (deadline_ns <= scheduler.now()) return;
  scheduler.Park(nullptr, "sleep_until", deadline_ns);
}

}  // namespace drpc::rt

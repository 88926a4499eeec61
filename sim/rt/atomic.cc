#include "drpc/rt/atomic.h"

#include "sim/sched/scheduler.h"

namespace drpc::rt::detail {

void AtomicAccess(sim::ObjectRef& object, const char* name, sim::StaticName op) {
  sim::Scheduler& scheduler = sim::Scheduler::ForOperation(op.text());
  scheduler.SchedulingPoint(op, scheduler.Touch(object, "atomic", name));
}

void AtomicAccess(sim::ObjectRef& object, const char* name, sim::StaticName op, uint64_t bits) {
  sim::Scheduler& scheduler = sim::Scheduler::ForOperation(op.text());
  scheduler.SchedulingPoint(op, scheduler.Touch(object, "atomic", name), bits);
}

}  // namespace drpc::rt::detail

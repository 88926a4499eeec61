#include "sim/sched/host_tag.h"

#include "sim/sched/scheduler.h"

namespace drpc::sim {

uint32_t CurrentHost() { return Scheduler::ForOperation("sim::CurrentHost").host(); }

void SetCurrentHost(uint32_t host) {
  Scheduler::ForOperation("sim::SetCurrentHost").set_host(host);
}

uint32_t KillHost(uint32_t host) { return Scheduler::ForOperation("sim::KillHost").KillHost(host); }

}  // namespace drpc::sim

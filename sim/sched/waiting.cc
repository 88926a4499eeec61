#include "sim/sched/waiting.h"

#include <utility>

#include "sim/sched/scheduler.h"
#include "sim/sched/trace.h"

namespace drpc::sim {

std::string WaitingTask::ToString() const {
  std::string text = "fiber " + task + " waits on " + on + " at \"" + label + "\"";
  if (deadline != kNever) text += " (until " + FormatTime(deadline) + ")";
  return text;
}

std::vector<WaitingTask> WaitingTasks() {
  return Scheduler::ForOperation("sim::WaitingTasks").Waiting();
}

uint32_t LiveTasks() { return Scheduler::ForOperation("sim::LiveTasks").LiveFibers(); }

void FailLiveness(std::string report) {
  Scheduler::ForOperation("sim::FailLiveness")
      .FailRunningFiber(Outcome::kLivenessFailed, std::move(report));
}

}  // namespace drpc::sim

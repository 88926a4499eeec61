// rt::WaitingTasks() for the simulator backend: the scheduler's parked
// fibers and the labels of their waits (sim/sched/waiting.h). Outside a run
// nothing waits.
#include "drpc/rt/waits.h"

#include <deque>
#include <string>

#include "sim/sched/scheduler.h"
#include "sim/sched/waiting.h"

namespace drpc::rt {

std::vector<WaitingTask> WaitingTasks() {
  sim::Scheduler* scheduler = sim::Scheduler::current();
  if (scheduler == nullptr || !scheduler->in_fiber()) return {};
  // The scheduler names objects and labels as strings; WaitingTask holds
  // pointers, kept alive here until the thread's next call.
  thread_local std::deque<std::string> texts;
  texts.clear();
  std::vector<WaitingTask> out;
  for (const sim::WaitingTask& w : scheduler->Waiting()) {
    const std::string& label = texts.emplace_back(w.label);
    const std::string& object = texts.emplace_back(w.on);
    out.push_back(WaitingTask{
        .id = w.fiber, .name = w.task, .label = label.c_str(), .object = object.c_str()});
  }
  return out;
}

}  // namespace drpc::rt

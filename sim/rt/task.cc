#include "drpc/rt/task.h"

#include <string>
#include <utility>

#include "drpc/base/check.h"
#include "drpc/rt/fault.h"
#include "sim/sched/scheduler.h"

namespace drpc::rt {
namespace {

// True if `state` names a fiber of the run executing on this thread.
bool InCurrentRun(const detail::TaskState& state) {
  sim::Scheduler* scheduler = sim::Scheduler::current();
  return scheduler != nullptr && scheduler->in_fiber() &&
         state.run_serial == scheduler->run_serial();
}

}  // namespace

Task::Task(Task&& other) noexcept : state_(std::exchange(other.state_, detail::TaskState{})) {}

Task& Task::operator=(Task&& other) noexcept {
  DRPC_ASSERT(!joinable() || !InCurrentRun(state_),
              "assigning over an rt::Task that was not joined");
  state_ = std::exchange(other.state_, detail::TaskState{});
  return *this;
}

Task::~Task() {
  // A handle left from a failed run is not this run's business.
  if (!joinable() || !InCurrentRun(state_)) return;
  sim::Scheduler& scheduler = *sim::Scheduler::current();
  DRPC_ASSERT(false, "rt::Task \"" + scheduler.fiber_name(state_.fiber) +
                         "\" destroyed without join (it may still be running)");
}

bool Task::joinable() const { return state_.fiber != sim::kNoFiber; }

void Task::join() {
  sim::Scheduler& scheduler = sim::Scheduler::ForOperation("rt::Task::join");
  DRPC_ASSERT(joinable(), "join of an rt::Task that is not joinable");
  DRPC_ASSERT(state_.run_serial == scheduler.run_serial(), "join of an rt::Task of another run");
  DRPC_ASSERT(state_.fiber != scheduler.running(), "an rt::Task cannot join itself");
  sim::WaitQueue& exited = scheduler.ExitQueue(state_.fiber);
  scheduler.SchedulingPoint("join", exited.object.id);
  // One park is enough: the exit wakes every joiner and nothing else does.
  if (!scheduler.Exited(state_.fiber)) scheduler.Park(&exited, "join", sim::kNever);
  DRPC_ASSERT(scheduler.Exited(state_.fiber), "join returned before the task exited");
  state_ = detail::TaskState{};
}

Task spawn(std::string name, UniqueFunction<void()> body) {
  sim::Scheduler& scheduler = sim::Scheduler::ForOperation("rt::spawn");
  scheduler.SchedulingPoint("spawn", 0);
  // spawn is for code that cannot handle the failure (tests, scenarios):
  // the fault site is TrySpawn's alone, so it exercises the handling.
  Task task;
  task.state_.fiber = scheduler.Spawn(std::move(name), std::move(body));
  task.state_.run_serial = scheduler.run_serial();
  return task;
}

Result<Task> TrySpawn(std::string name, UniqueFunction<void()> body) {
  sim::Scheduler& scheduler = sim::Scheduler::ForOperation("rt::spawn");
  scheduler.SchedulingPoint("spawn", 0);
  if (DRPC_FAULT(kSpawnFailure)) {
    return ResourceExhaustedError("cannot start task '" + name +
                                  "': out of tasks (fault site rt.spawn-failure)");
  }
  Task task;
  task.state_.fiber = scheduler.Spawn(std::move(name), std::move(body));
  task.state_.run_serial = scheduler.run_serial();
  return task;
}

void yield() { sim::Scheduler::ForOperation("rt::yield").SchedulingPoint("yield", 0); }

TaskInfo current_task() {
  // An observation, not an operation: outside a run it answers "no task",
  // like the OS backend on a thread it did not start.
  sim::Scheduler* scheduler = sim::Scheduler::current();
  if (scheduler == nullptr || !scheduler->in_fiber()) return TaskInfo{};
  return TaskInfo{scheduler->running(), scheduler->fiber_name(scheduler->running()),
                  scheduler->step()};
}

TaskView current_task_view() {
  sim::Scheduler* scheduler = sim::Scheduler::current();
  if (scheduler == nullptr || !scheduler->in_fiber()) return TaskView{};
  return TaskView{scheduler->running(), scheduler->fiber_name(scheduler->running()),
                  scheduler->step()};
}

}  // namespace drpc::rt

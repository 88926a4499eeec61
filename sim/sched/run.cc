#include "sim/sched/run.h"

#include <cstdio>
#include <cstdlib>

#include "drpc/base/check.h"
#include "drpc/fiber/stack_pool.h"
#include "sim/sched/scheduler.h"

namespace drpc::sim {

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kInvariantFailed:
      return "invariant_failed";
    case Outcome::kDeadlock:
      return "deadlock";
    case Outcome::kStepLimit:
      return "step_limit";
    case Outcome::kUncaughtException:
      return "uncaught_exception";
    case Outcome::kNondeterminism:
      return "nondeterminism";
    case Outcome::kLivenessFailed:
      return "liveness_failed";
  }
  DRPC_ASSERT(false, "unknown Outcome");
}

std::optional<Outcome> OutcomeFromName(std::string_view name) {
  for (Outcome o :
       {Outcome::kOk, Outcome::kInvariantFailed, Outcome::kDeadlock, Outcome::kStepLimit,
        Outcome::kUncaughtException, Outcome::kNondeterminism, Outcome::kLivenessFailed}) {
    if (OutcomeName(o) == name) return o;
  }
  return std::nullopt;
}

std::string RunOptions::ToString() const {
  return "max_steps=" + std::to_string(max_steps) + " stack_bytes=" + std::to_string(stack_bytes) +
         " max_fibers=" + std::to_string(max_fibers) +
         " trace_tail_events=" + std::to_string(trace_tail_events) +
         " keep_full_trace=" + (keep_full_trace ? "1" : "0") +
         " record_choices=" + (record_choices ? "1" : "0") +
         " plants=" + (plants.empty() ? std::string("none") : plants.ToString()) +
         " faults=" + (faults.empty() ? std::string("none") : faults.ToString()) +
         " swarm=" + (swarm ? "1" : "0");
}

RunResult Run(DecisionSource& decisions, const RunOptions& options, FunctionRef<void()> main) {
  // The run's plants are on exactly while it runs: a run is single-threaded,
  // so nothing else reads the set meanwhile.
  plant::ScopedPlants plants(options.plants);
  // Likewise its faults; a swarm run replaces them with its draw before
  // `main` starts, so the draw is the first thing on the tape.
  FaultConfig faults = options.swarm ? FaultConfig{} : options.faults;
  SetCurrentFaults(&faults);
  auto body = [&] {
    if (options.swarm) {
      faults = DrawSwarm(options.faults);
      SetCurrentFaults(&faults);
    }
    main();
  };
  RunResult result = Scheduler::ForThisThread().Execute(decisions, options, body);
  SetCurrentFaults(nullptr);
  result.faults = std::move(faults);
  return result;
}

bool InRun() {
  Scheduler* scheduler = Scheduler::current();
  return scheduler != nullptr && scheduler->in_fiber();
}

void Fail(std::string report) {
  Scheduler* scheduler = Scheduler::current();
  if (scheduler != nullptr && scheduler->in_fiber()) {
    scheduler->FailRunningFiber(Outcome::kInvariantFailed, std::move(report));
  }
  std::fprintf(stderr, "sim::Fail outside a simulated run: %s\n", report.c_str());
  std::abort();
}

uint64_t Choose(uint64_t n, ChoiceKind kind) {
  return Scheduler::ForOperation("sim::Choose").Choose(n, kind);
}

uint64_t CurrentStep() { return Scheduler::ForOperation("sim::CurrentStep").step(); }

FiberId CurrentFiber() { return Scheduler::ForOperation("sim::CurrentFiber").running(); }

std::string CurrentFiberName() {
  Scheduler& scheduler = Scheduler::ForOperation("sim::CurrentFiberName");
  return scheduler.fiber_name(scheduler.running());
}

Nanos Now() { return Scheduler::ForOperation("sim::Now").now(); }

StepHook::StepHook(UniqueFunction<void()> check) : check_(std::move(check)) {
  Scheduler& scheduler = Scheduler::ForOperation("sim::StepHook");
  run_serial_ = scheduler.run_serial();
  scheduler.AddHook(this);
}

StepHook::~StepHook() {
  // A hook outliving its run (its fiber was abandoned, or it was kept past
  // Run) has nothing to unregister from.
  Scheduler* scheduler = Scheduler::current();
  if (scheduler != nullptr && scheduler->run_serial() == run_serial_) scheduler->RemoveHook(this);
}

}  // namespace drpc::sim

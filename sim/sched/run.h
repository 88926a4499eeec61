// Running code on the deterministic scheduler.
//
//   sim::RandomSource decisions(seed);
//   sim::RunResult r = sim::Run(decisions, sim::RunOptions{}, [&] {
//     // runs as fiber #1 "main"; rt::spawn starts more fibers
//   });
//   if (!r.ok()) std::cerr << r.report << r.trace_tail;
//
// A run is a pure function of its decisions: the same choices give the same
// trace (r.trace_hash), on any machine. Every rt operation is a scheduling
// point, where the decision source may switch to another runnable fiber;
// blocking parks the fiber until an explicit, traced wakeup; virtual time
// moves only when nothing can run, straight to the next timer.
//
// A run ends when every fiber has exited (kOk) or when it fails:
//   kInvariantFailed     DRPC_ASSERT or sim::Fail in a fiber or a step hook
//   kDeadlock            nothing can run, no timer is pending, fibers are blocked
//                        (also: main returned while others were still blocked)
//   kStepLimit           more than max_steps scheduling steps (a livelock guard)
//   kUncaughtException   an exception escaped a fiber's body (see `exception`)
//   kNondeterminism      the decision source saw the run depart from its log
//   kLivenessFailed      a liveness check's bound ran out with work still waiting
//                        (sim/liveness/liveness.h; sim::FailLiveness in waiting.h)
//
// Ending a failed run: fibers still parked are ABANDONED, not unwound. Forcing
// an exception through them could call std::terminate (a fiber may be parked
// inside a noexcept destructor) or run destructors against broken state.
// Their stacks go back to the pool when the run ends, after a heap copy of
// their live part under LSan, so what they own stays reachable, never a leak
// (stack_pool.h); a sweep may fail any number of runs in one process.
// Consequences for callers:
//   * Create the objects a run uses inside the body (on main's stack). Objects
//     created outside and captured by reference are destroyed after Run
//     returns, outside any run: destroying rt objects there is fine, but a
//     destructor that performs rt operations (locks a mutex) asserts. Objects
//     a failed run touched must not be used by a later run.
//   * rt operations outside a run fail with a clear assertion.
//   * Under ASan, LSan scans what abandoned fibers reference when the process
//     exits; a sweep with thousands of failing runs makes that exit slow
//     (tens of ms per failure). Big failing sweeps belong in the default
//     build, or set ASAN_OPTIONS=detect_leaks=0.
//
// Cost (release build, bench/sched): about 150 ns per run, 170 ns per fiber
// and 15 to 30 ns per scheduling point, so ~1 us for a run of two fibers
// yielding ten times each: a property can run thousands of runs a second.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drpc/base/function_ref.h"
#include "drpc/base/plant.h"
#include "drpc/base/unique_function.h"
#include "drpc/sim/ids.h"
#include "sim/sched/choice_log.h"
#include "sim/sched/decision.h"
#include "sim/sched/fault_config.h"
#include "sim/sched/trace.h"

namespace drpc::sim {

enum class Outcome : uint8_t {
  kOk,
  kInvariantFailed,
  kDeadlock,
  kStepLimit,
  kUncaughtException,
  kNondeterminism,
  kLivenessFailed,
};
std::string_view OutcomeName(Outcome outcome);  // "ok", "deadlock", ...
std::optional<Outcome> OutcomeFromName(std::string_view name);

struct RunOptions {
  // Scheduling steps before the run fails as a livelock.
  uint64_t max_steps = 1'000'000;
  // Usable bytes per fiber stack (rounded up to pages; a guard page sits
  // below). Pages are only touched as used, so generous is cheap.
  size_t stack_bytes = 256 * 1024;
  // Fibers a run may spawn in all (a bound on a runaway spawner).
  uint32_t max_fibers = 10'000;
  // Keep every trace event (RunResult::full_trace) instead of only the tail.
  bool keep_full_trace = false;
  // Events shown in a failure report's trace tail.
  size_t trace_tail_events = 40;
  // Record every choice into RunResult::choice_log.
  bool record_choices = true;
  // Planted bugs switched on for this run (drpc/base/plant.h): part of the
  // run's configuration, so reports, choice logs and replay lines carry it.
  plant::Set plants;
  // Faults injected at the library's fault sites and in the simulated world
  // (sim/sched/fault_config.h). With `swarm`, this is the pool the run
  // first draws its own configuration from (empty: every kind).
  FaultConfig faults;
  bool swarm = false;

  // "max_steps=1000000 stack_bytes=262144 ..." for reports.
  std::string ToString() const;
};

struct RunResult {
  Outcome outcome = Outcome::kOk;
  // What broke, with the fiber, step and virtual time (empty when ok).
  std::string report;
  uint64_t trace_hash = 0;
  uint64_t steps = 0;
  Nanos end_time = 0;
  uint32_t fibers = 0;  // fibers spawned, main included
  ChoiceLog choice_log;
  // The fault configuration the run used: RunOptions::faults, or with
  // swarm the one it drew (empty if the run failed before drawing).
  FaultConfig faults;
  // The last RunOptions::trace_tail_events events, formatted (failures only).
  std::string trace_tail;
  // Every event, one line each, when RunOptions::keep_full_trace.
  std::string full_trace;
  // Per-event hashes matching full_trace's lines (keep_full_trace only): the
  // determinism check compares these to find the first divergent event.
  std::vector<uint64_t> event_hashes;
  // The same events unformatted, and the run's fiber and object names
  // (keep_full_trace only): for tools that draw the run (drpc-sim --html).
  std::vector<TraceEvent> events;
  TraceNames trace_names;
  // kUncaughtException: the exception, for a caller (RapidCheck) to rethrow.
  std::exception_ptr exception;
  // Fibers this run abandoned mid-stack (their stacks were reclaimed).
  uint32_t abandoned_stacks = 0;

  bool ok() const { return outcome == Outcome::kOk; }
};

// Runs `main` as fiber #1 "main" until every fiber has exited or the run
// fails. Not reentrant: call it outside any run. Single OS thread; separate
// threads may run separate simulations at the same time.
RunResult Run(DecisionSource& decisions, const RunOptions& options, FunctionRef<void()> main);

// ---- Inside a run (from a fiber) --------------------------------------

// True on a fiber of a run on this thread.
bool InRun();

// Fails the run with kInvariantFailed and `report`; the calling fiber is
// abandoned (never resumed). Outside a run: prints and aborts.
[[noreturn]] void Fail(std::string report);

// A decision for the simulated world: kind is kNet, kFault or kWorkload (the
// scheduler asks kSchedule and kTime itself). Returns 0 without asking when
// n == 1. Not a scheduling point.
uint64_t Choose(uint64_t n, ChoiceKind kind);

// Where the run is, for histories and ledgers.
uint64_t CurrentStep();
FiberId CurrentFiber();
std::string CurrentFiberName();
Nanos Now();

// Runs `check` at every scheduling point of the run (in the fiber that
// reached it, before the scheduler decides), while the hook is alive. Use it
// for global invariants such as a buffer ledger's conservation equation; a
// failing check (DRPC_ASSERT, sim::Fail) fails the run at that step. Checks
// must not perform rt operations. Create and destroy the hook inside the run.
class StepHook {
 public:
  explicit StepHook(UniqueFunction<void()> check);
  ~StepHook();
  StepHook(const StepHook&) = delete;
  StepHook& operator=(const StepHook&) = delete;

  void Check() { check_(); }

 private:
  UniqueFunction<void()> check_;
  uint64_t run_serial_;
};

}  // namespace drpc::sim

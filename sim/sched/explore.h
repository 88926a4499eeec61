// Bounded exhaustive search: every distinct run of a body with at most P
// preemptions (and at most B non-default world choices), depth first. The
// CHESS / loom idea (Musuvathi, Qadeer: "Iterative context bounding for
// systematic testing of multithreaded programs", PLDI 2007) applied to every
// kind of choice the simulator asks.
//
//   sim::ExploreOptions options{.max_preemptions = 2, .max_runs = 100'000};
//   sim::ExploreResult r = sim::Explore(options, [&](sim::DecisionSource& d) {
//     return sim::Run(d, run_options, body);
//   });
//   if (r.failure) ... r.failure->choice_log replays it;
//   r.exhausted: every run within the bounds was tried, none failing.
//
// How: a run is a pure function of its choices, so the runs form a tree whose
// edges are choices. Each run replays a prefix of choices, then answers 0
// (the non-preemptive default) to everything, recording each choice's n and
// cost. The next run increments the deepest choice that still has an
// untried option within the bounds and drops everything after it. Memory is
// one path (the longest run's choices), whatever the number of runs.
//
// What a choice costs (ChoiceCost):
//   kPreemption  a schedule choice away from option 0 while option 0 is the
//                running fiber that could go on (it reached a scheduling
//                point); bounded by max_preemptions.
//   kFree        choosing who runs after the running fiber blocked or
//                exited, which waiter a notify wakes, the order of timers
//                due at the same instant: none of them interrupts a fiber,
//                so all of them are explored (as CHESS does).
//   kWorld       a non-zero net, fault or workload choice ("something
//                special happens"); bounded by max_world_choices.
// Option 0 never costs anything, so the all-zero run is always the first.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "drpc/base/function_ref.h"
#include "sim/sched/decision.h"
#include "sim/sched/run.h"

namespace drpc::sim {

enum class ChoiceCost : uint8_t { kPreemption, kFree, kWorld };

// What answering `request` with a non-zero option costs.
ChoiceCost CostOf(const ChoiceRequest& request);

// Counts the preemptions and other non-default choices of the source it
// wraps (a run's complexity, as the shrinker reports it).
class CostCountingSource final : public DecisionSource {
 public:
  explicit CostCountingSource(DecisionSource& inner) : inner_(inner) {}
  uint64_t Choose(const ChoiceRequest& request) override;

  uint64_t preemptions() const { return preemptions_; }
  uint64_t world_choices() const { return world_; }  // non-zero kWorld choices

 private:
  DecisionSource& inner_;
  uint64_t preemptions_ = 0;
  uint64_t world_ = 0;
};

struct ExploreOptions {
  uint32_t max_preemptions = 2;    // P
  uint64_t max_world_choices = 0;  // B: non-zero net/fault/workload choices per run
  uint64_t max_runs = 100'000;
  // Sleep sets (partial-order reduction): a run that only reorders
  // stretches of different fibers touching different sync objects, after a
  // run in the other order, is skipped (step_footprint.h says what
  // "touching" means). Off: every run of the choice tree, as before.
  bool sleep_sets = true;
  // Which failing runs end the search (unset: every one). Other failing
  // runs are counted in ExploreResult::other_failures and passed over.
  std::function<bool(const RunResult&)> target;
  // Called with the number of runs so far after every `progress_every`
  // runs (0: never), for a progress line.
  uint64_t progress_every = 0;
  std::function<void(uint64_t runs)> progress;
};

struct ExploreResult {
  uint64_t runs = 0;
  // Every run within the bounds was explored (false when max_runs stopped
  // the search, or a failure did).
  bool exhausted = false;
  // The first failing run (its choice_log replays it with ReplaySource),
  // found after `runs` runs, and its preemptions.
  std::optional<RunResult> failure;
  uint32_t failure_preemptions = 0;
  // The most choices one run made (the depth of the tree).
  uint64_t longest_run_choices = 0;
  // Failing runs that options.target passed over.
  uint64_t other_failures = 0;
  // Runs that met a choice whose every option within the bounds was asleep
  // (sleep sets): they ran on with 0s, and nothing below it was explored.
  uint64_t redundant_runs = 0;
};

// Runs `run_with` once per explored run with the source to use; it must run
// the same body with the same options every time (a run that departs from
// the recorded prefix is reported as a kNondeterminism failure).
using RunWith = FunctionRef<RunResult(DecisionSource&)>;
ExploreResult Explore(const ExploreOptions& options, RunWith run_with);

}  // namespace drpc::sim

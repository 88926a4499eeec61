// Shrinking a failing choice log, the way Hypothesis shrinks its choice
// sequences (MacIver, Donaldson: "Test-case reduction via test-case
// generation: insights from the Hypothesis reducer", ECOOP 2020).
//
//   sim::ShrinkResult s = sim::Shrink(failing.choice_log, sim::ShrinkOptions{},
//                                     [&](sim::DecisionSource& d) {
//                                       return sim::Run(d, run_options, body);
//                                     });
//   s.shrunk.choice_log   replays (ReplaySource) to the same kind of failure
//
// Candidates are integer vectors replayed leniently (sim::IntSource: each
// value taken mod n, 0 once the vector runs out), so a cut anywhere still
// gives a run: the choices after it shift, and running out means "the
// cooperative default from here on". A candidate is kept only if its run
// fails the same way (FailureSignature) and is simpler: of its choices
// (trailing zeros dropped) fewer are non-zero; or as many, and they are
// fewer; or both equal and they are lexicographically smaller. That order is
// well founded, so shrinking ends; max_runs bounds it anyway. The result is
// the simplest failing run found whose trace is no longer (in steps) than
// the original's and that preempts no more often. (Its log may hold more choices in all: a run cut
// short of its preemptions often has more fibers runnable at once, so more of its steps ask, though
// all of those past the significant ones answer 0.)
//
// Passes, repeated while one makes progress:
//   1. the best run's net, fault and workload choices under the cooperative
//      schedule (one run: many failures need no preemption at all);
//   2. cut the tail: the shortest prefix (binary search) that still fails;
//   3. zero chunks of n/2, n/4, ..., 1 choices (fewer preemptions, same
//      alignment: the cheap big win on a long log, so it goes first);
//   4. delete chunks of the same sizes;
//   5. zero 2, 3 or 4 neighbouring non-zero values together (preemptions
//      that cancel out, switch away and back, only go in pairs);
//   6. lower each non-zero value: 0 first, then a binary search;
// and once they find nothing more,
//   7. the same failure with fewer preemptions: bounded exhaustive search
//      (explore.h) with 0, 1, ... preemptions, the failing run's net, fault
//      and workload choices held still (at most a quarter of the budget).
// Runs that repeat an earlier candidate are skipped without running. If the
// simplest run found is too long to report, a second round shrinks again
// from the simplest reportable one, keeping only reportable runs (the first
// round gives up after a quarter of the budget without a better reportable
// run, to leave the second room).
#pragma once

#include <cstdint>
#include <string>

#include "sim/sched/choice_log.h"
#include "sim/sched/explore.h"
#include "sim/sched/run.h"

namespace drpc::sim {

// How a run failed, for "the same failure": the outcome, and for invariant
// failures and uncaught exceptions also the first line of the report (what
// broke, without where and when), its numbers masked ("#"): a byte count,
// a call index or a time in that line says how much or when, and requiring
// it equal would pin every choice that feeds it.
struct FailureSignature {
  Outcome outcome = Outcome::kOk;
  std::string first_line;

  static FailureSignature Of(const RunResult& result);
  bool Matches(const RunResult& result) const;
  std::string ToString() const;  // "invariant_failed: <first line>"
};

struct ShrinkOptions {
  uint64_t max_runs = 2000;  // runs in all, the first (reproducing) run included
};

// The size of a failing run's choices, as a person reading it cares about.
struct ChoiceLogSize {
  uint64_t choices = 0;      // every choice the run made (what a replay log holds)
  uint64_t significant = 0;  // up to the last non-zero one (the rest is the default)
  uint64_t nonzero = 0;
  uint64_t preemptions = 0;  // non-zero choices that preempt a running fiber
  uint64_t steps = 0;        // the run's scheduling steps (the length of its trace)
};

struct ShrinkResult {
  // False when the log did not fail when rerun: nothing was shrunk.
  bool reproduced = false;
  FailureSignature signature;
  RunResult original;  // the rerun of the log as given
  RunResult shrunk;    // the simplest failing run found (== original if none)
  ChoiceLogSize before;
  ChoiceLogSize after;
  uint64_t runs = 0;
  bool hit_run_bound = false;  // max_runs ended it before a fixpoint
};

ShrinkResult Shrink(const ChoiceLog& failing, const ShrinkOptions& options, RunWith run_with);

}  // namespace drpc::sim

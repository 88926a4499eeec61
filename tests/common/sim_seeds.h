// For tests that need an order of tasks to hold (ported from OS-thread
// tests that slept to order events): the body runs under the
// deterministic scheduler, once per seed, and waits for "every other task
// is parked" instead of sleeping.
//
//   drpc::testing::ForEachSeed(50, [](uint64_t) {
//     rt::Task receiver = rt::spawn("receiver", [&] { ... });
//     drpc::testing::UntilEveryOtherTaskParks();  // the receiver waits by now
//     ...
//   });
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>

#include "drpc/base/check.h"
#include "drpc/base/function_ref.h"
#include "drpc/rt/time.h"
#include "sim/sched/random_source.h"
#include "sim/sched/run.h"
#include "sim/testing/run_checks.h"

namespace drpc::testing {

// Returns once every other task of the run is parked: blocked on a lock,
// condition, signal, join or read, or sleeping past now + 1 ns. Virtual
// time moves only when no task can run, so the shortest sleep ends exactly
// there; no task is still on its way to a wait.
inline void UntilEveryOtherTaskParks() {
  DRPC_ASSERT(sim::InRun(), "UntilEveryOtherTaskParks runs in a simulated run");
  rt::sleep_for(std::chrono::nanoseconds(1));
}

// Runs `body(seed)` as the main task of a simulated run for seeds
// 0..seeds-1 (sim::RandomSource: each seed is another interleaving). The
// first run that fails (its outcome, or a test failure inside it) fails
// the test, names its seed and ends the sweep.
inline void ForEachSeed(uint64_t seeds, FunctionRef<void(uint64_t)> body,
                        sim::RunOptions options = {}) {
  const bool failed_before = ::testing::Test::HasFailure();
  for (uint64_t seed = 0; seed < seeds; ++seed) {
    sim::RandomSource decisions(seed);
    const sim::RunResult r = sim::Run(decisions, options, [&] { body(seed); });
    if (!r.ok()) {
      ADD_FAILURE() << "seed " << seed << ": " << sim::testing::Describe(r);
      return;
    }
    if (!failed_before && ::testing::Test::HasFailure()) {
      ADD_FAILURE() << "the failure above is seed " << seed;
      return;
    }
  }
}

}  // namespace drpc::testing

// A registered scenario's seeds, run exactly as `drpc-sim run --scenario
// NAME --seed S` runs them (the scenario's options; no choice log saved),
// for the seeded sweeps and planted-bug searches of tests.
//
//   const Scenario& scenario = FindScenario("manager.fixed");
//   const RunResult r = RunSeed(scenario, seed);
//   ASSERT_TRUE(r.ok()) << Describe(r) << "\nreplay: " << ReplayLine(scenario, seed);
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sim/cli/runner.h"
#include "sim/scenarios/scenario.h"
#include "sim/sched/run.h"

namespace drpc::sim::testing {

// The scenario registered as `name` (a missing one is a broken test: it
// asserts).
const Scenario& FindScenario(const std::string& name);

// How drpc-sim runs `scenario`: its options, program "drpc-sim", no logs.
cli::RunSettings SettingsFor(const Scenario& scenario);

RunResult RunSeed(const Scenario& scenario, uint64_t seed);

// The command line that reruns `seed`, as a failure prints it.
std::string ReplayLine(const Scenario& scenario, uint64_t seed);

// Seeds 0..seeds-1 of `scenario`, each of which must pass: the first
// failure is a test failure (its description and replay line) and ends the
// sweep. Returns what the runs added up to.
struct SweepTotals {
  uint64_t runs = 0;
  uint64_t steps = 0;
  uint64_t fibers = 0;
};
SweepTotals SweepExpectingPass(const Scenario& scenario, uint64_t seeds);

// The first of the `seeds` seeds from `first_seed` on whose run fails.
std::optional<cli::SeedRun> FirstFailingSeed(const Scenario& scenario, uint64_t first_seed,
                                             uint64_t seeds);

}  // namespace drpc::sim::testing

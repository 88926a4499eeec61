#include "sim/testing/scenario_runs.h"

#include <gtest/gtest.h>

#include "drpc/base/check.h"
#include "sim/testing/run_checks.h"

namespace drpc::sim::testing {

const Scenario& FindScenario(const std::string& name) {
  const Scenario* scenario = Scenarios().Find(name);
  DRPC_ASSERT(scenario != nullptr, "scenario " + name + " is not registered");
  return *scenario;
}

cli::RunSettings SettingsFor(const Scenario& scenario) {
  cli::RunSettings settings;
  settings.options = scenario.options;
  settings.save_logs = false;
  return settings;
}

RunResult RunSeed(const Scenario& scenario, uint64_t seed) {
  return cli::RunSeed(scenario, seed, SettingsFor(scenario), /*check_determinism=*/false).result;
}

std::string ReplayLine(const Scenario& scenario, uint64_t seed) {
  return cli::ReplayLine(scenario, seed, SettingsFor(scenario));
}

SweepTotals SweepExpectingPass(const Scenario& scenario, uint64_t seeds) {
  SweepTotals totals;
  for (uint64_t seed = 0; seed < seeds; ++seed) {
    const RunResult r = RunSeed(scenario, seed);
    ++totals.runs;
    totals.steps += r.steps;
    totals.fibers += r.fibers;
    if (!r.ok()) {
      ADD_FAILURE() << Describe(r) << "\nreplay: " << ReplayLine(scenario, seed);
      break;
    }
  }
  return totals;
}

std::optional<cli::SeedRun> FirstFailingSeed(const Scenario& scenario, uint64_t first_seed,
                                             uint64_t seeds) {
  for (uint64_t seed = first_seed; seed < first_seed + seeds; ++seed) {
    cli::SeedRun run = cli::RunSeed(scenario, seed, SettingsFor(scenario),
                                    /*check_determinism=*/false);
    if (run.failed()) return run;
  }
  return std::nullopt;
}

}  // namespace drpc::sim::testing

#include "sim/testing/scenario_runs.h"

#include "drpc/base/check.h"

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

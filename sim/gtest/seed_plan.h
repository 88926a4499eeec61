// Which simulated runs a test makes (a seed plan), and what a failing one
// leaves behind: a choice log file and the one line that runs that seed
// again. The gtest integration (sim/gtest/sim_test.h) is built on it; it
// has no GoogleTest dependency of its own.
//
//   sim::SeedPlan plan = sim::SeedPlanFromEnvironment({.count = 100}).value();
//   for (uint64_t seed : plan.Seeds()) {
//     sim::RunResult r = sim::RunSeed(plan, seed, {}, body);
//     if (!r.ok()) SaveFailedRun("Echo.Faults", plan.strategy, seed, r, plan.log_dir);
//   }
//
// Environment (each overrides the test's own default; README, "Test your own service in the
// simulator"):
//   DRPC_SIM_SEEDS=N        run N seeds (first_seed .. first_seed+N-1)
//   DRPC_SIM_SEED=S         run only seed S (a replay of a failure)
//   DRPC_SIM_STRATEGY=NAME  random (sim::RandomSource) or pct (sim::PctSource)
//   DRPC_SIM_REPLAY=FILE    run once, on the choices of a saved choice log
//   DRPC_SIM_LOG_DIR=DIR    where failing seeds' choice logs go (default .)
// Flags of the same names (--drpc_sim_seeds=N, ...) win over the
// environment for a program that passes its command line to
// ConsumeSeedFlags.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drpc/base/function_ref.h"
#include "drpc/base/result.h"
#include "sim/sched/run.h"

namespace drpc::sim {

enum class Strategy : uint8_t { kRandom, kPct };
std::string_view StrategyName(Strategy strategy);  // "random", "pct"
std::optional<Strategy> StrategyFromName(std::string_view name);

struct SeedPlan {
  Strategy strategy = Strategy::kRandom;
  uint64_t first_seed = 0;
  uint64_t count = 100;
  // Non-empty: one run on this choice log's choices instead of seeds.
  std::string replay_file{};
  std::string log_dir = ".";
  // PCT's depth and estimate of a run's length in scheduling steps
  // (sim/sched/pct_source.h): a short body finds more with a small estimate.
  uint32_t pct_depth = 3;
  uint64_t pct_steps = 1000;

  // first_seed, first_seed + 1, ... (count of them; none when replaying).
  std::vector<uint64_t> Seeds() const;
};

// `defaults` with the DRPC_SIM_* variables (then the flags ConsumeSeedFlags
// took) applied. A bad value is an error naming the variable; a seed count
// of 0 or over 10^9 is bad.
Result<SeedPlan> SeedPlanFromEnvironment(SeedPlan defaults);

// Takes the --drpc_sim_seeds=, --drpc_sim_seed=, --drpc_sim_strategy=,
// --drpc_sim_replay= and --drpc_sim_log_dir= flags out of argv (for a test
// main that calls it before InitGoogleTest) and keeps them for
// SeedPlanFromEnvironment. An unknown --drpc_sim_ flag is an error.
Status ConsumeSeedFlags(int* argc, char** argv);

// One run of `body` as the main task, its choices drawn by the plan's
// strategy from `seed`.
RunResult RunSeed(const SeedPlan& plan, uint64_t seed, const RunOptions& options,
                  FunctionRef<void()> body);

// One run of `body` on the choices of the choice log at `path`. Fails if
// the file cannot be read or parsed. `matches_recorded` (if given) is set to
// whether the run ended as the log says (outcome, steps, trace hash).
Result<RunResult> ReplayChoiceLog(const std::string& path, const RunOptions& options,
                                  FunctionRef<void()> body, bool* matches_recorded = nullptr);

// Writes `result`'s choices, seed, strategy and outcome as a drpc-sim
// choice log named after the test and seed in `dir`; returns the path.
Result<std::string> SaveFailedRun(const std::string& test_name, Strategy strategy, uint64_t seed,
                                  const RunResult& result, const std::string& dir);

// The one line that runs only `seed` of the test again:
//   DRPC_SIM_SEED=17 DRPC_SIM_STRATEGY=random /abs/path/test --gtest_filter=Echo.Faults
std::string ReplayCommand(const std::string& test_name, Strategy strategy, uint64_t seed);
// The same for a saved choice log: DRPC_SIM_REPLAY=<path> ... --gtest_filter=...
std::string ReplayLogCommand(const std::string& test_name, const std::string& log_path);

}  // namespace drpc::sim

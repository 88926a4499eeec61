// Every ring plant (drpc/base/plant.h) is caught, both by property 2 under
// RapidCheck and by the seeded sweep, within a fixed budget; each failure
// prints a replay line, and rerunning that line gives the same failure and
// the same trace hash. The fixed ring passes the same sweep (ring_sweep_test).
//
// The detection table of the issue report (median runs and wall time over 20
// RapidCheck seeds and 20 sweep starts) is a disabled test:
//   stream_plants_test --gtest_also_run_disabled_tests
//       --gtest_filter='*DetectionTable*'
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "properties/stream/ring_plant_search.h"
#include "sim/cli/cli.h"
#include "sim/testing/cli_checks.h"
#include "sim/testing/run_checks.h"

namespace drpc::sim::ring {
namespace {

using sim::testing::Hex;
using sim::testing::Reproduces;
using sim::testing::RunCli;
using sim::testing::SameRun;
using sim::testing::SaveChoiceLog;
using testing::LogReplayLine;
using testing::RunReplayed;
using testing::RunScripted;
using testing::RunSeeded;
using testing::Search;
using testing::SearchWithRapidCheck;
using testing::SearchWithSeeds;
using testing::SeedReplayLine;

// Budgets: far above the measured medians (see the table), so a miss is a
// real regression of a checker, not bad luck.
constexpr int kRapidCheckBudget = 2000;

class RingPlantTest : public ::testing::TestWithParam<Site> {};

std::string PlantName(const ::testing::TestParamInfo<Site>& info) {
  std::string name(plant::Name(info.param).substr(std::string_view("ring.").size()));
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

TEST_P(RingPlantTest, PropertyCatchesItAndTheReplayLineReproducesIt) {
  const Site site = GetParam();
  const uint64_t seed = rc::detail::configuration().testParams.seed;
  const Search search = SearchWithRapidCheck(site, seed, kRapidCheckBudget);
  ASSERT_TRUE(search.found) << ScenarioName(site) << " not caught in " << kRapidCheckBudget
                            << " runs (RapidCheck seeds from " << seed << ")";
  const RunResult& failure = search.failure;
  EXPECT_EQ(OutcomeName(failure.outcome), OutcomeName(ExpectedOutcome(site))) << failure.report;
  const std::string log = SaveChoiceLog(ScenarioName(site), failure);
  std::cout << ScenarioName(site) << ": caught after " << search.runs
            << " runs (RapidCheck seeds from " << seed << "); shrunk to:\n"
            << Describe(search.program) << "\nschedule of " << search.schedule.size()
            << " choices; " << OutcomeName(failure.outcome) << " at step " << failure.steps
            << ", trace hash " << Hex(failure.trace_hash) << "\n"
            << failure.report << "\nreplay: " << LogReplayLine(log) << "\n";
  // The replay line's run: the recorded choices against the scenario body,
  // and the replay line itself through drpc-sim's command line.
  EXPECT_TRUE(SameRun(RunReplayed(failure.choice_log, {site}), failure));
  EXPECT_TRUE(Reproduces(RunCli({"replay", log, "--expect-recorded"}), cli::kExitOk, failure));
  // And the shrunk counterexample itself, run again.
  EXPECT_TRUE(SameRun(RunScripted(search.program, search.schedule, {site}), failure));
  // Without the plant the same choices pass: the plant is the bug.
  EXPECT_TRUE(RunScripted(search.program, search.schedule, {}).ok());
}

TEST_P(RingPlantTest, SweepCatchesItAndTheSeedReproducesIt) {
  const Site site = GetParam();
  const Search search = SearchWithSeeds(site, 1, kFindWithinSeeds);
  ASSERT_TRUE(search.found) << ScenarioName(site) << " not caught in seeds 1.." << kFindWithinSeeds;
  const RunResult& failure = search.failure;
  EXPECT_EQ(OutcomeName(failure.outcome), OutcomeName(ExpectedOutcome(site))) << failure.report;
  std::cout << ScenarioName(site) << ": caught at seed " << *search.seed << ", "
            << OutcomeName(failure.outcome) << " at step " << failure.steps << ", trace hash "
            << Hex(failure.trace_hash)
            << "\nreplay: " << SeedReplayLine(ScenarioName(site), *search.seed) << "\n";
  EXPECT_TRUE(SameRun(RunSeeded(*search.seed, {site}), failure));
  EXPECT_TRUE(SameRun(RunReplayed(failure.choice_log, {site}), failure));
  const std::string seed = std::to_string(*search.seed);
  EXPECT_TRUE(Reproduces(RunCli({"run", "--scenario", ScenarioName(site), "--seed", seed}),
                         cli::kExitFailureFound, failure));
  // The buggy scenario is ring.fixed with the plant on.
  EXPECT_TRUE(Reproduces(RunCli({"run", "--scenario", kFixedScenario, "--seed", seed, "--plant",
                                 std::string(plant::Name(site))}),
                         cli::kExitFailureFound, failure));
  // And without the plant that seed passes.
  EXPECT_TRUE(RunSeeded(*search.seed, {}).ok());
}

INSTANTIATE_TEST_SUITE_P(Plants, RingPlantTest, ::testing::ValuesIn(kRingPlants), PlantName);

// ---- the detection table ------------------------------------------------

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

TEST(RingPlantStats, DISABLED_DetectionTable) {
  constexpr int kTrials = 20;
  std::printf("%-36s | %-28s | %-28s\n", "plant", "RapidCheck: runs, ms (median)",
              "sweep: seeds, ms (median)");
  for (Site site : kRingPlants) {
    std::vector<double> rc_runs, rc_ms, sweep_runs, sweep_ms;
    int rc_missed = 0, sweep_missed = 0;
    for (int trial = 0; trial < kTrials; ++trial) {
      const Search a =
          SearchWithRapidCheck(site, 1000 + trial, kRapidCheckBudget, /*shrink=*/false);
      if (a.found) {
        rc_runs.push_back(static_cast<double>(a.runs));
        rc_ms.push_back(a.seconds * 1e3);
      } else {
        ++rc_missed;
      }
      const Search b = SearchWithSeeds(site, 1 + 100000ull * trial, 10 * kFindWithinSeeds);
      if (b.found) {
        sweep_runs.push_back(static_cast<double>(b.runs));
        sweep_ms.push_back(b.seconds * 1e3);
      } else {
        ++sweep_missed;
      }
    }
    char rc_cell[64], sweep_cell[64];
    std::snprintf(rc_cell, sizeof(rc_cell), "%6.1f runs %8.2f ms (%d missed)",
                  rc_runs.empty() ? -1 : Median(rc_runs), rc_ms.empty() ? -1 : Median(rc_ms),
                  rc_missed);
    std::snprintf(sweep_cell, sizeof(sweep_cell), "%6.1f seeds %7.2f ms (%d missed)",
                  sweep_runs.empty() ? -1 : Median(sweep_runs),
                  sweep_ms.empty() ? -1 : Median(sweep_ms), sweep_missed);
    std::printf("%-36s | %s | %s\n", ScenarioName(site).c_str(), rc_cell, sweep_cell);
    std::fflush(stdout);
  }
}

}  // namespace
}  // namespace drpc::sim::ring

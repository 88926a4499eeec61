// The manager pair on the simulator (label sim): the generated workload for
// thousands of seeds, the head-of-line known limit and its fix, and the
// planted manager bugs, each found with a replay line that reproduces the
// same failure and trace hash. Every run is the drpc-sim scenario of the
// same name, so a failing seed's line replays it:
//   drpc-sim run --scenario manager.fixed --seed S
#include <gtest/gtest.h>

#include <iostream>
#include <optional>
#include <ostream>
#include <string>

#include "drpc/base/plant.h"
#include "drpc/fiber/sanitizers.h"
#include "sim/cli/cli.h"
#include "sim/scenarios/manager/manager_harness.h"
#include "sim/testing/cli_checks.h"
#include "sim/testing/run_checks.h"
#include "sim/testing/scenario_runs.h"

namespace drpc::sim::mgr {

// gtest names a parameter by this (found by argument-dependent lookup).
void PrintTo(const PlantedBug& bug, std::ostream* out) { *out << plant::Name(bug.site); }

namespace {

using testing::Describe;
using testing::FindScenario;
using testing::FirstFailingSeed;
using testing::Hex;
using testing::ReplayLine;
using testing::Reproduces;
using testing::RunCli;
using testing::RunSeed;
using testing::SameRun;
using testing::SeedCount;

TEST(ManagerSim, FixedWorkloadPassesEverySeed) {
  const Scenario& scenario = FindScenario(kFixedScenario);
  // MANAGER_SIM_SEEDS overrides the sweep (a longer soak).
  const uint64_t seeds = SeedCount("MANAGER_SIM_SEEDS", 2000);
  const testing::SweepTotals totals = testing::SweepExpectingPass(scenario, seeds);
  std::cout << totals.runs << " seeds, " << totals.steps << " scheduling steps\n";
}

TEST(ManagerSim, SameSeedSameTrace) {
  const Scenario& scenario = FindScenario(kFixedScenario);
  for (uint64_t seed = 0; seed < 30; ++seed) {
    const RunResult first = RunSeed(scenario, seed);
    const RunResult second = RunSeed(scenario, seed);
    ASSERT_EQ(first.trace_hash, second.trace_hash) << "seed " << seed;
    ASSERT_EQ(first.steps, second.steps) << "seed " << seed;
  }
}

TEST(ManagerSim, HeadOfLineBlockingIsFoundAndReported) {
  // The known limit: the simulator must find the deadlock and name the
  // blocked tasks: the server's reader in A's Enqueue, A's handler waiting
  // for B.
  const Scenario& scenario = FindScenario("manager.hol.known-limit");
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const RunResult r = RunSeed(scenario, seed);
    ASSERT_EQ(r.outcome, Outcome::kDeadlock) << Describe(r);
    EXPECT_NE(r.report.find("server.reader"), std::string::npos) << r.report;
    EXPECT_NE(r.report.find("ring Enqueue: slots full"), std::string::npos) << r.report;
    EXPECT_NE(r.report.find("handler A"), std::string::npos) << r.report;
    EXPECT_NE(r.report.find("ring Dequeue: empty"), std::string::npos) << r.report;
    if (seed == 1) {
      std::cout << "manager.hol.known-limit, seed 1: " << OutcomeName(r.outcome) << " at step "
                << r.steps << "\n"
                << r.report << "\nreplay: " << ReplayLine(scenario, seed) << "\n";
    }
  }
}

TEST(ManagerSim, ByteBudgetFixesTheHeadOfLineScenario) {
  const Scenario& scenario = FindScenario("manager.hol.byte-budget");
  EXPECT_EQ(testing::SweepExpectingPass(scenario, 300).runs, 300u);
}

// ---- planted bugs -----------------------------------------------------------

class ManagerPlant : public ::testing::TestWithParam<PlantedBug> {};

std::string PlantName(const ::testing::TestParamInfo<PlantedBug>& info) {
  std::string name(plant::Name(info.param.site));  // "manager.<bug>"
  name = name.substr(name.find('.') + 1);
  for (char& c : name) c = c == '-' ? '_' : c;
  return name;
}

TEST_P(ManagerPlant, SweepCatchesItAndTheReplayLineReproducesIt) {
  const PlantedBug bug = GetParam();
  const Scenario& scenario = FindScenario(ScenarioName(bug.site));
  if (fiber::sanitizer::kAsan && plant::TouchesFreedMemory({bug.site})) {
    // The sweep reaches the freed memory before the workload's check sees
    // the bytes it corrupts: ASan is the checker that catches it here.
    EXPECT_DEATH((void)FirstFailingSeed(scenario, 1, kFindWithinSeeds), "heap-use-after-free");
    return;
  }
  const std::optional<cli::SeedRun> found = FirstFailingSeed(scenario, 1, kFindWithinSeeds);
  ASSERT_TRUE(found.has_value()) << scenario.name << " not caught in seeds 1.." << kFindWithinSeeds;
  const RunResult& failure = found->result;
  EXPECT_EQ(OutcomeName(failure.outcome), OutcomeName(bug.outcome)) << Describe(failure);
  std::cout << scenario.name << ": caught at seed " << found->seed << ", "
            << OutcomeName(failure.outcome) << " at step " << failure.steps << ", trace hash "
            << Hex(failure.trace_hash) << "\n"
            << failure.report << "\nreplay: " << ReplayLine(scenario, found->seed) << "\n";
  // The same seed again: the same failure, step and trace hash...
  EXPECT_TRUE(SameRun(RunSeed(scenario, found->seed), failure));
  // ...and through drpc-sim's own command line.
  EXPECT_TRUE(Reproduces(
      RunCli({"run", "--scenario", scenario.name, "--seed", std::to_string(found->seed)}),
      cli::kExitFailureFound, failure));
}

INSTANTIATE_TEST_SUITE_P(Plants, ManagerPlant, ::testing::ValuesIn(kPlantedBugs), PlantName);

}  // namespace
}  // namespace drpc::sim::mgr

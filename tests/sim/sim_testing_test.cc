// The checks of sim/testing catch what they exist to catch: SameRun a rerun
// that differs in any way, Reproduces a command line that exits otherwise
// or does not print the failure's outcome and trace hash, SweepExpectingPass
// a failing seed (with its replay line).
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "sim/cli/cli.h"
#include "sim/testing/cli_checks.h"
#include "sim/testing/run_checks.h"
#include "sim/testing/scenario_runs.h"

namespace drpc::sim {
namespace {

using testing::FindScenario;
using testing::FirstFailingSeed;
using testing::Hex;
using testing::Reproduces;
using testing::RunCli;
using testing::RunSeed;
using testing::SameRun;

TEST(SimTesting, HexIsSixteenLowercaseDigits) {
  EXPECT_EQ(Hex(0), "0x0000000000000000");
  EXPECT_EQ(Hex(0x1f), "0x000000000000001f");
  EXPECT_EQ(Hex(0xfedcba9876543210u), "0xfedcba9876543210");
}

TEST(SimTesting, SameRunNamesWhatDiffers) {
  const RunResult first = RunSeed(FindScenario("lock_order.buggy"), 1);
  EXPECT_TRUE(SameRun(RunSeed(FindScenario("lock_order.buggy"), 1), first));

  RunResult other = first;
  other.trace_hash ^= 1;
  const ::testing::AssertionResult hash = SameRun(other, first);
  EXPECT_FALSE(hash);
  EXPECT_NE(std::string(hash.message()).find("trace hash"), std::string::npos) << hash.message();

  other = first;
  other.steps += 1;
  EXPECT_FALSE(SameRun(other, first));
  other = first;
  other.report += "!";
  EXPECT_FALSE(SameRun(other, first));
  other = first;
  other.outcome = first.outcome == Outcome::kOk ? Outcome::kDeadlock : Outcome::kOk;
  EXPECT_FALSE(SameRun(other, first));
}

TEST(SimTesting, ReproducesChecksTheExitOutcomeAndHash) {
  const Scenario& scenario = FindScenario("lock_order.buggy");
  const std::optional<cli::SeedRun> found =
      FirstFailingSeed(scenario, 0, scenario.find_within_seeds);
  ASSERT_TRUE(found.has_value());
  const testing::CliRun run =
      RunCli({"run", "--scenario", scenario.name, "--seed", std::to_string(found->seed)});
  EXPECT_TRUE(Reproduces(run, cli::kExitFailureFound, found->result));

  EXPECT_FALSE(Reproduces(run, cli::kExitOk, found->result)) << "the wrong exit status";
  RunResult other_hash = found->result;
  other_hash.trace_hash ^= 1;
  EXPECT_FALSE(Reproduces(run, cli::kExitFailureFound, other_hash));
  RunResult other_outcome = found->result;
  other_outcome.outcome = Outcome::kStepLimit;
  EXPECT_FALSE(Reproduces(run, cli::kExitFailureFound, other_outcome));
}

TEST(SimTesting, SweepExpectingPassReportsTheFirstFailingSeedAndStops) {
  EXPECT_NONFATAL_FAILURE(testing::SweepExpectingPass(FindScenario("lost_wakeup.buggy"), 100),
                          "replay: drpc-sim run --scenario lost_wakeup.buggy --seed");
  const testing::SweepTotals fixed =
      testing::SweepExpectingPass(FindScenario("lost_wakeup.fixed"), 50);
  EXPECT_EQ(fixed.runs, 50u);
  EXPECT_GT(fixed.steps, 0u);
}

TEST(SimTesting, FirstFailingSeedFindsNoneInAFixedScenario) {
  EXPECT_FALSE(FirstFailingSeed(FindScenario("lock_order.fixed"), 0, 50).has_value());
}

}  // namespace
}  // namespace drpc::sim

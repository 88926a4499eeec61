// The whole RPC stack on the simulator (label sim): the generated client/
// server workload of sim/scenarios/rpc for thousands of seeds, run exactly
// as `drpc-sim run --scenario rpc.fixed --seed S` runs it (a failure prints
// that line), determinism, and the planted bugs, each caught with the
// failure its checker (the per-call oracle, the liveness phase) exists for.
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/scenarios/rpc/rpc_harness.h"
#include "sim/testing/run_checks.h"
#include "sim/testing/scenario_runs.h"

namespace drpc::sim::rpcsim {
namespace {

using testing::Describe;
using testing::FindScenario;
using testing::FirstFailingSeed;
using testing::ReplayLine;
using testing::RunSeed;
using testing::SameRun;
using testing::SeedCount;

TEST(RpcSim, EverySeedPasses) {
  const Scenario& scenario = FindScenario("rpc.fixed");
  // RPC_SIM_SEEDS overrides the sweep (a longer soak).
  const uint64_t seeds = SeedCount("RPC_SIM_SEEDS", 5000);
  const testing::SweepTotals totals = testing::SweepExpectingPass(scenario, seeds);
  ASSERT_FALSE(::testing::Test::HasFailure());
  std::cout << totals.runs << " seeds, " << totals.steps << " scheduling steps, " << totals.fibers
            << " fibers\n";
  // The workload must reach every way a call can end, not only successes.
  const std::map<std::string, uint64_t>& tally = OutcomeTally();
  for (const auto& [outcome, count] : tally) std::cout << "  " << outcome << ": " << count << "\n";
  if (seeds < 5000) return;  // a short sweep need not reach them all
  for (const char* must :
       {"echo ok", "fail remote code 7", "unknown remote code 0", "count ok", "sum ok", "chat ok",
        "block canceled", "block deadline_exceeded", "echo canceled", "echo closed",
        "echo remote code 14", "chat canceled", "count deadline_exceeded"}) {
    EXPECT_GT(tally.count(must), 0u) << "no call ended as '" << must << "'";
  }
}

TEST(RpcSim, SameSeedSameTrace) {
  const Scenario& scenario = FindScenario("rpc.fixed");
  for (uint64_t seed = 0; seed < 50; ++seed) {
    const RunResult first = RunSeed(scenario, seed);
    const RunResult second = RunSeed(scenario, seed);
    ASSERT_EQ(first.trace_hash, second.trace_hash) << "seed " << seed;
    ASSERT_EQ(first.steps, second.steps) << "seed " << seed;
  }
}

class RpcPlantTest : public ::testing::TestWithParam<RpcPlant> {};

std::string PlantName(const ::testing::TestParamInfo<RpcPlant>& info) {
  switch (info.param) {
    case RpcPlant::kWrongReply:
      return "WrongReply";
    case RpcPlant::kStuckHandler:
      return "StuckHandler";
    case RpcPlant::kCrossedReply:
      return "CrossedReply";
    case RpcPlant::kDeafAfterCancel:
      return "DeafAfterCancel";
    case RpcPlant::kNone:
      break;
  }
  return "None";
}

TEST_P(RpcPlantTest, TheSweepCatchesItAndItsSeedReplays) {
  const Scenario& scenario = FindScenario(ScenarioName(GetParam()));
  const std::optional<cli::SeedRun> found = FirstFailingSeed(scenario, 1, kFindWithinSeeds);
  ASSERT_TRUE(found.has_value()) << scenario.name << " not caught in " << kFindWithinSeeds
                                 << " seeds";
  const RunResult& failure = found->result;
  EXPECT_EQ(OutcomeName(failure.outcome), OutcomeName(ExpectedOutcome(GetParam())))
      << Describe(failure);
  EXPECT_NE(failure.report.find(ExpectedReport(GetParam())), std::string::npos) << failure.report;
  if (ExpectedOutcome(GetParam()) == Outcome::kLivenessFailed) {
    // A liveness failure names what is still waiting.
    EXPECT_NE(failure.report.find("still waiting:"), std::string::npos) << failure.report;
    EXPECT_NE(failure.report.find(" waits on "), std::string::npos) << failure.report;
  }
  std::cout << scenario.name << ": caught at seed " << found->seed << ", "
            << OutcomeName(failure.outcome) << "\n"
            << failure.report << "\nreplay: " << ReplayLine(scenario, found->seed) << "\n";
  EXPECT_TRUE(SameRun(RunSeed(scenario, found->seed), failure));
}

INSTANTIATE_TEST_SUITE_P(Plants, RpcPlantTest, ::testing::ValuesIn(kPlants), PlantName);

}  // namespace
}  // namespace drpc::sim::rpcsim

// The whole RPC stack on the simulator (label sim): the generated client/
// server workload of sim/scenarios/rpc for thousands of seeds, run exactly
// as `drpc-sim run --scenario rpc.fixed --seed S` runs it (a failure prints
// that line), determinism, and the two planted bugs, each caught with the
// failure its checker exists for.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "sim/cli/cli.h"
#include "sim/cli/runner.h"
#include "sim/scenarios/rpc/rpc_harness.h"
#include "sim/scenarios/scenario.h"

namespace drpc::sim::rpcsim {
namespace {

const Scenario& Find(const std::string& name) {
  const Scenario* s = Scenarios().Find(name);
  DRPC_ASSERT(s != nullptr, "scenario " + name + " is not registered");
  return *s;
}

cli::RunSettings Settings(const Scenario& scenario) {
  cli::RunSettings settings;
  settings.save_logs = false;
  settings.options = scenario.options;
  return settings;
}

RunResult RunSeed(const Scenario& scenario, uint64_t seed) {
  return cli::RunSeed(scenario, seed, Settings(scenario), /*check_determinism=*/false).result;
}

std::string Describe(const RunResult& r) {
  return std::string(OutcomeName(r.outcome)) + "\n" + r.report + "\n" + r.trace_tail;
}

// RPC_SIM_SEEDS overrides the sweep (a longer soak).
uint64_t SweepSeeds() {
  if (const char* text = std::getenv("RPC_SIM_SEEDS")) return std::strtoull(text, nullptr, 10);
  return 5000;
}

TEST(RpcSim, EverySeedPasses) {
  const Scenario& scenario = Find("rpc.fixed");
  const uint64_t seeds = SweepSeeds();
  uint64_t steps = 0;
  uint64_t fibers = 0;
  for (uint64_t seed = 0; seed < seeds; ++seed) {
    const RunResult r = RunSeed(scenario, seed);
    steps += r.steps;
    fibers += r.fibers;
    ASSERT_TRUE(r.ok()) << Describe(r)
                        << "\nreplay: " << cli::ReplayLine(scenario, seed, Settings(scenario));
  }
  std::cout << seeds << " seeds, " << steps << " scheduling steps, " << fibers << " fibers\n";
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
  const Scenario& scenario = Find("rpc.fixed");
  for (uint64_t seed = 0; seed < 50; ++seed) {
    const RunResult first = RunSeed(scenario, seed);
    const RunResult second = RunSeed(scenario, seed);
    ASSERT_EQ(first.trace_hash, second.trace_hash) << "seed " << seed;
    ASSERT_EQ(first.steps, second.steps) << "seed " << seed;
  }
}

class RpcPlantTest : public ::testing::TestWithParam<RpcPlant> {};

std::string PlantName(const ::testing::TestParamInfo<RpcPlant>& info) {
  return info.param == RpcPlant::kWrongReply ? "WrongReply" : "StuckHandler";
}

TEST_P(RpcPlantTest, TheSweepCatchesItAndItsSeedReplays) {
  const Scenario& scenario = Find(ScenarioName(GetParam()));
  std::optional<uint64_t> found;
  RunResult failure;
  for (uint64_t seed = 1; seed <= kFindWithinSeeds && !found; ++seed) {
    RunResult r = RunSeed(scenario, seed);
    if (!r.ok()) {
      found = seed;
      failure = std::move(r);
    }
  }
  ASSERT_TRUE(found.has_value()) << scenario.name << " not caught in " << kFindWithinSeeds
                                 << " seeds";
  EXPECT_EQ(OutcomeName(failure.outcome), OutcomeName(ExpectedOutcome(GetParam())))
      << Describe(failure);
  if (GetParam() == RpcPlant::kWrongReply) {
    EXPECT_NE(failure.report.find("echo reply"), std::string::npos) << failure.report;
  } else {
    EXPECT_NE(failure.report.find("planted: a handler that ignores its call's end"),
              std::string::npos)
        << failure.report;
  }
  std::cout << scenario.name << ": caught at seed " << *found << ", "
            << OutcomeName(failure.outcome) << "\n"
            << failure.report
            << "\nreplay: " << cli::ReplayLine(scenario, *found, Settings(scenario)) << "\n";
  const RunResult again = RunSeed(scenario, *found);
  EXPECT_EQ(again.outcome, failure.outcome);
  EXPECT_EQ(again.trace_hash, failure.trace_hash);
  EXPECT_EQ(again.report, failure.report);
}

INSTANTIATE_TEST_SUITE_P(Plants, RpcPlantTest, ::testing::ValuesIn(kPlants), PlantName);

}  // namespace
}  // namespace drpc::sim::rpcsim

// The manager pair on the simulator (label sim): the generated workload for
// thousands of seeds, the head-of-line known limit and its fix, and the
// planted manager bugs, each found with a replay line that reproduces the
// same failure and trace hash. Every run is the drpc-sim scenario of the
// same name, so a failing seed's line replays it:
//   drpc-sim run --scenario manager.fixed --seed S
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

#include "sim/cli/cli.h"
#include "sim/cli/runner.h"
#include "sim/scenarios/manager/manager_harness.h"
#include "sim/scenarios/scenario.h"
#include "sim/sched/random_source.h"

namespace drpc::sim::mgr {
namespace {

const Scenario& Find(const std::string& name) {
  const Scenario* s = Scenarios().Find(name);
  DRPC_ASSERT(s != nullptr, "scenario " + name + " is not registered");
  return *s;
}

cli::RunSettings Settings() {
  cli::RunSettings settings;
  settings.save_logs = false;
  settings.options = Find("manager.fixed").options;
  return settings;
}

// Runs `scenario` for `seed` exactly as `drpc-sim run` does.
RunResult RunSeed(const Scenario& scenario, uint64_t seed) {
  cli::RunSettings settings = Settings();
  settings.options = scenario.options;
  return cli::RunSeed(scenario, seed, settings, /*check_determinism=*/false).result;
}

std::string ReplayLine(const Scenario& scenario, uint64_t seed) {
  cli::RunSettings settings = Settings();
  settings.options = scenario.options;
  return cli::ReplayLine(scenario, seed, settings);
}

std::string Describe(const RunResult& r) {
  return std::string(OutcomeName(r.outcome)) + "\n" + r.report + "\n" + r.trace_tail;
}

// MANAGER_SIM_SEEDS overrides the sweep (a longer soak).
uint64_t SweepSeeds() {
  if (const char* text = std::getenv("MANAGER_SIM_SEEDS")) return std::strtoull(text, nullptr, 10);
  return 2000;
}

TEST(ManagerSim, FixedWorkloadPassesEverySeed) {
  const Scenario& scenario = Find("manager.fixed");
  const uint64_t seeds = SweepSeeds();
  uint64_t steps = 0;
  for (uint64_t seed = 0; seed < seeds; ++seed) {
    const RunResult r = RunSeed(scenario, seed);
    steps += r.steps;
    ASSERT_TRUE(r.ok()) << Describe(r) << "\nreplay: " << ReplayLine(scenario, seed);
  }
  std::cout << seeds << " seeds, " << steps << " scheduling steps\n";
}

TEST(ManagerSim, SameSeedSameTrace) {
  const Scenario& scenario = Find("manager.fixed");
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
  const Scenario& scenario = Find("manager.hol.known-limit");
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
  const Scenario& scenario = Find("manager.hol.byte-budget");
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    const RunResult r = RunSeed(scenario, seed);
    ASSERT_TRUE(r.ok()) << Describe(r) << "\nreplay: " << ReplayLine(scenario, seed);
  }
}

// ---- planted bugs -----------------------------------------------------------

class ManagerPlant : public ::testing::TestWithParam<ManagerBug> {};

std::string PlantName(const ::testing::TestParamInfo<ManagerBug>& info) {
  std::string name(manager::ManagerBugName(info.param));
  for (char& c : name) c = c == '-' ? '_' : c;
  return name;
}

int SimCli(std::vector<std::string> args, std::string* printed) {
  args.insert(args.begin(), "drpc-sim");
  args.push_back("--no-save-log");
  std::ostringstream out, err;
  const int status =
      cli::SimMain(args, out, err, [](const char*) -> const char* { return nullptr; });
  *printed = out.str() + err.str();
  return status;
}

std::string Hex(uint64_t v) {
  char text[24];
  std::snprintf(text, sizeof(text), "0x%016llx", static_cast<unsigned long long>(v));
  return text;
}

TEST_P(ManagerPlant, SweepCatchesItAndTheReplayLineReproducesIt) {
  const ManagerBug bug = GetParam();
  const Scenario& scenario = Find(ScenarioName(bug));
  std::optional<uint64_t> found;
  RunResult failure;
  for (uint64_t seed = 1; seed <= kFindWithinSeeds && !found; ++seed) {
    RunResult r = RunSeed(scenario, seed);
    if (!r.ok()) {
      found = seed;
      failure = std::move(r);
    }
  }
  ASSERT_TRUE(found.has_value()) << scenario.name << " not caught in seeds 1.." << kFindWithinSeeds;
  EXPECT_EQ(OutcomeName(failure.outcome), OutcomeName(ExpectedOutcome(bug))) << Describe(failure);
  std::cout << scenario.name << ": caught at seed " << *found << ", "
            << OutcomeName(failure.outcome) << " at step " << failure.steps << ", trace hash "
            << Hex(failure.trace_hash) << "\n"
            << failure.report << "\nreplay: " << ReplayLine(scenario, *found) << "\n";
  // The same seed again: the same failure, step and trace hash...
  const RunResult again = RunSeed(scenario, *found);
  EXPECT_EQ(again.outcome, failure.outcome);
  EXPECT_EQ(Hex(again.trace_hash), Hex(failure.trace_hash));
  EXPECT_EQ(again.steps, failure.steps);
  EXPECT_EQ(again.report, failure.report);
  // ...and through drpc-sim's own command line.
  std::string printed;
  EXPECT_EQ(
      SimCli({"run", "--scenario", scenario.name, "--seed", std::to_string(*found)}, &printed),
      cli::kExitFailureFound)
      << printed;
  EXPECT_NE(printed.find("trace hash " + Hex(failure.trace_hash)), std::string::npos) << printed;
}

INSTANTIATE_TEST_SUITE_P(Plants, ManagerPlant, ::testing::ValuesIn(kPlantedBugs), PlantName);

}  // namespace
}  // namespace drpc::sim::mgr

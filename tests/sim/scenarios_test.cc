// The proof that the scheduler finds bugs: every planted bug is found by the
// seeded random scheduler within its stated bound, its printed replay line
// reproduces the same trace hash, every fixed version passes thousands of
// seeds, and planted nondeterminism is caught by the self-check.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "drpc/base/plant.h"
#include "drpc/fiber/sanitizers.h"
#include "sim/cli/cli.h"
#include "sim/cli/runner.h"
#include "sim/scenarios/scenario.h"
#include "sim/sched/random_source.h"
#include "sim/testing/cli_checks.h"
#include "sim/testing/scenario_runs.h"
#include "tests/sim/sim_test_util.h"

namespace drpc::sim {
namespace {

using testing::Contains;
using testing::FirstFailingSeed;
using testing::Reproduces;
using testing::RunReplayLine;
using testing::SettingsFor;

// This file tests the harness with the scenarios of sim/scenarios (other
// families, such as the ring's, are tested by their own components).
const std::vector<std::string> kHarnessScenarios = {
    "lost_wakeup.buggy",    "lost_wakeup.fixed",     "lock_order.buggy",
    "lock_order.fixed",     "check_then_act.buggy",  "check_then_act.fixed",
    "shared_condvar.buggy", "shared_condvar.fixed",  "nondeterminism.heap_address",
    "pipeline.fixed",       "spawn_then_exit.fixed",
};

std::vector<const Scenario*> WithExpectation(Expectation expect) {
  std::vector<const Scenario*> out;
  for (const std::string& name : kHarnessScenarios) {
    const Scenario* s = Scenarios().Find(name);
    EXPECT_NE(s, nullptr) << name;
    if (s != nullptr && s->expect == expect) out.push_back(s);
  }
  return out;
}

TEST(Scenarios, RegistryHasThePlantedBugsAndTheirFixes) {
  for (const char* family : {"lost_wakeup", "lock_order", "check_then_act", "shared_condvar"}) {
    const Scenario* buggy = Scenarios().Find(std::string(family) + ".buggy");
    const Scenario* fixed = Scenarios().Find(std::string(family) + ".fixed");
    ASSERT_NE(buggy, nullptr) << family;
    ASSERT_NE(fixed, nullptr) << family;
    EXPECT_EQ(buggy->expect, Expectation::kFindsBug);
    EXPECT_EQ(fixed->expect, Expectation::kPass);
  }
}

TEST(Scenarios, EveryPlantedBugIsFoundWithinItsBoundAndItsReplayLineReproducesIt) {
  const std::vector<const Scenario*> bugs = WithExpectation(Expectation::kFindsBug);
  ASSERT_GE(bugs.size(), 4u);
  for (const Scenario* s : bugs) {
    const std::optional<cli::SeedRun> found = FirstFailingSeed(*s, 0, s->find_within_seeds);
    ASSERT_TRUE(found) << s->name << " not found within " << s->find_within_seeds << " seeds";
    EXPECT_EQ(found->result.outcome, s->bug_outcome) << s->name << "\n" << found->result.report;

    // The report carries exactly one replay line; running it gives the same run.
    const std::string report = cli::FailureReport(*s, *found, SettingsFor(*s), "");
    std::vector<std::string> replay_lines;
    std::istringstream lines(report);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("replay: ", 0) == 0) replay_lines.push_back(line.substr(8));
    }
    ASSERT_EQ(replay_lines.size(), 1u) << report;
    EXPECT_TRUE(Reproduces(RunReplayLine(replay_lines[0]), cli::kExitFailureFound, found->result));
  }
}

// The whole registry, as `drpc-sim list` shows it (the layer, world,
// hostile, assembly, ring and manager families too): every scenario that
// must find its bug finds it within its bound and with its outcome. The
// families' own tests check more of each; this is what keeps a plant the
// sweep's workload stopped reaching from going unnoticed.
TEST(Scenarios, EveryPlantedBugOfTheWholeRegistryIsFoundWithinItsBound) {
  size_t checked = 0;
  for (const Scenario& s : Scenarios().all()) {
    if (s.expect != Expectation::kFindsBug) continue;
    // ASan reports these first; their family's test expects that instead.
    if (fiber::sanitizer::kAsan && plant::TouchesFreedMemory(s.options.plants)) continue;
    ++checked;
    const std::optional<cli::SeedRun> found = FirstFailingSeed(s, 0, s.find_within_seeds);
    EXPECT_TRUE(found) << s.name << " not found within " << s.find_within_seeds << " seeds";
    if (found) {
      EXPECT_EQ(found->result.outcome, s.bug_outcome) << s.name << "\n" << found->result.report;
    }
  }
  EXPECT_GE(checked, 30u);
}

TEST(Scenarios, FixedVersionsPassThousandsOfSeeds) {
  const std::vector<const Scenario*> fixed = WithExpectation(Expectation::kPass);
  ASSERT_GE(fixed.size(), 5u);
  for (const Scenario* s : fixed) {
    const cli::RunSettings settings = SettingsFor(*s);
    for (uint64_t seed = 0; seed < 2000; ++seed) {
      cli::SeedRun run = cli::RunSeed(*s, seed, settings, false);
      ASSERT_FALSE(run.failed()) << s->name << " seed " << seed << "\n"
                                 << cli::FailureReport(*s, run, settings, "");
    }
  }
}

TEST(Scenarios, RunsAreDeterministicIncludingFailingOnes) {
  for (Expectation expect : {Expectation::kPass, Expectation::kFindsBug}) {
    for (const Scenario* s : WithExpectation(expect)) {
      const cli::RunSettings settings = SettingsFor(*s);
      for (uint64_t seed = 0; seed < 10; ++seed) {
        cli::SeedRun run = cli::RunSeed(*s, seed, settings, true);
        ASSERT_TRUE(run.determinism.has_value());
        EXPECT_TRUE(run.determinism->deterministic)
            << s->name << " seed " << seed << ": " << run.determinism->summary;
      }
    }
  }
}

TEST(Scenarios, PlantedNondeterminismIsCaughtByTheSelfCheckAtItsStep) {
  const Scenario* s = Scenarios().Find("nondeterminism.heap_address");
  ASSERT_NE(s, nullptr);
  const cli::RunSettings settings = SettingsFor(*s);
  // A single run passes: the flaw is invisible without the second run.
  EXPECT_FALSE(cli::RunSeed(*s, 1, settings, false).failed());
  cli::SeedRun run = cli::RunSeed(*s, 1, settings, true);
  ASSERT_TRUE(run.determinism.has_value());
  const DeterminismReport& d = *run.determinism;
  EXPECT_FALSE(d.deterministic);
  EXPECT_NE(d.first.trace_hash, d.second.trace_hash);
  EXPECT_GT(d.step, 0u);
  // The first difference is the address-dependent decision itself.
  EXPECT_TRUE(Contains(d.first_event, "choice workload")) << d.summary;
  EXPECT_TRUE(Contains(d.summary, "First difference at event")) << d.summary;
  EXPECT_TRUE(Contains(d.summary, "step " + std::to_string(d.step))) << d.summary;
}

TEST(Scenarios, TheSchedulerRegressionScenarioPasses) {
  // corpus/sim/spawn_then_exit.regression runs it; this checks it passes.
  const Scenario* s = Scenarios().Find("spawn_then_exit.fixed");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->expect, Expectation::kPass);
}

}  // namespace
}  // namespace drpc::sim

// PCT on registered scenarios: it finds each planted classic bug within a
// bounded number of seeds, passes their fixed twins and every scenario
// expected to pass, and its runs replay and are deterministic.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "sim/cli/runner.h"
#include "sim/scenarios/scenario.h"
#include "sim/sched/determinism.h"
#include "sim/sched/pct_source.h"
#include "sim/sched/replay_source.h"
#include "tests/search/pct_testing.h"

namespace drpc::sim {
namespace {

using testing::Pct;

PctOptions PctFor(const Scenario& scenario, uint32_t depth) {
  return Pct(depth, cli::LearnRunLength(scenario, scenario.options));
}

RunResult RunPct(const Scenario& scenario, uint64_t seed, const PctOptions& pct) {
  PctSource source(seed, pct);
  return sim::Run(source, scenario.options, scenario.body);
}

// The planted bugs are found within this many PCT seeds at depth 3 (the
// slowest, lost_wakeup, needs 14 at the median and at most 144 over 101
// trials of `drpc-sim hunt --strategy pct`); the scenario's own bound of
// 100 is for the random scheduler.
constexpr uint64_t kPctSeeds = 300;

class PctPlanted : public ::testing::TestWithParam<std::string> {};

TEST_P(PctPlanted, FindsTheBuggyOnePassesTheFixedOne) {
  const Scenario* buggy = Scenarios().Find(GetParam() + ".buggy");
  const Scenario* fixed = Scenarios().Find(GetParam() + ".fixed");
  ASSERT_NE(buggy, nullptr);
  ASSERT_NE(fixed, nullptr);
  const PctOptions pct = PctFor(*buggy, 3);
  uint64_t found_at = 0;
  for (uint64_t seed = 0; seed < kPctSeeds && found_at == 0; ++seed) {
    const RunResult run = RunPct(*buggy, seed, pct);
    if (run.ok()) continue;
    EXPECT_EQ(run.outcome, buggy->bug_outcome) << run.report;
    found_at = seed + 1;
  }
  EXPECT_GT(found_at, 0u) << GetParam() << ".buggy not found by PCT within " << kPctSeeds
                          << " seeds";
  const PctOptions fixed_pct = PctFor(*fixed, 3);
  for (uint64_t seed = 0; seed < kPctSeeds; ++seed) {
    const RunResult run = RunPct(*fixed, seed, fixed_pct);
    ASSERT_TRUE(run.ok()) << GetParam() << ".fixed, PCT seed " << seed << ": " << run.report;
  }
}

INSTANTIATE_TEST_SUITE_P(Families, PctPlanted,
                         ::testing::Values("lost_wakeup", "lock_order", "check_then_act",
                                           "shared_condvar"));

TEST(PctPlanted, DepthOneNeverPreemptsSoTheLockOrderBugHides) {
  // Without change points the priority order is fixed for the run: the
  // first fiber to take a lock runs on to the second. The planted check
  // that change points do the finding.
  const Scenario* s = Scenarios().Find("lock_order.buggy");
  ASSERT_NE(s, nullptr);
  const PctOptions pct = PctFor(*s, 1);
  for (uint64_t seed = 0; seed < kPctSeeds; ++seed) {
    EXPECT_TRUE(RunPct(*s, seed, pct).ok()) << "seed " << seed;
  }
}

TEST(PctScenarios, EveryScenarioExpectedToPassPasses) {
  for (const Scenario& s : Scenarios().all()) {
    if (s.expect != Expectation::kPass) continue;
    for (uint32_t depth : {2u, 5u}) {
      const PctOptions pct = PctFor(s, depth);
      for (uint64_t seed = 0; seed < 20; ++seed) {
        const RunResult run = RunPct(s, seed, pct);
        EXPECT_TRUE(run.ok()) << s.name << " depth " << depth << " seed " << seed << ": "
                              << run.report;
      }
    }
  }
}

TEST(PctScenarios, RunsReplayAndAreDeterministic) {
  for (const char* name : {"manager.fixed", "shared_condvar.buggy", "ring.fixed", "rpc.fixed"}) {
    const Scenario* s = Scenarios().Find(name);
    ASSERT_NE(s, nullptr) << name;
    const PctOptions pct = PctFor(*s, 3);
    for (uint64_t seed = 0; seed < 3; ++seed) {
      const DeterminismReport report = CheckDeterminism(
          [&]() -> std::unique_ptr<DecisionSource> {
            return std::make_unique<PctSource>(seed, pct);
          },
          s->options, s->body);
      EXPECT_TRUE(report.deterministic) << name << " seed " << seed << ": " << report.summary;
      // The choice log holds everything: replaying it gives the same trace.
      ReplaySource replay(report.first.choice_log);
      const RunResult again = sim::Run(replay, s->options, s->body);
      EXPECT_EQ(again.trace_hash, report.first.trace_hash) << name << " seed " << seed;
      EXPECT_TRUE(replay.fully_consumed());
    }
  }
}

TEST(PctScenarios, TheRunLengthIsLearnedDeterministically) {
  const Scenario* s = Scenarios().Find("manager.fixed");
  ASSERT_NE(s, nullptr);
  const uint64_t steps = cli::LearnRunLength(*s, s->options);
  EXPECT_GT(steps, 100u);
  EXPECT_EQ(cli::LearnRunLength(*s, s->options), steps);
}

}  // namespace
}  // namespace drpc::sim

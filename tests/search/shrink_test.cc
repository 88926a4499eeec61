// Shrink: on bodies whose minimal failure is known it reaches it; it keeps
// only the same failure; it keeps to its run bound; and on the planted
// ring and manager bugs it turns a random failing run into a smaller log
// that replays to the same failure.
#include "sim/sched/shrink.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "drpc/rt/rt.h"
#include "sim/cli/runner.h"
#include "sim/scenarios/scenario.h"
#include "sim/sched/input_source.h"
#include "sim/sched/random_source.h"
#include "sim/sched/replay_source.h"
#include "tests/search/scenario_param_name.h"

namespace drpc::sim {
namespace {

RunOptions Options() {
  RunOptions options;
  options.max_steps = 10'000;
  options.stack_bytes = 64 * 1024;
  return options;
}

std::vector<uint64_t> Values(const ChoiceLog& log) {
  std::vector<uint64_t> values;
  for (const ChoiceRecord& choice : log) values.push_back(choice.value);
  while (!values.empty() && values.back() == 0) values.pop_back();
  return values;
}

// The first of seeds 0.. whose random run of `body` fails.
RunResult FirstFailure(FunctionRef<void()> body, const RunOptions& options, uint64_t seeds) {
  for (uint64_t seed = 0; seed < seeds; ++seed) {
    RandomSource random(seed);
    RunResult run = sim::Run(random, options, body);
    if (!run.ok()) return run;
  }
  ADD_FAILURE() << "no failing seed below " << seeds;
  return RunResult{};
}

// Ten workload choices in [0, 100); fails when they add up to 150 or more.
void SumTooLarge() {
  uint64_t sum = 0;
  for (int i = 0; i < 10; ++i) sum += Choose(100, ChoiceKind::kWorkload);
  if (sum >= 150) Fail("sum too large");
}

TEST(Shrink, ReachesAFailureWhereEveryValueIsMinimal) {
  const auto run_with = [](DecisionSource& d) { return sim::Run(d, Options(), SumTooLarge); };
  const RunResult failing = FirstFailure(SumTooLarge, Options(), 100);
  ASSERT_EQ(failing.outcome, Outcome::kInvariantFailed);
  const ShrinkResult s = Shrink(failing.choice_log, ShrinkOptions{}, run_with);
  ASSERT_TRUE(s.reproduced);
  EXPECT_FALSE(s.hit_run_bound);
  const std::vector<uint64_t> shrunk = Values(s.shrunk.choice_log);
  // A local minimum: lowering any value by one passes, so they add up to
  // exactly 150; and no value can be dropped. (Reaching the global minimum,
  // {51, 99}, would take moving value between choices, which these passes
  // do not try: schedules have nothing to gain from it.)
  EXPECT_EQ(std::accumulate(shrunk.begin(), shrunk.end(), uint64_t{0}), 150u);
  for (size_t i = 0; i < shrunk.size(); ++i) {
    std::vector<uint64_t> without = shrunk;
    without[i] = 0;
    IntSource source(without);
    EXPECT_TRUE(run_with(source).ok()) << "choice " << i << " is not needed";
  }
  EXPECT_LT(s.after.nonzero, s.before.nonzero);
  EXPECT_LE(s.after.nonzero, 3u);
  EXPECT_EQ(s.shrunk.report.substr(0, 13), "sum too large");
}

// Fails "b is large" when b >= 5, but "a is zero" first when a == 0 < b.
void TwoWaysToFail() {
  const uint64_t a = Choose(10, ChoiceKind::kWorkload);
  const uint64_t b = Choose(10, ChoiceKind::kWorkload);
  if (a == 0 && b > 0) Fail("a is zero");
  if (b >= 5) Fail("b is large");
}

TEST(Shrink, KeepsTheSameFailure) {
  const ChoiceLog failing{{ChoiceKind::kWorkload, 10, 7}, {ChoiceKind::kWorkload, 10, 9}};
  const ShrinkResult s = Shrink(failing, ShrinkOptions{}, [](DecisionSource& d) {
    return sim::Run(d, Options(), TwoWaysToFail);
  });
  ASSERT_TRUE(s.reproduced);
  EXPECT_EQ(s.signature.first_line, "b is large");
  // Zeroing a would be simpler but fails another way, so a stops at 1.
  EXPECT_EQ(Values(s.shrunk.choice_log), (std::vector<uint64_t>{1, 5}));
  EXPECT_TRUE(s.signature.Matches(s.shrunk));
}

TEST(Shrink, KeepsToItsRunBound) {
  const RunResult failing = FirstFailure(SumTooLarge, Options(), 100);
  const ShrinkResult s =
      Shrink(failing.choice_log, ShrinkOptions{.max_runs = 4},
             [](DecisionSource& d) { return sim::Run(d, Options(), SumTooLarge); });
  EXPECT_TRUE(s.reproduced);
  EXPECT_EQ(s.runs, 4u);
  EXPECT_TRUE(s.hit_run_bound);
  EXPECT_TRUE(s.signature.Matches(s.shrunk));
}

TEST(Shrink, ALogThatPassesIsNotShrunk) {
  const ChoiceLog passing{{ChoiceKind::kWorkload, 100, 1}};
  const ShrinkResult s = Shrink(passing, ShrinkOptions{}, [](DecisionSource& d) {
    return sim::Run(d, Options(), SumTooLarge);
  });
  EXPECT_FALSE(s.reproduced);
  EXPECT_EQ(s.runs, 1u);
  EXPECT_TRUE(s.original.ok());
}

TEST(Shrink, FailureSignatures) {
  RunResult invariant;
  invariant.outcome = Outcome::kInvariantFailed;
  invariant.report = "invariant violated: x\n  check: y\n  (step 4)";
  RunResult other_step = invariant;
  other_step.report = "invariant violated: x\n  check: y\n  (step 9)";
  RunResult other_message = invariant;
  other_message.report = "invariant violated: z\n  check: y";
  RunResult deadlock;
  deadlock.outcome = Outcome::kDeadlock;
  deadlock.report = "deadlock: ...\n  fiber #2 waits";
  RunResult other_deadlock = deadlock;
  other_deadlock.report = "deadlock: ...\n  fiber #3 waits";

  const FailureSignature signature = FailureSignature::Of(invariant);
  EXPECT_EQ(signature.ToString(), "invariant_failed: invariant violated: x");
  EXPECT_TRUE(signature.Matches(other_step));
  EXPECT_FALSE(signature.Matches(other_message));
  EXPECT_FALSE(signature.Matches(deadlock));
  EXPECT_TRUE(FailureSignature::Of(deadlock).Matches(other_deadlock));
  EXPECT_FALSE(FailureSignature::Of(RunResult{}).Matches(RunResult{})) << "ok is no failure";
}

TEST(Shrink, FindsTheOnePreemptionAClassicBugNeeds) {
  // lock_order needs exactly one preemption; a random failing run has more.
  const Scenario* s = Scenarios().Find("lock_order.buggy");
  ASSERT_NE(s, nullptr);
  const RunResult failing = FirstFailure(s->body, s->options, 100);
  const ShrinkResult shrunk = Shrink(failing.choice_log, ShrinkOptions{}, [&](DecisionSource& d) {
    return sim::Run(d, s->options, s->body);
  });
  ASSERT_TRUE(shrunk.reproduced);
  EXPECT_GT(shrunk.before.preemptions, 1u);
  EXPECT_EQ(shrunk.after.preemptions, 1u);
  EXPECT_EQ(shrunk.shrunk.outcome, Outcome::kDeadlock);
}

// ---- planted ring and manager bugs, from seeded sweeps

class ShrinkPlanted : public ::testing::TestWithParam<std::string> {};

// Enough runs for every plant's log to come out smaller (the slowest, ring
// close-releases-held from seed 0, needs 842), while a manager run, ten
// times a ring run, keeps to a few hundred (the suite's ASan time).
uint64_t RunBound(const Scenario& scenario) {
  return scenario.name.rfind("manager.", 0) == 0 ? 300 : 1000;
}

TEST_P(ShrinkPlanted, GivesASmallerLogThatFailsTheSameWay) {
  const Scenario* scenario = Scenarios().Find(GetParam());
  ASSERT_NE(scenario, nullptr);
  cli::RunSettings settings;
  settings.options = scenario->options;
  // A failing run from a sweep of the scenario's bound of seeds, each seed
  // under the random scheduler and then PCT (the manager plants belong to
  // another component and change under these tests; some are found sooner
  // by one strategy, some by the other).
  std::optional<cli::SeedRun> failing;
  cli::RunSettings pct_settings = settings;
  pct_settings.strategy = cli::Strategy::kPct;
  pct_settings.pct.steps = cli::LearnRunLength(*scenario, scenario->options);
  for (uint64_t seed = 0; seed < scenario->find_within_seeds && !failing; ++seed) {
    for (const cli::RunSettings* strategy : {&settings, &pct_settings}) {
      cli::SeedRun run = cli::RunSeed(*scenario, seed, *strategy, false);
      if (run.failed()) {
        failing = std::move(run);
        settings.strategy = strategy->strategy;
        break;
      }
    }
  }
  ASSERT_TRUE(failing.has_value()) << "no failing seed within the scenario's bound";
  auto run_with = [&](DecisionSource& d) { return sim::Run(d, scenario->options, scenario->body); };
  const ShrinkResult s =
      Shrink(failing->result.choice_log, ShrinkOptions{.max_runs = RunBound(*scenario)}, run_with);
  ASSERT_TRUE(s.reproduced);
  EXPECT_EQ(s.original.trace_hash, failing->result.trace_hash) << "the rerun is the same run";

  // The shrunk log replays strictly (as `drpc-sim replay` does) to a run
  // that fails the same way.
  ReplaySource replay(s.shrunk.choice_log);
  const RunResult again = sim::Run(replay, scenario->options, scenario->body);
  EXPECT_TRUE(replay.fully_consumed());
  EXPECT_EQ(again.trace_hash, s.shrunk.trace_hash);
  EXPECT_TRUE(s.signature.Matches(again)) << again.report;
  EXPECT_EQ(FailureSignature::Of(again).ToString(),
            FailureSignature::Of(failing->result).ToString());

  // Never longer (its trace, and its choices up to the last non-zero one),
  // and always simpler.
  EXPECT_LE(s.after.significant, s.before.significant);
  EXPECT_LE(s.after.steps, s.before.steps);
  EXPECT_EQ(s.after.steps, s.shrunk.steps);
  EXPECT_LT(s.after.nonzero, s.before.nonzero);
  EXPECT_LE(s.after.preemptions, s.before.preemptions);
  std::printf(
      "%s %s seed %llu: %llu choices (%llu significant, %llu non-zero, %llu preemptions) -> "
      "%llu (%llu, %llu, %llu) in %llu runs\n",
      GetParam().c_str(), std::string(cli::StrategyName(settings.strategy)).c_str(),
      static_cast<unsigned long long>(failing->seed),
      static_cast<unsigned long long>(s.before.choices),
      static_cast<unsigned long long>(s.before.significant),
      static_cast<unsigned long long>(s.before.nonzero),
      static_cast<unsigned long long>(s.before.preemptions),
      static_cast<unsigned long long>(s.after.choices),
      static_cast<unsigned long long>(s.after.significant),
      static_cast<unsigned long long>(s.after.nonzero),
      static_cast<unsigned long long>(s.after.preemptions),
      static_cast<unsigned long long>(s.runs));
}

std::vector<std::string> PlantedRingAndManagerBugs() {
  std::vector<std::string> names;
  for (const Scenario& s : Scenarios().all()) {
    const bool family = s.name.rfind("ring.", 0) == 0 || s.name.rfind("manager.", 0) == 0;
    const bool buggy = s.name.size() > 6 && s.name.substr(s.name.size() - 6) == ".buggy";
    if (family && buggy && s.expect == Expectation::kFindsBug) names.push_back(s.name);
  }
  return names;
}

INSTANTIATE_TEST_SUITE_P(RingAndManager, ShrinkPlanted,
                         ::testing::ValuesIn(PlantedRingAndManagerBugs()),
                         [](const auto& param_info) {
                           return ScenarioParamName(param_info.param);
                         });

}  // namespace
}  // namespace drpc::sim

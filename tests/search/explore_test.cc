// Explore (bounded exhaustive search): it visits exactly the runs a plain
// recursive enumeration of the choice tree visits, keeps to its bounds,
// catches a body that is not a function of its choices, and on the planted
// classic bugs finds every .buggy scenario and exhausts every .fixed one.
#include "sim/sched/explore.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "drpc/rt/rt.h"
#include "sim/scenarios/scenario.h"
#include "sim/sched/replay_source.h"

namespace drpc::sim {
namespace {

using Body = void (*)();

// Two fibers yielding twice each while main joins them.
void TwoYielders() {
  auto body = [] {
    rt::yield();
    rt::yield();
  };
  rt::Task a = rt::spawn("a", body);
  rt::Task b = rt::spawn("b", body);
  a.join();
  b.join();
}

// Two waiters on one condvar, woken one at a time: waiter picks and
// choices after blocks (free), and preemptions around the mutex.
void TwoWaiters() {
  rt::Mutex mu("mu");
  rt::CondVar cv("cv");
  int tokens = 0;  // guarded by mu
  auto waiter = [&] {
    rt::Lock lock(mu);
    cv.wait(
        lock, [&] { return tokens > 0; }, "wait for a token");
    --tokens;
  };
  rt::Task a = rt::spawn("a", waiter);
  rt::Task b = rt::spawn("b", waiter);
  for (int i = 0; i < 2; ++i) {
    {
      rt::LockGuard guard(mu);
      ++tokens;
    }
    cv.notify_one();
  }
  a.join();
  b.join();
}

// Two sleepers due at the same instant: time choices.
void SameInstantTimers() {
  using namespace std::chrono_literals;
  auto sleeper = [] { rt::sleep_for(5us); };
  rt::Task a = rt::spawn("a", sleeper);
  rt::Task b = rt::spawn("b", sleeper);
  a.join();
  b.join();
}

// Two workload choices among 3 on one fiber: no schedule choices at all.
void TwoWorkloadChoices() {
  Choose(3, ChoiceKind::kWorkload);
  Choose(3, ChoiceKind::kWorkload);
}

RunOptions Options() {
  RunOptions options;
  options.max_steps = 10'000;
  options.stack_bytes = 64 * 1024;
  return options;
}

// Answers a prefix, then 0, and records every request's n and cost.
class PrefixThenZeros final : public DecisionSource {
 public:
  explicit PrefixThenZeros(const std::vector<uint64_t>& prefix) : prefix_(prefix) {}
  uint64_t Choose(const ChoiceRequest& request) override {
    asked.push_back({request.n, CostOf(request)});
    const size_t i = asked.size() - 1;
    return i < prefix_.size() ? prefix_[i] : 0;
  }
  struct Asked {
    uint64_t n;
    ChoiceCost cost;
  };
  std::vector<Asked> asked;

 private:
  const std::vector<uint64_t>& prefix_;
};

// The reference: every run within the bounds by recursion. A run's children
// are the runs that depart from it at one choice of its all-zero tail.
class Reference {
 public:
  Reference(Body body, const ExploreOptions& bounds) : body_(body), bounds_(bounds) {}

  void Visit(const std::vector<uint64_t>& prefix, uint64_t preemptions, uint64_t world) {
    ASSERT_LT(runs, 1'000'000u) << "the reference ran away";
    PrefixThenZeros source(prefix);
    const RunResult run = sim::Run(source, Options(), body_);
    ASSERT_TRUE(run.ok()) << run.report;
    ++runs;
    hashes.insert(run.trace_hash);
    for (size_t j = prefix.size(); j < source.asked.size(); ++j) {
      const auto [n, cost] = source.asked[j];
      const bool preempts = cost == ChoiceCost::kPreemption;
      const bool worldly = cost == ChoiceCost::kWorld;
      if ((preempts && preemptions + 1 > bounds_.max_preemptions) ||
          (worldly && world + 1 > bounds_.max_world_choices)) {
        continue;
      }
      for (uint64_t v = 1; v < n; ++v) {
        std::vector<uint64_t> child = prefix;
        child.resize(j, 0);
        child.push_back(v);
        Visit(child, preemptions + preempts, world + worldly);
      }
    }
  }

  uint64_t runs = 0;
  std::set<uint64_t> hashes;

 private:
  Body body_;
  ExploreOptions bounds_;
};

ExploreOptions Bounds(uint32_t preemptions, uint64_t world = 0, uint64_t max_runs = 100'000) {
  ExploreOptions options;
  options.max_preemptions = preemptions;
  options.max_world_choices = world;
  options.max_runs = max_runs;
  return options;
}

struct Explored {
  ExploreResult result;
  std::set<uint64_t> hashes;
  uint64_t max_preemptions = 0;
  uint64_t max_world = 0;
};

Explored ExploreBody(const ExploreOptions& options, FunctionRef<void()> body,
                     const RunOptions& run_options = Options()) {
  Explored out;
  out.result = Explore(options, [&](DecisionSource& source) {
    CostCountingSource counting(source);
    RunResult run = sim::Run(counting, run_options, body);
    out.hashes.insert(run.trace_hash);
    out.max_preemptions = std::max(out.max_preemptions, counting.preemptions());
    out.max_world = std::max(out.max_world, counting.world_choices());
    return run;
  });
  return out;
}

struct Case {
  const char* name;
  Body body;
};

class ExploreMatchesReference : public ::testing::TestWithParam<Case> {};

TEST_P(ExploreMatchesReference, SameRunsForEveryPreemptionBound) {
  for (uint32_t bound = 0; bound <= 2; ++bound) {
    ExploreOptions options = Bounds(bound, 1);
    options.sleep_sets = false;  // the reference has no reduction (explore_por_test.cc)
    Reference reference(GetParam().body, options);
    reference.Visit({}, 0, 0);
    const Explored explored = ExploreBody(options, GetParam().body);
    EXPECT_TRUE(explored.result.exhausted) << "bound " << bound;
    EXPECT_FALSE(explored.result.failure.has_value());
    EXPECT_EQ(explored.result.runs, reference.runs) << "bound " << bound;
    EXPECT_EQ(explored.hashes, reference.hashes) << "bound " << bound;
    // Distinct choices make distinct traces, so no run was visited twice.
    EXPECT_EQ(explored.hashes.size(), explored.result.runs) << "bound " << bound;
    EXPECT_LE(explored.max_preemptions, bound);
    EXPECT_LE(explored.max_world, 1u);
  }
}

INSTANTIATE_TEST_SUITE_P(Bodies, ExploreMatchesReference,
                         ::testing::Values(Case{"two_yielders", TwoYielders},
                                           Case{"two_waiters", TwoWaiters},
                                           Case{"same_instant_timers", SameInstantTimers}),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(Explore, MorePreemptionsMeanMoreRuns) {
  uint64_t previous = 0;
  for (uint32_t bound = 0; bound <= 3; ++bound) {
    const Explored explored = ExploreBody(Bounds(bound), TwoYielders);
    ASSERT_TRUE(explored.result.exhausted);
    EXPECT_GT(explored.result.runs, previous) << "bound " << bound;
    previous = explored.result.runs;
  }
}

TEST(Explore, TheWorldBudgetCountsNonDefaultChoices) {
  // Two choices among 3: budget 0 leaves the one all-zero run; budget 1 adds
  // 2 + 2 runs with one of them non-zero; budget 2 adds the 2 * 2 others.
  const uint64_t expected[] = {1, 5, 9};
  for (uint64_t budget = 0; budget <= 2; ++budget) {
    const Explored explored = ExploreBody(Bounds(0, budget), TwoWorkloadChoices);
    EXPECT_TRUE(explored.result.exhausted);
    EXPECT_EQ(explored.result.runs, expected[budget]) << "budget " << budget;
    EXPECT_EQ(explored.max_world, budget);
  }
}

TEST(Explore, StopsAtMaxRunsWithoutClaimingExhaustion) {
  const Explored explored = ExploreBody(Bounds(2, 0, 5), TwoYielders);
  EXPECT_EQ(explored.result.runs, 5u);
  EXPECT_FALSE(explored.result.exhausted);
  EXPECT_FALSE(explored.result.failure.has_value());
}

TEST(Explore, ABodyThatIsNotAFunctionOfItsChoicesIsReported) {
  // The body's choices depend on how often it ran before: the second run
  // departs from the prefix it was given.
  static int runs = 0;
  runs = 0;
  const Explored explored = ExploreBody(Bounds(1), [] {
    rt::Task a = rt::spawn("a", [] { rt::yield(); });
    rt::Task b;
    if (++runs % 2 == 0) b = rt::spawn("b", [] {});
    rt::yield();
    a.join();
    if (runs % 2 == 0) b.join();
  });
  ASSERT_TRUE(explored.result.failure.has_value());
  EXPECT_EQ(explored.result.failure->outcome, Outcome::kNondeterminism)
      << explored.result.failure->report;
}

TEST(Explore, TargetPassesOverOtherFailures) {
  // Fails with "odd" for an odd first choice, with "two" for choice 2:
  // targeting "two" passes over the odd ones.
  ExploreOptions options = Bounds(0, 1);
  options.target = [](const RunResult& run) { return run.report.rfind("two", 0) == 0; };
  const Explored explored = ExploreBody(options, [] {
    const uint64_t v = Choose(4, ChoiceKind::kWorkload);
    if (v == 2) Fail("two");
    if (v % 2 == 1) Fail("odd");
  });
  ASSERT_TRUE(explored.result.failure.has_value());
  EXPECT_EQ(explored.result.failure->report.rfind("two", 0), 0u);
  EXPECT_EQ(explored.result.other_failures, 1u) << "the run with choice 1 came first";
}

// ---- the planted classic bugs (sim/scenarios/planted_bugs.cc)

struct Planted {
  const char* family;
  uint32_t preemptions;  // the bound each .fixed twin is exhausted with
};

class ExplorePlanted : public ::testing::TestWithParam<Planted> {};

TEST_P(ExplorePlanted, FindsTheBuggyOneAndExhaustsTheFixedOne) {
  const std::string family = GetParam().family;
  const Scenario* buggy = Scenarios().Find(family + ".buggy");
  const Scenario* fixed = Scenarios().Find(family + ".fixed");
  ASSERT_NE(buggy, nullptr);
  ASSERT_NE(fixed, nullptr);

  const Explored found = ExploreBody(Bounds(1), buggy->body, buggy->options);
  ASSERT_TRUE(found.result.failure.has_value()) << family << ".buggy: not found";
  const RunResult& failure = *found.result.failure;
  EXPECT_EQ(failure.outcome, buggy->bug_outcome) << failure.report;
  EXPECT_LE(found.result.failure_preemptions, 1u);
  // The failure's choice log replays to the same run.
  ReplaySource replay(failure.choice_log);
  const RunResult again = sim::Run(replay, buggy->options, buggy->body);
  EXPECT_EQ(again.trace_hash, failure.trace_hash);
  EXPECT_EQ(again.outcome, failure.outcome);
  EXPECT_TRUE(replay.fully_consumed());

  const uint32_t bound = GetParam().preemptions;
  const Explored exhausted = ExploreBody(Bounds(bound), fixed->body, fixed->options);
  EXPECT_FALSE(exhausted.result.failure.has_value()) << exhausted.result.failure->report;
  EXPECT_TRUE(exhausted.result.exhausted);
  EXPECT_GT(exhausted.result.runs, 1u);
  std::printf(
      "%s.buggy found after %llu runs (%u preemption(s)); %s.fixed exhausted with P=%u "
      "in %llu runs\n",
      family.c_str(), static_cast<unsigned long long>(found.result.runs),
      found.result.failure_preemptions, family.c_str(), bound,
      static_cast<unsigned long long>(exhausted.result.runs));
}

INSTANTIATE_TEST_SUITE_P(Families, ExplorePlanted,
                         ::testing::Values(Planted{"lost_wakeup", 2}, Planted{"lock_order", 2},
                                           Planted{"check_then_act", 2},
                                           Planted{"shared_condvar", 1}),
                         [](const auto& param_info) {
                           return std::string(param_info.param.family);
                         });

TEST(ExplorePlanted, WithoutPreemptionsOnlySharedCondVarFails) {
  // The cooperative runs (every free choice explored, no preemption) pass
  // for the bugs that need a fiber interrupted inside its critical window,
  // and the explorer proves it by exhausting them.
  for (const char* name : {"lost_wakeup.buggy", "lock_order.buggy", "check_then_act.buggy"}) {
    const Scenario* s = Scenarios().Find(name);
    ASSERT_NE(s, nullptr);
    const Explored explored = ExploreBody(Bounds(0), s->body, s->options);
    EXPECT_TRUE(explored.result.exhausted) << name;
  }
  // shared_condvar's wrong wakeup needs no preemption at all.
  const Scenario* s = Scenarios().Find("shared_condvar.buggy");
  const Explored explored = ExploreBody(Bounds(0), s->body, s->options);
  ASSERT_TRUE(explored.result.failure.has_value());
  EXPECT_EQ(explored.result.failure_preemptions, 0u);
}

}  // namespace
}  // namespace drpc::sim

// Explore's sleep sets (sim/sched/explore.h, step_footprint.h): footprints
// commute only when they share no object; a tiny body whose run counts are
// worked out by hand; every order of dependent steps is still reached; and
// on the planted classic bugs the reduced search finds and exhausts what
// the full one does, in fewer runs (printed: docs/explore.md's table).
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "drpc/rt/rt.h"
#include "sim/scenarios/scenario.h"
#include "sim/sched/explore.h"
#include "sim/sched/replay_source.h"
#include "sim/sched/step_footprint.h"

namespace drpc::sim {
namespace {

Footprint Of(std::vector<uint32_t> objects, bool fresh = false, bool everything = false) {
  Footprint f;
  for (uint32_t o : objects) f.Add(o);
  f.fresh = fresh;
  f.everything = everything;
  return f;
}

TEST(Footprint, CommutesOnlyWithNothingShared) {
  EXPECT_TRUE(Of({1, 3}).CommutesWith(Of({2, 4})));
  EXPECT_FALSE(Of({1, 3}).CommutesWith(Of({4, 3})));
  EXPECT_TRUE(Of({}).CommutesWith(Of({5})));
  // Objects first used in both: ids are not comparable, so dependent.
  EXPECT_FALSE(Of({1}, true).CommutesWith(Of({2}, true)));
  EXPECT_TRUE(Of({1}, true).CommutesWith(Of({2})));
  EXPECT_FALSE(Of({}, false, true).CommutesWith(Of({})));
}

RunOptions Options() {
  RunOptions options;
  options.max_steps = 10'000;
  options.stack_bytes = 64 * 1024;
  return options;
}

ExploreResult ExploreWith(bool sleep_sets, uint32_t preemptions, FunctionRef<void()> body,
                          const RunOptions& run_options = Options(), uint64_t budget = 0) {
  ExploreOptions options;
  options.max_preemptions = preemptions;
  options.max_world_choices = budget;
  options.sleep_sets = sleep_sets;
  return Explore(options,
                 [&](DecisionSource& source) { return sim::Run(source, run_options, body); });
}

// Main touches atomics x and y (so neither is new to the run later), then
// starts A (stores x) and B (stores y) and joins A, then B.
void IndependentStores() {
  rt::Atomic<int> x(0, "x");
  rt::Atomic<int> y(0, "y");
  (void)x.load();
  (void)y.load();
  rt::Task a = rt::spawn("a", [&] { x.store(1); });
  rt::Task b = rt::spawn("b", [&] { y.store(1); });
  a.join();
  b.join();
}

// By hand. M stops at: load x, load y, spawn a, spawn b (choice c1: M or
// A), join a (c2: M, A or B), join b; A and B stop once (their store), then
// exit. Runs with at most one preemption (* = the preemption), full search:
//   c1=M c2=M, M parks; free choice: A first: A's store (c4: A or *B);
//     A then: A exits, free choice B or M:
//       B: B's store then B (1) or *M (2);  M: M parks on b (3) or *B (4)
//     *B: B stores and exits, A finishes (5)
//   B first: B's store then B (6) or *A, whose store then A (free choice
//     after its exit: B (7) or M (8))
//   c2=*A: A stores and exits, then M (9) or B (10)
//   c2=*B: B stores and exits, then M (11) or A (12)
//   c1=*A (13)
// 13 runs; with no preemption only (1), (3) and (6): 3 runs.
// Sleep sets: A's stretch to its store touches {x}, B's {y}, M's join
// {a's exit queue}. (4) is (3) with B's store moved before M's join of b;
// (7) and (8) are (6) with A's store moved before B's; (12) is (11)'s
// reordering, and (11) itself only reorders (6): at its free choice both M
// and A are asleep, so it runs (it was started) but nothing below it does.
// 13 - 4 = 9 runs; at P=0 nothing is pruned (3 runs).
TEST(ExploreSleepSets, TinyBodyRunCountsByHand) {
  EXPECT_EQ(ExploreWith(false, 0, IndependentStores).runs, 3u);
  EXPECT_EQ(ExploreWith(true, 0, IndependentStores).runs, 3u);
  const ExploreResult full = ExploreWith(false, 1, IndependentStores);
  const ExploreResult reduced = ExploreWith(true, 1, IndependentStores);
  EXPECT_TRUE(full.exhausted);
  EXPECT_TRUE(reduced.exhausted);
  EXPECT_EQ(full.runs, 13u);
  EXPECT_EQ(reduced.runs, 9u);
  EXPECT_EQ(reduced.redundant_runs, 1u);
}

// Three writers: A and B append to one log under one mutex (dependent), C
// bumps its own atomic (independent of both). Every order of A's and B's
// appends must still be reached with sleep sets on.
void TwoDependentOneIndependent(std::set<std::string>& orders) {
  rt::Mutex mu("log.mu");
  rt::Atomic<int> counter(0, "counter");
  std::string log;  // guarded by mu
  {
    rt::LockGuard guard(mu);
    (void)counter.load();
  }
  auto append = [&](char who) {
    for (int i = 0; i < 2; ++i) {
      rt::LockGuard guard(mu);
      log += who;
    }
  };
  rt::Task a = rt::spawn("a", [&] { append('a'); });
  rt::Task b = rt::spawn("b", [&] { append('b'); });
  rt::Task c = rt::spawn("c", [&] {
    counter.store(1);
    counter.store(2);
  });
  a.join();
  b.join();
  c.join();
  orders.insert(log);
}

TEST(ExploreSleepSets, EveryOrderOfDependentStepsIsStillReached) {
  for (uint32_t bound = 0; bound <= 2; ++bound) {
    std::set<std::string> full_orders, reduced_orders;
    const ExploreResult full =
        ExploreWith(false, bound, [&] { TwoDependentOneIndependent(full_orders); });
    const ExploreResult reduced =
        ExploreWith(true, bound, [&] { TwoDependentOneIndependent(reduced_orders); });
    ASSERT_TRUE(full.exhausted && reduced.exhausted) << "bound " << bound;
    EXPECT_EQ(reduced_orders, full_orders) << "bound " << bound;
    EXPECT_LE(reduced.runs, full.runs) << "bound " << bound;
    if (bound > 0) {
      EXPECT_LT(reduced.runs, full.runs) << "bound " << bound;
    }
  }
}

// ---- the planted classic bugs, with and without sleep sets

struct Row {
  std::string scenario;
  uint32_t preemptions;
  uint64_t budget = 0;
};

TEST(ExploreSleepSets, PlantedBugsSameVerdictFewerRuns) {
  std::vector<Row> rows;
  for (const char* family : {"lost_wakeup", "lock_order", "check_then_act", "shared_condvar"}) {
    for (const char* twin : {".buggy", ".fixed"}) {
      for (uint32_t p = 0; p <= 2; ++p) {
        // shared_condvar.fixed at P=2 takes 400,000 runs without reduction.
        if (std::string(family) == "shared_condvar" && std::string(twin) == ".fixed" && p == 2) {
          continue;
        }
        rows.push_back(Row{std::string(family) + twin, p});
      }
    }
  }
  for (uint32_t p = 0; p <= 2; ++p) rows.push_back(Row{"spawn_then_exit.fixed", p});
  for (uint32_t p = 0; p <= 1; ++p) rows.push_back(Row{"pipeline.fixed", p});
  for (const char* ring : {"ring.fixed", "ring.double-done.buggy", "ring.leak-queued.buggy"}) {
    rows.push_back(Row{ring, 1, 1});
  }
  std::printf("| scenario | P | B | full: runs | sleep sets: runs | verdict |\n");
  for (const Row& row : rows) {
    const Scenario* scenario = Scenarios().Find(row.scenario);
    ASSERT_NE(scenario, nullptr) << row.scenario;
    const ExploreResult full =
        ExploreWith(false, row.preemptions, scenario->body, scenario->options, row.budget);
    const ExploreResult reduced =
        ExploreWith(true, row.preemptions, scenario->body, scenario->options, row.budget);
    const char* verdict = full.failure ? "found" : full.exhausted ? "exhausted" : "capped";
    EXPECT_EQ(reduced.failure.has_value(), full.failure.has_value())
        << row.scenario << " P=" << row.preemptions;
    EXPECT_EQ(reduced.exhausted, full.exhausted) << row.scenario << " P=" << row.preemptions;
    if (full.failure && reduced.failure) {
      EXPECT_EQ(reduced.failure->outcome, full.failure->outcome) << row.scenario;
      ReplaySource replay(reduced.failure->choice_log);
      const RunResult again = sim::Run(replay, scenario->options, scenario->body);
      EXPECT_EQ(again.trace_hash, reduced.failure->trace_hash) << row.scenario;
    }
    if (full.exhausted) {
      EXPECT_LE(reduced.runs, full.runs) << row.scenario;
    }
    std::printf("| %s | %u | %llu | %llu | %llu | %s |\n", row.scenario.c_str(), row.preemptions,
                static_cast<unsigned long long>(row.budget),
                static_cast<unsigned long long>(full.runs),
                static_cast<unsigned long long>(reduced.runs), verdict);
  }
}

}  // namespace
}  // namespace drpc::sim

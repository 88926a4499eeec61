// PctSource on hand-made requests: priorities, change points, waiter picks,
// world choices, and that a seed (with depth and steps) is the whole run.
#include "sim/sched/pct_source.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <set>
#include <vector>

#include "tests/search/pct_testing.h"

namespace drpc::sim {
namespace {

using testing::Pct;

ChoiceRequest Schedule(std::span<const FiberId> candidates, uint64_t step,
                       FiberId current = kNoFiber) {
  ChoiceRequest request;
  request.kind = ChoiceKind::kSchedule;
  request.n = candidates.size();
  request.step = step;
  request.candidates = candidates;
  request.current = current;
  return request;
}

ChoiceRequest Waiter(std::span<const FiberId> candidates, uint64_t step) {
  ChoiceRequest request = Schedule(candidates, step);
  request.picks_waiter = true;
  return request;
}

ChoiceRequest World(ChoiceKind kind, uint64_t n, uint64_t step) {
  ChoiceRequest request;
  request.kind = kind;
  request.n = n;
  request.step = step;
  return request;
}

FiberId Picked(PctSource& pct, const ChoiceRequest& request) {
  const uint64_t option = pct.Choose(request);
  EXPECT_LT(option, request.n);
  return request.candidates[option];
}

TEST(PctSource, TheHighestPriorityRunsWhateverTheCandidateOrder) {
  PctSource pct(7, Pct(1, 100));
  const std::array<FiberId, 3> forward{1, 2, 3};
  const FiberId first = Picked(pct, Schedule(forward, 0));
  const std::array<std::array<FiberId, 3>, 3> orders{{{3, 1, 2}, {2, 3, 1}, {3, 2, 1}}};
  for (uint64_t step = 1; step < 30; ++step) {
    EXPECT_EQ(Picked(pct, Schedule(orders[step % 3], step)), first) << "step " << step;
  }
  // Depth 1 has no change points: the order never changes.
  EXPECT_TRUE(pct.ChangeSteps().empty());
  EXPECT_EQ(pct.changes_applied(), 0u);
}

TEST(PctSource, AFiberOutOfTheCandidatesLetsTheNextHighestRun) {
  PctSource pct(11, Pct(1, 100));
  const std::array<FiberId, 3> all{1, 2, 3};
  const FiberId top = Picked(pct, Schedule(all, 0));
  std::vector<FiberId> rest;
  for (FiberId f : all) {
    if (f != top) rest.push_back(f);
  }
  const FiberId second = Picked(pct, Schedule(rest, 1));
  EXPECT_GT(*pct.PriorityOf(top), *pct.PriorityOf(second));
  for (FiberId f : rest) {
    if (f != second) {
      EXPECT_GT(*pct.PriorityOf(second), *pct.PriorityOf(f));
    }
  }
}

TEST(PctSource, SeedsGiveEveryPriorityOrder) {
  // Priorities are random: over many seeds every one of the 3! orders of
  // three fibers shows up, each roughly equally often.
  std::array<int, 6> seen{};
  for (uint64_t seed = 0; seed < 600; ++seed) {
    PctSource pct(seed, Pct(1, 10));
    std::vector<FiberId> left{1, 2, 3};
    std::vector<FiberId> order;
    for (uint64_t step = 0; step < 2; ++step) {
      const FiberId top = Picked(pct, Schedule(left, step));
      order.push_back(top);
      left.erase(std::find(left.begin(), left.end(), top));
    }
    order.push_back(left.front());
    std::vector<FiberId> perm{1, 2, 3};
    int index = 0;
    while (perm != order && std::next_permutation(perm.begin(), perm.end())) ++index;
    ASSERT_LT(index, 6);
    ++seen[index];
  }
  for (int count : seen) {
    EXPECT_GT(count, 60);
    EXPECT_LT(count, 140);
  }
}

TEST(PctSource, ChangePointsAreDrawnWithinTheEstimatedLength) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    PctSource pct(seed, Pct(5, 40));
    const std::vector<uint64_t> steps = pct.ChangeSteps();
    ASSERT_EQ(steps.size(), 4u);
    EXPECT_TRUE(std::is_sorted(steps.begin(), steps.end()));
    for (uint64_t step : steps) EXPECT_LT(step, 40u);
  }
}

TEST(PctSource, AChangePointDropsTheRunningFiberBelowTheOthers) {
  // Depth 2: one change point. Two fibers share the run; before the change
  // step one of them runs every time, from it on the other does.
  for (uint64_t seed = 0; seed < 20; ++seed) {
    PctSource pct(seed, Pct(2, 30));
    const uint64_t change = pct.ChangeSteps().at(0);
    if (change == 0) continue;  // no "before" to compare with
    const std::array<FiberId, 2> both{1, 2};
    const FiberId before = Picked(pct, Schedule(both, 0, 1));
    for (uint64_t step = 0; step < 30; ++step) {
      const FiberId expected = step < change ? before : 3 - before;
      EXPECT_EQ(Picked(pct, Schedule(both, step, 1)), expected)
          << "seed " << seed << " step " << step << " change at " << change;
    }
    EXPECT_EQ(pct.changes_applied(), 1u);
    EXPECT_LT(*pct.PriorityOf(before), 2u) << "lowered to the change point's label";
  }
}

TEST(PctSource, AChangePointOnAStepNotAskedAppliesAtTheNextChoice) {
  // Forced moves are not asked: a change step that falls on one takes
  // effect at the next schedule choice.
  PctSource pct(3, Pct(2, 1000));
  const uint64_t change = pct.ChangeSteps().at(0);
  ASSERT_GT(change, 1u);
  const std::array<FiberId, 2> both{1, 2};
  const FiberId before = Picked(pct, Schedule(both, 0));
  EXPECT_EQ(Picked(pct, Schedule(both, change - 1)), before);
  EXPECT_EQ(Picked(pct, Schedule(both, change + 5)), 3 - before);
}

TEST(PctSource, WaitersArePickedByPriorityWithoutUsingChangePoints) {
  PctSource pct(5, Pct(3, 10));
  const std::array<FiberId, 3> fibers{4, 5, 6};
  const FiberId top = Picked(pct, Schedule(fibers, 0));
  const std::array<FiberId, 3> waiters{6, 5, 4};
  for (uint64_t step = 0; step < 20; ++step) {
    EXPECT_EQ(Picked(pct, Waiter(waiters, step)), top);
  }
  EXPECT_EQ(pct.changes_applied(), 0u);
}

TEST(PctSource, RandomWaiterPolicyDrawsEachPick) {
  PctSource pct(5, Pct(1, 10, WaiterPolicy::kRandom));
  const std::array<FiberId, 3> waiters{4, 5, 6};
  std::set<FiberId> woken;
  for (uint64_t step = 0; step < 60; ++step) woken.insert(Picked(pct, Waiter(waiters, step)));
  EXPECT_EQ(woken.size(), 3u);
}

TEST(PctSource, WorldChoicesDoNotShiftTheSchedule) {
  // Priorities and world draws come from separate streams: a run that asks
  // more net/workload questions schedules the same way.
  PctSource quiet(9, Pct(3, 50));
  PctSource chatty(9, Pct(3, 50));
  const std::array<FiberId, 4> fibers{1, 2, 3, 4};
  std::set<uint64_t> drawn;
  for (uint64_t step = 0; step < 50; ++step) {
    for (int i = 0; i < 3; ++i) {
      const uint64_t value = chatty.Choose(World(ChoiceKind::kWorkload, 1000, step));
      ASSERT_LT(value, 1000u);
      drawn.insert(value);
    }
    EXPECT_EQ(Picked(quiet, Schedule(fibers, step)), Picked(chatty, Schedule(fibers, step)));
  }
  EXPECT_GT(drawn.size(), 100u) << "world choices are uniform draws, not a constant";
}

TEST(PctSource, ASeedDepthAndLengthAreTheWholeRun) {
  const std::array<FiberId, 3> fibers{1, 2, 3};
  auto script = [&](uint64_t seed, uint32_t depth, uint64_t steps) {
    PctSource pct(seed, Pct(depth, steps));
    std::vector<uint64_t> answers;
    for (uint64_t step = 0; step < 40; ++step) {
      answers.push_back(pct.Choose(Schedule(fibers, step, fibers[step % 3])));
      answers.push_back(pct.Choose(World(ChoiceKind::kNet, 7, step)));
      answers.push_back(pct.Choose(World(ChoiceKind::kTime, 2, step)));
    }
    return answers;
  };
  EXPECT_EQ(script(1, 3, 40), script(1, 3, 40));
  EXPECT_NE(script(1, 3, 40), script(2, 3, 40));
  EXPECT_NE(script(1, 3, 40), script(1, 4, 40));
}

}  // namespace
}  // namespace drpc::sim

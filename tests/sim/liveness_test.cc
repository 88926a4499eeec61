// The liveness phase (sim/liveness/liveness.h) and the query behind its
// reports (sim/sched/waiting.h): a phase whose owed work ends passes, and
// each way it can fail fails with liveness_failed and names what is still
// waiting, by task name and wait label.
#include "sim/liveness/liveness.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "drpc/rt/rt.h"
#include "sim/sched/random_source.h"
#include "sim/sched/run.h"
#include "sim/sched/waiting.h"
#include "tests/sim/sim_test_util.h"

namespace drpc::sim {
namespace {

using std::chrono::microseconds;
using testing::Contains;
using testing::Describe;

constexpr rt::Duration kBound = std::chrono::milliseconds(1);

RunResult RunSeed(uint64_t seed, FunctionRef<void()> body) {
  RandomSource decisions(seed);
  return sim::Run(decisions, RunOptions{}, body);
}

TEST(Liveness, OwedWorkThatEndsInTimePasses) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    bool healed = false;
    const RunResult r = RunSeed(seed, [&] {
      LivenessPhase liveness("test", kBound);
      const auto owed = liveness.Owe("the worker's job");
      rt::Task worker = rt::spawn("worker", [&] {
        rt::sleep_for(microseconds(300));  // straddles the heal
        liveness.Settle(owed);
      });
      rt::sleep_for(microseconds(100));
      liveness.Begin([&] { healed = true; });
      EXPECT_EQ(liveness.began_at(), rt::TimePoint(microseconds(100)));
      worker.join();
      liveness.Finish();
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << Describe(r);
    EXPECT_TRUE(healed);
  }
}

TEST(Liveness, WorkStillOwedAtTheBoundIsNamedWithEveryWaitingTask) {
  const RunResult r = RunSeed(0, [] {
    LivenessPhase liveness("test", kBound);
    rt::Signal never("never.set");
    const auto owed = liveness.Owe("the reply of call 7");
    rt::Task stuck = rt::spawn("stuck call", [&] {
      never.wait("waits for a reply nobody sends");
      liveness.Settle(owed);
    });
    liveness.Begin([] {});
    stuck.join();
    liveness.Finish();
  });
  ASSERT_EQ(r.outcome, Outcome::kLivenessFailed) << Describe(r);
  EXPECT_TRUE(Contains(r.report,
                       "liveness: test: the liveness phase did not finish within its "
                       "bound (faults healed at 0.000000000s, bound 0.001000000s)"))
      << r.report;
  EXPECT_TRUE(Contains(r.report, "\n  owed: the reply of call 7")) << r.report;
  EXPECT_TRUE(Contains(r.report, "fiber #1 main waits on task \"stuck call\"")) << r.report;
  EXPECT_TRUE(Contains(r.report, "fiber #2 stuck call waits on ")) << r.report;
  EXPECT_TRUE(Contains(r.report, "at \"waits for a reply nobody sends\"")) << r.report;
  // The watchdog reports; it does not list itself.
  EXPECT_TRUE(Contains(r.report, "in fiber #3 \"liveness watchdog\"")) << r.report;
  EXPECT_FALSE(Contains(r.report, "the watchdog waits")) << r.report;
  EXPECT_EQ(r.end_time, 1'000'000);  // exactly at the bound
}

TEST(Liveness, FinishingWithWorkOwedFailsAtOnce) {
  const RunResult r = RunSeed(0, [] {
    LivenessPhase liveness("test", kBound);
    (void)liveness.Owe("a probe that was never run");
    liveness.Begin([] {});
    liveness.Finish();
  });
  ASSERT_EQ(r.outcome, Outcome::kLivenessFailed) << Describe(r);
  EXPECT_TRUE(Contains(r.report, "finished with work still owed")) << r.report;
  EXPECT_TRUE(Contains(r.report, "owed: a probe that was never run")) << r.report;
  EXPECT_EQ(r.end_time, 0);
}

TEST(Liveness, ATaskLeftWaitingAfterTheWorkFails) {
  const RunResult r = RunSeed(0, [] {
    LivenessPhase liveness("test", kBound);
    rt::Signal never("never.set");
    rt::Task leftover = rt::spawn("leftover", [&] { never.wait("a task nobody ends"); });
    liveness.Begin([] {});
    liveness.Finish();
    leftover.join();
  });
  ASSERT_EQ(r.outcome, Outcome::kLivenessFailed) << Describe(r);
  EXPECT_TRUE(Contains(r.report, "tasks are left after the liveness phase's work ended"))
      << r.report;
  EXPECT_TRUE(Contains(r.report, "owed: nothing")) << r.report;
  EXPECT_TRUE(Contains(r.report, " leftover waits on ")) << r.report;
  EXPECT_TRUE(Contains(r.report, "at \"a task nobody ends\"")) << r.report;
}

TEST(Liveness, TasksThatDrainWithinTheBoundPass) {
  const RunResult r = RunSeed(0, [] {
    LivenessPhase liveness("test", kBound);
    liveness.Begin([] {});
    // Exits by itself, after Finish has started waiting for it.
    rt::Task draining = rt::spawn("draining", [] { rt::sleep_for(microseconds(700)); });
    liveness.Finish();
    draining.join();
  });
  EXPECT_TRUE(r.ok()) << Describe(r);
}

TEST(WaitingTasks, NamesEveryParkedTaskInIdOrder) {
  const RunResult r = RunSeed(0, [] {
    rt::Signal never("never.set");
    rt::Task a = rt::spawn("a", [&] { never.wait("a waits"); });
    rt::Task b = rt::spawn("b", [] { rt::sleep_for(microseconds(5)); });
    rt::sleep_for(std::chrono::nanoseconds(1));  // both are parked by now
    const std::vector<WaitingTask> waiting = WaitingTasks();
    ASSERT_EQ(waiting.size(), 2u);
    EXPECT_EQ(waiting[0].task, "#2 a");
    EXPECT_EQ(waiting[0].label, "a waits");
    EXPECT_EQ(waiting[0].deadline, kNever);
    EXPECT_EQ(waiting[1].task, "#3 b");
    EXPECT_EQ(waiting[1].on, "a timer");
    EXPECT_EQ(waiting[1].ToString(),
              "fiber #3 b waits on a timer at \"sleep_until\" (until "
              "0.000005000s)");
    EXPECT_EQ(LiveTasks(), 3u);
    never.set(OkStatus());
    a.join();
    b.join();
    EXPECT_EQ(LiveTasks(), 1u);
  });
  EXPECT_TRUE(r.ok()) << Describe(r);
}

}  // namespace
}  // namespace drpc::sim

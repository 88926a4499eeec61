// The scheduler through the rt API: cooperative default, preemption by
// choice, virtual time, timers, replay, and the cost-saving rules (no
// question when there is no choice, stacks reused).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "drpc/fiber/stack_pool.h"
#include "drpc/rt/rt.h"
#include "sim/sched/input_source.h"
#include "sim/sched/random_source.h"
#include "sim/sched/replay_source.h"
#include "sim/sched/run.h"
#include "tests/sim/sim_test_util.h"

namespace drpc::sim {
namespace {

using testing::Describe;
using testing::ScriptedSource;

// main spawns a and b; each appends to `log` around a yield, then main joins.
RunResult TwoWriters(DecisionSource& source, std::string& log, const RunOptions& options = {}) {
  return sim::Run(source, options, [&] {
    rt::Task a = rt::spawn("a", [&] {
      log += "a1 ";
      rt::yield();
      log += "a2 ";
    });
    rt::Task b = rt::spawn("b", [&] {
      log += "b1 ";
      rt::yield();
      log += "b2 ";
    });
    a.join();
    b.join();
  });
}

TEST(Scheduler, RunsMainAsFiberOne) {
  IntSource zeros({});
  rt::TaskInfo info;
  RunResult r = sim::Run(zeros, {}, [&] { info = rt::current_task(); });
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(info.id, 1u);
  EXPECT_EQ(info.name, "main");
  EXPECT_EQ(r.fibers, 1u);
}

TEST(Scheduler, AllZeroChoicesGiveACooperativeSchedule) {
  // Option 0 never preempts: each fiber runs until it blocks or exits, and
  // the next is the one runnable longest (a before b).
  IntSource zeros({});
  std::string log;
  RunResult r = TwoWriters(zeros, log);
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(log, "a1 a2 b1 b2 ");
  for (const ChoiceRecord& c : r.choice_log) EXPECT_EQ(c.value, 0u);
}

TEST(Scheduler, AnEmptyByteInputIsTheSameCooperativeRun) {
  IntSource zeros({});
  BytesDecisionSource empty({});
  std::string log_a, log_b;
  RunResult a = TwoWriters(zeros, log_a);
  RunResult b = TwoWriters(empty, log_b);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(log_a, log_b);
}

TEST(Scheduler, OptionZeroKeepsTheCurrentFiberAndOthersFollowInRunnableOrder) {
  // At a's yield, preempt (option 1 = b, the only other runnable fiber once
  // main waits in join). Record what the scheduler offered.
  std::vector<std::vector<FiberId>> offers;
  std::vector<FiberId> currents;
  ScriptedSource source([&](const ChoiceRequest& q) -> uint64_t {
    if (q.kind != ChoiceKind::kSchedule) return 0;
    offers.emplace_back(q.candidates.begin(), q.candidates.end());
    currents.push_back(q.current);
    return q.current == 2 ? 1 : 0;  // preempt a (fiber 2) whenever it could go on
  });
  std::string log;
  RunResult r = TwoWriters(source, log);
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(log, "a1 b1 b2 a2 ");
  ASSERT_FALSE(offers.empty());
  for (size_t i = 0; i < offers.size(); ++i) {
    if (currents[i] != kNoFiber) {
      EXPECT_EQ(offers[i][0], currents[i]) << "decision " << i;
    }
  }
}

TEST(Scheduler, NoQuestionWhenThereIsNoChoice) {
  IntSource zeros({});
  RunResult r = sim::Run(zeros, {}, [] {
    for (int i = 0; i < 100; ++i) rt::yield();
  });
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_TRUE(r.choice_log.empty());
  EXPECT_EQ(r.steps, 101u);  // the first resume plus one step per yield
}

TEST(Scheduler, SameSeedSameTraceAndDifferentSeedsExploreDifferentRuns) {
  std::vector<uint64_t> hashes;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    RandomSource a(seed), b(seed);
    std::string log_a, log_b;
    RunResult ra = TwoWriters(a, log_a);
    RunResult rb = TwoWriters(b, log_b);
    ASSERT_EQ(ra.trace_hash, rb.trace_hash) << "seed " << seed;
    ASSERT_EQ(log_a, log_b);
    hashes.push_back(ra.trace_hash);
  }
  std::sort(hashes.begin(), hashes.end());
  EXPECT_GE(std::unique(hashes.begin(), hashes.end()) - hashes.begin(), 3);
}

// A body with every kind of decision: schedule, notify_one waiter, same-time
// timers and a workload choice.
void Busy() {
  rt::Mutex mu("mu");
  rt::CondVar cv("cv");
  int tickets = 0;
  std::vector<rt::Task> tasks;
  for (int i = 0; i < 3; ++i) {
    tasks.push_back(rt::spawn("waiter" + std::to_string(i), [&] {
      rt::Lock lock(mu);
      cv.wait(
          lock, [&] { return tickets > 0; }, "wait for a ticket");
      --tickets;
    }));
  }
  for (int i = 0; i < 2; ++i) {
    tasks.push_back(rt::spawn("sleeper" + std::to_string(i), [&] {
      rt::sleep_for(std::chrono::milliseconds(5));
      const uint64_t extra = Choose(3, ChoiceKind::kWorkload);
      rt::LockGuard guard(mu);
      tickets += 1 + static_cast<int>(extra == 2);
      cv.notify_one();
    }));
  }
  rt::sleep_for(std::chrono::milliseconds(10));
  {
    rt::LockGuard guard(mu);
    tickets += 3;
    cv.notify_all();
  }
  for (rt::Task& t : tasks) t.join();
}

TEST(Scheduler, ReplayOfARecordedLogReproducesTheTraceHash) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    RandomSource random(seed);
    RunResult original = sim::Run(random, {}, Busy);
    ASSERT_TRUE(original.ok()) << Describe(original);
    ReplaySource replay(original.choice_log);
    RunResult again = sim::Run(replay, {}, Busy);
    ASSERT_TRUE(again.ok()) << Describe(again);
    EXPECT_FALSE(replay.diverged()) << replay.divergence();
    EXPECT_TRUE(replay.fully_consumed());
    EXPECT_EQ(again.trace_hash, original.trace_hash) << "seed " << seed;
    EXPECT_EQ(again.choice_log, original.choice_log);
  }
}

TEST(Scheduler, EveryKindOfDecisionIsAsked) {
  bool seen[kChoiceKindCount] = {};
  for (uint64_t seed = 0; seed < 20; ++seed) {
    RandomSource random(seed);
    RunResult r = sim::Run(random, {}, Busy);
    ASSERT_TRUE(r.ok()) << Describe(r);
    for (const ChoiceRecord& c : r.choice_log) seen[static_cast<int>(c.kind)] = true;
  }
  EXPECT_TRUE(seen[static_cast<int>(ChoiceKind::kSchedule)]);
  EXPECT_TRUE(seen[static_cast<int>(ChoiceKind::kTime)]);
  EXPECT_TRUE(seen[static_cast<int>(ChoiceKind::kWorkload)]);
}

TEST(Scheduler, ReplayingAgainstDifferentCodeIsReportedAsNondeterminism) {
  RandomSource random(3);
  RunResult original = sim::Run(random, {}, Busy);
  ASSERT_TRUE(original.ok());
  ReplaySource replay(original.choice_log);
  // Same start, then a workload choice the recording never made.
  RunResult r = sim::Run(replay, {}, [] {
    rt::Task t = rt::spawn("other", [] { rt::yield(); });
    Choose(5, ChoiceKind::kNet);
    t.join();
  });
  EXPECT_EQ(r.outcome, Outcome::kNondeterminism) << Describe(r);
  EXPECT_TRUE(testing::Contains(r.report, "replay diverged at choice #")) << r.report;
}

TEST(VirtualTime, JumpsStraightToTheNextTimer) {
  IntSource zeros({});
  rt::TimePoint woke;
  RunResult r = sim::Run(zeros, {}, [&] {
    EXPECT_EQ(rt::now().time_since_epoch().count(), 0);
    rt::sleep_for(std::chrono::hours(1));
    woke = rt::now();
  });
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(woke.time_since_epoch(), std::chrono::hours(1));
  EXPECT_EQ(r.end_time, std::chrono::nanoseconds(std::chrono::hours(1)).count());
}

TEST(VirtualTime, DoesNotMoveWhileAFiberCanRun) {
  IntSource zeros({});
  int64_t seen_by_spinner = -1;
  RunResult r = sim::Run(zeros, {}, [&] {
    rt::Task sleeper = rt::spawn("sleeper", [] { rt::sleep_for(std::chrono::seconds(1)); });
    rt::Task spinner = rt::spawn("spinner", [&] {
      for (int i = 0; i < 50; ++i) rt::yield();
      seen_by_spinner = rt::now().time_since_epoch().count();
    });
    sleeper.join();
    spinner.join();
  });
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(seen_by_spinner, 0);
  EXPECT_EQ(r.end_time, 1'000'000'000);
}

TEST(VirtualTime, SameDeadlineTimersFireInTheChosenOrder) {
  for (uint64_t pick : {0, 1}) {
    // Only the kTime decision is steered; schedule decisions stay at 0, so
    // the first woken fiber (the longest runnable) runs first.
    ScriptedSource source(
        [&](const ChoiceRequest& q) -> uint64_t { return q.kind == ChoiceKind::kTime ? pick : 0; });
    std::string order;
    RunResult r = sim::Run(source, {}, [&] {
      const rt::TimePoint t = rt::now() + std::chrono::seconds(1);
      rt::Task first = rt::spawn("first", [&] {
        rt::sleep_until(t);
        order += "first ";
      });
      rt::Task second = rt::spawn("second", [&] {
        rt::sleep_until(t);
        order += "second ";
      });
      first.join();
      second.join();
    });
    ASSERT_TRUE(r.ok()) << Describe(r);
    EXPECT_EQ(order, pick == 0 ? "first second " : "second first ");
    EXPECT_EQ(std::count(source.requests.begin(), source.requests.end(), ChoiceKind::kTime), 1);
  }
}

TEST(Stacks, AreReusedAcrossRuns) {
  std::string log;
  for (uint64_t seed = 0; seed < 20; ++seed) {  // maps what the pool lacks
    RandomSource random(seed);
    ASSERT_TRUE(TwoWriters(random, log).ok());
  }
  const uint64_t mapped = fiber::StackPool::ForThisThread().mapped_total();
  EXPECT_LE(mapped, 3u + fiber::StackPool::kMaxFree);  // bounded by fibers alive at once
  for (int i = 0; i < 1000; ++i) {
    RandomSource random(static_cast<uint64_t>(i));
    RunResult r = TwoWriters(random, log);
    ASSERT_TRUE(r.ok()) << Describe(r);
  }
  EXPECT_EQ(fiber::StackPool::ForThisThread().mapped_total(), mapped);
}

TEST(Stacks, SizeIsConfigurable) {
  IntSource zeros({});
  RunOptions options;
  options.stack_bytes = 2 * 1024 * 1024;
  RunResult r = sim::Run(zeros, options, [] {
    // 1 MiB of locals would overflow a default 256 KiB stack.
    volatile char big[1 << 20];
    big[0] = 1;
    big[sizeof(big) - 1] = 2;
    rt::yield();
    EXPECT_EQ(big[0] + big[sizeof(big) - 1], 3);
  });
  EXPECT_TRUE(r.ok()) << Describe(r);
}

}  // namespace
}  // namespace drpc::sim

// How runs fail: deadlock reports, the step limit, invariants and exceptions
// inside fibers, step hooks, and abandoning parked fibers safely.
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "drpc/base/check.h"
#include "drpc/rt/rt.h"
#include "sim/sched/input_source.h"
#include "sim/sched/random_source.h"
#include "sim/sched/run.h"
#include "tests/sim/sim_test_util.h"

namespace drpc::sim {
namespace {

using testing::Contains;
using testing::Describe;
using testing::ScriptedSource;

// Two fibers take two mutexes in opposite order, each sleeping while it
// holds its first one: a deadlock under every schedule.
RunResult LockOrderDeadlock() {
  IntSource zeros({});
  return sim::Run(zeros, {}, [] {
    rt::Mutex m1("m1"), m2("m2");
    rt::Task a = rt::spawn("a", [&] {
      rt::LockGuard g1(m1);
      rt::sleep_for(std::chrono::milliseconds(1));
      rt::LockGuard g2(m2);
    });
    rt::Task b = rt::spawn("b", [&] {
      rt::LockGuard g2(m2);
      rt::sleep_for(std::chrono::milliseconds(1));
      rt::LockGuard g1(m1);
    });
    a.join();
    b.join();
  });
}

TEST(Deadlock, ReportNamesFibersPrimitivesHoldersAndLabels) {
  RunResult r = LockOrderDeadlock();
  ASSERT_EQ(r.outcome, Outcome::kDeadlock) << Describe(r);
  EXPECT_TRUE(Contains(r.report, "deadlock: no fiber can run and no timer is pending")) << r.report;
  EXPECT_TRUE(Contains(r.report, "fiber #2 a waits on mutex \"m2\"#")) << r.report;
  EXPECT_TRUE(Contains(r.report, "held by #3 b at \"lock\"")) << r.report;
  EXPECT_TRUE(Contains(r.report, "fiber #3 b waits on mutex \"m1\"#")) << r.report;
  EXPECT_TRUE(Contains(r.report, "held by #2 a at \"lock\"")) << r.report;
  EXPECT_TRUE(Contains(r.report, "fiber #1 main waits on task \"a\"#")) << r.report;
  EXPECT_TRUE(Contains(r.report, "at \"join\"")) << r.report;
  EXPECT_FALSE(r.trace_tail.empty());
  EXPECT_EQ(r.abandoned_stacks, 3u);  // main, a and b were all left parked
}

TEST(Deadlock, ReportGivesTheConditionVariableWaitLabel) {
  IntSource zeros({});
  RunResult r = sim::Run(zeros, {}, [] {
    rt::Mutex mu("queue.mu");
    rt::CondVar cv("queue.not_empty");
    rt::Lock lock(mu);
    cv.wait(
        lock, [] { return false; }, "consumer: wait for an item");
  });
  ASSERT_EQ(r.outcome, Outcome::kDeadlock) << Describe(r);
  EXPECT_TRUE(Contains(r.report, "fiber #1 main waits on condvar \"queue.not_empty\"#"))
      << r.report;
  EXPECT_TRUE(Contains(r.report, "at \"consumer: wait for an item\"")) << r.report;
}

TEST(Deadlock, MainReturningWhileAFiberIsBlockedIsAFailure) {
  // The objects (and the task handle) outlive main on purpose: destroying a
  // condvar with waiters, or an unjoined task, would fail the run earlier.
  rt::Mutex mu("forever");
  rt::CondVar cv("never.notified");
  rt::Task orphan;
  IntSource zeros({});
  RunResult r = sim::Run(zeros, {}, [&] {
    orphan = rt::spawn("orphan", [&] {
      rt::Lock lock(mu);
      cv.wait(lock, "orphan: wait forever");
    });
  });
  ASSERT_EQ(r.outcome, Outcome::kDeadlock) << Describe(r);
  EXPECT_TRUE(Contains(r.report, "main has returned")) << r.report;
  EXPECT_TRUE(Contains(r.report, "#2 orphan waits on condvar \"never.notified\"")) << r.report;
  EXPECT_TRUE(Contains(r.report, "at \"orphan: wait forever\"")) << r.report;
}

TEST(StepLimit, StopsALivelockAndSaysSo) {
  RandomSource random(1);
  RunOptions options;
  options.max_steps = 500;
  RunResult r = sim::Run(random, options, [] {
    rt::Atomic<bool> done(false, "done");
    rt::Task spinner = rt::spawn("spinner", [&] {
      while (!done.load()) rt::yield();  // nobody ever sets it
    });
    spinner.join();
  });
  ASSERT_EQ(r.outcome, Outcome::kStepLimit) << Describe(r);
  EXPECT_EQ(r.steps, 500u);
  EXPECT_TRUE(Contains(r.report, "step limit: 500 scheduling steps")) << r.report;
  EXPECT_TRUE(Contains(r.report, "runnable: #2 spinner")) << r.report;
}

TEST(Invariants, DrpcAssertInAFiberFailsTheRunNotTheProcess) {
  IntSource zeros({});
  RunResult r = sim::Run(zeros, {}, [] {
    rt::Task t = rt::spawn("checker", [] {
      rt::yield();
      DRPC_ASSERT(1 + 1 == 3, "arithmetic is broken");
    });
    t.join();
  });
  ASSERT_EQ(r.outcome, Outcome::kInvariantFailed) << Describe(r);
  EXPECT_TRUE(Contains(r.report, "invariant violated: arithmetic is broken")) << r.report;
  EXPECT_TRUE(Contains(r.report, "in fiber #2 \"checker\"")) << r.report;
  EXPECT_TRUE(Contains(r.trace_tail, "RUN FAILS here")) << r.trace_tail;
}

TEST(Invariants, SimFailReportsAndAbandonsTheFiber) {
  IntSource zeros({});
  bool after_fail = false;
  RunResult r = sim::Run(zeros, {}, [&] {
    Fail("the ledger does not balance");
    after_fail = true;
  });
  EXPECT_EQ(r.outcome, Outcome::kInvariantFailed);
  EXPECT_TRUE(Contains(r.report, "the ledger does not balance"));
  EXPECT_FALSE(after_fail);
}

TEST(Invariants, AbandonedFibersKeepTheirObjectsAndNeverRunDestructors) {
  // A parked fiber owns a heap object and an object whose destructor would
  // perform an rt operation. The run fails elsewhere. Nothing may unwind the
  // parked fiber (the destructor would assert outside a run), and under
  // LeakSanitizer the heap object must not be reported.
  static int destructor_runs = 0;
  struct LocksInDestructor {
    explicit LocksInDestructor(rt::Mutex* m) : mu(m) {}
    ~LocksInDestructor() {
      ++destructor_runs;
      rt::LockGuard guard(*mu);
    }
    rt::Mutex* mu;
  };
  IntSource zeros({});
  RunResult r = sim::Run(zeros, {}, [] {
    rt::Mutex mu("owned");
    rt::CondVar cv("parked");
    rt::Task parked = rt::spawn("parked", [&] {
      auto heap = std::make_unique<std::string>(1000, 'x');
      LocksInDestructor guard(&mu);
      rt::Lock lock(mu);
      cv.wait(lock, "parked forever");
    });
    rt::sleep_for(std::chrono::milliseconds(1));  // lets "parked" park
    // A fiber that never starts, whose body owns such an object too.
    rt::Task unstarted =
        rt::spawn("unstarted", [owned = std::make_shared<LocksInDestructor>(&mu)] {});
    Fail("planted failure while others are parked");
  });
  EXPECT_EQ(r.outcome, Outcome::kInvariantFailed) << Describe(r);
  EXPECT_EQ(destructor_runs, 0);
  EXPECT_GE(r.abandoned_stacks, 2u);
}

TEST(Exceptions, AStdExceptionFailsTheRunAndCanBeRethrown) {
  IntSource zeros({});
  RunResult r = sim::Run(zeros, {}, [] {
    rt::Task t = rt::spawn("thrower", [] {
      rt::yield();
      throw std::runtime_error("boom");
    });
    t.join();
  });
  ASSERT_EQ(r.outcome, Outcome::kUncaughtException) << Describe(r);
  EXPECT_TRUE(
      Contains(r.report, "uncaught exception in fiber #2 \"thrower\": std::exception: boom"))
      << r.report;
  ASSERT_TRUE(r.exception);
  EXPECT_THROW(std::rethrow_exception(r.exception), std::runtime_error);
}

TEST(Exceptions, ANonStdExceptionIsKeptForTheCaller) {
  struct NotAStdException {
    int code;
  };
  IntSource zeros({});
  RunResult r = sim::Run(zeros, {}, [] { throw NotAStdException{42}; });
  ASSERT_EQ(r.outcome, Outcome::kUncaughtException);
  EXPECT_TRUE(Contains(r.report, "not a std::exception"));
  try {
    std::rethrow_exception(r.exception);
    FAIL() << "nothing rethrown";
  } catch (const NotAStdException& e) {
    EXPECT_EQ(e.code, 42);
  }
}

TEST(Exceptions, CaughtInsideAFiberAcrossSwitchesIsFine) {
  RandomSource random(9);
  RunResult r = sim::Run(random, {}, [] {
    auto body = [] {
      for (int i = 0; i < 20; ++i) {
        try {
          rt::yield();
          throw std::runtime_error("inner");
        } catch (const std::runtime_error&) {
          rt::yield();
        }
      }
    };
    rt::Task a = rt::spawn("a", body);
    rt::Task b = rt::spawn("b", body);
    a.join();
    b.join();
  });
  EXPECT_TRUE(r.ok()) << Describe(r);
}

TEST(StepHooks, RunAtEverySchedulingPoint) {
  IntSource zeros({});
  int calls = 0;
  RunResult r = sim::Run(zeros, {}, [&] {
    StepHook hook([&] { ++calls; });
    for (int i = 0; i < 10; ++i) rt::yield();
  });
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(calls, 10);
}

TEST(StepHooks, AFailingCheckFailsTheRunAtThatStep) {
  RandomSource random(4);
  RunResult r = sim::Run(random, {}, [] {
    int balance = 0;  // must stay even at every scheduling point
    StepHook hook([&] { DRPC_ASSERT(balance % 2 == 0, "balance is odd"); });
    ++balance;
    rt::yield();  // the hook sees the odd balance here
    ++balance;
  });
  ASSERT_EQ(r.outcome, Outcome::kInvariantFailed) << Describe(r);
  EXPECT_TRUE(Contains(r.report, "balance is odd"));
  EXPECT_TRUE(Contains(r.report, "step 1,")) << r.report;
}

TEST(StepHooks, MayNotPerformRtOperations) {
  IntSource zeros({});
  RunResult r = sim::Run(zeros, {}, [] {
    rt::Mutex mu("mu");
    StepHook hook([&] { rt::LockGuard guard(mu); });
    rt::yield();
  });
  ASSERT_EQ(r.outcome, Outcome::kInvariantFailed) << Describe(r);
  EXPECT_TRUE(Contains(r.report, "inside a step hook")) << r.report;
}

TEST(Runs, DoNotNest) {
  IntSource zeros({});
  RunResult r = sim::Run(zeros, {}, [] {
    IntSource inner({});
    (void)sim::Run(inner, {}, [] {});
  });
  ASSERT_EQ(r.outcome, Outcome::kInvariantFailed);
  EXPECT_TRUE(Contains(r.report, "runs do not nest")) << r.report;
}

TEST(Runs, TooManyFibersFailsTheRun) {
  IntSource zeros({});
  RunOptions options;
  options.max_fibers = 5;
  RunResult r = sim::Run(zeros, options, [] {
    std::vector<rt::Task> tasks;
    for (int i = 0; i < 10; ++i) tasks.push_back(rt::spawn("t", [] {}));
    for (rt::Task& t : tasks) t.join();
  });
  ASSERT_EQ(r.outcome, Outcome::kInvariantFailed);
  EXPECT_TRUE(Contains(r.report, "at most 5 fibers")) << r.report;
}

TEST(Runs, ATaskDestroyedWithoutJoinFailsTheRun) {
  IntSource zeros({});
  RunResult r = sim::Run(zeros, {}, [] { rt::Task t = rt::spawn("forgotten", [] {}); });
  ASSERT_EQ(r.outcome, Outcome::kInvariantFailed);
  EXPECT_TRUE(Contains(r.report, "rt::Task \"forgotten\" destroyed without join")) << r.report;
}

using RunsDeathTest = ::testing::Test;

TEST(RunsDeathTest, RtOperationsOutsideARunAssert) {
  EXPECT_DEATH(
      {
        rt::Mutex mu("outside");
        mu.lock();
      },
      "rt::Mutex::lock called outside a simulated run");
  EXPECT_DEATH(rt::yield(), "rt::yield called outside a simulated run");
}

TEST(RunsDeathTest, AStackOverflowCrashesLoudly) {
  // The guard page below each stack turns an overflow into SIGSEGV (or an
  // ASan stack-overflow report) instead of silent corruption.
  RunOptions options;
  options.stack_bytes = 64 * 1024;
  EXPECT_DEATH(
      {
        IntSource zeros({});
        (void)sim::Run(zeros, options, [] {
          struct Recurse {
            static int Down(int depth) {
              volatile char frame[1024];
              frame[0] = static_cast<char>(depth);
              return depth > 1'000'000 ? frame[0] : Down(depth + 1) + frame[0];
            }
          };
          (void)Recurse::Down(0);
        });
      },
      "");
}

}  // namespace
}  // namespace drpc::sim

// The rt API on the simulator backend: each primitive behaves like its std
// counterpart, and each operation is a place where the scheduler can switch.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "drpc/rt/rt.h"
#include "sim/sched/input_source.h"
#include "sim/sched/random_source.h"
#include "sim/sched/run.h"
#include "tests/sim/sim_test_util.h"

namespace drpc::sim {
namespace {

using namespace std::chrono_literals;
using testing::Contains;
using testing::Describe;
using testing::ScriptedSource;

// Two fibers each add 1 to `count` 20 times: with the mutex, or as a read, a
// scheduling point and a write (the classic lost update).
RunResult Counter(uint64_t seed, bool locked, int& count) {
  RandomSource random(seed);
  return sim::Run(random, {}, [&] {
    rt::Mutex mu("counter.mu");
    count = 0;
    auto add = [&] {
      for (int i = 0; i < 20; ++i) {
        if (locked) {
          rt::LockGuard guard(mu);
          int seen = count;
          rt::yield();
          count = seen + 1;
        } else {
          int seen = count;
          rt::yield();
          count = seen + 1;
        }
      }
    };
    rt::Task a = rt::spawn("a", add);
    rt::Task b = rt::spawn("b", add);
    a.join();
    b.join();
  });
}

TEST(Mutex, ExcludesUnderEverySchedule) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    int count = -1;
    RunResult r = Counter(seed, true, count);
    ASSERT_TRUE(r.ok()) << Describe(r);
    ASSERT_EQ(count, 40) << "seed " << seed;
  }
}

TEST(Mutex, WithoutItTheSchedulerFindsTheLostUpdate) {
  int lost = 0;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    int count = -1;
    RunResult r = Counter(seed, false, count);
    ASSERT_TRUE(r.ok()) << Describe(r);
    lost += count != 40;
  }
  EXPECT_GT(lost, 25);
}

TEST(Mutex, TryLockFailsWhileHeld) {
  IntSource zeros({});
  RunResult r = sim::Run(zeros, {}, [] {
    rt::Mutex mu("mu");
    EXPECT_TRUE(mu.try_lock());
    rt::Task other = rt::spawn("other", [&] { EXPECT_FALSE(mu.try_lock()); });
    other.join();
    mu.unlock();
    rt::Task again = rt::spawn("again", [&] {
      EXPECT_TRUE(mu.try_lock());
      mu.unlock();
    });
    again.join();
  });
  EXPECT_TRUE(r.ok()) << Describe(r);
}

TEST(Mutex, RelockingFromTheHolderIsReported) {
  IntSource zeros({});
  RunResult r = sim::Run(zeros, {}, [] {
    rt::Mutex mu("not.recursive");
    rt::LockGuard once(mu);
    rt::LockGuard twice(mu);
  });
  ASSERT_EQ(r.outcome, Outcome::kInvariantFailed);
  EXPECT_TRUE(Contains(r.report, "locked again by the fiber holding it")) << r.report;
}

TEST(Mutex, UnlockByANonHolderIsReported) {
  IntSource zeros({});
  RunResult r = sim::Run(zeros, {}, [] {
    rt::Mutex mu("mu");
    mu.unlock();
  });
  ASSERT_EQ(r.outcome, Outcome::kInvariantFailed);
  EXPECT_TRUE(Contains(r.report, "does not hold it")) << r.report;
}

TEST(CondVar, NotifyOneWakesTheWaiterTheDecisionSourcePicks) {
  for (uint64_t pick = 0; pick < 3; ++pick) {
    // Only the waiter choice of the one notify_one is steered; it offers the
    // three waiters in arrival order and has no current fiber.
    bool notifying = false;
    std::vector<FiberId> offered;
    ScriptedSource source([&](const ChoiceRequest& q) -> uint64_t {
      if (!notifying) {
        EXPECT_FALSE(q.picks_waiter);
        return 0;
      }
      EXPECT_TRUE(q.picks_waiter);
      EXPECT_EQ(q.current, kNoFiber);
      offered.assign(q.candidates.begin(), q.candidates.end());
      return pick;
    });
    std::string woken;
    RunResult r = sim::Run(source, {}, [&] {
      rt::Mutex mu("mu");
      rt::CondVar cv("cv");
      int waiting = 0;
      std::vector<rt::Task> waiters;
      for (int i = 0; i < 3; ++i) {
        waiters.push_back(rt::spawn("w" + std::to_string(i), [&, i] {
          rt::Lock lock(mu);
          ++waiting;
          cv.wait(lock, "wait for a notify");
          if (woken.empty()) woken = "w" + std::to_string(i);
        }));
      }
      rt::sleep_for(1ms);  // every waiter runs and parks on cv, in spawn order
      {
        rt::LockGuard guard(mu);
        EXPECT_EQ(waiting, 3);
        notifying = true;
        cv.notify_one();
        notifying = false;
      }
      rt::sleep_for(1ms);  // only the chosen waiter wakes
      {
        rt::LockGuard guard(mu);
        EXPECT_FALSE(woken.empty());
        cv.notify_all();
      }
      for (rt::Task& t : waiters) t.join();
    });
    ASSERT_TRUE(r.ok()) << Describe(r);
    EXPECT_EQ(offered, (std::vector<FiberId>{2, 3, 4}));
    EXPECT_EQ(woken, "w" + std::to_string(pick));
  }
}

TEST(CondVar, WaitUntilTimesOutInVirtualTime) {
  IntSource zeros({});
  RunResult r = sim::Run(zeros, {}, [] {
    rt::Mutex mu("mu");
    rt::CondVar cv("cv");
    rt::Lock lock(mu);
    const rt::TimePoint deadline = rt::now() + 250ms;
    EXPECT_EQ(cv.wait_until(lock, deadline, "nobody notifies"), rt::WaitStatus::kTimeout);
    EXPECT_EQ(rt::now(), deadline);
    EXPECT_TRUE(lock.owns_lock());
    // A deadline already passed times out at once, without waiting.
    EXPECT_EQ(cv.wait_until(lock, deadline, "already late"), rt::WaitStatus::kTimeout);
    EXPECT_EQ(rt::now(), deadline);
  });
  EXPECT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(r.end_time, 250'000'000);
}

TEST(CondVar, ANotifyBeforeTheDeadlineWins) {
  IntSource zeros({});
  RunResult r = sim::Run(zeros, {}, [] {
    rt::Mutex mu("mu");
    rt::CondVar cv("cv");
    bool ready = false;
    rt::Task notifier = rt::spawn("notifier", [&] {
      rt::sleep_for(10ms);
      rt::LockGuard guard(mu);
      ready = true;
      cv.notify_one();
    });
    {
      rt::Lock lock(mu);
      EXPECT_TRUE(cv.wait_until(
          lock, rt::now() + 1s, [&] { return ready; }, "wait for ready"));
      EXPECT_EQ(rt::now().time_since_epoch(), 10ms);
    }
    notifier.join();
  });
  EXPECT_TRUE(r.ok()) << Describe(r);
  // The abandoned 1 s timer does not hold the run open or move the clock.
  EXPECT_EQ(r.end_time, 10'000'000);
}

TEST(CondVar, WaitWithoutTheLockIsReported) {
  IntSource zeros({});
  RunResult r = sim::Run(zeros, {}, [] {
    rt::Mutex mu("mu");
    rt::CondVar cv("cv");
    rt::Lock lock(mu, std::defer_lock);
    cv.wait(lock, "no lock");
  });
  ASSERT_EQ(r.outcome, Outcome::kInvariantFailed);
  EXPECT_TRUE(Contains(r.report, "without the lock")) << r.report;
}

TEST(Task, JoinWaitsForTheBodyAndSpawnOrderGivesIds) {
  IntSource zeros({});
  std::vector<uint64_t> ids;
  RunResult r = sim::Run(zeros, {}, [&] {
    bool done = false;
    rt::Task t = rt::spawn("worker", [&] {
      ids.push_back(rt::current_task().id);
      rt::sleep_for(1s);
      done = true;
    });
    rt::Task u = rt::spawn("second", [&] { ids.push_back(rt::current_task().id); });
    t.join();
    EXPECT_TRUE(done);
    EXPECT_FALSE(t.joinable());
    u.join();
  });
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(ids, (std::vector<uint64_t>{2, 3}));
}

TEST(Task, CurrentTaskReportsTheStep) {
  IntSource zeros({});
  std::vector<uint64_t> steps;
  RunResult r = sim::Run(zeros, {}, [&] {
    for (int i = 0; i < 3; ++i) {
      steps.push_back(rt::current_task().step);
      rt::yield();
    }
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(steps, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(rt::current_task().id, 0u);  // outside a run: "no task"
}

TEST(Atomic, OperationsHaveStdSemantics) {
  IntSource zeros({});
  RunResult r = sim::Run(zeros, {}, [] {
    rt::Atomic<int> a(5, "a");
    EXPECT_EQ(a.load(), 5);
    a.store(7);
    EXPECT_EQ(a.exchange(9), 7);
    int expected = 1;
    EXPECT_FALSE(a.compare_exchange(expected, 2));
    EXPECT_EQ(expected, 9);
    EXPECT_TRUE(a.compare_exchange(expected, 2));
    EXPECT_EQ(a.fetch_add(3), 2);
    EXPECT_EQ(a.fetch_sub(1), 5);
    EXPECT_EQ(a.load(), 4);
  });
  EXPECT_TRUE(r.ok()) << Describe(r);
}

TEST(Atomic, EachAccessIsASchedulingPoint) {
  // check-then-act on an atomic flag: two fibers both see "free" and both
  // claim it, under some schedule.
  int double_claims = 0;
  for (uint64_t seed = 0; seed < 100; ++seed) {
    RandomSource random(seed);
    int claims = 0;
    RunResult r = sim::Run(random, {}, [&] {
      rt::Atomic<bool> taken(false, "taken");
      auto claim = [&] {
        if (!taken.load()) {
          taken.store(true);
          ++claims;
        }
      };
      rt::Task a = rt::spawn("a", claim);
      rt::Task b = rt::spawn("b", claim);
      a.join();
      b.join();
    });
    ASSERT_TRUE(r.ok());
    double_claims += claims == 2;
  }
  EXPECT_GT(double_claims, 0);
  EXPECT_LT(double_claims, 100);
}

TEST(Signal, SetWakesWaitersAndWaitAnyReturnsTheFirstSet) {
  for (uint64_t seed = 0; seed < 100; ++seed) {
    RandomSource random(seed);
    RunResult r = sim::Run(random, {}, [] {
      rt::Signal recv("recv"), term("term");
      size_t which = 99;
      rt::Task waiter = rt::spawn("waiter", [&] { which = rt::wait_any({&recv, &term}, "any"); });
      rt::Task plain = rt::spawn("plain", [&] { term.wait("term"); });
      rt::Task setter = rt::spawn("setter", [&] {
        rt::sleep_for(1ms);
        EXPECT_TRUE(term.set(CanceledError()));
        EXPECT_FALSE(term.set(Status()));
      });
      waiter.join();
      plain.join();
      setter.join();
      EXPECT_EQ(which, 1u);
      EXPECT_TRUE(term.err().is(ErrorKind::kCanceled));
      EXPECT_FALSE(recv.wait_until(rt::now() + 5ms, "times out"));
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << Describe(r);
  }
}

}  // namespace
}  // namespace drpc::sim

// rt::Task, rt::Clock and rt::Atomic on the OS backend.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "drpc/rt/atomic.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/task.h"
#include "drpc/rt/time.h"

namespace drpc::rt {
namespace {

using namespace std::chrono_literals;

TEST(RtOsTaskTest, JoinWaitsForTheBody) {
  Atomic<int> steps(0);
  Task t = spawn("worker", [&] {
    sleep_for(2ms);
    steps.store(1);
  });
  EXPECT_TRUE(t.joinable());
  t.join();
  EXPECT_FALSE(t.joinable());
  EXPECT_EQ(steps.load(), 1);
}

TEST(RtOsTaskTest, DefaultTaskIsNotJoinable) {
  Task t;
  EXPECT_FALSE(t.joinable());
}

TEST(RtOsTaskTest, BodyMayOwnMoveOnlyState) {
  auto owned = std::make_unique<int>(41);
  int seen = 0;
  Task t = spawn("owner", [p = std::move(owned), &seen] { seen = *p + 1; });
  t.join();
  EXPECT_EQ(seen, 42);
}

TEST(RtOsTaskTest, MoveTransfersTheThread) {
  Task a = spawn("moved", [] {});
  Task b(std::move(a));
  EXPECT_FALSE(a.joinable());  // NOLINT(bugprone-use-after-move): testing it
  EXPECT_TRUE(b.joinable());
  Task c;
  c = std::move(b);
  EXPECT_FALSE(b.joinable());  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(c.joinable());
  c.join();
}

TEST(RtOsTaskTest, CurrentTaskNamesTheSpawnedTaskAndMain) {
  const TaskInfo main_info = current_task();
  EXPECT_EQ(main_info.id, 0u);
  EXPECT_EQ(main_info.name, "main");
  EXPECT_EQ(main_info.step, 0u);

  TaskInfo first;
  TaskInfo second;
  Task a = spawn("reader", [&] { first = current_task(); });
  a.join();
  Task b = spawn("writer", [&] { second = current_task(); });
  b.join();
  EXPECT_EQ(first.name, "reader");
  EXPECT_EQ(second.name, "writer");
  EXPECT_GT(first.id, 0u);
  EXPECT_GT(second.id, first.id);  // assigned in spawn order, never reused
}

TEST(RtOsTaskTest, IdsAreDistinctAcrossConcurrentSpawns) {
  constexpr int kTasks = 16;
  Mutex m("ids");
  std::set<uint64_t> ids;
  std::vector<Task> tasks;
  for (int i = 0; i < kTasks; ++i) {
    tasks.push_back(spawn("t" + std::to_string(i), [&, i] {
      const TaskInfo info = current_task();
      EXPECT_EQ(info.name, "t" + std::to_string(i));
      LockGuard guard(m);
      ids.insert(info.id);
    }));
  }
  for (Task& t : tasks) t.join();
  EXPECT_EQ(ids.size(), static_cast<size_t>(kTasks));
  EXPECT_EQ(ids.count(0), 0u);
}

TEST(RtOsTaskTest, YieldReturns) {
  for (int i = 0; i < 10; ++i) yield();
  SUCCEED();
}

TEST(RtOsTaskDeathTest, DroppingAJoinableTaskNamesIt) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH({ Task t = spawn("manager.reader", [] { sleep_for(1s); }); },
               "task 'manager.reader' .*destroyed without join");
}

TEST(RtOsTaskDeathTest, OverwritingAJoinableTaskIsReported) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Task t = spawn("first", [] { sleep_for(1s); });
        t = spawn("second", [] {});
      },
      "task 'first' overwritten by a move while still joinable");
}

TEST(RtOsTaskDeathTest, JoiningItselfIsReported) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Task t;
        Mutex m("m");
        {
          LockGuard guard(m);
          t = spawn("selfish", [&] {
            LockGuard inner(m);  // waits until `t` is assigned
            t.join();
          });
        }
        sleep_for(10s);
      },
      "task 'selfish' joins itself");
}

TEST(RtOsTaskDeathTest, JoinOfANotJoinableTaskIsReported) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Task t;
        t.join();
      },
      "join of a task that is not joinable");
}

TEST(RtOsClockTest, NeverGoesBackwards) {
  TimePoint last = now();
  for (int i = 0; i < 10000; ++i) {
    const TimePoint t = now();
    ASSERT_GE(t, last);
    last = t;
  }
}

TEST(RtOsClockTest, SleepForLastsAtLeastTheDuration) {
  const TimePoint start = now();
  sleep_for(5ms);
  EXPECT_GE(now() - start, 5ms);
}

TEST(RtOsClockTest, SleepUntilAPastDeadlineReturns) {
  sleep_until(now() - 1s);
  sleep_for(Duration::zero());
  SUCCEED();
}

TEST(RtOsClockTest, NoDeadlineIsLaterThanAnyTime) {
  EXPECT_GT(kNoDeadline, now() + 24h * 365 * 100);
}

TEST(RtOsAtomicTest, LoadStoreExchange) {
  Atomic<int> a(7, "a");
  EXPECT_EQ(a.load(), 7);
  a.store(9);
  EXPECT_EQ(a.load(), 9);
  EXPECT_EQ(a.exchange(11), 9);
  EXPECT_EQ(a.load(), 11);
}

TEST(RtOsAtomicTest, CompareExchangeReportsTheCurrentValueOnFailure) {
  Atomic<uint64_t> a(5);
  uint64_t expected = 4;
  EXPECT_FALSE(a.compare_exchange(expected, 10));
  EXPECT_EQ(expected, 5u);
  EXPECT_EQ(a.load(), 5u);
  EXPECT_TRUE(a.compare_exchange(expected, 10));
  EXPECT_EQ(a.load(), 10u);
}

TEST(RtOsAtomicTest, FetchAddAndSubReturnThePreviousValue) {
  Atomic<int64_t> a(0);
  EXPECT_EQ(a.fetch_add(5), 0);
  EXPECT_EQ(a.fetch_sub(2), 5);
  EXPECT_EQ(a.load(), 3);
}

TEST(RtOsAtomicTest, BoolAndEnumValues) {
  enum class Phase : uint8_t { kOpen, kClosed };
  Atomic<bool> flag(false);
  EXPECT_TRUE(!flag.exchange(true));
  EXPECT_TRUE(flag.load());
  Atomic<Phase> phase(Phase::kOpen);
  Phase expected = Phase::kOpen;
  EXPECT_TRUE(phase.compare_exchange(expected, Phase::kClosed));
  EXPECT_EQ(phase.load(), Phase::kClosed);
}

TEST(RtOsAtomicTest, ConcurrentIncrementsAreNotLost) {
  constexpr int kTasks = 4;
  constexpr int kRounds = 50000;
  Atomic<int> counter(0);
  std::vector<Task> tasks;
  for (int i = 0; i < kTasks; ++i) {
    tasks.push_back(spawn("inc", [&] {
      for (int r = 0; r < kRounds; ++r) counter.fetch_add(1);
    }));
  }
  for (Task& t : tasks) t.join();
  EXPECT_EQ(counter.load(), kTasks * kRounds);
}

}  // namespace
}  // namespace drpc::rt

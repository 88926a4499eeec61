// rt::Mutex and rt::CondVar on the OS backend: exclusion, try_lock, waits
// with and without deadlines, and the checked-build misuse reports.
#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "drpc/rt/condvar.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/task.h"
#include "drpc/rt/time.h"

namespace drpc::rt {
namespace {

using namespace std::chrono_literals;

TEST(RtOsMutexTest, KeepsItsName) {
  Mutex m("conn.mu");
  EXPECT_STREQ(m.name(), "conn.mu");
}

TEST(RtOsMutexTest, TryLockFailsWhileAnotherTaskHoldsIt) {
  Mutex m("m");
  Lock lock(m);
  bool got = true;
  Task t = spawn("try", [&] { got = m.try_lock(); });
  t.join();
  EXPECT_FALSE(got);
  lock.unlock();
  Task t2 = spawn("try2", [&] {
    got = m.try_lock();
    if (got) m.unlock();
  });
  t2.join();
  EXPECT_TRUE(got);
}

TEST(RtOsMutexTest, ExcludesConcurrentCriticalSections) {
  constexpr int kTasks = 4;
  constexpr int kRounds = 20000;
  Mutex m("m");
  int counter = 0;             // plain int: only the mutex protects it
  std::atomic<int> inside{0};  // > 1 would mean two tasks in the section
  std::atomic<int> overlaps{0};
  std::vector<Task> tasks;
  for (int i = 0; i < kTasks; ++i) {
    tasks.push_back(spawn("inc", [&] {
      for (int r = 0; r < kRounds; ++r) {
        LockGuard guard(m);
        if (inside.fetch_add(1) != 0) overlaps.fetch_add(1);
        ++counter;
        inside.fetch_sub(1);
      }
    }));
  }
  for (Task& t : tasks) t.join();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(counter, kTasks * kRounds);
}

TEST(RtOsMutexDeathTest, RecursiveLockIsReportedByName) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Mutex m("stream.mu");
        m.lock();
        m.lock();
      },
      "recursive lock of mutex 'stream.mu'");
}

TEST(RtOsMutexDeathTest, UnlockByAnotherTaskIsReported) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Mutex m("pool.mu");
        m.lock();
        Task t = spawn("intruder", [&] { m.unlock(); });
        t.join();
      },
      "unlock of mutex 'pool.mu' by a thread that does not hold it");
}

TEST(RtOsCondVarTest, NotifyOneWakesAWaiterForEveryToken) {
  constexpr int kWaiters = 4;
  Mutex m("m");
  CondVar cv("cv");
  int tokens = 0;
  int consumed = 0;
  std::vector<Task> waiters;
  for (int i = 0; i < kWaiters; ++i) {
    waiters.push_back(spawn("waiter", [&] {
      Lock lock(m);
      cv.wait(
          lock, [&] { return tokens > 0; }, "token");
      --tokens;
      ++consumed;
    }));
  }
  for (int i = 0; i < kWaiters; ++i) {
    LockGuard guard(m);
    ++tokens;
    cv.notify_one();
  }
  for (Task& t : waiters) t.join();
  EXPECT_EQ(consumed, kWaiters);
  EXPECT_EQ(tokens, 0);
}

TEST(RtOsCondVarTest, NotifyAllWakesEveryWaiter) {
  constexpr int kWaiters = 5;
  Mutex m("m");
  CondVar cv("cv");
  bool open = false;
  int waiting = 0;
  int woken = 0;
  std::vector<Task> waiters;
  for (int i = 0; i < kWaiters; ++i) {
    waiters.push_back(spawn("waiter", [&] {
      Lock lock(m);
      ++waiting;
      cv.notify_all();  // tells the opener another waiter is in place
      cv.wait(
          lock, [&] { return open; }, "gate");
      ++woken;
    }));
  }
  {
    Lock lock(m);
    cv.wait(
        lock, [&] { return waiting == kWaiters; }, "all waiting");
    open = true;
    cv.notify_all();
  }
  for (Task& t : waiters) t.join();
  EXPECT_EQ(woken, kWaiters);
}

TEST(RtOsCondVarTest, WaitKeepsTheLockOwnedOnReturn) {
  Mutex m("m");
  CondVar cv("cv");
  bool ready = false;
  Task setter = spawn("setter", [&] {
    LockGuard guard(m);
    ready = true;
    cv.notify_one();
  });
  Lock lock(m);
  cv.wait(
      lock, [&] { return ready; }, "ready");
  EXPECT_TRUE(lock.owns_lock());
  bool other_got_it = true;
  Task probe = spawn("probe", [&] {
    other_got_it = m.try_lock();
    if (other_got_it) m.unlock();
  });
  probe.join();
  EXPECT_FALSE(other_got_it);
  lock.unlock();
  setter.join();
}

TEST(RtOsCondVarTest, WaitUntilTimesOutNoEarlierThanTheDeadline) {
  Mutex m("m");
  CondVar cv("cv");
  Lock lock(m);
  const TimePoint deadline = now() + 20ms;
  WaitStatus status = WaitStatus::kNotified;
  // Spurious wakeups may return kNotified early; loop until the deadline.
  for (int i = 0; i < 1000 && status != WaitStatus::kTimeout; ++i) {
    status = cv.wait_until(lock, deadline, "nothing");
  }
  EXPECT_EQ(status, WaitStatus::kTimeout);
  EXPECT_GE(now(), deadline);
  EXPECT_TRUE(lock.owns_lock());
}

TEST(RtOsCondVarTest, PredicateWaitUntilReportsTimeoutAsFalse) {
  Mutex m("m");
  CondVar cv("cv");
  Lock lock(m);
  EXPECT_FALSE(cv.wait_until(
      lock, now() + 5ms, [] { return false; }, "never"));
  EXPECT_FALSE(cv.wait_until(
      lock, now() - 1s, [] { return false; }, "past deadline"));
  EXPECT_TRUE(cv.wait_until(
      lock, now() - 1s, [] { return true; }, "already true"));
}

TEST(RtOsCondVarTest, PredicateWaitUntilSeesANotificationBeforeTheDeadline) {
  Mutex m("m");
  CondVar cv("cv");
  bool ready = false;
  Task setter = spawn("setter", [&] {
    LockGuard guard(m);
    ready = true;
    cv.notify_all();
  });
  Lock lock(m);
  EXPECT_TRUE(cv.wait_until(
      lock, now() + 60s, [&] { return ready; }, "ready"));
  lock.unlock();
  setter.join();
}

TEST(RtOsCondVarTest, NoDeadlineIsAnUntimedWait) {
  Mutex m("m");
  CondVar cv("cv");
  bool ready = false;
  Task setter = spawn("setter", [&] {
    sleep_for(2ms);
    LockGuard guard(m);
    ready = true;
    cv.notify_all();
  });
  Lock lock(m);
  EXPECT_TRUE(cv.wait_until(
      lock, kNoDeadline, [&] { return ready; }, "ready"));
  lock.unlock();
  setter.join();
}

TEST(RtOsCondVarDeathTest, WaitWithoutTheLockIsReported) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        Mutex m("m");
        CondVar cv("ring.not_empty");
        Lock lock(m, std::defer_lock);
        cv.wait(lock, "dequeue");
      },
      "condvar 'ring.not_empty' wait at 'dequeue' without holding the lock");
}

}  // namespace
}  // namespace drpc::rt

// rt::spawn's idle-thread cache on the OS backend (rt/os/task.cc): task
// bodies run on reused threads, and nothing a caller can see changes.
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "drpc/rt/atomic.h"
#include "drpc/rt/condvar.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/task.h"
#include "drpc/rt/time.h"
#include "drpc/rt/waits.h"
#include "tests/rt/wakeup_deadline.h"

namespace drpc::rt {
namespace {

using namespace std::chrono_literals;

// The kernel's thread id: unlike std::thread::id (a pthread_t, which glibc
// recycles as soon as a thread is joined), it is not reused for a long time,
// so two tasks with the same value ran on the same thread.
long KernelThreadId() { return ::syscall(SYS_gettid); }

TEST(RtOsTaskCacheTest, SequentialTasksReuseThreads) {
  constexpr int kTasks = 200;
  std::set<long> threads;
  for (int i = 0; i < kTasks; ++i) {
    long tid = 0;
    spawn("seq", [&] { tid = KernelThreadId(); }).join();
    threads.insert(tid);
  }
  // Without the cache every task has a thread of its own.
  EXPECT_LT(threads.size(), static_cast<size_t>(kTasks / 2));
}

TEST(RtOsTaskCacheTest, AReusedThreadReportsEachTasksOwnIdAndName) {
  constexpr int kTasks = 50;
  std::vector<TaskInfo> infos(kTasks);
  std::vector<long> tids(kTasks);
  for (int i = 0; i < kTasks; ++i) {
    spawn("task" + std::to_string(i), [&, i] {
      infos[i] = current_task();
      tids[i] = KernelThreadId();
    }).join();
  }
  bool reused = false;
  for (int i = 0; i < kTasks; ++i) {
    EXPECT_EQ(infos[i].name, "task" + std::to_string(i));
    if (i > 0) {
      EXPECT_GT(infos[i].id, infos[i - 1].id);  // fresh, increasing ids
      reused = reused || tids[i] == tids[i - 1];
    }
  }
  EXPECT_TRUE(reused) << "no two consecutive tasks shared a thread";
  EXPECT_EQ(current_task().id, 0u);  // the test's own thread is still "main"
}

// The wait records (rt/os/waits.cc) copy a task's name only when their
// thread runs another task than at its last wait: a reused thread must still
// report each task's own name, never its previous task's.
TEST(RtOsTaskCacheTest, AReusedThreadsWaitsCarryEachTasksName) {
  constexpr int kTasks = 20;
  constexpr int kWaits = 3;  // the first copies the name, the others keep it
  std::set<long> threads;
  for (int i = 0; i < kTasks; ++i) {
    // Longer than the small-string buffer, as real task names are.
    const std::string name = "client.c" + std::to_string(i) + ".reader.with-a-long-name";
    Mutex mu("round");
    CondVar cv("round.cv");
    int started = 0;  // waits the task has begun
    int go = 0;       // waits the test has ended
    long tid = 0;
    Task t = spawn(name, [&] {
      tid = KernelThreadId();
      Lock lock(mu);
      for (int wait = 0; wait < kWaits; ++wait) {
        ++started;
        cv.wait(
            lock, [&] { return go > wait; }, "task_cache_test.wait");
      }
    });
    for (int wait = 0; wait < kWaits; ++wait) {
      // Once the task has begun this wait, any record with the label is
      // this wait's (the previous one ended before `started` moved on).
      for (bool begun = false; !begun; std::this_thread::yield()) {
        Lock lock(mu);
        begun = started == wait + 1;
      }
      std::string seen;
      for (; seen.empty(); std::this_thread::yield()) {
        for (const WaitingTask& w : WaitingTasks()) {
          if (std::string(w.label) == "task_cache_test.wait") seen = w.name;
        }
      }
      EXPECT_EQ(seen, name) << "task " << i << ", wait " << wait;
      Lock lock(mu);
      go = wait + 1;
      cv.notify_all();
    }
    t.join();
    threads.insert(tid);
  }
  EXPECT_LT(threads.size(), static_cast<size_t>(kTasks)) << "no thread was reused";
}

TEST(RtOsTaskCacheTest, CapturesAreDestroyedBeforeJoinReturns) {
  for (int i = 0; i < 100; ++i) {
    auto owned = std::make_shared<int>(i);
    std::weak_ptr<int> watch = owned;
    Task t = spawn("owner", [p = std::move(owned)] { EXPECT_GE(*p, 0); });
    t.join();
    // A cache that signalled "finished" before dropping the body would let
    // the capture outlive join, touching what the joiner frees next.
    EXPECT_TRUE(watch.expired()) << "round " << i;
  }
}

// More tasks at once than the cache keeps idle, each waiting until all of
// them run: spawn must never queue a body behind another running one.
TEST(RtOsTaskCacheTest, EveryTaskRunsAtOnceEvenPastTheCacheSize) {
  constexpr int kTasks = 300;
  for (int round = 0; round < 2; ++round) {  // round 2 starts from a warm cache
    Mutex mu("barrier");
    CondVar all_in("barrier.all_in");
    int arrived = 0;
    bool missed = false;
    std::vector<Task> tasks;
    for (int i = 0; i < kTasks; ++i) {
      tasks.push_back(spawn("waiter", [&] {
        Lock lock(mu);
        ++arrived;
        all_in.notify_all();
        testing::WakeupDeadline deadline;
        if (!all_in.wait_until(
                lock, deadline.at(), [&] { return arrived == kTasks; }, "barrier")) {
          missed = true;
        }
      }));
    }
    for (Task& t : tasks) t.join();
    EXPECT_EQ(arrived, kTasks);
    EXPECT_FALSE(missed) << "some task waited for a body that never started";
  }
}

// A child made by fork() without exec has none of its parent's threads:
// the cache must not hand the child's task to a parked parent thread (the
// child would hang in join).
TEST(RtOsTaskCacheDeathTest, ForkedChildStartsItsOwnWorkers) {
  GTEST_FLAG_SET(death_test_style, "fast");
  spawn("warm", [] {}).join();
  sleep_for(20ms);  // the worker parks in the cache once join has returned
  EXPECT_EXIT(
      {
        ::alarm(10);  // a hung join ends the child by SIGALRM: the test fails, not hangs
        int ran = 0;
        spawn("in child", [&] { ran = 1; }).join();
        std::_Exit(ran == 1 ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace drpc::rt

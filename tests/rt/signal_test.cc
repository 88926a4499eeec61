// rt::Signal and wait_any on the OS backend.
#include "drpc/rt/signal.h"

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "drpc/rt/atomic.h"
#include "drpc/rt/task.h"
#include "drpc/rt/time.h"
#include "drpc/rt/waits.h"
#include "tests/common/watchdog.h"
#include "tests/rt/wakeup_deadline.h"

namespace drpc::rt {
namespace {

using namespace std::chrono_literals;

using testing::WakeupDeadline;

TEST(RtOsSignalTest, StartsUnsetWithOkError) {
  Signal s("term");
  EXPECT_FALSE(s.is_set());
  EXPECT_TRUE(s.err().ok());
  EXPECT_STREQ(s.name(), "term");
}

TEST(RtOsSignalTest, SetReturnsTrueOnlyOnceAndTheFirstErrorWins) {
  Signal s;
  EXPECT_TRUE(s.set(CanceledError()));
  EXPECT_TRUE(s.is_set());
  EXPECT_FALSE(s.set(EofError()));
  EXPECT_FALSE(s.set(OkStatus()));
  EXPECT_EQ(s.err(), CanceledError());
}

TEST(RtOsSignalTest, SetWithOkMeansSetWithoutError) {
  Signal s;
  EXPECT_TRUE(s.set(OkStatus()));
  EXPECT_TRUE(s.is_set());
  EXPECT_TRUE(s.err().ok());
  EXPECT_FALSE(s.set(ClosedError("late")));
  EXPECT_TRUE(s.err().ok());
}

TEST(RtOsSignalTest, RearmUnsetsForAnotherRound) {
  Signal s("drained");
  ASSERT_TRUE(s.set(ClosedError("first")));
  s.Rearm();
  EXPECT_FALSE(s.is_set());
  EXPECT_TRUE(s.err().ok());
  EXPECT_FALSE(s.wait_until(now() + 1ms, "test")) << "a rearmed signal is unset";
  EXPECT_TRUE(s.set(EofError())) << "and the next set wins";
  EXPECT_EQ(s.err(), EofError());
  Signal other;
  EXPECT_EQ(wait_any({&other, &s}, "test"), 1u);
}

TEST(RtOsSignalDeathTest, RearmWhileWaitedOnIsReported) {
  // A wait_any in progress on a signal must not see it rearmed under it.
  EXPECT_DEATH(
      {
        Signal s("drained");
        Signal never;
        Task waiter = spawn("waiter", [&] { wait_any({&never, &s}, "test.rearm"); });
        // Subscribed once it waits (wait_any subscribes, then waits).
        auto waiting = [] {
          for (const WaitingTask& t : WaitingTasks()) {
            if (std::string(t.label) == "test.rearm") return true;
          }
          return false;
        };
        while (!waiting()) yield();
        s.Rearm();
      },
      "rearming signal 'drained' while waited on");
}

TEST(RtOsSignalTest, WaitReturnsOnceSetByAnotherTask) {
  Signal s;
  Task setter = spawn("setter", [&] {
    sleep_for(2ms);
    s.set(ClosedError("closed"));
  });
  s.wait("test");
  EXPECT_TRUE(s.is_set());
  EXPECT_EQ(s.err(), ClosedError("closed"));
  setter.join();
}

TEST(RtOsSignalTest, WaitOnASetSignalReturnsAtOnce) {
  Signal s;
  s.set(OkStatus());
  s.wait("test");
  EXPECT_TRUE(s.wait_until(now() - 1s, "past deadline"));
}

TEST(RtOsSignalTest, WaitUntilTimesOutWhenUnset) {
  Signal s;
  const TimePoint deadline = now() + 10ms;
  EXPECT_FALSE(s.wait_until(deadline, "test"));
  EXPECT_GE(now(), deadline);
  EXPECT_FALSE(s.wait_until(now() - 1s, "past deadline"));
}

TEST(RtOsSignalTest, WaitUntilSeesASetBeforeTheDeadline) {
  Signal s;
  Task setter = spawn("setter", [&] { s.set(OkStatus()); });
  WakeupDeadline deadline;
  EXPECT_TRUE(s.wait_until(deadline.at(), "test"));
  EXPECT_FALSE(deadline.Missed());
  setter.join();
}

TEST(RtOsSignalTest, ManyWaitersAreAllWoken) {
  constexpr int kWaiters = 8;
  Signal s;
  Atomic<int> woken(0);
  std::vector<Task> waiters;
  for (int i = 0; i < kWaiters; ++i) {
    waiters.push_back(spawn("waiter", [&, i] {
      if (i % 2 == 0) {
        s.wait("plain");
      } else {
        WakeupDeadline deadline;
        EXPECT_TRUE(s.wait_until(deadline.at(), "timed"));
        EXPECT_FALSE(deadline.Missed());
      }
      EXPECT_EQ(s.err(), CanceledError());
      woken.fetch_add(1);
    }));
  }
  sleep_for(2ms);
  s.set(CanceledError());
  for (Task& t : waiters) t.join();
  EXPECT_EQ(woken.load(), kWaiters);
}

TEST(RtOsSignalTest, RacingSettersHaveExactlyOneWinnerWhoseErrorSticks) {
  constexpr int kSetters = 8;
  for (int round = 0; round < 50; ++round) {
    Signal s;
    Atomic<int> winners(0);
    Atomic<int> winner_code(-1);
    std::vector<Task> setters;
    for (int i = 0; i < kSetters; ++i) {
      setters.push_back(spawn("setter", [&, i] {
        if (s.set(RemoteError("setter", static_cast<uint64_t>(i)))) {
          winners.fetch_add(1);
          winner_code.store(i);
        }
      }));
    }
    for (Task& t : setters) t.join();
    ASSERT_EQ(winners.load(), 1);
    ASSERT_EQ(s.err().wire_code(), static_cast<uint64_t>(winner_code.load()));
  }
}

TEST(RtOsWaitAnyTest, ReturnsTheLowestSetIndex) {
  Signal a, b, c;
  c.set(OkStatus());
  b.set(OkStatus());
  EXPECT_EQ(wait_any({&a, &b, &c}, "test"), 1u);
  a.set(OkStatus());
  EXPECT_EQ(wait_any({&a, &b, &c}, "test"), 0u);
}

TEST(RtOsWaitAnyTest, BlocksUntilOneIsSetAndReturnsIt) {
  Signal a, b, c;
  Task setter = spawn("setter", [&] {
    sleep_for(2ms);
    c.set(EofError());
  });
  std::array<Signal*, 3> all{&a, &b, &c};
  WakeupDeadline deadline;
  EXPECT_EQ(wait_any_until(all, deadline.at(), "test"), 2u);
  EXPECT_FALSE(deadline.Missed());
  setter.join();
}

TEST(RtOsWaitAnyTest, TimesOutWithSize) {
  Signal a, b;
  std::array<Signal*, 2> both{&a, &b};
  const TimePoint deadline = now() + 10ms;
  EXPECT_EQ(wait_any_until(both, deadline, "test"), 2u);
  EXPECT_GE(now(), deadline);
  EXPECT_EQ(wait_any_until(both, now() - 1s, "past deadline"), 2u);
}

TEST(RtOsWaitAnyTest, ASignalListedTwiceWorks) {
  Signal a, b;
  Task setter = spawn("setter", [&] { b.set(OkStatus()); });
  EXPECT_EQ(wait_any({&a, &b, &a, &b}, "test"), 1u);
  setter.join();
  // And the duplicate subscriptions were all removed: a later set of `a`
  // touches no stale waiter (ASan would see it).
  a.set(OkStatus());
}

// A set racing with wait_any's subscription: whether the set lands before,
// during or after the subscriptions, the waiter must see it. A persistent
// setter is released at the moment wait_any starts and sets the last of many
// signals after a delay that sweeps, round by round, across the window in
// which wait_any subscribes. A lost wakeup shows up as the generous deadline
// passing.
TEST(RtOsWaitAnyTest, ASetDuringSubscriptionIsNotMissed) {
  // 2,000 rounds of two spinning tasks: on a loaded 2-core machine a round
  // waits for the other side to be scheduled, and one run took the default
  // 10 s. A lost set still shows as `missed` (its own 30 s deadline).
  drpc::testing::WatchdogAllows(std::chrono::seconds(60));
  constexpr int kRounds = 2000;
  constexpr size_t kSignals = 256;  // a long subscription loop: a wide window
  Atomic<Signal*> target(nullptr);
  Atomic<int> go(-1);
  Atomic<int> done(-1);
  Atomic<bool> stop(false);
  Atomic<int> spin(0);
  // Spins (then yields) until `ready`; both threads stay hot so the release
  // lands within a microsecond or so.
  auto spin_until = [](auto ready) {
    for (int i = 0; !ready(); ++i) {
      if (i > (1 << 20)) yield();
    }
  };
  Task setter = spawn("setter", [&] {
    for (int round = 0; round < kRounds; ++round) {
      spin_until([&] { return go.load() == round || stop.load(); });
      if (stop.load()) return;
      for (int i = 0; i < (round * 13) % 2000; ++i) spin.fetch_add(1);
      target.load()->set(OkStatus());
      done.store(round);
    }
  });
  for (int round = 0; round < kRounds; ++round) {
    std::array<Signal, kSignals> signals;
    std::array<Signal*, kSignals> all;
    for (size_t i = 0; i < kSignals; ++i) all[i] = &signals[i];
    target.store(&signals[kSignals - 1]);
    go.store(round);
    WakeupDeadline deadline;
    const size_t index = wait_any_until(all, deadline.at(), "test");
    const bool missed = deadline.Missed();
    spin_until([&] { return done.load() == round; });  // before `signals` go
    EXPECT_FALSE(missed) << "round " << round << ": the set was missed";
    EXPECT_EQ(index, kSignals - 1) << "round " << round;
    if (missed || index != kSignals - 1) break;
  }
  stop.store(true);
  setter.join();
}

// The waiter lives on wait_any's stack. A set that races with a timeout must
// be finished with the waiter before wait_any returns and destroys it
// (ASan reports a use after return otherwise).
TEST(RtOsWaitAnyTest, WaiterDestructionRacingASetIsSafe) {
  for (int round = 0; round < 300; ++round) {
    Signal a, b;
    std::array<Signal*, 2> both{&a, &b};
    Task setter = spawn("setter", [&] {
      sleep_for(std::chrono::microseconds(round % 50));
      a.set(OkStatus());
    });
    const size_t index = wait_any_until(both, now() + std::chrono::microseconds(round % 40), "t");
    ASSERT_TRUE(index == 0u || index == 2u);
    setter.join();
    // After the setter finished, `a` is set; asking again must say so.
    ASSERT_EQ(wait_any(both, "after"), 0u);
  }
}

// Each wait_any call subscribes, then unsubscribes, leaving no waiter behind
// on any signal: many calls in a row on the same long-lived signals stay
// bounded and a final set wakes only the current waiter.
TEST(RtOsWaitAnyTest, RepeatedTimeoutsLeaveNoSubscriptionBehind) {
  Signal a, b;
  std::array<Signal*, 2> both{&a, &b};
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(wait_any_until(both, now() - 1ms, "expired"), 2u);
    ASSERT_EQ(wait_any_until(both, now() + 10us, "short"), 2u);
  }
  Task setter = spawn("setter", [&] { b.set(OkStatus()); });
  WakeupDeadline deadline;
  EXPECT_EQ(wait_any_until(both, deadline.at(), "final"), 1u);
  EXPECT_FALSE(deadline.Missed());
  setter.join();
}

TEST(RtOsWaitAnyDeathTest, WaitingOnNoSignalsIsReported) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH((void)wait_any(std::span<Signal* const>(), "stream.recv"),
               "wait_any at 'stream.recv' over no signals");
}

}  // namespace
}  // namespace drpc::rt

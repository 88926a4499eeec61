// Stress tests of the OS backend, meant to run under TSan (label tsan): many
// tasks hammer the same mutexes, condvars, signals, atomics, tasks and
// transports, and each test checks a real invariant at the end (no lost
// item, exactly one winner, every waiter woken). Every wait is bounded by a
// generous deadline (WakeupDeadline), so a lost wakeup fails a test instead
// of hanging it or passing late.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "drpc/rt/atomic.h"
#include "drpc/rt/condvar.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/os/socket_pair.h"
#include "drpc/rt/os/tcp.h"
#include "drpc/rt/signal.h"
#include "drpc/rt/task.h"
#include "drpc/rt/time.h"
#include "tests/rt/four_workers.h"
#include "tests/rt/wakeup_deadline.h"

namespace drpc::rt {
namespace {

using namespace std::chrono_literals;

using testing::WakeupDeadline;

// A few yields, a different number each call, to shake up interleavings.
void Jitter(std::minstd_rand& rng, int max_yields = 4) {
  const int n = static_cast<int>(rng() % static_cast<unsigned>(max_yields + 1));
  for (int i = 0; i < n; ++i) yield();
}

void JoinAll(std::vector<Task>& tasks) {
  for (Task& t : tasks) t.join();
}

// A bounded FIFO guarded by an rt::Mutex, with the classic two condvars.
class BoundedQueue {
 public:
  static constexpr size_t kCapacity = 8;

  // False once closed.
  bool Push(int value, bool timed) {
    Lock lock(mu_);
    auto ready = [&] { return size_ < kCapacity || closed_; };
    if (timed) {
      // Short timed waits race the notifications; loop until ready.
      while (!not_full_.wait_until(lock, now() + 50us, ready, "push timed")) {
      }
    } else {
      WakeupDeadline deadline;
      EXPECT_TRUE(not_full_.wait_until(lock, deadline.at(), ready, "push"));
      EXPECT_FALSE(deadline.Missed()) << "lost wakeup in push";
    }
    if (closed_) return false;
    slots_[(head_ + size_) % kCapacity] = value;
    ++size_;
    not_empty_.notify_one();
    return true;
  }

  // False once closed and drained.
  bool Pop(int& value, bool timed) {
    Lock lock(mu_);
    auto ready = [&] { return size_ > 0 || closed_; };
    if (timed) {
      while (!not_empty_.wait_until(lock, now() + 50us, ready, "pop timed")) {
      }
    } else {
      WakeupDeadline deadline;
      EXPECT_TRUE(not_empty_.wait_until(lock, deadline.at(), ready, "pop"));
      EXPECT_FALSE(deadline.Missed()) << "lost wakeup in pop";
    }
    if (size_ == 0) return false;
    value = slots_[head_];
    head_ = (head_ + 1) % kCapacity;
    --size_;
    not_full_.notify_one();
    return true;
  }

  void Close() {
    LockGuard guard(mu_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  Mutex mu_{"queue"};
  CondVar not_full_{"queue.not_full"};
  CondVar not_empty_{"queue.not_empty"};
  std::array<int, kCapacity> slots_{};
  size_t head_ = 0;
  size_t size_ = 0;
  bool closed_ = false;
};

TEST(RtOsStressTest, ProducersAndConsumersLoseAndDuplicateNothing) {
  constexpr int kProducers = 4;
  constexpr int kConsumers = 4;
  constexpr int kItemsEach = 3000;
  BoundedQueue queue;
  std::vector<std::atomic<int>> seen(kProducers * kItemsEach);
  std::vector<Task> producers, consumers;
  for (int p = 0; p < kProducers; ++p) {
    producers.push_back(spawn("producer", [&, p] {
      for (int i = 0; i < kItemsEach; ++i) {
        ASSERT_TRUE(queue.Push(p * kItemsEach + i, /*timed=*/i % 3 == 0));
      }
    }));
  }
  for (int c = 0; c < kConsumers; ++c) {
    consumers.push_back(spawn("consumer", [&, c] {
      int value;
      for (int n = 0; queue.Pop(value, /*timed=*/(n + c) % 3 == 0); ++n) {
        seen[static_cast<size_t>(value)].fetch_add(1);
      }
    }));
  }
  JoinAll(producers);
  queue.Close();  // consumers drain what is left, then stop
  JoinAll(consumers);
  int missing = 0, duplicated = 0;
  for (auto& s : seen) {
    missing += s.load() == 0;
    duplicated += s.load() > 1;
  }
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(duplicated, 0);
}

// A reusable barrier on notify_all: every task must pass every generation.
TEST(RtOsStressTest, NotifyAllBarrierWakesEveryWaiterEveryRound) {
  constexpr int kTasks = 6;
  constexpr int kRounds = 300;
  Mutex mu("barrier");
  CondVar cv("barrier.cv");
  int arrived = 0;
  int generation = 0;
  std::array<int, kTasks> passed{};
  std::vector<Task> tasks;
  for (int t = 0; t < kTasks; ++t) {
    tasks.push_back(spawn("barrier", [&, t] {
      for (int r = 0; r < kRounds; ++r) {
        Lock lock(mu);
        const int my_generation = generation;
        if (++arrived == kTasks) {
          arrived = 0;
          ++generation;
          cv.notify_all();
        } else {
          WakeupDeadline deadline;
          ASSERT_TRUE(cv.wait_until(
              lock, deadline.at(), [&] { return generation != my_generation; }, "gen"));
          ASSERT_FALSE(deadline.Missed()) << "lost notify_all";
        }
        ++passed[static_cast<size_t>(t)];
      }
    }));
  }
  JoinAll(tasks);
  EXPECT_EQ(generation, kRounds);
  for (int p : passed) EXPECT_EQ(p, kRounds);
}

TEST(RtOsStressTest, RacingSettersOneWinnerAndEveryWaiterSeesIt) {
  constexpr int kRounds = 150;
  constexpr int kSetters = 4;
  constexpr int kWaiters = 3;
  std::minstd_rand seeds(1);
  for (int round = 0; round < kRounds; ++round) {
    Signal s("s");
    Signal never("never");
    Atomic<int> winners(0);
    Atomic<int> winner(-1);
    Atomic<int> woken(0);
    std::vector<Task> tasks;
    for (int w = 0; w < kWaiters; ++w) {
      tasks.push_back(spawn("waiter", [&, w, seed = seeds()] {
        std::minstd_rand rng(seed);
        Jitter(rng);
        WakeupDeadline deadline;
        if (w == 0) {
          s.wait("plain");
        } else if (w == 1) {
          ASSERT_TRUE(s.wait_until(deadline.at(), "timed"));
        } else {
          std::array<Signal*, 2> both{&never, &s};
          ASSERT_EQ(wait_any_until(both, deadline.at(), "any"), 1u);
        }
        ASSERT_FALSE(deadline.Missed()) << "waiter " << w << " missed the set";
        woken.fetch_add(1);
      }));
    }
    for (int i = 0; i < kSetters; ++i) {
      tasks.push_back(spawn("setter", [&, i, seed = seeds()] {
        std::minstd_rand rng(seed);
        Jitter(rng);
        if (s.set(RemoteError("set", static_cast<uint64_t>(i)))) {
          winners.fetch_add(1);
          winner.store(i);
        }
      }));
    }
    JoinAll(tasks);
    ASSERT_EQ(winners.load(), 1);
    ASSERT_EQ(woken.load(), kWaiters);
    ASSERT_EQ(s.err().wire_code(), static_cast<uint64_t>(winner.load()));
  }
}

// Several signals set concurrently while several tasks wait for all of them,
// one wait_any at a time over those still unset: each wait_any must return a
// set signal, and every waiter must end up seeing all of them.
TEST(RtOsStressTest, WaitAnyOverSignalsSetConcurrently) {
  constexpr int kRounds = 100;
  constexpr size_t kSignals = 4;
  constexpr int kWaiters = 4;
  std::minstd_rand seeds(2);
  for (int round = 0; round < kRounds; ++round) {
    std::array<Signal, kSignals> signals;
    Atomic<int> finished(0);
    std::vector<Task> tasks;
    for (int w = 0; w < kWaiters; ++w) {
      tasks.push_back(spawn("waiter", [&] {
        std::vector<Signal*> pending;
        for (Signal& s : signals) pending.push_back(&s);
        // Each round removes at least one signal, so kSignals rounds suffice.
        for (size_t step = 0; step < kSignals && !pending.empty(); ++step) {
          WakeupDeadline deadline;
          const size_t i = wait_any_until(pending, deadline.at(), "pending");
          ASSERT_FALSE(deadline.Missed()) << "a set was missed";
          ASSERT_LT(i, pending.size());
          ASSERT_TRUE(pending[i]->is_set());
          std::erase_if(pending, [](Signal* s) { return s->is_set(); });
        }
        ASSERT_TRUE(pending.empty());
        finished.fetch_add(1);
      }));
    }
    for (size_t i = 0; i < kSignals; ++i) {
      tasks.push_back(spawn("setter", [&, i, seed = seeds()] {
        std::minstd_rand rng(seed);
        Jitter(rng, 8);
        ASSERT_TRUE(signals[i].set(OkStatus()));
      }));
    }
    JoinAll(tasks);
    ASSERT_EQ(finished.load(), kWaiters);
  }
}

// Waiters subscribe and unsubscribe in a tight loop with tiny deadlines while
// the signal is set at some point: waiters are created and destroyed under
// the setter's feet. Each task must see the set eventually, and after the
// set every wait_any must return at once.
TEST(RtOsStressTest, WaiterChurnAroundASet) {
  constexpr int kRounds = 40;
  constexpr int kWaiters = 6;
  constexpr int kMaxSpins = 1'000'000;
  for (int round = 0; round < kRounds; ++round) {
    Signal a("a"), b("b");
    std::array<Signal*, 2> both{&a, &b};
    Atomic<int> saw_set(0);
    std::vector<Task> tasks;
    for (int w = 0; w < kWaiters; ++w) {
      tasks.push_back(spawn("churn", [&] {
        int spins = 0;
        for (; spins < kMaxSpins; ++spins) {
          const size_t i = wait_any_until(both, now() + std::chrono::microseconds(spins % 20), "c");
          if (i == 2) continue;
          ASSERT_EQ(i, 1u);
          break;
        }
        ASSERT_LT(spins, kMaxSpins);
        ASSERT_EQ(wait_any_until(both, now() - 1s, "after"), 1u);
        saw_set.fetch_add(1);
      }));
    }
    tasks.push_back(spawn("setter", [&] {
      sleep_for(std::chrono::microseconds(100 + round * 10));
      b.set(CanceledError());
    }));
    JoinAll(tasks);
    ASSERT_EQ(saw_set.load(), kWaiters);
  }
}

TEST(RtOsStressTest, AtomicCountersAndCasLoops) {
  constexpr int kTasks = 6;
  constexpr int kRounds = 20000;
  Atomic<int64_t> sum(0);
  Atomic<int64_t> cas_sum(0);
  Atomic<int> balance(0);
  Atomic<uint64_t> max_seen(0);
  std::vector<Task> tasks;
  for (int t = 0; t < kTasks; ++t) {
    tasks.push_back(spawn("atomics", [&] {
      for (int r = 0; r < kRounds; ++r) {
        sum.fetch_add(1);
        balance.fetch_add(3);
        balance.fetch_sub(3);
        int64_t expected = cas_sum.load();
        // A CAS loop: bounded by the number of competing increments.
        for (int tries = 0; !cas_sum.compare_exchange(expected, expected + 2); ++tries) {
          ASSERT_LT(tries, kTasks * kRounds);
        }
        const uint64_t mine = static_cast<uint64_t>(r);
        uint64_t seen = max_seen.load();
        while (seen < mine && !max_seen.compare_exchange(seen, mine)) {
        }
      }
    }));
  }
  JoinAll(tasks);
  EXPECT_EQ(sum.load(), kTasks * kRounds);
  EXPECT_EQ(cas_sum.load(), 2 * kTasks * kRounds);
  EXPECT_EQ(balance.load(), 0);
  EXPECT_EQ(max_seen.load(), static_cast<uint64_t>(kRounds - 1));
}

// Tasks spawning and joining tasks, concurrently: every body runs exactly
// once and every task gets its own id.
TEST(RtOsStressTest, TaskSpawnJoinChurn) {
  constexpr int kSpawners = 4;
  constexpr int kChildrenEach = 60;
  Atomic<int> ran(0);
  Mutex ids_mu("ids");
  std::set<uint64_t> ids;
  std::vector<Task> spawners;
  for (int s = 0; s < kSpawners; ++s) {
    spawners.push_back(spawn("spawner", [&] {
      for (int c = 0; c < kChildrenEach; ++c) {
        Task child = spawn("child", [&] {
          Task grandchild = spawn("grandchild", [&] {
            ran.fetch_add(1);
            LockGuard guard(ids_mu);
            ids.insert(current_task().id);
          });
          ran.fetch_add(1);
          {
            LockGuard guard(ids_mu);
            ids.insert(current_task().id);
          }
          grandchild.join();
        });
        Task moved = std::move(child);
        moved.join();
      }
    }));
  }
  JoinAll(spawners);
  EXPECT_EQ(ran.load(), 2 * kSpawners * kChildrenEach);
  EXPECT_EQ(ids.size(), static_cast<size_t>(2 * kSpawners * kChildrenEach));
}

// Plain (non-atomic) writes in a body, read by the joiner: join must order
// them, also when the body ran on a thread the cache reused, and the body's
// captures must be gone by then (TSan flags a missing happens-before).
TEST(RtOsStressTest, JoinOrdersABodyOnAReusedThreadBeforeTheJoiner) {
  constexpr int kJoiners = 4;
  constexpr int kRounds = 300;
  std::vector<Task> joiners;
  Atomic<int> checked(0);
  for (int j = 0; j < kJoiners; ++j) {
    joiners.push_back(spawn("joiner", [&] {
      for (int r = 0; r < kRounds; ++r) {
        std::vector<int> written(8, 0);
        auto token = std::make_shared<int>(r);
        std::weak_ptr<int> watch = token;
        Task t = spawn("writer", [&written, r, token = std::move(token)] {
          for (int& w : written) w = r + *token;
        });
        t.join();
        for (int w : written) EXPECT_EQ(w, 2 * r);
        EXPECT_TRUE(watch.expired());
        checked.fetch_add(1);
      }
    }));
  }
  JoinAll(joiners);
  EXPECT_EQ(checked.load(), kJoiners * kRounds);
}

// Close racing with a reader and a writer on both ends of a socketpair: every
// call returns (no hang), only with the errors Close and a peer's close may
// cause, and the reader never sees bytes that were not written, in order.
TEST(RtOsStressTest, TransportCloseRacesReadAndWrite) {
  constexpr int kRounds = 100;
  constexpr size_t kChunk = 4096;
  constexpr int kMaxWrites = 2000;
  std::minstd_rand seeds(3);
  for (int round = 0; round < kRounds; ++round) {
    Result<os::TransportPair> pair = os::SocketPair();
    ASSERT_TRUE(pair.ok()) << pair.status();
    Transport& a = *pair.value().a;
    Transport& b = *pair.value().b;
    Atomic<int64_t> written(0);
    Status write_end, read_end;
    int64_t read_bytes = 0;
    bool in_order = true;
    std::vector<Task> tasks;
    tasks.push_back(spawn("writer", [&] {
      std::array<uint8_t, kChunk> chunk;
      for (int w = 0; w < kMaxWrites; ++w) {
        for (size_t i = 0; i < kChunk; ++i) chunk[i] = static_cast<uint8_t>(w);
        write_end = a.Write(chunk);
        if (!write_end.ok()) return;
        written.fetch_add(kChunk);
      }
    }));
    tasks.push_back(spawn("reader", [&] {
      std::array<uint8_t, 1000> buffer;
      for (int r = 0; r < kMaxWrites * 8; ++r) {
        ReadResult got = b.Read(buffer);
        for (size_t i = 0; i < got.n; ++i) {
          in_order &= buffer[i] == static_cast<uint8_t>((read_bytes + i) / kChunk);
        }
        read_bytes += static_cast<int64_t>(got.n);
        if (!got.err.ok()) {
          read_end = got.err;
          return;
        }
      }
    }));
    tasks.push_back(spawn("closer", [&, seed = seeds()] {
      std::minstd_rand rng(seed);
      Jitter(rng, 50);
      Transport& first = rng() % 2 ? a : b;
      Transport& second = &first == &a ? b : a;
      EXPECT_TRUE(first.Close().ok());
      Jitter(rng, 10);
      EXPECT_TRUE(second.Close().ok());
      EXPECT_TRUE(first.Close().ok());  // idempotent, also under races
    }));
    JoinAll(tasks);
    // The writer only stops at its bound or on an error; the reader only on
    // an error, and the closes make one certain.
    ASSERT_TRUE(write_end.ok() || write_end.is(ErrorKind::kClosed)) << write_end;
    ASSERT_TRUE(read_end.is(ErrorKind::kClosed) || read_end.is(ErrorKind::kEof)) << read_end;
    ASSERT_TRUE(in_order);
    ASSERT_LE(read_bytes, written.load() + static_cast<int64_t>(kChunk));
  }
}

TEST(RtOsStressTest, ListenerCloseRacesAcceptAndConnect) {
  constexpr int kRounds = 40;
  std::minstd_rand seeds(4);
  for (int round = 0; round < kRounds; ++round) {
    Result<std::unique_ptr<os::TcpListener>> listener = os::TcpListener::Listen("127.0.0.1", 0);
    ASSERT_TRUE(listener.ok()) << listener.status();
    os::TcpListener& l = *listener.value();
    Atomic<int> accepted(0);
    Status accept_end;
    std::vector<Task> tasks;
    tasks.push_back(spawn("acceptor", [&] {
      std::vector<std::unique_ptr<Transport>> conns;
      for (int i = 0; i < 100; ++i) {
        Result<std::unique_ptr<Transport>> c = l.Accept();
        if (!c.ok()) {
          accept_end = c.status();
          return;
        }
        accepted.fetch_add(1);
        conns.push_back(std::move(c).value());
      }
    }));
    tasks.push_back(spawn("dialer", [&] {
      for (int i = 0; i < 3; ++i) {
        Result<std::unique_ptr<Transport>> c = os::TcpConnect("127.0.0.1", l.Port());
        // Refused once the listener is closed; never anything else here.
        if (!c.ok()) {
          ASSERT_EQ(c.status().kind(), ErrorKind::kConnection) << c.status();
        }
      }
    }));
    tasks.push_back(spawn("closer", [&, seed = seeds()] {
      std::minstd_rand rng(seed);
      Jitter(rng, 40);
      EXPECT_TRUE(l.Close().ok());
    }));
    JoinAll(tasks);
    ASSERT_EQ(accept_end.kind(), ErrorKind::kClosed) << accept_end;
    ASSERT_LE(accepted.load(), 3);
  }
}

}  // namespace
}  // namespace drpc::rt

// The fiber OS backend's own promises (docs/rt.md, "The fiber backend"):
// parking is lost-wakeup-free when a wake races the switch, mutexes and
// condvars work across workers and with plain threads, tasks do not get a
// thread each, RunBlocking's pool is bounded and loses nothing, a spawn
// without a stack fails softly, and Connect honours its deadline.
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "drpc/rt/blocking.h"
#include "drpc/rt/condvar.h"
#include "drpc/rt/fiber/blocking_pool.h"
#include "drpc/rt/fiber/park.h"
#include "drpc/rt/fiber/scheduler.h"
#include "drpc/rt/fiber/stacks.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/net.h"
#include "drpc/rt/os/socket_pair.h"
#include "drpc/rt/signal.h"
#include "drpc/rt/task.h"
#include "drpc/rt/time.h"
#include "drpc/rt/waits.h"
#include "tests/rt/four_workers.h"
#include "tests/rt/wakeup_deadline.h"

namespace drpc::rt {
namespace {

using namespace std::chrono_literals;
using testing::WakeupDeadline;

int ThreadsOfThisProcess() {
  DIR* dir = ::opendir("/proc/self/task");
  if (dir == nullptr) return -1;
  int n = 0;
  while (dirent* e = ::readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n;
}

TEST(RtFiberTest, RunsOnTheConfiguredWorkers) {
  EXPECT_EQ(fiber::WorkerCount(), 4u);
  bool on_fiber = false;
  spawn("probe", [&] { on_fiber = fiber::OnFiber(); }).join();
  EXPECT_TRUE(on_fiber);
  EXPECT_FALSE(fiber::OnFiber());
}

// The wake comes before the fiber has left its stack: from inside arm
// itself, and from another worker's fiber or a plain thread racing the
// switch. Every Park must return exactly once.
TEST(RtFiberTest, AWakeBeforeTheSwitchIsNotLost) {
  constexpr int kRounds = 2000;
  int self_woken = 0;
  spawn("self-wake", [&] {
    for (int i = 0; i < kRounds; ++i) {
      fiber::Park([](fiber::Waker waker) { waker.Wake(); });
      ++self_woken;
    }
  }).join();
  EXPECT_EQ(self_woken, kRounds);

  // A plain thread wakes each park as soon as it sees the waker.
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::condition_variable cv;
  fiber::Waker pending;
  bool has_pending = false;
  std::thread waker_thread([&] {
    std::unique_lock<std::mutex> lock(mu);
    while (!stop) {
      cv.wait(lock, [&] { return has_pending || stop.load(); });
      if (has_pending) {
        has_pending = false;
        const fiber::Waker w = pending;
        lock.unlock();
        w.Wake();
        lock.lock();
      }
    }
  });
  int woken = 0;
  std::vector<Task> tasks;
  std::atomic<int> total{0};
  for (int t = 0; t < 4; ++t) {
    tasks.push_back(spawn("racer", [&] {
      for (int i = 0; i < kRounds / 4; ++i) {
        fiber::Park([&](fiber::Waker waker) {
          std::lock_guard<std::mutex> guard(mu);
          // One at a time through the plain thread; the others go through
          // a fiber-to-fiber wake below.
          if (!has_pending) {
            pending = waker;
            has_pending = true;
            cv.notify_one();
          } else {
            waker.Wake();
          }
        });
        total.fetch_add(1);
      }
    }));
  }
  for (Task& t : tasks) t.join();
  woken = total.load();
  {
    std::lock_guard<std::mutex> guard(mu);
    stop = true;
  }
  cv.notify_all();
  waker_thread.join();
  EXPECT_EQ(woken, kRounds);
}

// True once every task named in `names` is parked in a socket read. (A
// task's label is set just before it parks, so this may see it a moment
// early; the test below then only tests less, it cannot fail for it.)
bool ParkedInRead(const std::vector<std::string>& names) {
  size_t found = 0;
  for (const WaitingTask& w : WaitingTasks()) {
    for (const std::string& name : names) {
      if (w.name == name && std::string(w.label) == "io.read") ++found;
    }
  }
  return found == names.size();
}

// A fiber that computes without ever parking holds its worker, not the
// reactor. The spinner is woken by a socket completion, so the worker that
// waited in the reactor runs it in place (WakeHere) and leaves the reactor
// unattended; another worker must take it (the wake at release, or the
// watch: docs/rt.md), or the reader, whose data arrive only once the
// spinner spins, is never woken. Ordered by events, not time: both tasks
// are parked in their reads before the spinner's byte is written, and the
// reader's byte is written once the spinner spins. With the wake at
// release and the watch both removed (planted by hand) it hangs until the
// spinner gives up.
TEST(RtFiberTest, AFiberThatNeverParksDoesNotHoldUpTheReactor) {
  Result<os::TransportPair> spinner_socket = os::SocketPair();
  Result<os::TransportPair> reader_socket = os::SocketPair();
  ASSERT_TRUE(spinner_socket.ok() && reader_socket.ok());
  std::atomic<bool> spinning{false};
  std::atomic<bool> read_done{false};
  std::atomic<bool> gave_up{false};
  Task spinner = spawn("spinner", [&] {
    uint8_t byte = 0;
    if (!spinner_socket->b->Read(MutableBytes(&byte, 1)).err.ok()) return;
    spinning = true;
    const WakeupDeadline deadline(5s);
    while (!read_done.load()) {
      if (deadline.Missed()) {
        gave_up = true;
        return;
      }
    }
  });
  Task reader = spawn("reader", [&] {
    uint8_t byte = 0;
    read_done = reader_socket->b->Read(MutableBytes(&byte, 1)).err.ok();
  });
  while (!ParkedInRead({"spinner", "reader"})) std::this_thread::yield();
  const uint8_t go = 1;
  ASSERT_TRUE(spinner_socket->a->Write(Bytes(&go, 1)).ok());
  while (!spinning.load()) std::this_thread::yield();
  ASSERT_TRUE(reader_socket->a->Write(Bytes(&go, 1)).ok());
  spinner.join();
  reader.join();
  EXPECT_FALSE(gave_up) << "the reader was not woken in 5 s while another fiber spun";
  EXPECT_TRUE(read_done);
}

// A late Wake (from a Park that already ended) does nothing to a later Park.
TEST(RtFiberTest, ALateWakeDoesNotEndALaterPark) {
  Signal later_park_ended{"later"};
  bool early_return = false;
  fiber::Waker stale;
  Task t = spawn("parker", [&] {
    fiber::Park([&](fiber::Waker waker) {
      stale = waker;
      waker.Wake();
    });
    std::atomic<bool> woken_properly{false};
    fiber::Park([&](fiber::Waker waker) {
      stale.Wake();  // the first Park's waker: must not end this one
      std::thread([waker, &woken_properly] {
        std::this_thread::sleep_for(20ms);  // gives a wrong wake time to show
        woken_properly = true;
        waker.Wake();
      }).detach();
    });
    early_return = !woken_properly.load();
    later_park_ended.set(OkStatus());
  });
  t.join();
  EXPECT_FALSE(early_return);
}

// Many fibers on 4 workers increment under one Mutex and hand items over a
// CondVar; nothing is lost or doubled.
TEST(RtFiberTest, MutexAndCondVarHoldAcrossWorkers) {
  constexpr int kProducers = 8;
  constexpr int kItems = 2000;
  Mutex mu{"stress.mu"};
  CondVar cv{"stress.cv"};
  std::vector<int> queue;
  long sum = 0;
  int consumed = 0;
  std::vector<Task> tasks;
  for (int p = 0; p < kProducers; ++p) {
    tasks.push_back(spawn("producer", [&, p] {
      for (int i = 0; i < kItems; ++i) {
        LockGuard guard(mu);
        queue.push_back(p * kItems + i);
        cv.notify_one();
      }
    }));
  }
  for (int c = 0; c < 4; ++c) {
    tasks.push_back(spawn("consumer", [&] {
      for (;;) {
        Lock lock(mu);
        WakeupDeadline deadline;
        const bool ready = cv.wait_until(
            lock, deadline.at(), [&] { return !queue.empty() || consumed == kProducers * kItems; },
            "consume");
        EXPECT_TRUE(ready) << "lost wakeup";
        if (!ready || queue.empty()) {
          cv.notify_all();
          return;
        }
        sum += queue.back();
        queue.pop_back();
        if (++consumed == kProducers * kItems) cv.notify_all();
      }
    }));
  }
  for (Task& t : tasks) t.join();
  const long n = static_cast<long>(kProducers) * kItems;
  EXPECT_EQ(consumed, n);
  EXPECT_EQ(sum, n * (n - 1) / 2);
}

// A plain thread and fibers share a Mutex and CondVar: the thread blocks,
// the fibers park, and each wakes the other.
TEST(RtFiberTest, PlainThreadsAndFibersShareAMutexAndCondVar) {
  constexpr int kRounds = 500;
  Mutex mu{"pingpong.mu"};
  CondVar cv{"pingpong.cv"};
  int turn = 0;  // even: the thread's turn, odd: a fiber's
  int counter = 0;
  std::thread plain([&] {
    for (int i = 0; i < kRounds; ++i) {
      Lock lock(mu);
      WakeupDeadline deadline;
      EXPECT_TRUE(cv.wait_until(
          lock, deadline.at(), [&] { return turn % 2 == 0; }, "thread"));
      ++counter;
      ++turn;
      cv.notify_all();
    }
  });
  std::vector<Task> fibers;
  for (int f = 0; f < 2; ++f) {
    fibers.push_back(spawn("fiber", [&] {
      for (int i = 0; i < kRounds / 2; ++i) {
        Lock lock(mu);
        WakeupDeadline deadline;
        EXPECT_TRUE(cv.wait_until(
            lock, deadline.at(), [&] { return turn % 2 == 1; }, "fiber"));
        ++counter;
        ++turn;
        cv.notify_all();
      }
    }));
  }
  plain.join();
  for (Task& t : fibers) t.join();
  EXPECT_EQ(counter, 2 * kRounds);
}

// 1,000 parked tasks: the process must not hold a thread for each.
TEST(RtFiberTest, TasksDoNotGetAThreadEach) {
  constexpr int kTasks = 1000;
  Signal release{"release"};
  std::atomic<int> parked{0};
  std::vector<Task> tasks;
  for (int i = 0; i < kTasks; ++i) {
    tasks.push_back(spawn("idle", [&] {
      parked.fetch_add(1);
      release.wait("idle");
    }));
  }
  WakeupDeadline deadline;
  while (parked.load() < kTasks && !deadline.Missed()) sleep_for(1ms);
  ASSERT_EQ(parked.load(), kTasks);
  const int threads = ThreadsOfThisProcess();
  release.set(OkStatus());
  for (Task& t : tasks) t.join();
  ASSERT_GT(threads, 0);
  // Workers, the blocking pool and the test's own: far fewer than tasks.
  EXPECT_LT(threads, static_cast<int>(fiber::WorkerCount() + fiber::kBlockingPoolThreads + 16))
      << threads << " threads for " << kTasks << " parked tasks";
}

// More blocking calls than pool threads: at most the bound run at once, the
// rest queue, every one runs.
TEST(RtFiberTest, RunBlockingIsBoundedAndLosesNothing) {
  const int bound = static_cast<int>(fiber::kBlockingPoolThreads);
  const int calls = 3 * bound;
  std::mutex mu;
  std::condition_variable cv;
  int running = 0, max_running = 0, finished = 0;
  bool released = false;
  std::vector<Task> tasks;
  for (int i = 0; i < calls; ++i) {
    tasks.push_back(spawn("blocker", [&] {
      RunBlocking("test.block", [&] {
        std::unique_lock<std::mutex> lock(mu);
        max_running = std::max(max_running, ++running);
        cv.notify_all();
        cv.wait(lock, [&] { return released; });
        --running;
        ++finished;
      });
    }));
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    EXPECT_TRUE(cv.wait_for(lock, 30s, [&] { return running == bound; }));
    released = true;
  }
  cv.notify_all();
  for (Task& t : tasks) t.join();
  EXPECT_EQ(finished, calls);
  EXPECT_EQ(max_running, bound);
}

TEST(RtFiberTest, RunBlockingShowsInWaitingTasks) {
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, released = false;
  Task t = spawn("reader", [&] {
    RunBlocking("file.read", [&] {
      std::unique_lock<std::mutex> lock(mu);
      entered = true;
      cv.notify_all();
      cv.wait(lock, [&] { return released; });
    });
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return entered; });
  }
  bool found = false;
  for (const WaitingTask& w : WaitingTasks()) {
    if (w.name == "reader" && std::string(w.label) == "file.read") found = true;
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    released = true;
  }
  cv.notify_all();
  t.join();
  EXPECT_TRUE(found);
}

TEST(RtFiberTest, TrySpawnWithoutAStackIsResourceExhausted) {
  fiber::FailStackMapsForTesting(1);
  bool ran = false;
  Result<Task> task = TrySpawn("no-stack", [&] { ran = true; });
  fiber::FailStackMapsForTesting(0);
  ASSERT_FALSE(task.ok());
  EXPECT_TRUE(task.status().is(ErrorKind::kResourceExhausted)) << task.status();
  EXPECT_FALSE(ran);
  // And the runtime carries on.
  Result<Task> next = TrySpawn("with-stack", [&] { ran = true; });
  ASSERT_TRUE(next.ok()) << next.status();
  next->join();
  EXPECT_TRUE(ran);
}

// A listener whose backlog is full and never accepts: the kernel drops
// further SYNs, so a connect stays in progress until its deadline.
TEST(RtFiberTest, ConnectHonoursItsDeadline) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 0), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string target = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  Status last;
  std::vector<std::unique_ptr<Transport>> filled;
  spawn("dialer", [&] {
    // The first few fill the backlog; one of the next must time out.
    for (int i = 0; i < 16; ++i) {
      Result<std::unique_ptr<Transport>> t = Connect(target, now() + 200ms);
      if (!t.ok()) {
        last = t.status();
        return;
      }
      filled.push_back(std::move(*t));
    }
  }).join();
  ::close(fd);
  EXPECT_TRUE(last.is(ErrorKind::kDeadlineExceeded)) << last;
}

}  // namespace
}  // namespace drpc::rt

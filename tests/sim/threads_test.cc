// Simulations on several OS threads at once: each thread has its own
// scheduler and stack pool, so runs on different threads neither interfere
// nor change each other's traces. Labelled `tsan`: under ThreadSanitizer this
// also checks the fiber annotations (each switch is a happens-before edge)
// and the few process-wide pieces (run serials, the quarantine count, the
// graveyard of unstarted bodies, the invariant handler).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "drpc/base/check.h"
#include "drpc/rt/rt.h"
#include "sim/sched/random_source.h"
#include "sim/sched/run.h"
#include "tests/sim/sim_test_util.h"

namespace drpc::sim {
namespace {

using namespace std::chrono_literals;

// A small run using mutex, condvar, timers and tasks; `fail` makes it end
// with parked fibers (the abandon path) instead of passing.
RunResult Workload(uint64_t seed, bool fail) {
  RandomSource random(seed);
  return sim::Run(random, {}, [fail] {
    rt::Mutex mu("mu");
    rt::CondVar cv("cv");
    int tokens = 0;
    std::vector<rt::Task> tasks;
    for (int i = 0; i < 3; ++i) {
      tasks.push_back(rt::spawn("worker", [&] {
        rt::Lock lock(mu);
        cv.wait_until(
            lock, rt::now() + 3ms, [&] { return tokens > 0; }, "wait for a token");
        if (tokens > 0) --tokens;
      }));
    }
    rt::sleep_for(1ms);
    {
      rt::LockGuard guard(mu);
      tokens = 2;
      cv.notify_all();
    }
    if (fail) DRPC_ASSERT(false, "planted failure with fibers parked");
    for (rt::Task& t : tasks) t.join();
  });
}

TEST(SimThreads, RunsOnSeveralThreadsMatchTheSameRunsOnOne) {
  constexpr uint64_t kSeeds = 100;
  std::vector<uint64_t> expected(kSeeds);
  for (uint64_t seed = 0; seed < kSeeds; ++seed) {
    RunResult r = Workload(seed, false);
    ASSERT_TRUE(r.ok()) << testing::Describe(r);
    expected[seed] = r.trace_hash;
  }
  constexpr int kThreads = 3;
  std::vector<std::vector<uint64_t>> got(kThreads, std::vector<uint64_t>(kSeeds));
  std::vector<int> failures_seen(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t seed = 0; seed < kSeeds; ++seed) {
        got[t][seed] = Workload(seed, false).trace_hash;
        // Interleave some failing runs: they abandon fibers on this thread.
        // (Few: under ASan each abandoned fiber leaves LSan a fake stack to
        // scan at exit, about a megabyte each.)
        if (seed % 10 == 0) {
          failures_seen[t] += Workload(seed, true).outcome == Outcome::kInvariantFailed;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(got[t], expected) << "thread " << t;
    EXPECT_EQ(failures_seen[t], static_cast<int>(kSeeds / 10)) << "thread " << t;
  }
}

}  // namespace
}  // namespace drpc::sim

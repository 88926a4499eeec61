// What the rt seam costs on the OS backend: each rt primitive against the
// std primitive it wraps, in the same process and run. At the end the program
// prints rt/std time ratios (1.00 = free).
//
//   build/rt-release/bench/rt_os/bench_rt_os --benchmark_repetitions=5
//
// With repetitions the ratios use the medians; random interleaving
// (--benchmark_enable_random_interleaving=true) spreads the machine's drift
// over both sides of each ratio.
#include <benchmark/benchmark.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench/common/ratio_reporter.h"
#include "drpc/rt/condvar.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/task.h"

namespace {

// ---- uncontended lock + unlock ----

void BM_StdMutexLockUnlock(benchmark::State& state) {
  std::mutex mu;
  for (auto _ : state) {
    mu.lock();
    mu.unlock();
  }
}
BENCHMARK(BM_StdMutexLockUnlock);

void BM_RtMutexLockUnlock(benchmark::State& state) {
  drpc::rt::Mutex mu("bench");
  for (auto _ : state) {
    mu.lock();
    mu.unlock();
  }
}
BENCHMARK(BM_RtMutexLockUnlock);

// ---- two-thread handoff: one iteration is a round trip ----
//
// The benchmark thread passes the turn to a partner and waits for it back,
// through one mutex and one condition variable, as a stream's producer and
// consumer would. The partner is started before and joined after the timed
// loop.

template <class Mu, class Cv, class LockT>
struct PingPong {
  Mu mu;
  Cv cv;
  int turn = 0;  // 0: the benchmark thread's, 1: the partner's, -1: stop
};

void BM_StdCondVarPingPong(benchmark::State& state) {
  PingPong<std::mutex, std::condition_variable, std::unique_lock<std::mutex>> p;
  std::thread partner([&] {
    std::unique_lock<std::mutex> lock(p.mu);
    for (;;) {
      p.cv.wait(lock, [&] { return p.turn != 0; });
      if (p.turn < 0) return;
      p.turn = 0;
      p.cv.notify_one();
    }
  });
  for (auto _ : state) {
    std::unique_lock<std::mutex> lock(p.mu);
    p.turn = 1;
    p.cv.notify_one();
    p.cv.wait(lock, [&] { return p.turn == 0; });
  }
  {
    std::lock_guard<std::mutex> guard(p.mu);
    p.turn = -1;
    p.cv.notify_one();
  }
  partner.join();
}
BENCHMARK(BM_StdCondVarPingPong)->UseRealTime();

void BM_RtCondVarPingPong(benchmark::State& state) {
  PingPong<drpc::rt::Mutex, drpc::rt::CondVar, drpc::rt::Lock> p;
  drpc::rt::Task partner = drpc::rt::spawn("partner", [&] {
    drpc::rt::Lock lock(p.mu);
    for (;;) {
      p.cv.wait(
          lock, [&] { return p.turn != 0; }, "partner");
      if (p.turn < 0) return;
      p.turn = 0;
      p.cv.notify_one();
    }
  });
  for (auto _ : state) {
    drpc::rt::Lock lock(p.mu);
    p.turn = 1;
    p.cv.notify_one();
    p.cv.wait(
        lock, [&] { return p.turn == 0; }, "bench");
  }
  {
    drpc::rt::LockGuard guard(p.mu);
    p.turn = -1;
    p.cv.notify_one();
  }
  partner.join();
}
BENCHMARK(BM_RtCondVarPingPong)->UseRealTime();

// ---- spawn + join of an empty task ----
//
// What a task per RPC costs on the OS backend: rt::spawn and join against a
// std::thread started and joined in the same run. The rt side also sets the
// task's id and name; with the idle-thread cache (rt/os/task.cc) it hands
// the body to a parked thread instead of creating one. The burst variant
// starts 16 tasks before joining them, so the cache must keep up with
// several bodies at once.

void BM_StdThreadSpawnJoin(benchmark::State& state) {
  for (auto _ : state) std::thread([] {}).join();
}
BENCHMARK(BM_StdThreadSpawnJoin)->UseRealTime();

void BM_RtSpawnJoin(benchmark::State& state) {
  for (auto _ : state) drpc::rt::spawn("bench", [] {}).join();
}
BENCHMARK(BM_RtSpawnJoin)->UseRealTime();

constexpr int kBurst = 16;

void BM_StdThreadSpawnJoinBurst16(benchmark::State& state) {
  for (auto _ : state) {
    std::vector<std::thread> threads;
    threads.reserve(kBurst);
    for (int i = 0; i < kBurst; ++i) threads.emplace_back([] {});
    for (std::thread& t : threads) t.join();
  }
  state.SetItemsProcessed(state.iterations() * kBurst);
}
BENCHMARK(BM_StdThreadSpawnJoinBurst16)->UseRealTime();

void BM_RtSpawnJoinBurst16(benchmark::State& state) {
  for (auto _ : state) {
    std::vector<drpc::rt::Task> tasks;
    tasks.reserve(kBurst);
    for (int i = 0; i < kBurst; ++i) tasks.push_back(drpc::rt::spawn("bench", [] {}));
    for (drpc::rt::Task& t : tasks) t.join();
  }
  state.SetItemsProcessed(state.iterations() * kBurst);
}
BENCHMARK(BM_RtSpawnJoinBurst16)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // glibc locks a mutex without atomic instructions while the process has
  // never had a second thread. Programs using rt always have threads, so
  // leave that mode first, or whichever lock benchmark runs before the first
  // ping-pong gets an unrealistic advantage.
  std::thread([] {}).join();
  // Ratios of CPU time for the single-thread benchmarks; real time for the
  // handoffs and spawns, whose cost is mostly waiting (ratio_reporter.h).
  drpc::bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  std::printf("\n");
  reporter.PrintRatio("BM_RtMutexLockUnlock", "BM_StdMutexLockUnlock");
  reporter.PrintRatio("BM_RtCondVarPingPong", "BM_StdCondVarPingPong");
  reporter.PrintRatio("BM_RtSpawnJoin", "BM_StdThreadSpawnJoin");
  reporter.PrintRatio("BM_RtSpawnJoinBurst16", "BM_StdThreadSpawnJoinBurst16");
  benchmark::Shutdown();
  return 0;
}

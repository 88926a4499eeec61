// What the deterministic scheduler costs, against baselines measured in the
// same run:
//   * a raw Boost.Context round trip (resume + yield, two switches) against
//     one yield through the scheduler to another fiber (two switches plus
//     the decision, the trace and the bookkeeping): goal <= 3x;
//   * whole executions of a small scenario (2 fibers x 10 yields, pooled
//     stacks, seeded random decisions, choices recorded): goal >= 1M/s;
//   * a std::mutex + std::condition_variable handoff between two threads,
//     the thing the simulator replaces.
// The ratios are printed after the table (from CPU time; see RatioReporter).
// Build with the release preset:
//   cmake --preset release -B build/sim-release
//   cmake --build build/sim-release --target bench_sched
//   build/sim-release/bench/sched/bench_sched
#include <benchmark/benchmark.h>

#include <boost/context/fiber.hpp>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "drpc/rt/rt.h"
#include "sim/sched/pct_source.h"
#include "sim/sched/random_source.h"
#include "sim/sched/run.h"

namespace drpc::sim {
namespace {

// Always switches to another fiber when there is one: every yield is a
// real context switch through the scheduler.
class AlwaysSwitch final : public DecisionSource {
 public:
  uint64_t Choose(const ChoiceRequest& request) override { return request.n - 1; }
};

RunOptions Unbounded(bool record_choices) {
  RunOptions options;
  options.max_steps = UINT64_MAX;
  options.record_choices = record_choices;  // a log of millions of choices would grow memory
  return options;
}

void BM_RawFiberRoundTrip(benchmark::State& state) {
  namespace ctx = boost::context;
  bool done = false;
  ctx::fiber fiber([&done](ctx::fiber&& caller) {
    while (!done) caller = std::move(caller).resume();
    return std::move(caller);
  });
  for (auto _ : state) fiber = std::move(fiber).resume();
  done = true;
  fiber = std::move(fiber).resume();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RawFiberRoundTrip);

// One iteration = one rt::yield that switches to the other fiber and comes
// back through the scheduler: per yield, two switches plus a decision.
void YieldToOther(benchmark::State& state, DecisionSource& decisions, bool record) {
  RunResult r = Run(decisions, Unbounded(record), [&] {
    bool done = false;
    rt::Task partner = rt::spawn("partner", [&] {
      while (!done) rt::yield();
    });
    for (auto _ : state) rt::yield();  // main -> partner -> main: two yields
    done = true;
    partner.join();
  });
  if (!r.ok()) state.SkipWithError(r.report.c_str());
  state.SetItemsProcessed(state.iterations() * 2);  // items = yields
  state.counters["items_per_iteration"] = 2;
}

void BM_SchedulerYield_AlwaysSwitch(benchmark::State& state) {
  AlwaysSwitch decisions;
  YieldToOther(state, decisions, false);
}
BENCHMARK(BM_SchedulerYield_AlwaysSwitch);

void BM_SchedulerYield_Random(benchmark::State& state) {
  RandomSource decisions(1);
  YieldToOther(state, decisions, false);
}
BENCHMARK(BM_SchedulerYield_Random);

void BM_SchedulerYield_Random_Recorded(benchmark::State& state) {
  RandomSource decisions(1);
  YieldToOther(state, decisions, true);
}
BENCHMARK(BM_SchedulerYield_Random_Recorded)->Iterations(1 << 21);

// A scheduling point with no choice to make (one runnable fiber): no
// decision, no switch.
void BM_SchedulingPoint_NoChoice(benchmark::State& state) {
  RandomSource decisions(1);
  RunResult r = Run(decisions, Unbounded(false), [&] {
    for (auto _ : state) rt::yield();
  });
  if (!r.ok()) state.SkipWithError(r.report.c_str());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SchedulingPoint_NoChoice);

// One iteration = one whole run: main spawns 2 fibers that yield 10 times
// each, then joins them. Default options: choices recorded, trace hashed.
void BM_Executions_TwoFibersTenYields(benchmark::State& state) {
  uint64_t seed = 0;
  RunOptions options;
  for (auto _ : state) {
    RandomSource decisions(seed++);
    RunResult r = Run(decisions, options, [] {
      auto body = [] {
        for (int i = 0; i < 10; ++i) rt::yield();
      };
      rt::Task a = rt::spawn("a", body);
      rt::Task b = rt::spawn("b", body);
      a.join();
      b.join();
    });
    if (!r.ok()) {
      state.SkipWithError(r.report.c_str());
      break;
    }
    benchmark::DoNotOptimize(r.trace_hash);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Executions_TwoFibersTenYields);

// The same with two fibers in all: main and one spawned fiber, 10 yields
// each.
void BM_Executions_MainPlusOneTenYields(benchmark::State& state) {
  uint64_t seed = 0;
  for (auto _ : state) {
    RandomSource decisions(seed++);
    RunResult r = Run(decisions, RunOptions{}, [] {
      auto body = [] {
        for (int i = 0; i < 10; ++i) rt::yield();
      };
      rt::Task other = rt::spawn("other", body);
      body();
      other.join();
    });
    benchmark::DoNotOptimize(r.trace_hash);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Executions_MainPlusOneTenYields);

// The fixed cost of a run: main only, then main plus two fibers that return
// at once.
void BM_Executions_MainOnly(benchmark::State& state) {
  uint64_t seed = 0;
  for (auto _ : state) {
    RandomSource decisions(seed++);
    RunResult r = Run(decisions, RunOptions{}, [] {});
    benchmark::DoNotOptimize(r.trace_hash);
  }
}
BENCHMARK(BM_Executions_MainOnly);

void BM_Executions_TwoEmptyFibers(benchmark::State& state) {
  uint64_t seed = 0;
  for (auto _ : state) {
    RandomSource decisions(seed++);
    RunResult r = Run(decisions, RunOptions{}, [] {
      rt::Task a = rt::spawn("a", [] {});
      rt::Task b = rt::spawn("b", [] {});
      a.join();
      b.join();
    });
    benchmark::DoNotOptimize(r.trace_hash);
  }
}
BENCHMARK(BM_Executions_TwoEmptyFibers);

// One decision alone (no run): a schedule choice among 4 fibers, as the
// seeded random source and PCT (depth 3) answer it. PCT looks up each
// candidate's priority; the random source draws one number.
void Decide(benchmark::State& state, DecisionSource& decisions) {
  const FiberId candidates[] = {1, 2, 3, 4};
  ChoiceRequest request;
  request.kind = ChoiceKind::kSchedule;
  request.n = 4;
  request.candidates = candidates;
  request.current = 1;
  for (auto _ : state) {
    ++request.step;
    benchmark::DoNotOptimize(decisions.Choose(request));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Decision_Random(benchmark::State& state) {
  RandomSource decisions(1);
  Decide(state, decisions);
}
BENCHMARK(BM_Decision_Random);

void BM_Decision_Pct(benchmark::State& state) {
  PctOptions options;
  options.depth = 3;
  options.steps = uint64_t{1} << 40;
  PctSource decisions(1, options);
  Decide(state, decisions);
}
BENCHMARK(BM_Decision_Pct);

// The baseline the simulator replaces: a ping-pong between two OS threads
// through std::mutex + std::condition_variable. One iteration = one round
// trip (two handoffs).
void BM_ThreadHandoff_MutexCondvar(benchmark::State& state) {
  std::mutex mu;
  std::condition_variable cv;
  bool ball_at_partner = false, stop = false;
  std::thread partner([&] {
    std::unique_lock<std::mutex> lock(mu);
    while (true) {
      cv.wait(lock, [&] { return ball_at_partner || stop; });
      if (stop) return;
      ball_at_partner = false;
      cv.notify_one();
    }
  });
  for (auto _ : state) {
    std::unique_lock<std::mutex> lock(mu);
    ball_at_partner = true;
    cv.notify_one();
    cv.wait(lock, [&] { return !ball_at_partner; });
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    stop = true;
  }
  cv.notify_one();
  partner.join();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ThreadHandoff_MutexCondvar)->UseRealTime();

// Prints the table as usual and keeps ns per item of each benchmark.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    // With --benchmark_repetitions the medians win (they are reported after
    // the single runs); the suffix is dropped so both map to one name.
    for (const Run& run : runs) {
      if (run.error_occurred || run.iterations == 0) continue;
      std::string name = run.benchmark_name();
      if (run.run_type == Run::RT_Aggregate) {
        if (run.aggregate_name != "median") continue;
        name.resize(name.size() - std::string("_median").size());
      }
      // CPU time, as the rate counters use: this machine is shared, and wall
      // time also counts the waits for a core. The thread handoff measures
      // real time (its cost is mostly waiting for the other thread).
      double per_iteration_ns = name.find("real_time") != std::string::npos
                                    ? run.GetAdjustedRealTime()
                                    : run.GetAdjustedCPUTime();  // in the run's time unit
      per_iteration_ns *= run.time_unit == benchmark::kMicrosecond   ? 1e3
                          : run.time_unit == benchmark::kMillisecond ? 1e6
                          : run.time_unit == benchmark::kSecond      ? 1e9
                                                                     : 1;
      double items = 1;
      if (auto it = run.counters.find("items_per_iteration"); it != run.counters.end()) {
        items = it->second.value;
      }
      ns_per_item_[name] = per_iteration_ns / items;
    }
  }
  double NsPerItem(const std::string& name) const {
    auto it = ns_per_item_.find(name);
    return it == ns_per_item_.end() ? 0 : it->second;
  }

 private:
  std::map<std::string, double> ns_per_item_;
};

void PrintRatios(const RatioReporter& r) {
  const double raw = r.NsPerItem("BM_RawFiberRoundTrip");
  const double always = r.NsPerItem("BM_SchedulerYield_AlwaysSwitch");
  const double random = r.NsPerItem("BM_SchedulerYield_Random");
  const double recorded = r.NsPerItem("BM_SchedulerYield_Random_Recorded/iterations:2097152");
  const double point = r.NsPerItem("BM_SchedulingPoint_NoChoice");
  const double run = r.NsPerItem("BM_Executions_TwoFibersTenYields");
  const double thread = r.NsPerItem("BM_ThreadHandoff_MutexCondvar/real_time");
  if (raw > 0) {
    std::printf("\nper item, against a raw Boost.Context round trip (%.1f ns) in this run:\n", raw);
  }
  auto line = [raw](const char* what, double ns, const char* goal) {
    if (ns > 0 && raw > 0) std::printf("  %-48s %9.1f ns  %7.2fx  %s\n", what, ns, ns / raw, goal);
  };
  line("yield through the scheduler, always switching", always, "(goal <= 3x)");
  line("yield through the scheduler, random decisions", random, "");
  line("  same, recording 4M choices (log growth)", recorded, "");
  line("scheduling point with no choice (one fiber)", point, "");
  line("std::mutex+condvar thread round trip", thread, "");
  line("a schedule decision among 4, seeded random", r.NsPerItem("BM_Decision_Random"), "");
  line("a schedule decision among 4, PCT depth 3", r.NsPerItem("BM_Decision_Pct"), "");
  const double two = r.NsPerItem("BM_Executions_MainPlusOneTenYields");
  const double empty = r.NsPerItem("BM_Executions_MainOnly");
  if (run > 0) {
    std::printf("executions, 2 fibers x 10 yields joined by main: %.2f M/s (%.0f ns each)\n",
                1e3 / run, run);
  }
  if (two > 0) {
    std::printf("executions, main + 1 fiber, 10 yields each:      %.2f M/s (%.0f ns each)\n",
                1e3 / two, two);
  }
  if (empty > 0) std::printf("  (a run whose main returns at once: %.0f ns)\n", empty);
  std::printf("  goal: >= 1 M/s\n");
  if (thread > 0 && random > 0) {
    std::printf("a scheduler yield is %.0fx cheaper than a thread handoff\n", thread / random);
  }
}

}  // namespace
}  // namespace drpc::sim

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  drpc::sim::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  drpc::sim::PrintRatios(reporter);
  benchmark::Shutdown();
  return 0;
}

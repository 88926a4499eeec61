// What a simulated RPC costs: whole runs of the rpc.world.fixed scenario
// (clients and servers on hosts of a faulty simulated world, a liveness
// phase) beside the plain rpc.fixed scenario (one client, one server, one
// pipe), each run on the next seed through the scenario registry, as
// `drpc-sim sweep` runs them. Reported per CPU-second: runs, scheduling
// steps and RPCs (calls that ended, from the scenarios' outcome tallies;
// the world's count includes its liveness probes). The ratio printed after
// the table is the CPU time of one world run over one plain run.
// Build with the release preset:
//   cmake --preset release -B build/sim-release
//   cmake --build build/sim-release --target bench_sim_rpc
//   build/sim-release/bench/sim/bench_sim_rpc
//
// Measured 2026-12-03, release preset, --benchmark_min_time=2, CPU time, a
// shared 2-core machine (load ~5):
//   rpc.fixed        2.75k runs/s   12.5k RPCs/s  (4.5 RPCs a run)  8.2M steps/s
//   rpc.world.fixed  1.26k runs/s   13.9k RPCs/s  (11.0 a run)      8.4M steps/s
//   one world run / one plain run: 2.18x CPU time.
// The default preset (checked mode: per-step checkers) is far slower: 1.25k
// world RPCs/s, 19x the plain run.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>

#include "bench/common/ratio_reporter.h"
#include "sim/scenarios/rpc/rpc_harness.h"
#include "sim/scenarios/scenario.h"
#include "sim/scenarios/world/world_harness.h"
#include "sim/sched/random_source.h"
#include "sim/sched/run.h"

namespace drpc::sim {
namespace {

// RPCs in a tally: every entry whose key starts with one of `prefixes`.
uint64_t Calls(const std::map<std::string, uint64_t>& tally,
               std::initializer_list<std::string_view> prefixes) {
  uint64_t n = 0;
  for (const auto& [what, count] : tally) {
    for (std::string_view p : prefixes) {
      if (std::string_view(what).substr(0, p.size()) == p) n += count;
    }
  }
  return n;
}

uint64_t PlainCalls() { return Calls(rpcsim::OutcomeTally(), {""}); }
uint64_t WorldCalls() { return Calls(worldsim::WorldTally(), {"call ", "probe "}); }

// One run per iteration, seeds 1, 2, ...; a failing run stops the benchmark
// (the scenarios pass on every seed, so a failure is a bug to report).
void RunScenario(benchmark::State& state, const char* name, uint64_t (*calls)()) {
  const Scenario* scenario = Scenarios().Find(name);
  if (scenario == nullptr) {
    state.SkipWithError("no such scenario");
    return;
  }
  RunOptions options = scenario->options;
  options.record_choices = false;  // as a sweep's passing runs
  uint64_t seed = 0;
  uint64_t steps = 0;
  const uint64_t calls_before = calls();
  for (auto _ : state) {
    RandomSource decisions(++seed);
    const RunResult result = Run(decisions, options, scenario->body);
    if (!result.ok()) {
      state.SkipWithError(("seed " + std::to_string(seed) + " failed").c_str());
      return;
    }
    steps += result.steps;
  }
  state.counters["runs"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["steps"] =
      benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
  state.counters["rpcs"] =
      benchmark::Counter(static_cast<double>(calls() - calls_before), benchmark::Counter::kIsRate);
  state.counters["rpcs/run"] =
      static_cast<double>(calls() - calls_before) / static_cast<double>(state.iterations());
}

void BM_RpcFixed(benchmark::State& state) { RunScenario(state, "rpc.fixed", PlainCalls); }
void BM_RpcWorldFixed(benchmark::State& state) {
  RunScenario(state, "rpc.world.fixed", WorldCalls);
}
BENCHMARK(BM_RpcFixed);
BENCHMARK(BM_RpcWorldFixed);

}  // namespace
}  // namespace drpc::sim

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  drpc::bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  std::printf("CPU time of one run:\n");
  reporter.PrintRatio("BM_RpcWorldFixed", "BM_RpcFixed");
  benchmark::Shutdown();
  return 0;
}

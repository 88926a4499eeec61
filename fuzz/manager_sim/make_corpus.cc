// Writes the seed corpus of the manager_sim fuzz target: the choices of
// seeded runs of manager.fixed (random seeds 1..N, and PCT seeds 1..M at
// depth 3, whose schedules differ in kind), as the bytes sim::BytesDecisionSource
// reads back into exactly those choices. Each file is checked to replay to
// its run's trace hash before it is written. Regenerate when the manager's
// scheduling points change, so the files stay whole seeded runs.
//
//   manager_sim_make_corpus corpus/manager_sim 12 4
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "fuzz/manager_sim/choice_bytes.h"
#include "sim/scenarios/scenario.h"
#include "sim/sched/input_source.h"
#include "sim/sched/pct_source.h"
#include "sim/sched/random_source.h"
#include "sim/sched/run.h"

namespace {

using namespace drpc::sim;  // NOLINT: a tool

bool Write(const Scenario& scenario, DecisionSource& source, const std::string& path) {
  const RunResult result = Run(source, scenario.options, scenario.body);
  if (!result.ok()) {
    std::fprintf(stderr, "%s: the run fails: %s\n", path.c_str(), result.report.c_str());
    return false;
  }
  const std::vector<uint8_t> bytes = drpc::fuzz::ChoicesAsBytes(result.choice_log);
  BytesDecisionSource again(bytes);
  const RunResult replayed = Run(again, scenario.options, scenario.body);
  if (replayed.trace_hash != result.trace_hash || again.defaulted() != 0) {
    std::fprintf(stderr, "%s: the bytes do not replay the run\n", path.c_str());
    return false;
  }
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s DIR RANDOM_SEEDS PCT_SEEDS\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const int random_seeds = std::atoi(argv[2]);
  const int pct_seeds = std::atoi(argv[3]);
  const Scenario* scenario = Scenarios().Find("manager.fixed");
  if (scenario == nullptr) return 1;
  for (int seed = 1; seed <= random_seeds; ++seed) {
    RandomSource random(static_cast<uint64_t>(seed));
    char name[64];
    std::snprintf(name, sizeof(name), "/random_%03d", seed);
    if (!Write(*scenario, random, dir + name)) return 1;
  }
  PctOptions pct;
  pct.depth = 3;
  pct.steps = 3000;
  for (int seed = 1; seed <= pct_seeds; ++seed) {
    PctSource source(static_cast<uint64_t>(seed), pct);
    char name[64];
    std::snprintf(name, sizeof(name), "/pct_d3_%03d", seed);
    if (!Write(*scenario, source, dir + name)) return 1;
  }
  return 0;
}

// The ring's plants under the connection workloads: each ring plant
// switched on (`--plant`) in manager.fixed and rpc.fixed is found by the
// seeded random scheduler within a bound of seeds, with the expected
// outcome, and the same seed without the plant passes. The workloads' own
// checkers (the ledger's conservation at every step, message checks,
// deadlock detection, rpc's liveness phase) catch a ring bug under a real stream, not only under
// the ring harness.
//
// Trials start where `drpc-sim hunt` starts them (seed t << 32), so
//   drpc-sim hunt --scenario manager.fixed --plant ring.double-done --trials 101
// measures what a bound here must cover (docs/plants.md has the figures).
#include <gtest/gtest.h>

#include <cstdint>
#include <iostream>
#include <ostream>
#include <string>
#include <string_view>

#include "drpc/base/plant.h"
#include "sim/cli/runner.h"
#include "sim/testing/scenario_runs.h"

namespace drpc::sim {
namespace {

using plant::Site;

struct Case {
  const char* workload;
  Site site;
  uint64_t trials;  // hunt's trials 0..trials-1
  uint64_t bound;   // seeds per trial: about twice the worst of 101 hunt trials
};

constexpr Case kCases[] = {
    {"manager.fixed", Site::kRingDoubleDone, 3, 50},
    {"manager.fixed", Site::kRingCloseReleasesHeld, 3, 1000},
    {"manager.fixed", Site::kRingLeakQueued, 3, 50},
    {"manager.fixed", Site::kRingEnqueueLeaksOnClose, 3, 300},
    {"manager.fixed", Site::kRingDequeueSkipsAdvance, 3, 50},
    {"manager.fixed", Site::kRingDequeueAdvancesTwice, 3, 100},
    {"manager.fixed", Site::kRingCloseWakesOnlyConsumer, 3, 1000},
    {"manager.fixed", Site::kRingPreFix89d4b63, 3, 1000},
    {"rpc.fixed", Site::kRingDoubleDone, 3, 50},
    {"rpc.fixed", Site::kRingCloseReleasesHeld, 3, 300},
    {"rpc.fixed", Site::kRingLeakQueued, 3, 50},
    {"rpc.fixed", Site::kRingEnqueueLeaksOnClose, 3, 1000},
    {"rpc.fixed", Site::kRingDequeueSkipsAdvance, 3, 50},
    {"rpc.fixed", Site::kRingDequeueAdvancesTwice, 3, 300},
    // Rare under rpc: the reader must be blocked on a full ring (capacity
    // 1..5) of a stream nobody reads when that stream ends. One trial.
    {"rpc.fixed", Site::kRingCloseWakesOnlyConsumer, 1, 40000},
    {"rpc.fixed", Site::kRingPreFix89d4b63, 3, 300},
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.workload << " --plant " << plant::Name(c.site);
}

class RingPlantInWorkload : public ::testing::TestWithParam<Case> {};

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  std::string name =
      std::string(info.param.workload) + "_" + std::string(plant::Name(info.param.site));
  for (char& c : name) {
    if (c == '.' || c == '-') c = '_';
  }
  return name;
}

TEST_P(RingPlantInWorkload, IsFoundWithinTheBound) {
  const Case& c = GetParam();
  const Scenario& scenario = testing::FindScenario(c.workload);
  ASSERT_EQ(scenario.expect, Expectation::kPass);
  cli::RunSettings planted = testing::SettingsFor(scenario);
  planted.options.plants.insert(c.site);
  // A lost wake-up stalls the run: the manager workload deadlocks; the rpc
  // workload's liveness phase reports the stalled tasks first.
  const Outcome stalled =
      std::string_view(c.workload) == "rpc.fixed" ? Outcome::kLivenessFailed : Outcome::kDeadlock;
  const Outcome expected =
      c.site == Site::kRingCloseWakesOnlyConsumer ? stalled : Outcome::kInvariantFailed;
  for (uint64_t trial = 0; trial < c.trials; ++trial) {
    const uint64_t base = trial << 32;
    uint64_t needed = 0;
    for (uint64_t i = 0; i < c.bound && needed == 0; ++i) {
      const cli::SeedRun run = cli::RunSeed(scenario, base + i, planted, false);
      if (!run.failed()) continue;
      needed = i + 1;
      EXPECT_EQ(OutcomeName(run.result.outcome), OutcomeName(expected))
          << run.result.report << "\nreplay: " << cli::ReplayLine(scenario, run.seed, planted);
      // The plant is the bug: the seed passes without it.
      EXPECT_TRUE(testing::RunSeed(scenario, run.seed).ok())
          << "replay: " << testing::ReplayLine(scenario, run.seed);
      std::cout << c.workload << " --plant " << plant::Name(c.site) << ": trial " << trial
                << " found at seed " << run.seed << " (" << needed << " seeds)\n";
    }
    EXPECT_NE(needed, 0u) << plant::Name(c.site) << " not found under " << c.workload << " in "
                          << c.bound << " seeds from " << base;
  }
}

INSTANTIATE_TEST_SUITE_P(Workloads, RingPlantInWorkload, ::testing::ValuesIn(kCases), CaseName);

}  // namespace
}  // namespace drpc::sim

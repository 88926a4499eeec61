// The rpc.world family (label sim; sim/scenarios/world): rpc.world.fixed
// passes a sweep and reaches every fault kind and the error outcomes they
// allow; same seed, same trace; each plant only the world reaches is found
// within its bound by the check built for it, and its replay reproduces it;
// the issue-13 known failure stays reproducible.
#include <gtest/gtest.h>

#include <iostream>
#include <optional>
#include <string>

#include "sim/cli/runner.h"
#include "sim/scenarios/world/world_harness.h"
#include "sim/scenarios/world/world_workload.h"
#include "sim/sched/fault_config.h"
#include "sim/testing/run_checks.h"
#include "sim/testing/scenario_runs.h"

namespace drpc::sim {
namespace {

using testing::Describe;
using testing::FindScenario;
using testing::RunSeed;
using testing::SameRun;
using testing::SeedCount;

TEST(WorldSim, FixedPassesEverySeedAndReachesEveryFaultAndOutcome) {
  const Scenario& scenario = FindScenario("rpc.world.fixed");
  // WORLD_SIM_SEEDS overrides the sweep (a longer soak).
  const testing::SweepTotals totals =
      testing::SweepExpectingPass(scenario, SeedCount("WORLD_SIM_SEEDS", 300));
  ASSERT_FALSE(::testing::Test::HasFailure());
  std::cout << totals.runs << " seeds, " << totals.steps << " scheduling steps, " << totals.fibers
            << " fibers\n";
  const auto& tally = worldsim::WorldTally();
  for (const auto& [what, n] : tally) std::cout << "  " << what << ": " << n << "\n";
  for (int k = 0; k < worldsim::kFaultKinds; ++k) {
    const std::string fault =
        std::string("fault ") + worldsim::FaultName(static_cast<worldsim::FaultKind>(k));
    EXPECT_GT(tally.count(fault) ? tally.at(fault) : 0, 0u) << "no run had a " << fault;
  }
  for (const char* reached :
       {"hostile peer", "dial failed", "call echo ok", "call count ok", "call sum ok",
        "call chat ok", "call echo closed", "probe ok", "probe closed",
        "call block deadline_exceeded", "server idle checked"}) {
    EXPECT_GT(tally.count(reached) ? tally.at(reached) : 0, 0u) << "never reached: " << reached;
  }
}

TEST(WorldSim, SameSeedSameTrace) {
  const Scenario& scenario = FindScenario("rpc.world.fixed");
  for (uint64_t seed = 0; seed < 10; ++seed) {
    const RunResult first = RunSeed(scenario, seed);
    const RunResult second = RunSeed(scenario, seed);
    ASSERT_EQ(first.trace_hash, second.trace_hash) << "seed " << seed;
    ASSERT_EQ(first.steps, second.steps) << "seed " << seed;
  }
}

// Each plant is found by the check it exists for, within its bound, and the
// replay of the failing seed is the same run.
TEST(WorldSim, ThePlantsOnlyTheWorldReachesAreFoundAndReplay) {
  struct Expected {
    const char* scenario;
    const char* report;
  };
  for (const Expected& e :
       {Expected{"rpc.world.linger-unbounded.buggy", "manager: Close lingers until the peer's EOF"},
        Expected{"rpc.world.reset-reply-ok.buggy", "received no call's data: ''"}}) {
    const Scenario& scenario = FindScenario(e.scenario);
    EXPECT_EQ(scenario.expect, Expectation::kFindsBug) << e.scenario;
    const std::optional<cli::SeedRun> found =
        testing::FirstFailingSeed(scenario, 0, scenario.find_within_seeds);
    ASSERT_TRUE(found.has_value())
        << e.scenario << " not found within " << scenario.find_within_seeds << " seeds";
    EXPECT_EQ(found->result.outcome, scenario.bug_outcome) << Describe(found->result);
    EXPECT_NE(found->result.report.find(e.report), std::string::npos) << found->result.report;
    EXPECT_TRUE(SameRun(RunSeed(scenario, found->seed), found->result)) << e.scenario;
    std::cout << e.scenario << ": seed " << found->seed << "\n";
  }
}

// Was a known failure: a server whose client's end vanished mid-call kept
// that call for ever. With the links' keepalive shortened every seed's
// servers get back to idle; with the default keepalive (60 s, past the
// liveness bound) the same workload fails the server idle check, so the
// check can fail and the keepalive is what passes it.
TEST(WorldSim, HalfOpenServersReleaseTheirCallsByKeepalive) {
  const Scenario& releases = FindScenario("world.half-open-server-releases");
  EXPECT_EQ(releases.expect, Expectation::kPass);
  testing::SweepExpectingPass(releases, SeedCount("WORLD_SIM_SEEDS", 200));

  Scenario slow_keepalive = releases;
  slow_keepalive.body = [] { worldsim::DrawAndRun(worldsim::HalfOpenGuard::kServerIdle); };
  const std::optional<cli::SeedRun> found = testing::FirstFailingSeed(slow_keepalive, 0, 200);
  ASSERT_TRUE(found.has_value()) << "the server idle check never failed with a 60 s keepalive";
  EXPECT_EQ(found->result.outcome, Outcome::kLivenessFailed) << Describe(found->result);
  EXPECT_NE(found->result.report.find("still runs the handlers of"), std::string::npos)
      << found->result.report;
}

// With every fault on (--faults all), a server may fail to start (no task
// for its accept loop, rt.spawn-failure): it retries as a supervised process
// would, and every seed still passes.
TEST(WorldSim, FixedPassesWithEveryFaultOnAndAServerThatFailsToStart) {
  Scenario scenario = FindScenario("rpc.world.fixed");
  std::string error;
  std::optional<FaultConfig> all = FaultConfig::Parse("all", error);
  ASSERT_TRUE(all.has_value()) << error;
  scenario.options.faults = *all;
  const uint64_t before = worldsim::WorldTally()["server start failed"];
  testing::SweepExpectingPass(scenario, SeedCount("WORLD_SIM_SEEDS", 300));
  EXPECT_GT(worldsim::WorldTally()["server start failed"], before)
      << "no run had a server whose Start failed";
}

// Was a known failure: a call without a deadline on a half-open connection
// waited forever. The links' keepalive ends it (and the Conn reports it)
// inside the liveness bound; the scenario's own tally shows the faults hit.
TEST(WorldSim, HalfOpenCallsEndByKeepalive) {
  const Scenario& scenario = FindScenario("world.half-open-call-waits");
  EXPECT_EQ(scenario.expect, Expectation::kPass);
  worldsim::WorldTally().clear();
  EXPECT_EQ(testing::SweepExpectingPass(scenario, SeedCount("WORLD_SIM_SEEDS", 300)).runs,
            SeedCount("WORLD_SIM_SEEDS", 300));
  EXPECT_GT(worldsim::WorldTally()["fault half-open-server"], 0u);
  uint64_t timed_out = 0;
  for (const auto& [what, n] : worldsim::WorldTally()) {
    if (what.ends_with(" connection")) timed_out += n;
  }
  EXPECT_GT(timed_out, 0u) << "no call or probe ended with a connection error";
}

}  // namespace
}  // namespace drpc::sim

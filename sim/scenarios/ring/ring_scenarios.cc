// The ring scenario family of drpc-sim: `ring.fixed` runs a random ring
// program (ring_program.h) on the production ring and must pass for every
// seed; `ring.<bug>.buggy` runs the same on a ring with one planted bug
// (ring_policy.h), which the seeded random scheduler must catch quickly.
//
//   drpc-sim run --scenario ring.fixed --seed 17
//   drpc-sim sweep --scenario ring.double-done.buggy --seeds 100
#include "sim/scenarios/ring/ring_harness.h"
#include "sim/scenarios/scenario.h"

namespace drpc::sim {

void RegisterRingScenarios(ScenarioRegistry& registry) {
  using ring::RingBug;
  Scenario fixed;
  fixed.name = ring::ScenarioName(RingBug::kNone);
  fixed.description =
      "a random ring program (producer, consumer, closer; capacity, budget) on the production "
      "ring: every §3.6 invariant holds at every step";
  fixed.expect = Expectation::kPass;
  fixed.options = ring::RingRunOptions();
  fixed.body = [] { ring::DrawAndRun(RingBug::kNone); };
  registry.Add(std::move(fixed));

  for (RingBug bug : ring::kPlantedBugs) {
    Scenario buggy;
    buggy.name = ring::ScenarioName(bug);
    buggy.description = "the ring with the planted bug '" + std::string(stream::RingBugName(bug)) +
                        "' (ring_policy.h)";
    buggy.expect = Expectation::kFindsBug;
    buggy.bug_outcome = ring::ExpectedOutcome(bug);
    buggy.find_within_seeds = ring::kFindWithinSeeds;
    buggy.options = ring::RingRunOptions();
    buggy.body = [bug] { ring::DrawAndRun(bug); };
    registry.Add(std::move(buggy));
  }
}

}  // namespace drpc::sim

// The ring scenario family of drpc-sim: `ring.fixed` runs a random ring
// program (ring_program.h) on the production ring and must pass for every
// seed; `ring.<bug>.buggy` runs the same with the plant `ring.<bug>` on
// (drpc/base/plant.h), which the seeded random scheduler must catch quickly.
// The buggy scenarios are shorthands: `--scenario ring.fixed --plant ring.<bug>`
// runs the same thing.
//
//   drpc-sim run --scenario ring.fixed --seed 17
//   drpc-sim sweep --scenario ring.double-done.buggy --seeds 100
#include "sim/scenarios/ring/ring_harness.h"
#include "sim/scenarios/scenario.h"

namespace drpc::sim {

void RegisterRingScenarios(ScenarioRegistry& registry) {
  Scenario fixed;
  fixed.name = ring::kFixedScenario;
  fixed.description =
      "a random ring program (producer, consumer, closer; capacity, budget) on the production "
      "ring: every §3.6 invariant holds at every step";
  fixed.expect = Expectation::kPass;
  fixed.options = ring::RingRunOptions();
  fixed.body = [] { ring::DrawAndRun(); };
  registry.Add(std::move(fixed));

  // Plants exist only in checked builds (drpc/base/plant.h).
  if constexpr (DRPC_CHECKED == 0) return;
  for (plant::Site site : ring::kRingPlants) {
    registry.Add(FindsBug(ring::ScenarioName(site),
                          "ring.fixed with the plant '" + std::string(plant::Name(site)) + "' on",
                          ring::ExpectedOutcome(site), ring::kFindWithinSeeds,
                          ring::RingRunOptions({site}), [] { ring::DrawAndRun(); }));
  }
}

}  // namespace drpc::sim

// The assembly scenario family of drpc-sim:
//   assembly.fixed          a hand-driven peer's split, interleaved, replaced,
//                           oversized and cut packets to a server manager;
//                           every seed passes (assembly_harness.h lists the checks)
//   assembly.<bug>.buggy    the same with the plant assembly.<bug> switched on
//
//   drpc-sim run --scenario assembly.fixed --seed 17
#include <string>

#include "sim/scenarios/assembly/assembly_harness.h"
#include "sim/scenarios/scenario.h"

namespace drpc::sim {

void RegisterAssemblyScenarios(ScenarioRegistry& registry) {
  registry.Add(Passes(assembly::kFixedScenario,
                      "a hand-driven peer sends split, interleaved, replaced, oversized and cut "
                      "packets to a server manager: ledger, prefix and teardown checks",
                      assembly::AssemblyRunOptions(), [] { assembly::DrawAndRun(); }));
  for (const assembly::PlantedBug& bug : assembly::kPlantedBugs) {
    registry.Add(FindsBug(assembly::ScenarioName(bug.site),
                          "the assembly workload with the plant '" +
                              std::string(plant::Name(bug.site)) + "' (drpc/base/plant.h)",
                          bug.outcome, assembly::kFindWithinSeeds,
                          assembly::AssemblyRunOptions({bug.site}),
                          [] { assembly::DrawAndRun(); }));
  }
}

}  // namespace drpc::sim

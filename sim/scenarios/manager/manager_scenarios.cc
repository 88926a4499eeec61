// The manager scenario family of drpc-sim:
//   manager.fixed                 a generated workload on the production manager pair;
//                                 every seed passes (manager_harness.h lists the checks)
//   manager.<bug>.buggy           the same with the plant manager.<bug> switched on
//                                 (drpc/base/plant.h), which the seeded random
//                                 scheduler must catch
//   manager.hol.known-limit       head-of-line blocking with the seed era's blocking
//                                 ring: every seed deadlocks (drpc-protocol.md §4.10)
//   manager.hol.byte-budget       the same with the ring's byte budget: passes
//
//   drpc-sim run --scenario manager.fixed --seed 17
//   drpc-sim run --scenario manager.hol.known-limit --seed 1
#include "sim/scenarios/manager/manager_harness.h"
#include "sim/scenarios/scenario.h"

namespace drpc::sim {

void RegisterManagerScenarios(ScenarioRegistry& registry) {
  Scenario fixed;
  fixed.name = mgr::kFixedScenario;
  fixed.description =
      "a client and a server manager over the sim pipe with a generated workload (streams, "
      "message sizes, CloseSend/Close/Cancel/SendError/deadlines, a slow consumer, a Close or "
      "reset at a chosen time): ledger, finish, prefix and no-deadlock checks";
  fixed.expect = Expectation::kPass;
  fixed.options = mgr::ManagerRunOptions();
  fixed.body = [] { mgr::DrawAndRun(); };
  registry.Add(std::move(fixed));

  for (const mgr::PlantedBug& bug : mgr::kPlantedBugs) {
    registry.Add(FindsBug(mgr::ScenarioName(bug.site),
                          "the manager workload with the plant '" +
                              std::string(plant::Name(bug.site)) + "' (drpc/base/plant.h)",
                          bug.outcome, mgr::kFindWithinSeeds, mgr::ManagerRunOptions({bug.site}),
                          [] { mgr::DrawAndRun(); }));
  }

  registry.Add(FindsBug(
      "manager.hol.known-limit",
      "known limit (drpc-protocol.md §4.10): stream A's full ring blocks the shared reader "
      "while A's handler waits for stream B; every seed deadlocks",
      Outcome::kDeadlock, /*find_within_seeds=*/1, mgr::ManagerRunOptions(),
      [] { mgr::RunHeadOfLine(/*byte_budget=*/false); }));

  Scenario budget;
  budget.name = "manager.hol.byte-budget";
  budget.description =
      "the head-of-line scenario with a receive byte budget: only stream A fails, B is served";
  budget.expect = Expectation::kPass;
  budget.options = mgr::ManagerRunOptions();
  budget.body = [] { mgr::RunHeadOfLine(/*byte_budget=*/true); };
  registry.Add(std::move(budget));
}

}  // namespace drpc::sim

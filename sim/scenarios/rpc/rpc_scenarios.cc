// The rpc scenario family of drpc-sim:
//   rpc.fixed                 Conn/Server/Mux over the sim listener with a generated
//                             workload; every seed passes (rpc_harness.h lists the checks)
//   rpc.wrong-reply.buggy     the echo handler corrupts a reply: the per-call oracle finds it
//   rpc.stuck-handler.buggy   a handler ignores its call's end: Stop never returns, and the
//                             liveness phase names the stuck handler and its wait label
//   rpc.crossed-reply.buggy   the echo handler answers a call with another call's reply: the
//                             oracle finds a call that received another call's data
//   rpc.deaf-after-cancel.buggy  once a call was canceled, echo calls are never answered: a
//                             healed connection never serves again (the liveness probe)
//
//   drpc-sim run --scenario rpc.fixed --seed 17
#include "sim/scenarios/rpc/rpc_harness.h"
#include "sim/scenarios/scenario.h"

namespace drpc::sim {

void RegisterRpcScenarios(ScenarioRegistry& registry) {
  using rpcsim::RpcPlant;
  Scenario fixed;
  fixed.name = rpcsim::ScenarioName(RpcPlant::kNone);
  fixed.description = rpcsim::ScenarioDescription(RpcPlant::kNone);
  fixed.expect = Expectation::kPass;
  fixed.options = rpcsim::RpcRunOptions();
  fixed.body = [] { rpcsim::DrawAndRun(RpcPlant::kNone); };
  registry.Add(std::move(fixed));

  for (RpcPlant plant : rpcsim::kPlants) {
    registry.Add(FindsBug(rpcsim::ScenarioName(plant), rpcsim::ScenarioDescription(plant),
                          rpcsim::ExpectedOutcome(plant), rpcsim::kFindWithinSeeds,
                          rpcsim::RpcRunOptions(), [plant] { rpcsim::DrawAndRun(plant); }));
  }
}

}  // namespace drpc::sim

// The rpc scenario family of drpc-sim:
//   rpc.fixed                 Conn/Server/Mux over the sim listener with a generated
//                             workload; every seed passes (rpc_harness.h lists the checks)
//   rpc.wrong-reply.buggy     the echo handler corrupts a reply: the outcome check finds it
//   rpc.stuck-handler.buggy   a handler ignores its call's end: Stop never returns, and the
//                             simulator reports the deadlock with the stuck tasks
//
//   drpc-sim run --scenario rpc.fixed --seed 17
#include "sim/scenarios/rpc/rpc_harness.h"
#include "sim/scenarios/scenario.h"

namespace drpc::sim {

void RegisterRpcScenarios(ScenarioRegistry& registry) {
  using rpcsim::RpcPlant;
  Scenario fixed;
  fixed.name = rpcsim::ScenarioName(RpcPlant::kNone);
  fixed.description =
      "rpc Conn + Server + Mux over the sim listener: unary/streaming/bidi calls with metadata, "
      "cancel tokens, deadlines, unknown methods, handler errors, accept errors, a reset, "
      "client Close or server Stop; ledger, outcome, shutdown and no-deadlock checks";
  fixed.expect = Expectation::kPass;
  fixed.options = rpcsim::RpcRunOptions();
  fixed.body = [] { rpcsim::DrawAndRun(RpcPlant::kNone); };
  registry.Add(std::move(fixed));

  for (RpcPlant plant : rpcsim::kPlants) {
    Scenario buggy;
    buggy.name = rpcsim::ScenarioName(plant);
    buggy.description = plant == RpcPlant::kWrongReply
                            ? "the rpc workload with an echo handler that corrupts a reply"
                            : "the rpc workload with a handler that ignores its call's end";
    buggy.expect = Expectation::kFindsBug;
    buggy.bug_outcome = rpcsim::ExpectedOutcome(plant);
    buggy.find_within_seeds = rpcsim::kFindWithinSeeds;
    buggy.options = rpcsim::RpcRunOptions();
    buggy.body = [plant] { rpcsim::DrawAndRun(plant); };
    registry.Add(std::move(buggy));
  }
}

}  // namespace drpc::sim

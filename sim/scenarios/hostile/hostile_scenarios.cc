// The hostile scenario family of drpc-sim (issue 12, "Hostile peers"):
//   hostile.fixed          1-3 hostile peers with drawn programs of every behaviour,
//                          beside well-behaved clients that must keep being served
//   hostile.client.fixed   a hostile peer in the server role against a Conn: calls end by
//                          their deadlines
//   hostile.<what>.known   what today's library does not survive (known_failures.h)
//
//   drpc-sim run --scenario hostile.fixed --seed 17
#include "sim/scenarios/hostile/hostile_client.h"
#include "sim/scenarios/hostile/hostile_fixed.h"
#include "sim/scenarios/hostile/known_failures.h"
#include "sim/scenarios/rpc/rpc_harness.h"
#include "sim/scenarios/scenario.h"

namespace drpc::sim {

void RegisterHostileScenarios(ScenarioRegistry& registry) {
  Scenario fixed;
  fixed.name = "hostile.fixed";
  fixed.description =
      "1-3 hostile peers (garbage, truncated frames, over-long varints, huge lengths, id abuse, "
      "floods, metadata at/over the limit, slowloris, never reading) beside well-behaved "
      "clients: the server keeps serving them, ledgers balance, shutdown is clean";
  fixed.expect = Expectation::kPass;
  fixed.options = hostile::HostileRunOptions();
  fixed.body = [] { hostile::DrawAndRunFixed(); };
  registry.Add(std::move(fixed));

  // The rpc family's plants that hostile.fixed's checks exist for: the reply
  // check and the shutdown check (it has no liveness phase, so a stuck
  // handler shows as a deadlock of Stop).
  for (rpcsim::RpcPlant plant : {rpcsim::RpcPlant::kWrongReply, rpcsim::RpcPlant::kStuckHandler}) {
    Scenario buggy;
    buggy.name = plant == rpcsim::RpcPlant::kWrongReply ? "hostile.wrong-reply.buggy"
                                                        : "hostile.stuck-handler.buggy";
    buggy.description = plant == rpcsim::RpcPlant::kWrongReply
                            ? "hostile.fixed with an echo handler that corrupts its second reply: "
                              "the well-behaved clients' reply check finds it"
                            : "hostile.fixed with a handler that ignores its call's end: the "
                              "shutdown check reports Stop stuck";
    buggy.expect = Expectation::kFindsBug;
    buggy.bug_outcome =
        plant == rpcsim::RpcPlant::kWrongReply ? Outcome::kInvariantFailed : Outcome::kDeadlock;
    buggy.find_within_seeds = 200;
    buggy.options = hostile::HostileRunOptions();
    buggy.body = [plant] { hostile::DrawAndRunFixed(plant); };
    registry.Add(std::move(buggy));
  }

  Scenario client;
  client.name = "hostile.client.fixed";
  client.description =
      "a hostile peer in the server role answers a well-behaved Conn with every behaviour: each "
      "call returns by its deadline, Close returns, the ledger balances, nothing is left";
  client.expect = Expectation::kPass;
  client.options = hostile::HostileRunOptions();
  client.body = [] { hostile::DrawAndRunClient(); };
  registry.Add(std::move(client));

  for (const hostile::KnownFailure& known : hostile::KnownFailures()) {
    Scenario s;
    s.name = known.name;
    s.description = known.description;
    // Issue 13 flips a fixed one by dropping ".known" from its name.
    if (known.name.ends_with(".known")) {
      s.expect = Expectation::kFindsBug;
      s.bug_outcome = Outcome::kInvariantFailed;
      s.find_within_seeds = 20;
    } else {
      s.expect = Expectation::kPass;
    }
    s.options = hostile::HostileRunOptions();
    s.body = known.body;
    registry.Add(std::move(s));
  }
}

}  // namespace drpc::sim

// The hostile scenario family of drpc-sim (issue 12, "Hostile peers"):
//   hostile.fixed          1-3 hostile peers with drawn programs of every behaviour,
//                          beside well-behaved clients that must keep being served
//   hostile.client.fixed   a hostile peer in the server role against a Conn: calls end by
//                          their deadlines
//   hostile.slowloris, hostile.idle, hostile.stalled-reader
//                          the connection timeouts close such peers (timeout_scenarios.h)
//   hostile.<what>.known   what today's library does not survive (known_failures.h)
// The fixed ones and their plants run on the simulated world (sim/net/world.h), every peer
// and client on a host of its own; the world's faults come on with --faults net.* / --swarm.
//
//   drpc-sim run --scenario hostile.fixed --seed 17
//   drpc-sim sweep --scenario hostile.fixed --seeds 500 --faults net.reset,net.partition
#include "sim/scenarios/hostile/hostile_client.h"
#include "sim/scenarios/hostile/hostile_fixed.h"
#include "sim/scenarios/hostile/known_failures.h"
#include "sim/scenarios/hostile/timeout_scenarios.h"
#include "sim/scenarios/rpc/rpc_harness.h"
#include "sim/scenarios/scenario.h"

namespace drpc::sim {

void RegisterHostileScenarios(ScenarioRegistry& registry) {
  registry.Add(Passes(
      "hostile.fixed",
      "1-3 hostile peers (garbage, truncated frames, over-long varints, huge lengths, id abuse, "
      "floods, metadata at/over the limit, slowloris, never reading) beside well-behaved "
      "clients, each on a host of the simulated world: the server keeps serving them, ledgers "
      "balance, shutdown is clean",
      hostile::HostileRunOptions(), [] { hostile::DrawAndRunFixed(); }));

  // The rpc family's plants that hostile.fixed's checks exist for: the reply
  // check and the shutdown check (it has no liveness phase, so a stuck
  // handler shows as a deadlock of Stop).
  for (rpcsim::RpcPlant plant : {rpcsim::RpcPlant::kWrongReply, rpcsim::RpcPlant::kStuckHandler}) {
    const bool wrong_reply = plant == rpcsim::RpcPlant::kWrongReply;
    registry.Add(FindsBug(
        wrong_reply ? "hostile.wrong-reply.buggy" : "hostile.stuck-handler.buggy",
        wrong_reply ? "hostile.fixed with an echo handler that corrupts its second reply: the "
                      "well-behaved clients' reply check finds it"
                    : "hostile.fixed with a handler that ignores its call's end: the shutdown "
                      "check reports Stop stuck",
        wrong_reply ? Outcome::kInvariantFailed : Outcome::kDeadlock, /*find_within_seeds=*/200,
        hostile::HostileRunOptions(), [plant] { hostile::DrawAndRunFixed(plant); }));
  }

  registry.Add(Passes(
      "hostile.client.fixed",
      "a hostile peer in the server role, on a host of the simulated world, answers a "
      "well-behaved Conn with every behaviour: each call returns by its deadline, Close returns, "
      "the ledger balances, nothing is left",
      hostile::HostileRunOptions(), [] { hostile::DrawAndRunClient(); }));

  hostile::RegisterTimeoutScenarios(registry);

  // Issue 13's fixed known failures, each now a passing scenario.
  for (const hostile::KnownFailure& known : hostile::KnownFailures()) {
    registry.Add(Passes(known.name, known.description, hostile::HostileRunOptions(), known.body));
  }
}

}  // namespace drpc::sim

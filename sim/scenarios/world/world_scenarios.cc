// The rpc.world scenario family of drpc-sim (world_harness.h):
//   rpc.world.fixed   clients and servers on hosts of a faulty simulated world
//                     with a hostile peer alongside; every seed passes
//   rpc.world.<plant>.buggy   a library plant only the world's faults reach
//                     (docs/plants.md)
//
//   drpc-sim run --scenario rpc.world.fixed --seed 17
#include "sim/scenarios/scenario.h"
#include "sim/scenarios/world/world_harness.h"

namespace drpc::sim {

void RegisterWorldScenarios(ScenarioRegistry& registry) {
  Scenario fixed;
  fixed.name = "rpc.world.fixed";
  fixed.description =
      "rpc Conns on 2-4 client hosts call 1-2 servers (World::Boot) over a simulated world: drawn "
      "links (latency, tail, bandwidth, buffer), refused connects, backlog, accept errors, and "
      "timed resets, half-opens, partitions, crashes and slow readers, with 0-1 hostile peer; "
      "a safety phase (per-call oracle told which faults hit each connection, pool ledgers), "
      "then HealAll and a liveness phase (calls end, Conns serve a probe, shutdown)";
  fixed.expect = Expectation::kPass;
  fixed.options = worldsim::WorldRunOptions();
  fixed.body = [] { worldsim::DrawAndRun(); };
  registry.Add(std::move(fixed));
}

}  // namespace drpc::sim

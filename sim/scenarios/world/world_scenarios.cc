// The rpc.world scenario family of drpc-sim (world_harness.h):
//   rpc.world.fixed                   clients and servers on hosts of a faulty
//                                     simulated world with a hostile peer alongside;
//                                     every seed passes
//   rpc.world.swarm.fixed             the same with a swarm of the world's fault kinds
//                                     (net.*) drawn by the World too; every seed passes
//   rpc.world.linger-unbounded.buggy  plant manager.linger-unbounded: a Close waits
//                                     for a half-open peer's EOF forever
//   rpc.world.reset-reply-ok.buggy    plant rpc.reset-reply-ok: a unary call whose
//                                     connection fails before the reply succeeds empty
//   rpc.world.leak-marshal-accounting.buggy  plant stream.leak-marshal-accounting: the
//                                     resource checker finds the leaked count at the end
//   world.half-open-call-waits        without a deadline, a call to a half-open
//                                     server ends by the links' keepalive
//   world.half-open-server-releases   a server whose client's end vanished mid-call
//                                     releases its calls by keepalive
//
//   drpc-sim run --scenario rpc.world.fixed --seed 17
#include <utility>

#include "drpc/base/plant.h"
#include "sim/scenarios/scenario.h"
#include "sim/scenarios/world/world_harness.h"
#include "sim/sched/fault_config.h"

namespace drpc::sim {
namespace {

// Seeds-to-find measured with `drpc-sim hunt --trials 51` (docs/plants.md);
// the bound is well above the worst trial.
constexpr uint64_t kFindWithinSeeds = 200;

Scenario Buggy(std::string name, std::string description, plant::Site site, Outcome outcome) {
  RunOptions options = worldsim::WorldRunOptions();
  options.plants = plant::Set{site};
  return FindsBug(std::move(name), std::move(description), outcome, kFindWithinSeeds,
                  std::move(options), [] { worldsim::DrawAndRun(); });
}

}  // namespace

void RegisterWorldScenarios(ScenarioRegistry& registry) {
  registry.Add(Passes(
      "rpc.world.fixed",
      "rpc Conns on 2-4 client hosts call 1-2 servers (World::Boot) over a simulated world: drawn "
      "links (latency, tail, bandwidth, buffer), refused connects, backlog, accept errors, and "
      "timed resets, half-opens, partitions, crashes and slow readers, with 0-1 hostile peer; "
      "a safety phase (per-call oracle told which faults hit each connection, pool ledgers), "
      "then HealAll and a liveness phase (calls end, Conns serve a probe, shutdown)",
      worldsim::WorldRunOptions(), [] { worldsim::DrawAndRun(); }));

  // The same workload with a swarm of the world's fault kinds on top: each
  // seed first draws which of them the World draws too, and how often
  // (fault_config.h; the oracle is told, world_harness.cc).
  RunOptions swarm = worldsim::WorldRunOptions();
  for (std::string_view kind : FaultKinds()) {
    if (kind.starts_with("net.")) swarm.faults.Set(kind, kDefaultFaultOneIn);
  }
  swarm.swarm = true;
  registry.Add(Passes(
      "rpc.world.swarm.fixed",
      "rpc.world.fixed with a swarm draw of the world's fault kinds (net.reset, net.half-open, "
      "net.partition, net.crash, net.refused, net.slow-reader, net.accept-error) that the World "
      "then draws at their rates on top of the harness's timed faults",
      std::move(swarm), [] { worldsim::DrawAndRun(); }));

  registry.Add(Buggy("rpc.world.linger-unbounded.buggy",
                     "rpc.world with manager.linger-unbounded: Close waits for the peer's EOF "
                     "without a bound, so a Server::Stop or Conn::Close facing a half-open peer "
                     "never returns (the liveness phase; rpc.fixed's peers always answer)",
                     plant::Site::kManagerLingerUnbounded, Outcome::kLivenessFailed));
  registry.Add(Buggy("rpc.world.reset-reply-ok.buggy",
                     "rpc.world with rpc.reset-reply-ok: a unary call whose connection fails "
                     "(reset, crash and restart, half-open) before the reply returns ok with an "
                     "empty reply (the per-call oracle)",
                     plant::Site::kRpcResetReplyOk, Outcome::kInvariantFailed));

  registry.Add(Buggy("rpc.world.leak-marshal-accounting.buggy",
                     "rpc.world with stream.leak-marshal-accounting: a destroyed stream's "
                     "marshal buffer stays counted in its connection's meter (the resource "
                     "checker's end check, clients and uncrashed servers)",
                     plant::Site::kStreamLeakMarshalAccounting, Outcome::kInvariantFailed));

  registry.Add(Passes(
      "world.half-open-call-waits",
      "rpc.world.fixed without the backstop deadline: a call without a deadline on a connection "
      "whose server end vanished (half-open: no FIN, no RST) ends with a connection error once "
      "TCP keepalive (the links', 25 ms here) finds the peer gone, and the Conn reports it",
      worldsim::WorldRunOptions(),
      [] { worldsim::DrawAndRun(worldsim::HalfOpenGuard::kKeepalive); }));

  registry.Add(
      Passes("world.half-open-server-releases",
             "rpc.world with every Conn's client end vanishing early (half-open: no FIN, no RST), "
             "mid-call: the server's end finds its client gone by TCP keepalive (the links', 25 ms "
             "here), its calls end and every live server gets back to idle (no handler running, no "
             "buffer lent) inside the liveness bound (issue 12's known failure "
             "world.half-open-server-holds.known before keepalive)",
             worldsim::WorldRunOptions(),
             [] { worldsim::DrawAndRun(worldsim::HalfOpenGuard::kServerKeepalive); }));
}

}  // namespace drpc::sim

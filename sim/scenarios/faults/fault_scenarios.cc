// The fault scenario family of drpc-sim: the rpc and manager workloads with
// the library's fault sites on (docs/faults.md). A fault is behaviour the
// library must survive, so the fixed ones pass on every seed; the buggy one
// shows a fault site finding what no other run finds.
//   rpc.faults.fixed           the rpc workload, every fault site at one in 4
//   manager.faults.fixed       the manager workload, every fault site at one in 4
//   rpc.swarm.fixed            the rpc workload; each seed draws its faults (swarm)
//   rt.signal-waits-once.buggy the rpc workload with rt::Signal::wait waiting
//                              once: caught only with spurious wake-ups on
//
//   drpc-sim run --scenario rpc.swarm.fixed --seed 17
#include <string>

#include "drpc/base/check.h"
#include "drpc/base/plant.h"
#include "sim/scenarios/manager/manager_harness.h"
#include "sim/scenarios/rpc/rpc_harness.h"
#include "sim/scenarios/scenario.h"
#include "sim/sched/fault_config.h"

namespace drpc::sim {
namespace {

FaultConfig Faults(const char* text) {
  std::string error;
  std::optional<FaultConfig> faults = FaultConfig::Parse(text, error);
  DRPC_ASSERT(faults.has_value(), error);
  return *faults;
}

}  // namespace

void RegisterFaultScenarios(ScenarioRegistry& registry) {
  using rpcsim::RpcPlant;
  Scenario rpc;
  rpc.name = "rpc.faults.fixed";
  rpc.description =
      "the rpc.fixed workload with every library fault site on at one in 4 (short writes, "
      "spurious wake-ups, accept errors, tasks that fail to start): every seed still passes";
  rpc.options = rpcsim::RpcRunOptions();
  rpc.options.faults = Faults("all:4");
  rpc.body = [] { rpcsim::DrawAndRun(RpcPlant::kNone); };
  registry.Add(std::move(rpc));

  Scenario manager;
  manager.name = "manager.faults.fixed";
  manager.description = "the manager.fixed workload with every library fault site on at one in 4";
  manager.options = mgr::ManagerRunOptions();
  manager.options.faults = Faults("all:4");
  manager.body = [] { mgr::DrawAndRun(); };
  registry.Add(std::move(manager));

  Scenario swarm;
  swarm.name = "rpc.swarm.fixed";
  swarm.description =
      "the rpc.fixed workload; each seed first draws which fault sites are on and at what "
      "rate (swarm testing; the draw is on the tape and in the failure report)";
  swarm.options = rpcsim::RpcRunOptions();
  swarm.options.swarm = true;
  swarm.body = [] { rpcsim::DrawAndRun(RpcPlant::kNone); };
  registry.Add(std::move(swarm));

  if (DRPC_CHECKED != 0) {
    RunOptions options = rpcsim::RpcRunOptions();
    options.plants = plant::Set{plant::Site::kRtSignalWaitsOnce};
    options.faults = Faults("rt.spurious-wakeup:4");
    registry.Add(FindsBug("rt.signal-waits-once.buggy",
                          "the rpc workload with rt::Signal::wait waiting once instead of looping "
                          "on its predicate, and spurious wake-ups on (without them no seed fails)",
                          Outcome::kInvariantFailed, /*find_within_seeds=*/200, std::move(options),
                          [] { rpcsim::DrawAndRun(RpcPlant::kNone); }));
  }
}

}  // namespace drpc::sim

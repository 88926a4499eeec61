// rt::Listen and rt::Connect (drpc/rt/net.h) in the simulator: handed to the
// network of the current run (network.h).
#include "drpc/rt/net.h"

#include <cstdint>
#include <string>

#include "sim/rt/network.h"
#include "sim/sched/scheduler.h"

namespace drpc::sim {
namespace {

// One simulation per thread at a time: the installation is keyed by the
// run's serial, so it lapses when the run ends (even a failed one).
thread_local Network* g_network = nullptr;
thread_local uint64_t g_network_run = 0;

}  // namespace

void InstallNetwork(Network* network) {
  Scheduler& scheduler = Scheduler::ForOperation("sim::InstallNetwork");
  g_network = network;
  g_network_run = scheduler.run_serial();
}

Network* InstalledNetwork() {
  Scheduler* scheduler = Scheduler::current();
  if (scheduler == nullptr || g_network_run != scheduler->run_serial()) return nullptr;
  return g_network;
}

}  // namespace drpc::sim

namespace drpc::rt {

Result<std::unique_ptr<Listener>> Listen(std::string_view address) {
  sim::Scheduler::ForOperation("rt::Listen");
  sim::Network* network = sim::InstalledNetwork();
  if (network == nullptr) {
    return FailedPreconditionError("rt::Listen(\"" + std::string(address) +
                                   "\"): no simulated world in this run (sim/net/world.h)");
  }
  return network->Listen(address);
}

Result<std::unique_ptr<Transport>> Connect(std::string_view address, TimePoint deadline) {
  sim::Scheduler::ForOperation("rt::Connect");
  sim::Network* network = sim::InstalledNetwork();
  if (network == nullptr) {
    return FailedPreconditionError("rt::Connect(\"" + std::string(address) +
                                   "\"): no simulated world in this run (sim/net/world.h)");
  }
  return network->Connect(address, deadline);
}

}  // namespace drpc::rt

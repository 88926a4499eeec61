// The World's hosts and the faults a test calls directly (world.h).
#include "sim/net/world.h"

#include <utility>

#include "drpc/base/check.h"
#include "drpc/rt/net.h"
#include "sim/net/internal/world_state.h"
#include "sim/sched/host_tag.h"
#include "sim/sched/run.h"

namespace drpc::sim::net {

using internal::WorldState;

World::World(WorldOptions options) : state_(std::make_shared<WorldState>(options)) {
  DRPC_ASSERT(InRun(), "make the sim::net::World inside the run's body");
  DRPC_ASSERT(options.link.min_latency <= options.link.max_latency,
              "LinkOptions: min_latency > max_latency");
  DRPC_ASSERT(options.link.buffer_bytes > 0, "LinkOptions: buffer_bytes must be > 0");
  InstallNetwork(state_.get());
  if (internal::AnyTickFault(options.faults)) {
    faults_ = rt::spawn("world.faults", [state = state_] { state->RunFaults(); });
  }
}

void Lifetime::WaitForShutdown() {
  rt::Lock lock(world_.mu);
  world_.changed.wait(
      lock, [&] { return world_.stopping; }, "host program: waits for shutdown");
}

bool Lifetime::shutting_down() const {
  rt::LockGuard guard(world_.mu);
  return world_.stopping;
}

void World::Boot(HostId host, std::string name, Program program) {
  {
    rt::LockGuard guard(state_->mu);
    internal::Host& h = state_->hosts.at(host - 1);
    DRPC_ASSERT(!h.program, "host \"" + h.name + "\" already has a program");
    h.program = std::move(program);
    h.program_name = std::move(name);
  }
  state_->StartProgram(host);
}

void World::Shutdown() {
  {
    rt::LockGuard guard(state_->mu);
    state_->stopping = true;
    state_->changed.notify_all();
  }
  if (faults_.joinable()) faults_.join();
  // Hosts in id order; each program's task (killed ones count as exited).
  for (internal::Host& h : state_->hosts) {
    if (h.program_task.joinable()) h.program_task.join();
  }
}

World::~World() {
  Shutdown();
  if (InstalledNetwork() == state_.get()) InstallNetwork(nullptr);
  // Links point back at the state; dropping the state's hold on the pipes
  // breaks the cycle. Open connections go on as plain pipes.
  rt::LockGuard guard(state_->mu);
  state_->connections.clear();
}

HostId World::AddHost(std::string name) {
  rt::LockGuard guard(state_->mu);
  DRPC_ASSERT(!name.empty() && name.find(':') == std::string::npos,
              "a host's name is not empty and has no ':'");
  DRPC_ASSERT(state_->FindHost(name) == 0, "two hosts named \"" + name + "\"");
  internal::Host host;
  host.name = std::move(name);
  state_->hosts.push_back(std::move(host));
  return static_cast<HostId>(state_->hosts.size());
}

const std::string& World::name(HostId host) const {
  DRPC_ASSERT(host >= 1 && host <= state_->hosts.size(), "no such host");
  return state_->hosts[host - 1].name;
}

rt::Task World::Spawn(HostId host, std::string name, UniqueFunction<void()> body) {
  DRPC_ASSERT(host >= 1 && host <= state_->hosts.size(), "no such host");
  return OnHost(host, [&] { return rt::spawn(std::move(name), std::move(body)); });
}

void World::Reset(HostId a, HostId b) { state_->ResetBetween(a, b); }

void World::HalfOpen(HostId host, HostId peer) { state_->VanishBetween(host, peer); }

void World::SlowReader(HostId host, HostId peer) {
  rt::LockGuard guard(state_->mu);
  for (internal::Connection& c : state_->connections) {
    for (int end = 0; end < 2; ++end) {
      if (c.host[end] == host && c.host[1 - end] == peer) {
        c.pipe->SetSlowReader(end, state_->options.faults.slow_read_delay.count(),
                              state_->options.faults.slow_read_bytes);
        ++state_->stats.slow_readers;
      }
    }
  }
}

void World::Partition(const std::vector<HostId>& a, const std::vector<HostId>& b) {
  rt::LockGuard guard(state_->mu);
  for (HostId h : a) state_->hosts.at(h - 1).partition_side = 1;
  for (HostId h : b) state_->hosts.at(h - 1).partition_side = 2;
  ++state_->stats.partitions;
}

void World::Heal() { state_->Heal(); }

void World::Crash(HostId host) { state_->Crash(host); }

void World::Restart(HostId host) { state_->Restart(host); }

void World::HealAll() {
  {
    rt::LockGuard guard(state_->mu);
    state_->faults_on = false;
  }
  state_->Heal();
  for (HostId h = 1; h <= state_->hosts.size(); ++h) {
    if (!state_->hosts[h - 1].up) state_->Restart(h);
  }
}

WorldStats World::stats() const {
  rt::LockGuard guard(state_->mu);
  return state_->stats;
}

Result<rpc::Conn> Dial(std::string_view address, rt::TimePoint deadline, rpc::ConnOptions options) {
  Result<std::unique_ptr<rt::Transport>> transport = rt::Connect(address, deadline);
  if (!transport.ok()) return transport.status();
  return rpc::Conn(std::move(*transport), std::move(options));
}

}  // namespace drpc::sim::net

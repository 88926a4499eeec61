// The shared state of a World (world.h) and of what outlives a call into it:
// its links, listeners and connections. Internal to sim/net.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "drpc/rt/condvar.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/task.h"
#include "sim/net/listener.h"
#include "sim/net/pipe.h"
#include "sim/net/world.h"
#include "sim/rt/network.h"

namespace drpc::sim::net::internal {

struct Host {
  std::string name;
  bool up = true;
  int partition_side = 0;  // 0: in no partition
  uint32_t incarnation = 0;
  Program program;  // Boot's, run again at each restart
  std::string program_name;
  rt::Task program_task;
};

// A connection the world made: end a (0) on host[0], end b (1) on host[1].
struct Connection {
  std::shared_ptr<Pipe> pipe;
  HostId host[2];
  uint32_t incarnation[2];
};

class HostListener;

// Whether a drawn fault of `kind` fires now: at the World's own rate
// `one_in` (0: never) or at the run's configured rate (fault_config.h).
bool Fires(uint64_t one_in, std::string_view kind);
// Whether the world's fault task has anything to draw.
bool AnyTickFault(const FaultOptions& faults);

struct WorldState : Network, std::enable_shared_from_this<WorldState> {
  explicit WorldState(WorldOptions options);

  // Network (rt::Listen / rt::Connect of the run).
  Result<std::unique_ptr<rt::Listener>> Listen(std::string_view address) override;
  Result<std::unique_ptr<rt::Transport>> Connect(std::string_view address,
                                                 rt::TimePoint deadline) override;

  // Read without the lock by links (pipe lock held, no rt operation there);
  // written only under mu_, and a fiber runs alone between scheduling points.
  bool Cut(HostId a, HostId b) const;
  Nanos DrawLatency();
  HostId FindHost(std::string_view name) const;  // 0 if none
  // The host that `host` denotes for network calls: a task without one is
  // the world's "outside" host.
  HostId Caller();

  // Faults (mu_ not held by the caller).
  void ResetBetween(HostId a, HostId b);
  void VanishBetween(HostId host, HostId peer);
  void Crash(HostId host);
  void Restart(HostId host);
  // The world's part of a crash and a restart; false if there was nothing
  // to do. mu held.
  bool CrashLocked(HostId host);
  bool RestartLocked(HostId host);
  void Heal();
  // Starts the host's program, if any (mu_ not held).
  void StartProgram(HostId host);
  // The fault task's body.
  void RunFaults();

  const WorldOptions options;
  rt::Mutex mu{"world.mu"};
  rt::CondVar changed{"world.changed"};  // a heal, a restart, or the world stops
  std::vector<Host> hosts;               // index = HostId - 1
  std::vector<Connection> connections;   // in connect order
  std::map<std::pair<HostId, uint16_t>, HostListener*> listeners;
  bool stopping = false;  // the world ends: the fault task and programs return
  bool faults_on = true;  // drawn faults (HealAll turns them off)
  WorldStats stats;
};

// What rt::Listen returns: a sim listener registered at (host, port) while
// it is open.
class HostListener final : public rt::Listener {
 public:
  HostListener(std::shared_ptr<WorldState> world, HostId host, uint16_t port,
               ListenerOptions options)
      : world_(std::move(world)), host_(host), port_(port), inner_(options) {}
  ~HostListener() override;
  Result<std::unique_ptr<rt::Transport>> Accept() override;
  Status Close() override;
  net::Listener& inner() { return inner_; }

 private:
  std::shared_ptr<WorldState> world_;
  const HostId host_;
  const uint16_t port_;
  net::Listener inner_;

 public:
  bool registered_ = true;  // guarded by the world's mu
};

// A connection's timing: latency drawn per write, the world's bandwidth,
// held while its hosts are cut off from each other.
class Link final : public LinkTiming {
 public:
  Link(std::shared_ptr<WorldState> world, HostId a, HostId b)
      : world_(std::move(world)), hosts_{a, b} {}
  Nanos Latency(int from_end) override {
    (void)from_end;
    return world_->DrawLatency();
  }
  uint64_t BytesPerSecond() const override { return world_->options.link.bytes_per_second; }
  bool Held(int from_end) const override {
    (void)from_end;
    return world_->Cut(hosts_[0], hosts_[1]);
  }

 private:
  std::shared_ptr<WorldState> world_;
  HostId hosts_[2];
};

}  // namespace drpc::sim::net::internal

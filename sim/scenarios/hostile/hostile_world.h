// The world of the hostile scenarios: an rpc::Server serving the shared
// test handlers (sim/scenarios/rpc/rpc_handlers.h), hostile peers
// (sim/peers) and well-behaved rpc::Conn clients that connect to it, and
// the checks every hostile scenario shares:
//   * every pool ledger (server and clients) balanced at every step;
//   * after Shutdown and the world's end, every buffer back in its pool
//     (PoolLedger::CheckAllReturned) and no task left (the run ends with
//     every fiber exited, or the simulator reports what is stuck).
//
//   PoolLedger ledger;                       // outlives the world
//   {
//     HostileWorld world(ledger, WorldOptions{});
//     peers::HostilePeer& peer = world.AddPeer({...});
//     rpc::Conn& conn = world.AddClient();
//     ...
//     world.Shutdown(grace);
//   }
//   ledger.CheckAllReturned();
//
// Two networks (WorldOptions::link):
//   * the simulated world (sim/net/world.h), with `link` set: the server on
//     host "server", listening through rt::Listen; each peer on a host
//     "hostile<i>" and each client on a host "client<i>" of its own, each
//     connecting through rt::Connect over links of `link`. The run's fault
//     configuration (drpc-sim --faults net.reset,..., --swarm) fires the
//     world's faults; call_faults() says what they allow, for oracles.
//     hostile.fixed runs here.
//   * the first model, without `link`: one sim::net::Listener, every
//     connection a pipe of pipe_capacity bytes, every task on no host. The
//     known failures (known_failures.cc) still run here; once they move,
//     this path and its pipe accessors go.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drpc/base/unique_function.h"
#include "drpc/rpc/conn.h"
#include "drpc/rpc/server.h"
#include "drpc/rt/listener.h"
#include "drpc/rt/signal.h"
#include "drpc/rt/task.h"
#include "drpc/rt/time.h"
#include "drpc/stream/buffer_pool.h"
#include "sim/net/listener.h"
#include "sim/net/world.h"
#include "sim/peers/hostile_peer.h"
#include "sim/scenarios/rpc/rpc_handlers.h"
#include "sim/sched/run.h"

namespace drpc::sim::hostile {

// Every pool of the run, checked at every step while alive.
class PoolLedger {
 public:
  PoolLedger();
  void Watch(std::shared_ptr<stream::BufferPool> pool) { pools_.push_back(std::move(pool)); }
  // The pools in the order they were watched (server connections in accept order).
  const std::vector<std::shared_ptr<stream::BufferPool>>& pools() const { return pools_; }
  void CheckAllReturned() const;

 private:
  std::vector<std::shared_ptr<stream::BufferPool>> pools_;
  StepHook hook_;
};

struct WorldOptions {
  // Set: the simulated world with these links (see the top). Unset: pipes
  // of pipe_capacity bytes through one sim::net::Listener.
  std::optional<net::LinkOptions> link = std::nullopt;
  size_t pipe_capacity = 4096;
  // A bug planted in the served handlers, to show the checks catch it.
  rpcsim::RpcPlant plant = rpcsim::RpcPlant::kNone;
  rpc::ServerOptions server = DefaultServerOptions();
  static rpc::ServerOptions DefaultServerOptions();
};

// What the faults the run's configuration switches on (--faults, --swarm)
// may do to a well-behaved call. The library's other sites
// (rt.spurious-wakeup, manager.short-write) change no outcome.
struct CallFaults {
  // net.reset, net.half-open, rt.spawn-failure (a connection's task cannot
  // start: docs/faults.md): a connection may fail.
  bool breaks = false;
  bool half_open = false;  // net.half-open: a reply may never come
  // Any of those, any net.* kind, rpc.accept-error: a call may take longer.
  bool delays = false;
};
CallFaults ConfiguredCallFaults();

// How often the world's fault task draws in a hostile run: often enough
// that configured faults land inside it (a few virtual milliseconds), as
// rpc.world's do.
inline constexpr rt::Duration kFaultTick = std::chrono::microseconds(250);

// A hostile run's links (kWorkload draws): buffers as the first model's
// pipes had (4096, 256 or 65536 bytes), latency fixed or spread over
// 400us, bandwidth unlimited or 10 MB/s.
net::LinkOptions DrawLink();

class HostileWorld {
 public:
  HostileWorld(PoolLedger& ledger, WorldOptions options);
  // Shutdown must have run.
  ~HostileWorld();
  HostileWorld(const HostileWorld&) = delete;
  HostileWorld& operator=(const HostileWorld&) = delete;

  // Dials a connection and starts a peer on it (its own task); the peer
  // holds its connection after its program until Release.
  peers::HostilePeer& AddPeer(peers::PeerOptions options);
  // The client end's pipe of peer `i` (for probes and faults). Pipes only.
  net::Pipe& peer_pipe(size_t i);
  // Writes one byte towards the server on peer `i`'s connection, past the
  // peer: ok while the server still holds the connection open. Pipes only.
  Status ProbePeerConnection(size_t i);
  rpc::Conn& AddClient();
  // Starts a task that acts for client `i`: on its host in the world (a
  // plain task with pipes).
  rt::Task SpawnForClient(size_t i, std::string name, UniqueFunction<void()> body);

  // What the run's faults may do to a call (nothing with pipes: their
  // scenarios do not model faults).
  CallFaults call_faults() const { return call_faults_; }

  rpc::Server& server() { return server_; }
  // The server's limits, for peers that aim at them.
  const rpc::ServerOptions& server_options() const { return options_.server; }

  // Lets every peer close its connection.
  void ReleasePeers();
  // Server::Stop(grace) and how long it took (virtual time).
  rt::Duration StopServer(rt::Duration grace);
  // The whole shutdown: peers released (before or after the Stop, as
  // `release_first` says), clients closed, the server stopped, every task
  // joined. Returns how long Stop took.
  rt::Duration Shutdown(rt::Duration grace, bool release_first = true);

 private:
  // The world: connects from `host` to the server (refused connects are
  // tried again), as a task on that host.
  std::unique_ptr<rt::Transport> ConnectFrom(net::HostId host);
  // Runs `body` as a task on `host` and waits for it.
  void OnHost(net::HostId host, std::string name, UniqueFunction<void()> body);

  PoolLedger& ledger_;
  const WorldOptions options_;
  const CallFaults call_faults_;
  // The world (link set) and its hosts, or the pipes' listener.
  std::unique_ptr<net::World> world_;
  net::HostId server_host_ = 0;
  std::vector<net::HostId> peer_hosts_;
  std::vector<net::HostId> client_hosts_;
  net::Listener* pipes_ = nullptr;          // owned by listener_
  std::unique_ptr<rt::Listener> listener_;  // what the server serves
  rpcsim::TestService service_;
  rpc::Server server_;
  Status served_;
  rt::Task serving_;
  rt::Signal release_{"hostile.release"};
  std::vector<std::unique_ptr<peers::HostilePeer>> peers_;
  std::vector<std::shared_ptr<net::Pipe>> peer_pipes_;
  std::vector<rt::Task> peer_tasks_;
  std::vector<std::unique_ptr<rpc::Conn>> clients_;
  bool shut_down_ = false;
};

[[noreturn]] void CheckFailed(const std::string& what);

}  // namespace drpc::sim::hostile

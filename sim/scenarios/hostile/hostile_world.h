// The world of the hostile scenarios: an rpc::Server serving the shared
// test handlers (sim/scenarios/rpc/rpc_handlers.h) on the sim listener,
// hostile peers (sim/peers) and well-behaved rpc::Conn clients dialed
// through it, and the checks every hostile scenario shares:
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
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "drpc/rpc/conn.h"
#include "drpc/rpc/server.h"
#include "drpc/rt/signal.h"
#include "drpc/rt/task.h"
#include "drpc/rt/time.h"
#include "drpc/stream/buffer_pool.h"
#include "sim/net/listener.h"
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
  size_t pipe_capacity = 4096;
  // A bug planted in the served handlers, to show the checks catch it.
  rpcsim::RpcPlant plant = rpcsim::RpcPlant::kNone;
  rpc::ServerOptions server = DefaultServerOptions();
  static rpc::ServerOptions DefaultServerOptions();
};

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
  // The client end's pipe of peer `i` (for probes and faults).
  net::Pipe& peer_pipe(size_t i) { return *peer_pipes_[i]; }
  // Writes one byte towards the server on peer `i`'s connection, past the
  // peer: ok while the server still holds the connection open.
  Status ProbePeerConnection(size_t i);
  rpc::Conn& AddClient();

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
  PoolLedger& ledger_;
  const WorldOptions options_;
  net::Listener listener_;
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

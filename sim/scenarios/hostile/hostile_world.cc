#include "sim/scenarios/hostile/hostile_world.h"

#include <chrono>
#include <string>
#include <utility>

#include "drpc/base/check.h"
#include "drpc/rt/rt.h"

namespace drpc::sim::hostile {

void CheckFailed(const std::string& what) { sim::Fail("hostile world: " + what); }

PoolLedger::PoolLedger()
    : hook_([this] {
        for (const std::shared_ptr<stream::BufferPool>& pool : pools_) pool->CheckConservation();
      }) {}

void PoolLedger::CheckAllReturned() const {
  for (const std::shared_ptr<stream::BufferPool>& pool : pools_) pool->CheckAllReturned();
}

rpc::ServerOptions WorldOptions::DefaultServerOptions() {
  rpc::ServerOptions options;
  options.accept_backoff_initial = std::chrono::microseconds(10);
  options.accept_backoff_max = std::chrono::microseconds(80);
  return options;
}

HostileWorld::HostileWorld(PoolLedger& ledger, WorldOptions options)
    : ledger_(ledger),
      options_(std::move(options)),
      listener_(net::ListenerOptions{.pipe = {.capacity_bytes = options_.pipe_capacity}}),
      service_(options_.plant),
      server_(service_.mux, [this] {
        rpc::ServerOptions server = options_.server;
        server.on_connection = [this](manager::Manager& m) { ledger_.Watch(m.pool()); };
        return server;
      }()) {
  serving_ = rt::spawn("serve", [this] { served_ = server_.Serve(listener_); });
}

HostileWorld::~HostileWorld() {
  DRPC_ASSERT(shut_down_, "a hostile world must be shut down before it ends");
}

peers::HostilePeer& HostileWorld::AddPeer(peers::PeerOptions options) {
  Result<net::Dialed> dialed = listener_.Dial();
  if (!dialed.ok()) CheckFailed("dial: " + dialed.status().ToString());
  options.release = &release_;
  if (options.name == "hostile") options.name = "hostile" + std::to_string(peers_.size());
  const std::string name = options.name;
  peers_.push_back(
      std::make_unique<peers::HostilePeer>(std::move(dialed->transport), std::move(options)));
  peer_pipes_.push_back(std::move(dialed->pipe));
  peers::HostilePeer* peer = peers_.back().get();
  peer_tasks_.push_back(rt::spawn(name, [peer] { peer->Run(); }));
  return *peer;
}

Status HostileWorld::ProbePeerConnection(size_t i) {
  const uint8_t probe = 0;  // the first byte of a frame: harmless to a reader
  return peer_pipes_[i]->Write(/*end=*/0, Bytes(&probe, 1));
}

rpc::Conn& HostileWorld::AddClient() {
  Result<net::Dialed> dialed = listener_.Dial();
  if (!dialed.ok()) CheckFailed("dial: " + dialed.status().ToString());
  rpc::ConnOptions options;
  options.manager.name = "client" + std::to_string(clients_.size());
  clients_.push_back(std::make_unique<rpc::Conn>(std::move(dialed->transport), std::move(options)));
  ledger_.Watch(clients_.back()->manager().pool());
  return *clients_.back();
}

void HostileWorld::ReleasePeers() { release_.set(OkStatus()); }

rt::Duration HostileWorld::StopServer(rt::Duration grace) {
  const rt::TimePoint start = rt::now();
  server_.Stop(grace);
  return rt::now() - start;
}

rt::Duration HostileWorld::Shutdown(rt::Duration grace, bool release_first) {
  if (release_first) ReleasePeers();
  for (const std::unique_ptr<rpc::Conn>& conn : clients_) (void)conn->Close();
  const rt::Duration stop = StopServer(grace);
  ReleasePeers();
  for (rt::Task& t : peer_tasks_) t.join();
  serving_.join();
  if (!served_.ok()) CheckFailed("Serve returned " + served_.ToString());
  clients_.clear();
  shut_down_ = true;
  return stop;
}

}  // namespace drpc::sim::hostile

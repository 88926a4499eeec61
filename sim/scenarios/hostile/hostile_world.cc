#include "sim/scenarios/hostile/hostile_world.h"

#include <chrono>
#include <string>
#include <string_view>
#include <utility>

#include "drpc/base/check.h"
#include "drpc/rt/net.h"
#include "drpc/rt/rt.h"
#include "sim/sched/fault_config.h"

namespace drpc::sim::hostile {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr std::string_view kServerAddress = "server:80";
// Configured connects may be refused (net.refused, at worst one in 2) or
// wait out a partition: tried this often, a connect that still fails is a
// bug, not bad luck.
constexpr int kConnectAttempts = 64;
constexpr rt::Duration kConnectTimeout = milliseconds(5);
constexpr rt::Duration kConnectRetry = microseconds(200);
}  // namespace

CallFaults ConfiguredCallFaults() {
  CallFaults faults;
  const FaultConfig& config = CurrentFaults();
  faults.half_open = config.OneIn("net.half-open") > 0;
  faults.breaks =
      faults.half_open || config.OneIn("net.reset") > 0 || config.OneIn("rt.spawn-failure") > 0;
  faults.delays = faults.breaks || config.OneIn("rpc.accept-error") > 0;
  for (const FaultConfig::Entry& e : config.entries()) {
    if (e.name.rfind("net.", 0) == 0) faults.delays = true;
  }
  return faults;
}

net::LinkOptions DrawLink() {
  static constexpr size_t kBufferBytes[] = {4096, 256, 65536};
  static constexpr int64_t kMinLatencyUs[] = {100, 10, 50};
  static constexpr int64_t kLatencySpanUs[] = {0, 400};
  static constexpr uint64_t kBytesPerSecond[] = {0, 10'000'000};
  const auto draw = [](uint64_t n) { return sim::Choose(n, ChoiceKind::kWorkload); };
  net::LinkOptions link;
  link.buffer_bytes = kBufferBytes[draw(3)];
  link.min_latency = microseconds(kMinLatencyUs[draw(3)]);
  link.max_latency = link.min_latency + microseconds(kLatencySpanUs[draw(2)]);
  link.bytes_per_second = kBytesPerSecond[draw(2)];
  return link;
}

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
      call_faults_(options_.link ? ConfiguredCallFaults() : CallFaults{}),
      service_(options_.plant),
      server_(service_.mux, [this] {
        rpc::ServerOptions server = options_.server;
        server.on_connection = [this](manager::Manager& m) { ledger_.Watch(m.pool()); };
        return server;
      }()) {
  if (!options_.link) {
    net::ListenerOptions pipe_options;
    pipe_options.pipe.capacity_bytes = options_.pipe_capacity;
    auto pipes = std::make_unique<net::Listener>(pipe_options);
    pipes_ = pipes.get();
    listener_ = std::move(pipes);
    serving_ = rt::spawn("serve", [this] { served_ = server_.Serve(*listener_); });
    return;
  }
  net::WorldOptions world;
  world.link = *options_.link;
  world.faults.tick = kFaultTick;
  world_ = std::make_unique<net::World>(world);
  server_host_ = world_->AddHost("server");
  Result<std::unique_ptr<rt::Listener>> listener = rt::Listen(kServerAddress);
  if (!listener.ok()) CheckFailed("listen: " + listener.status().ToString());
  listener_ = std::move(*listener);
  serving_ = world_->Spawn(server_host_, "serve", [this] { served_ = server_.Serve(*listener_); });
}

HostileWorld::~HostileWorld() {
  DRPC_ASSERT(shut_down_, "a hostile world must be shut down before it ends");
}

void HostileWorld::OnHost(net::HostId host, std::string name, UniqueFunction<void()> body) {
  world_->Spawn(host, std::move(name), std::move(body)).join();
}

std::unique_ptr<rt::Transport> HostileWorld::ConnectFrom(net::HostId host) {
  std::unique_ptr<rt::Transport> transport;
  Status last;
  OnHost(host, "connect", [&] {
    for (int attempt = 0; attempt < kConnectAttempts; ++attempt) {
      Result<std::unique_ptr<rt::Transport>> t =
          rt::Connect(kServerAddress, rt::now() + kConnectTimeout);
      if (t.ok()) {
        transport = std::move(*t);
        return;
      }
      last = t.status();
      rt::sleep_for(kConnectRetry);
    }
  });
  if (transport == nullptr) {
    CheckFailed(world_->name(host) + " could not connect in " + std::to_string(kConnectAttempts) +
                " tries: " + last.ToString());
  }
  return transport;
}

peers::HostilePeer& HostileWorld::AddPeer(peers::PeerOptions options) {
  const std::string host_name = "hostile" + std::to_string(peers_.size());
  options.release = &release_;
  if (options.name == "hostile") options.name = host_name;
  const std::string name = options.name;
  std::unique_ptr<rt::Transport> transport;
  std::shared_ptr<net::Pipe> pipe;
  net::HostId host = 0;
  if (world_ != nullptr) {
    host = world_->AddHost(host_name);
    transport = ConnectFrom(host);
  } else {
    Result<net::Dialed> dialed = pipes_->Dial();
    if (!dialed.ok()) CheckFailed("dial: " + dialed.status().ToString());
    transport = std::move(dialed->transport);
    pipe = std::move(dialed->pipe);
  }
  peers_.push_back(std::make_unique<peers::HostilePeer>(std::move(transport), std::move(options)));
  peer_pipes_.push_back(std::move(pipe));
  peer_hosts_.push_back(host);
  peers::HostilePeer* peer = peers_.back().get();
  peer_tasks_.push_back(world_ != nullptr ? world_->Spawn(host, name, [peer] { peer->Run(); })
                                          : rt::spawn(name, [peer] { peer->Run(); }));
  return *peer;
}

net::Pipe& HostileWorld::peer_pipe(size_t i) {
  DRPC_ASSERT(pipes_ != nullptr, "peer_pipe: only a hostile world of pipes has them");
  return *peer_pipes_[i];
}

Status HostileWorld::ProbePeerConnection(size_t i) {
  const uint8_t probe = 0;  // the first byte of a frame: harmless to a reader
  return peer_pipe(i).Write(/*end=*/0, Bytes(&probe, 1));
}

rpc::Conn& HostileWorld::AddClient() {
  const std::string name = "client" + std::to_string(clients_.size());
  rpc::ConnOptions options;
  options.manager.name = name;
  if (world_ != nullptr) {
    // A Close lingers for the server's EOF; a server end that vanished
    // (net.half-open) never sends it.
    options.manager.close_flush_timeout = milliseconds(5);
    const net::HostId host = world_->AddHost(name);
    client_hosts_.push_back(host);
    std::unique_ptr<rt::Transport> transport = ConnectFrom(host);
    // Made on its host, so the Conn's own tasks run there.
    OnHost(host, "conn", [&] {
      clients_.push_back(std::make_unique<rpc::Conn>(std::move(transport), std::move(options)));
    });
  } else {
    Result<net::Dialed> dialed = pipes_->Dial();
    if (!dialed.ok()) CheckFailed("dial: " + dialed.status().ToString());
    clients_.push_back(
        std::make_unique<rpc::Conn>(std::move(dialed->transport), std::move(options)));
  }
  ledger_.Watch(clients_.back()->manager().pool());
  return *clients_.back();
}

rt::Task HostileWorld::SpawnForClient(size_t i, std::string name, UniqueFunction<void()> body) {
  if (world_ == nullptr) return rt::spawn(std::move(name), std::move(body));
  return world_->Spawn(client_hosts_.at(i), std::move(name), std::move(body));
}

void HostileWorld::ReleasePeers() { release_.set(OkStatus()); }

rt::Duration HostileWorld::StopServer(rt::Duration grace) {
  const rt::TimePoint start = rt::now();
  server_.Stop(grace);
  return rt::now() - start;
}

rt::Duration HostileWorld::Shutdown(rt::Duration grace, bool release_first) {
  // The world's faults end: what follows checks the shutdown, not a fault.
  if (world_ != nullptr) world_->HealAll();
  if (release_first) ReleasePeers();
  for (const std::unique_ptr<rpc::Conn>& conn : clients_) (void)conn->Close();
  const rt::Duration stop = StopServer(grace);
  ReleasePeers();
  // A peer whose server end vanished (net.half-open) waits in a write for
  // room that never comes. The server is stopped: its connections reset,
  // as the server host's next incarnation would answer them.
  if (call_faults_.half_open) {
    for (net::HostId host : peer_hosts_) world_->Reset(host, server_host_);
  }
  for (rt::Task& t : peer_tasks_) t.join();
  serving_.join();
  if (!served_.ok()) CheckFailed("Serve returned " + served_.ToString());
  clients_.clear();
  shut_down_ = true;
  return stop;
}

}  // namespace drpc::sim::hostile

#include "sim/scenarios/hostile/hostile_client.h"

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "drpc/rpc/conn.h"
#include "drpc/rt/net.h"
#include "drpc/rt/rt.h"
#include "sim/net/world.h"
#include "sim/peers/hostile_peer.h"
#include "sim/scenarios/hostile/hostile_world.h"
#include "sim/scenarios/rpc/rpc_handlers.h"

namespace drpc::sim::hostile {
namespace {

using std::chrono::microseconds;

constexpr std::string_view kPeerAddress = "mallory:80";
// As HostileWorld's: a connect that fails this often is a bug.
constexpr int kConnectAttempts = 64;

uint64_t Draw(uint64_t n) { return sim::Choose(n, ChoiceKind::kWorkload); }

int64_t Us(rt::Duration d) { return std::chrono::duration_cast<microseconds>(d).count(); }

}  // namespace

void DrawAndRunClient() {
  PoolLedger ledger;
  {
    net::WorldOptions world_options;
    world_options.link = DrawLink();
    world_options.faults.tick = kFaultTick;
    net::World world(world_options);
    const net::HostId mallory = world.AddHost("mallory");
    const net::HostId client = world.AddHost("client");
    Result<std::unique_ptr<rt::Listener>> listener = rt::Listen(kPeerAddress);
    if (!listener.ok()) CheckFailed("listen: " + listener.status().ToString());

    // The client connects from its host (so its Conn's tasks run there);
    // configured faults may refuse a connect or make it wait.
    std::unique_ptr<rpc::Conn> conn;
    Status dial;
    world
        .Spawn(client, "dial",
               [&] {
                 for (int attempt = 0; attempt < kConnectAttempts && conn == nullptr; ++attempt) {
                   rpc::ConnOptions options;
                   options.manager.name = "client";
                   options.manager.close_flush_timeout = std::chrono::milliseconds(5);
                   Result<rpc::Conn> dialed = net::Dial(
                       kPeerAddress, rt::now() + std::chrono::milliseconds(5), std::move(options));
                   if (dialed.ok()) {
                     conn = std::make_unique<rpc::Conn>(std::move(*dialed));
                   } else {
                     dial = dialed.status();
                     rt::sleep_for(microseconds(200));
                   }
                 }
               })
        .join();
    if (conn == nullptr) CheckFailed("the client could not connect: " + dial.ToString());
    ledger.Watch(conn->manager().pool());
    // Accepted from outside the world's hosts: the peer's end of the
    // connection is mallory's all the same.
    Result<std::unique_ptr<rt::Transport>> accepted = (*listener)->Accept();
    for (int attempt = 1; attempt < kConnectAttempts && !accepted.ok() &&
                          accepted.status().is(ErrorKind::kResourceExhausted);
         ++attempt) {
      accepted = (*listener)->Accept();  // net.accept-error: a transient EMFILE
    }
    if (!accepted.ok()) CheckFailed("accept: " + accepted.status().ToString());

    rt::Signal release{"hostile.release"};
    peers::PeerOptions options;
    options.role = peers::PeerRole::kServer;
    options.release = &release;
    options.max_flood = 16;
    options.slowloris_bytes = 8;
    options.max_idle = std::chrono::milliseconds(20);
    peers::HostilePeer peer(std::move(*accepted), std::move(options));
    rt::Task attacker = world.Spawn(mallory, "hostile-server", [&peer] { peer.Run(); });

    const size_t calls = 1 + Draw(4);
    std::vector<std::string> wrong(calls);
    std::vector<rt::Task> callers;
    for (size_t i = 0; i < calls; ++i) {
      const int64_t start_us = static_cast<int64_t>(Draw(10)) * 100;
      callers.push_back(
          world.Spawn(client, "call " + std::to_string(i), [&conn, &wrong, i, start_us] {
            rt::sleep_for(microseconds(start_us));
            const rt::TimePoint deadline = rt::now() + kClientDeadline;
            std::string reply;
            const Status st = conn->Invoke(rpcsim::kEchoRpc, "req" + std::to_string(i), reply,
                                           rpc::CallOptions{.deadline = deadline});
            if (rt::now() > deadline + kClientBound) {
              wrong[i] = "returned " + std::to_string(Us(rt::now() - deadline)) +
                         "us after its deadline (" + st.ToString() + ")";
            }
          }));
    }
    for (rt::Task& t : callers) t.join();
    for (size_t i = 0; i < calls; ++i) {
      if (wrong[i].empty()) continue;
      std::string program;
      for (peers::Behaviour b : peer.report().program)
        program += " " + std::string(BehaviourName(b));
      CheckFailed("client call " + std::to_string(i) + " " + wrong[i] + "; hostile server" +
                  (peer.report().reads ? " (reads):" : " (never reads):") + program);
    }
    (void)conn->Close();
    release.set(OkStatus());
    // A peer whose client end vanished (net.half-open) waits in a write for
    // room that never comes: the closed client's connection resets.
    if (ConfiguredCallFaults().half_open) world.Reset(mallory, client);
    attacker.join();
    conn.reset();
  }
  ledger.CheckAllReturned();
}

}  // namespace drpc::sim::hostile

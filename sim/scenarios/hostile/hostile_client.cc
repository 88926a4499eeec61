#include "sim/scenarios/hostile/hostile_client.h"

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "drpc/rpc/conn.h"
#include "drpc/rt/rt.h"
#include "sim/net/pipe.h"
#include "sim/peers/hostile_peer.h"
#include "sim/scenarios/hostile/hostile_world.h"
#include "sim/scenarios/rpc/rpc_handlers.h"

namespace drpc::sim::hostile {
namespace {

using std::chrono::microseconds;

uint64_t Draw(uint64_t n) { return sim::Choose(n, ChoiceKind::kWorkload); }

int64_t Us(rt::Duration d) { return std::chrono::duration_cast<microseconds>(d).count(); }

}  // namespace

void DrawAndRunClient() {
  static constexpr size_t kPipe[] = {4096, 256, 65536};
  PoolLedger ledger;
  {
    net::PipeEnds ends = net::MakePipe({.capacity_bytes = kPipe[Draw(3)]});
    rt::Signal release{"hostile.release"};
    peers::PeerOptions options;
    options.role = peers::PeerRole::kServer;
    options.release = &release;
    options.max_flood = 16;
    options.slowloris_bytes = 8;
    options.max_idle = std::chrono::milliseconds(20);
    peers::HostilePeer peer(std::move(ends.b), std::move(options));
    rpc::ConnOptions conn_options;
    conn_options.manager.name = "client";
    conn_options.manager.close_flush_timeout = std::chrono::milliseconds(5);
    rpc::Conn conn(std::move(ends.a), std::move(conn_options));
    ledger.Watch(conn.manager().pool());
    rt::Task attacker = rt::spawn("hostile-server", [&peer] { peer.Run(); });

    const size_t calls = 1 + Draw(4);
    std::vector<std::string> wrong(calls);
    std::vector<rt::Task> callers;
    for (size_t i = 0; i < calls; ++i) {
      const int64_t start_us = static_cast<int64_t>(Draw(10)) * 100;
      callers.push_back(rt::spawn("call " + std::to_string(i), [&conn, &wrong, i, start_us] {
        rt::sleep_for(microseconds(start_us));
        const rt::TimePoint deadline = rt::now() + kClientDeadline;
        std::string reply;
        const Status st = conn.Invoke(rpcsim::kEchoRpc, "req" + std::to_string(i), reply,
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
    (void)conn.Close();
    release.set(OkStatus());
    attacker.join();
  }
  ledger.CheckAllReturned();
}

}  // namespace drpc::sim::hostile

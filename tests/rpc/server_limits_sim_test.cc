// rpc::Server under load it must survive (issue 13), in the simulator:
// Stop is bounded by its grace plus ServerOptions::stop_close_timeout with
// peers that never read; a burst of 1000 calls written back to back is
// answered in full (back-pressure, not refusal); a call with no task to run
// it is refused with ResourceExhausted and the next call is served; a
// connection the client closed is dropped at once, with no further accept.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>

#include "drpc/manager/manager.h"
#include "drpc/rpc/conn.h"
#include "drpc/rpc/server.h"
#include "drpc/rt/rt.h"
#include "sim/net/listener.h"
#include "sim/peers/hostile_peer.h"
#include "sim/scenarios/hostile/hostile_fixed.h"
#include "sim/scenarios/hostile/hostile_world.h"
#include "sim/scenarios/rpc/rpc_handlers.h"
#include "sim/sched/pct_source.h"
#include "sim/sched/random_source.h"
#include "sim/sched/run.h"

namespace drpc::rpc {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

sim::peers::PeerOptions FloodPeer(size_t calls, sim::peers::Reads reads) {
  sim::peers::PeerOptions options;
  options.behaviours = sim::peers::BehaviourSet().Add(sim::peers::Behaviour::kInvokeFlood);
  options.max_actions = 1;
  options.reads = reads;
  options.min_flood = options.max_flood = calls;
  return options;
}

TEST(ServerLimitsSim, StopReturnsWithinGracePlusTheStatedBoundWithPeersThatNeverRead) {
  constexpr int kPeers = 5;
  const rt::Duration grace = milliseconds(200);
  for (uint64_t seed = 0; seed < 3; ++seed) {
    rt::Duration took{};
    sim::RandomSource decisions(seed);
    const sim::RunResult r = sim::Run(decisions, sim::hostile::HostileRunOptions(), [&] {
      sim::hostile::PoolLedger ledger;
      sim::hostile::HostileWorld world(ledger, sim::hostile::WorldOptions{.pipe_capacity = 256});
      for (int i = 0; i < kPeers; ++i) world.AddPeer(FloodPeer(50, sim::peers::Reads::kNever));
      rt::sleep_for(milliseconds(10));  // the floods are in, the replies back up
      took = world.Shutdown(grace, /*release_first=*/false);
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << r.report << r.trace_tail;
    // Before issue 13: about 1 s more per peer, one after another (> 5 s).
    EXPECT_LE(took, grace + ServerOptions{}.stop_close_timeout)
        << "seed " << seed << ": Stop took "
        << std::chrono::duration_cast<milliseconds>(took).count() << " ms";
  }
}

// A client writes `calls` unary calls back to back and reads every reply.
void ExpectBurstAnswered(sim::DecisionSource& decisions, uint64_t seed, size_t calls) {
  uint64_t answered = 0, refused = 0;
  const sim::RunResult r = sim::Run(decisions, sim::hostile::HostileRunOptions(), [&] {
    sim::hostile::PoolLedger ledger;
    sim::hostile::HostileWorld world(ledger, sim::hostile::WorldOptions{});
    sim::peers::HostilePeer& peer = world.AddPeer(FloodPeer(calls, sim::peers::Reads::kAlways));
    const rt::TimePoint give_up = rt::now() + seconds(10);
    while (peer.report().messages_received + peer.report().errors_received() < calls &&
           rt::now() < give_up) {
      rt::sleep_for(milliseconds(1));
    }
    answered = peer.report().messages_received;
    refused = peer.report().errors_received();
    world.Shutdown(milliseconds(0));
  });
  ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << r.report << r.trace_tail;
  // Before issue 13 the server refused the calls past its accept queue (128).
  EXPECT_EQ(answered, calls) << "seed " << seed;
  EXPECT_EQ(refused, 0u) << "seed " << seed;
}

TEST(ServerLimitsSim, ABurstOf1000CallsIsAnsweredInFull) {
  sim::RandomSource random(0);
  ExpectBurstAnswered(random, 0, 1000);
  // PCT lets the server's reader run far ahead of its workers, as an OS
  // scheduler may: the accept queue fills, and the reader must wait.
  for (uint64_t seed = 0; seed < 1; ++seed) {
    sim::PctSource pct(seed, sim::PctOptions{.depth = 2, .steps = 200'000});
    ExpectBurstAnswered(pct, seed, 1000);
  }
}

// One connection whose task budget leaves room for one running call (its
// manager's tasks, its supervisor, the worker running the call and the one
// waiting for the next): a second call at the same time finds no task to
// run it.
TEST(ServerLimitsSim, ACallWithNoTaskToRunItIsRefusedAndTheNextIsServed) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    sim::RandomSource decisions(seed);
    const sim::RunResult r = sim::Run(decisions, sim::RunOptions{}, [&] {
      sim::rpcsim::TestService service(sim::rpcsim::RpcPlant::kNone);
      ServerOptions options;
      options.manager.budget.max_tasks = manager::kManagerTasks + 3;
      Server server(service.mux, options);
      sim::net::Listener listener;
      Status served;
      rt::Task serving = rt::spawn("serve", [&] { served = server.Serve(listener); });
      Result<sim::net::Dialed> dialed = listener.Dial();
      ASSERT_TRUE(dialed.ok()) << dialed.status();
      Conn conn(std::move(dialed->transport));
      // Holds the one running call until `release` is canceled.
      CancelToken release;
      std::string held_reply;
      Status held;
      rt::Task holder = rt::spawn("holder", [&] {
        held = conn.Invoke(sim::rpcsim::kBlockRpc, std::string("held"), held_reply,
                           CallOptions{.cancel = release});
      });
      while (server.stats().calls_started == 0) rt::sleep_for(milliseconds(1));
      std::string reply;
      const Status refused = conn.Invoke(sim::rpcsim::kEchoRpc, std::string("second"), reply);
      EXPECT_EQ(refused.code(), StatusCode::kResourceExhausted)
          << "seed " << seed << ": " << refused;
      EXPECT_EQ(server.stats().calls_refused_no_task, 1u);
      release.Cancel(CanceledError());
      holder.join();
      // The worker that refused is still there: the next call is served.
      const Status next = conn.Invoke(sim::rpcsim::kEchoRpc, std::string("third"), reply);
      EXPECT_TRUE(next.ok()) << "seed " << seed << ": " << next;
      (void)conn.Close();
      server.Stop(milliseconds(0));
      serving.join();
      EXPECT_TRUE(served.ok()) << served;
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << r.report << r.trace_tail;
  }
}

TEST(ServerLimitsSim, AClosedConnectionIsDroppedWithoutAnotherAccept) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    sim::RandomSource decisions(seed);
    const sim::RunResult r = sim::Run(decisions, sim::RunOptions{}, [&] {
      sim::rpcsim::TestService service(sim::rpcsim::RpcPlant::kNone);
      Server server(service.mux);
      sim::net::Listener listener;
      Status served;
      rt::Task serving = rt::spawn("serve", [&] { served = server.Serve(listener); });
      Result<sim::net::Dialed> dialed = listener.Dial();
      ASSERT_TRUE(dialed.ok()) << dialed.status();
      {
        Conn conn(std::move(dialed->transport));
        std::string reply;
        ASSERT_TRUE(conn.Invoke(sim::rpcsim::kEchoRpc, std::string("hi"), reply).ok());
        EXPECT_EQ(server.counts().connections, 1);
        (void)conn.Close();
      }
      // The server's connection sees the EOF and ends; nothing else happens
      // (no accept returns), and within a bounded virtual time it holds
      // nothing: no connection, no task of it.
      const rt::TimePoint give_up = rt::now() + seconds(5);
      while (server.counts().connections != 0 && rt::now() < give_up) {
        rt::sleep_for(milliseconds(1));
      }
      const ResourceUsage held = server.counts();
      EXPECT_EQ(held.connections, 0) << "seed " << seed << ": still held after the client closed";
      EXPECT_EQ(held.tasks, 0) << "seed " << seed << ": " << held.ToString();
      EXPECT_EQ(server.stats().connections_accepted, 1u);
      server.Stop(milliseconds(0));
      serving.join();
      EXPECT_TRUE(served.ok()) << served;
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << r.report << r.trace_tail;
  }
}

}  // namespace
}  // namespace drpc::rpc

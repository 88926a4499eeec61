// echo_sim_test: the Echo service of echo.proto tested in the simulator, on
// public headers only (sim/net/world.h, sim/gtest/sim_test.h): a server host
// and two client hosts on links with drawn latency and a slow tail, drawn
// connection resets, and a partition between one client and the server that
// heals. Every call that succeeds must carry its own reply; after HealAll a
// fresh call must succeed. Each seed is a different network and schedule.
//
//   build/default/examples/echo_sim_test
//   DRPC_SIM_SEED=17 build/default/examples/echo_sim_test   # replay one seed
//
// The second test plants a handler bug (a reply built in a member shared by
// concurrent calls) and checks that the sweep finds a failing seed, so the
// first test's reply check is known to be able to fail.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "drpc/base/result.h"
#include "drpc/base/status.h"
#include "drpc/rpc/conn.h"
#include "drpc/rpc/mux.h"
#include "drpc/rpc/server.h"
#include "drpc/rt/net.h"
#include "drpc/rt/task.h"
#include "drpc/rt/time.h"
#include "echo.drpc.h"
#include "sim/gtest/sim_test.h"
#include "sim/net/world.h"

namespace {

namespace rpc = drpc::rpc;
namespace rt = drpc::rt;
namespace net = drpc::sim::net;
using drpc::OkStatus;
using drpc::Result;
using drpc::Status;
using namespace std::chrono_literals;

// The echo handlers. With `shared_scratch` Say keeps the text in a member
// across a wait, so two concurrent calls can swap replies: the planted bug.
class Echoer final : public echo::Echo::Service {
 public:
  explicit Echoer(bool shared_scratch) : shared_scratch_(shared_scratch) {}

  Status Say(rpc::ServerCall& call, const echo::SayRequest& in, echo::SayReply& out) override {
    if (!shared_scratch_) {
      out.set_text(in.text());
      return OkStatus();
    }
    scratch_ = in.text();
    if (call.WaitDoneFor(1ms)) return call.stream().termination_error();  // a slow lookup
    out.set_text(scratch_);
    return OkStatus();
  }
  Status Count(rpc::ServerCall&, const echo::CountRequest&,
               rpc::ServerWriter<echo::Tick>&) override {
    return drpc::UnimplementedError("not used here");
  }
  Status Sum(rpc::ServerCall&, rpc::ServerReader<echo::Number>&, echo::Total&) override {
    return drpc::UnimplementedError("not used here");
  }
  Status Chat(rpc::ServerCall&,
              rpc::ServerReaderWriter<echo::ChatMessage, echo::ChatMessage>&) override {
    return drpc::UnimplementedError("not used here");
  }

 private:
  const bool shared_scratch_;
  std::string scratch_;
};

// Calls that ended ok / with an error, over a whole sweep: shows the faults
// fired and calls still got through (counting never influences a run).
int total_ok = 0;
int total_failed = 0;

// Calls Say `calls` times over one connection, dialing again after an error.
// A call may fail (the network allows it); one that succeeds must carry its
// own text back.
void CallRepeatedly(const std::string& who, int calls) {
  std::optional<rpc::Conn> conn;
  for (int i = 0; i < calls; ++i) {
    if (!conn) {
      Result<rpc::Conn> dialed = net::Dial("server:80", rt::now() + 50ms);
      if (!dialed.ok()) continue;
      conn.emplace(std::move(*dialed));
    }
    echo::Echo::Client client(*conn);
    echo::SayRequest request;
    request.set_text(who + "-" + std::to_string(i));
    echo::SayReply reply;
    const Status st = client.Say(request, reply, {.deadline = rpc::DeadlineAfter(100ms)});
    if (st.ok()) {
      ++total_ok;
      EXPECT_EQ(reply.text(), request.text()) << who << " got another call's reply";
    } else {
      ++total_failed;
      (void)conn->Close();  // a broken connection: dial again
      conn.reset();
    }
  }
  if (conn) (void)conn->Close();
}

// One simulated run: the body ForEachSeed runs once per seed.
void EchoUnderAFaultyNetwork(bool shared_scratch) {
  net::World world(
      {.link = {.min_latency = 1ms, .max_latency = 10ms, .tail_one_in = 20, .tail_latency = 80ms},
       .faults = {.tick = 10ms, .until = 300ms, .reset_one_in = 10}});
  const net::HostId server = world.AddHost("server");
  const net::HostId client_a = world.AddHost("client-a");
  const net::HostId client_b = world.AddHost("client-b");

  Echoer echoer(shared_scratch);
  rpc::Mux mux;
  echo::Echo::Register(mux, echoer);
  world.Boot(server, "echo-server", [&](net::Lifetime& life) {
    rpc::Server rpc_server(mux);
    Result<std::unique_ptr<rt::Listener>> listener = rt::Listen("server:80");
    ASSERT_TRUE(listener.ok()) << listener.status().ToString();
    ASSERT_TRUE(rpc_server.Start(std::move(*listener)).ok());
    life.WaitForShutdown();
    rpc_server.Stop(0ms);
  });

  rt::Task a = world.Spawn(client_a, "client-a", [] { CallRepeatedly("a", 20); });
  rt::Task b = world.Spawn(client_b, "client-b", [] { CallRepeatedly("b", 20); });
  rt::sleep_for(30ms);
  world.Partition({client_a}, {server});
  rt::sleep_for(100ms);
  world.Heal();
  a.join();
  b.join();

  // Liveness: with every fault healed, a fresh connection serves a call.
  world.HealAll();
  rt::Task fresh = world.Spawn(client_a, "fresh", [] {
    Result<rpc::Conn> conn = net::Dial("server:80", rt::now() + 1s);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    echo::Echo::Client client(*conn);
    echo::SayRequest request;
    request.set_text("after the storm");
    echo::SayReply reply;
    const Status st = client.Say(request, reply, {.deadline = rpc::DeadlineAfter(1s)});
    EXPECT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(reply.text(), "after the storm");
    (void)conn->Close();
  });
  fresh.join();
  world.Shutdown();
}

TEST(EchoSim, EveryCallGetsItsOwnReplyUnderAFaultyNetwork) {
  total_ok = total_failed = 0;
  drpc::sim::ForEachSeed({.count = 200}, [] { EchoUnderAFaultyNetwork(false); });
  std::printf("calls: %d ok, %d failed\n", total_ok, total_failed);
  EXPECT_GT(total_ok, 0);
  EXPECT_GT(total_failed, 0) << "no fault ever reached a call";
}

// A test of the test: with the planted handler bug the sweep must fail on
// some seed and print the line that replays it.
TEST(EchoSim, TheReplyCheckCatchesAPlantedHandlerBug) {
  ::testing::TestPartResultArray failures;
  {
    ::testing::ScopedFakeTestPartResultReporter intercept(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
    drpc::sim::ForEachSeed({.count = 50, .log_dir = ::testing::TempDir()},
                           [] { EchoUnderAFaultyNetwork(true); });
  }
  std::string all;
  for (int i = 0; i < failures.size(); ++i) all += failures.GetTestPartResult(i).message();
  EXPECT_NE(all.find("got another call's reply"), std::string::npos) << all;
  EXPECT_NE(all.find("replay: DRPC_SIM_SEED="), std::string::npos) << all;
}

}  // namespace

// rpc::Server and rpc::Conn, unchanged, on two simulated hosts through
// rt::Listen / rt::Connect, with latency and with drawn faults.
#include <gtest/gtest.h>

#include <string>

#include "drpc/rpc/mux.h"
#include "drpc/rpc/server.h"
#include "tests/net/world_test_util.h"

namespace drpc::sim::net::test {
namespace {

using sim::testing::Describe;

constexpr const char* kEcho = "/test.Echo/Say";

void RegisterEcho(rpc::Mux& mux) {
  mux.RegisterUnary<std::string, std::string>(
      kEcho, [](rpc::ServerCall&, const std::string& in, std::string& out) {
        out = "echo:" + in;
        return OkStatus();
      });
}

// Serves echo on host "server" and runs `calls` on host "client".
void ServeAndCall(World& world, FunctionRef<void()> calls) {
  const HostId server = world.AddHost("server");
  const HostId client = world.AddHost("client");
  rpc::Mux mux;
  RegisterEcho(mux);
  rpc::Server rpc_server(mux);
  rt::Task serving = world.Spawn(server, "serve", [&] {
    Result<std::unique_ptr<rt::Listener>> listener = rt::Listen("server:80");
    DRPC_ASSERT(listener.ok(), listener.status().ToString());
    DRPC_ASSERT(rpc_server.Start(std::move(*listener)).ok(), "start");
    (void)rpc_server.Wait();
  });
  rt::Task calling = world.Spawn(client, "calls", [&] { calls(); });
  calling.join();
  rpc_server.Stop(0ms);
  serving.join();
}

TEST(WorldRpcTest, UnaryCallsCrossTwoHosts) {
  for (uint64_t seed = 0; seed < 30; ++seed) {
    const RunResult r = RunSeed(seed, [] {
      World world({.link = {.min_latency = 1ms, .max_latency = 10ms}});
      ServeAndCall(world, [] {
        Result<rpc::Conn> conn = Dial("server:80", rt::now() + 1s);
        DRPC_ASSERT(conn.ok(), conn.status().ToString());
        for (int i = 0; i < 3; ++i) {
          std::string reply;
          const Status st = conn->Invoke(kEcho, "hi" + std::to_string(i), reply);
          DRPC_ASSERT(st.ok(), st.ToString());
          DRPC_ASSERT(reply == "echo:hi" + std::to_string(i), reply);
        }
        // A call takes at least a round trip of the least latency.
        DRPC_ASSERT(rt::now() >= At(2ms), "calls took no virtual time");
        (void)conn->Close();
      });
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << "\n" << Describe(r);
  }
}

// With faults drawn, every call ends (ok, or an error the faults explain)
// and the run ends; the same seed is the same run.
TEST(WorldRpcTest, CallsUnderDrawnFaultsEndAndReplay) {
  auto body = [] {
    World world({.link = {.min_latency = 1ms, .max_latency = 5ms},
                 .faults = {.tick = 2ms,
                            .until = 100ms,
                            .reset_one_in = 6,
                            .partition_one_in = 6,
                            .refuse_one_in = 4}});
    ServeAndCall(world, [&] {
      for (int attempt = 0; attempt < 4; ++attempt) {
        Result<rpc::Conn> conn = Dial("server:80", rt::now() + 20ms);
        if (!conn.ok()) continue;
        std::string reply;
        rpc::CallOptions options;
        options.deadline = rt::now() + 50ms;
        const Status st = conn->Invoke(kEcho, std::string("x"), reply, options);
        DRPC_ASSERT(!st.ok() || reply == "echo:x", "a successful call got " + reply);
        (void)conn->Close();
      }
      world.HealAll();
      // After the heal, a call succeeds.
      Result<rpc::Conn> conn = Dial("server:80", rt::now() + 1s);
      DRPC_ASSERT(conn.ok(), conn.status().ToString());
      std::string reply;
      const Status st = conn->Invoke(kEcho, std::string("y"), reply);
      DRPC_ASSERT(st.ok() && reply == "echo:y", st.ToString());
      (void)conn->Close();
    });
  };
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const RunResult first = RunSeed(seed, body);
    ASSERT_TRUE(first.ok()) << "seed " << seed << "\n" << Describe(first);
    EXPECT_TRUE(sim::testing::SameRun(RunSeed(seed, body), first)) << "seed " << seed;
  }
}

// The server is the host's program: a crash kills it mid-call, the client's
// calls fail or time out, and after the restart the same address serves.
TEST(WorldRpcTest, ServerCrashAndRestartOnTheSameAddress) {
  for (uint64_t seed = 0; seed < 30; ++seed) {
    const RunResult r = RunSeed(seed, [] {
      World world({.link = {.min_latency = 1ms, .max_latency = 3ms}});
      const HostId server = world.AddHost("server");
      const HostId client = world.AddHost("client");
      rpc::Mux mux;
      RegisterEcho(mux);
      int boots = 0;
      world.Boot(server, "server.main", [&](Lifetime& life) {
        ++boots;
        rpc::Server rpc_server(mux);
        Result<std::unique_ptr<rt::Listener>> listener = rt::Listen("server:80");
        DRPC_ASSERT(listener.ok(), listener.status().ToString());
        DRPC_ASSERT(rpc_server.Start(std::move(*listener)).ok(), "start");
        life.WaitForShutdown();
        rpc_server.Stop(0ms);
      });
      rt::Task calls = world.Spawn(client, "calls", [&] {
        Result<rpc::Conn> conn = Dial("server:80", rt::now() + 1s);
        DRPC_ASSERT(conn.ok(), conn.status().ToString());
        std::string reply;
        DRPC_ASSERT(conn->Invoke(kEcho, std::string("before"), reply).ok(), "call before");
        world.Crash(server);  // from the client's host: any host but the server's
        rpc::CallOptions options;
        options.deadline = rt::now() + 100ms;
        const Status during = conn->Invoke(kEcho, std::string("during"), reply, options);
        DRPC_ASSERT(!during.ok(), "a call to a crashed server succeeded");
        (void)conn->Close();
        world.Restart(server);
        Result<rpc::Conn> again = Dial("server:80", rt::now() + 1s);
        DRPC_ASSERT(again.ok(), again.status().ToString());
        DRPC_ASSERT(again->Invoke(kEcho, std::string("after"), reply).ok() && reply == "echo:after",
                    "call after restart");
        (void)again->Close();
      });
      calls.join();
      world.Shutdown();
      DRPC_ASSERT(boots == 2, "booted " + std::to_string(boots) + " times");
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << "\n" << Describe(r);
  }
}

}  // namespace
}  // namespace drpc::sim::net::test

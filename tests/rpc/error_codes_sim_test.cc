// The error model and Start/Wait/Stop in the simulator: every code a
// handler returns reaches the client with its code and text, on a server
// started with Start and stopped by another task while Wait waits.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <utility>

#include "drpc/rpc/conn.h"
#include "drpc/rpc/mux.h"
#include "drpc/rpc/server.h"
#include "drpc/rt/rt.h"
#include "sim/net/pipe.h"
#include "tests/common/sim_seeds.h"
#include "tests/rpc/error_codes.h"
#include "tests/rpc/scripted_listener.h"

namespace drpc::rpc::testing {
namespace {

using ::drpc::testing::ForEachSeed;

TEST(ErrorCodesSimTest, EveryCodeRoundTripsAndStopEndsWait) {
  ForEachSeed(20, [](uint64_t) {
    Mux mux;
    RegisterFailWith(mux);
    Server server(mux);
    sim::net::PipeEnds ends = sim::net::MakePipe();
    auto listener = std::make_unique<ScriptedListener>();
    listener->Push(std::move(ends.b));
    ASSERT_TRUE(server.Start(std::move(listener)).ok());
    rt::Task client = rt::spawn("client", [&] {
      Conn conn(std::move(ends.a));
      ExpectEveryCodeRoundTrips(conn);
      (void)conn.Close();
      server.Stop(std::chrono::seconds(1));
    });
    const Status served = server.Wait();
    EXPECT_TRUE(served.ok()) << served;
    client.join();
    EXPECT_EQ(server.stats().calls_started, CodeCases().size());
  });
}

}  // namespace
}  // namespace drpc::rpc::testing

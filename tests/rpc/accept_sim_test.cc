// The server's accept loop in the simulator, where time is virtual and
// exact: a temporary accept error is retried after a back-off that doubles
// up to its bound, and Stop cuts a back-off short.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <vector>

#include "drpc/rpc/conn.h"
#include "drpc/rpc/server.h"
#include "drpc/rt/rt.h"
#include "sim/net/pipe.h"
#include "tests/common/sim_seeds.h"
#include "tests/rpc/scripted_listener.h"
#include "tests/rpc/test_service.h"

namespace drpc::rpc::testing {
namespace {

using ::drpc::testing::ForEachSeed;
using ::drpc::testing::UntilEveryOtherTaskParks;

TEST(RpcAcceptSimTest, TemporaryErrorsAreRetriedAfterADoublingBackOff) {
  ForEachSeed(20, [](uint64_t) {
    TestService service;
    ServerOptions options;
    options.accept_backoff_initial = 2ms;
    options.accept_backoff_max = 8ms;
    Server server(service.mux, options);
    ScriptedListener listener;
    constexpr int kErrors = 5;
    for (int i = 0; i < kErrors; ++i) listener.Push(Emfile());
    sim::net::PipeEnds ends = sim::net::MakePipe();
    listener.Push(std::move(ends.b));
    Status served;
    rt::Task serving = rt::spawn("serve", [&] { served = server.Serve(listener); });
    // The connection after the errors is served.
    Conn conn(std::move(ends.a));
    Reply reply;
    ASSERT_TRUE(conn.Invoke(kEcho, MakeRequest("hi"), reply).ok());
    (void)conn.Close();
    server.Stop(0ms);
    serving.join();
    EXPECT_TRUE(served.ok()) << served;
    EXPECT_EQ(server.stats().accept_retries, static_cast<uint64_t>(kErrors));
    EXPECT_EQ(server.stats().connections_accepted, 1u);
    // Each retry came exactly its back-off after the error: 2, 4, 8, 8, 8 ms.
    const std::vector<rt::TimePoint> at = listener.accept_times();
    ASSERT_GE(at.size(), static_cast<size_t>(kErrors + 1));
    const rt::Duration want[] = {2ms, 4ms, 8ms, 8ms, 8ms};
    for (int i = 0; i < kErrors; ++i) EXPECT_EQ(at[i + 1] - at[i], want[i]) << "retry " << i;
  });
}

TEST(RpcAcceptSimTest, StopCutsTheBackOffShort) {
  ForEachSeed(20, [](uint64_t) {
    TestService service;
    ServerOptions options;
    options.accept_backoff_initial = std::chrono::hours(1);
    options.accept_backoff_max = std::chrono::hours(1);
    Server server(service.mux, options);
    ScriptedListener listener;
    listener.Push(Emfile());
    Status served;
    rt::Task serving = rt::spawn("serve", [&] { served = server.Serve(listener); });
    UntilEveryOtherTaskParks();
    ASSERT_EQ(server.stats().accept_retries, 1u) << "Serve waits in its back-off";
    const rt::TimePoint stop_at = rt::now();
    server.Stop(0ms);  // returns only once Serve returned
    serving.join();
    EXPECT_TRUE(served.ok()) << served;
    // Stop(0) takes no virtual time unless it waits out the back-off.
    EXPECT_LT(rt::now() - stop_at, std::chrono::seconds(1)) << "Stop waited out the back-off";
  });
}

}  // namespace
}  // namespace drpc::rpc::testing

// New stream ids reach the wire in increasing order, over many seeds (each
// another interleaving of the openers), in multiplexed and legacy mode.
#include <gtest/gtest.h>

#include <memory>

#include "drpc/manager/manager.h"
#include "drpc/rt/rt.h"
#include "sim/net/pipe.h"
#include "tests/common/sim_seeds.h"
#include "tests/manager/id_order_peer.h"
#include "tests/manager/manager_calls.h"

namespace drpc::manager::testing {
namespace {

constexpr uint64_t kSeeds = 300;
constexpr int kTasks = 4;
constexpr int kCalls = 8;

void ExpectIdsInOrder(bool legacy) {
  ::drpc::testing::ForEachSeed(kSeeds, [&](uint64_t) {
    sim::net::PipeEnds ends = sim::net::MakePipe({});
    IdOrderPeer peer(std::move(ends.b));
    ManagerOptions options = ClientOptions();
    options.legacy_single_stream = legacy;
    Manager client(std::move(ends.a), std::move(options));
    rt::Task server = rt::spawn("id-order peer", [&] { peer.Serve(); });
    EXPECT_EQ(CallConcurrently(client, kTasks, kCalls), 0);
    EXPECT_TRUE(client.Close().ok());
    server.join();
    ASSERT_EQ(peer.violation(), "");
    EXPECT_EQ(peer.streams(), static_cast<size_t>(kTasks * kCalls));
  });
}

TEST(StreamIdsOnTheWireSim, IncreaseWithManyOpenersMultiplexed) { ExpectIdsInOrder(false); }

TEST(StreamIdsOnTheWireSim, IncreaseWithManyOpenersLegacy) { ExpectIdsInOrder(true); }

}  // namespace
}  // namespace drpc::manager::testing

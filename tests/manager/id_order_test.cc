// New stream ids reach the wire in increasing order whatever the number of
// tasks opening streams on one connection, in multiplexed and legacy mode
// (OS backend: threads on a socketpair; id_order_sim_test.cc sweeps seeds).
#include <gtest/gtest.h>

#include <memory>

#include "drpc/manager/manager.h"
#include "drpc/rt/os/socket_pair.h"
#include "tests/manager/id_order_peer.h"
#include "tests/manager/manager_calls.h"

namespace drpc::manager::testing {
namespace {

constexpr int kTasks = 8;
constexpr int kCalls = 200;

void ExpectIdsInOrder(bool legacy) {
  auto transports = rt::os::SocketPair();
  ASSERT_TRUE(transports.ok()) << transports.status();
  IdOrderPeer peer(std::move(transports->b));
  ManagerOptions options = ClientOptions();
  options.legacy_single_stream = legacy;
  Manager client(std::move(transports->a), std::move(options));
  rt::Task server = rt::spawn("id-order peer", [&] { peer.Serve(); });
  EXPECT_EQ(CallConcurrently(client, kTasks, kCalls), 0);
  EXPECT_TRUE(client.Close().ok());
  server.join();
  EXPECT_EQ(peer.violation(), "");
  EXPECT_EQ(peer.streams(), static_cast<size_t>(kTasks * kCalls));
}

TEST(StreamIdsOnTheWire, IncreaseWithManyOpenersMultiplexed) { ExpectIdsInOrder(false); }

TEST(StreamIdsOnTheWire, IncreaseWithManyOpenersLegacy) { ExpectIdsInOrder(true); }

}  // namespace
}  // namespace drpc::manager::testing

// Through rpc::Conn (Invoke writes the whole request as one submission):
// new stream ids reach the wire in increasing order with many threads
// calling on one Conn, multiplexed and legacy (what Go checks: "id
// monotonicity violation"). The manager-level tests: tests/manager/id_order*.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "drpc/rpc/conn.h"
#include "drpc/rt/os/socket_pair.h"
#include "drpc/rt/task.h"
#include "tests/manager/id_order_peer.h"

namespace drpc::rpc {
namespace {

constexpr int kThreads = 8;
constexpr int kCalls = 100;

void ExpectIdsInOrder(bool legacy) {
  auto transports = rt::os::SocketPair();
  ASSERT_TRUE(transports.ok()) << transports.status();
  manager::testing::IdOrderPeer peer(std::move(transports->b));
  ConnOptions options;
  options.manager.legacy_single_stream = legacy;
  Conn conn(std::move(transports->a), std::move(options));
  rt::Task server = rt::spawn("id-order peer", [&] { peer.Serve(); });
  std::vector<int> failed(kThreads, 0);
  std::vector<rt::Task> callers;
  for (int t = 0; t < kThreads; ++t) {
    callers.push_back(rt::spawn("caller", [&, t] {
      for (int c = 0; c < kCalls; ++c) {
        std::string reply;
        const Status st = conn.Invoke("/id/Order", std::string("x"), reply);
        failed[static_cast<size_t>(t)] += st.ok() && reply == "ok" ? 0 : 1;
      }
    }));
  }
  int total = 0;
  for (size_t t = 0; t < callers.size(); ++t) {
    callers[t].join();
    total += failed[t];
  }
  EXPECT_EQ(total, 0);
  EXPECT_TRUE(conn.Close().ok());
  server.join();
  EXPECT_EQ(peer.violation(), "");
  EXPECT_EQ(peer.streams(), static_cast<size_t>(kThreads * kCalls));
}

TEST(ConnStreamIds, IncreaseOnTheWireMultiplexed) { ExpectIdsInOrder(false); }

TEST(ConnStreamIds, IncreaseOnTheWireLegacy) { ExpectIdsInOrder(true); }

}  // namespace
}  // namespace drpc::rpc

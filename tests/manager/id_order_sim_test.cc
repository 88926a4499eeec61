// New stream ids reach the wire in increasing order, over many seeds (each
// another interleaving of the openers), in multiplexed and legacy mode.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "drpc/manager/manager.h"
#include "drpc/rt/rt.h"
#include "sim/net/pipe.h"
#include "sim/sched/random_source.h"
#include "sim/sched/run.h"
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

// One task opens A, then B, and invokes B first (then A): no caller rule.
// Both calls are served, and the wire still sees increasing ids (B goes out
// as 1, A as 2). With the old gate at the first frame, B waited for A's
// first frame forever (the run deadlocked).
TEST(StreamIdsOnTheWireSim, OpenTwoInvokeTheLaterFirst) {
  ::drpc::testing::ForEachSeed(50, [&](uint64_t) {
    sim::net::PipeEnds ends = sim::net::MakePipe({});
    IdOrderPeer peer(std::move(ends.b));
    Manager client(std::move(ends.a), ClientOptions());
    rt::Task server = rt::spawn("id-order peer", [&] { peer.Serve(); });
    Result<std::shared_ptr<Stream>> a = client.NewClientStream();
    Result<std::shared_ptr<Stream>> b = client.NewClientStream();
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_LT((*a)->id(), (*b)->id());
    for (Stream* s : {b->get(), a->get()}) {
      std::string reply;
      ASSERT_TRUE(s->WriteInvoke("/id/Order").ok());
      ASSERT_TRUE(s->MsgSendAndCloseSend(std::string("x"), stream::BytesCodec{}).ok());
      ASSERT_TRUE(s->MsgRecv(reply, stream::BytesCodec{}).ok());
      EXPECT_EQ(reply, "ok");
      (void)s->Close();
    }
    EXPECT_TRUE(client.Close().ok());
    server.join();
    EXPECT_EQ(peer.violation(), "");
    EXPECT_EQ(peer.streams(), 2u);
  });
}

// Returns how many of the calls failed against a server that does not
// multiplex (Go's upstream), each call with a deadline of 1 s.
int FailuresAgainstOneStreamServer(bool legacy, uint64_t seed) {
  int failed = 0;
  sim::RandomSource decisions(seed);
  const sim::RunResult r = sim::Run(decisions, {}, [&] {
    sim::net::PipeEnds ends = sim::net::MakePipe({});
    IdOrderPeer peer(std::move(ends.b), /*one_stream_at_a_time=*/true);
    ManagerOptions options = ClientOptions();
    options.legacy_single_stream = legacy;
    Manager client(std::move(ends.a), std::move(options));
    rt::Task server = rt::spawn("one-stream peer", [&] { peer.Serve(); });
    failed = CallConcurrently(client, kTasks, kCalls, std::chrono::seconds(1));
    (void)client.Close();
    server.join();
  });
  EXPECT_TRUE(r.ok()) << "seed " << seed;
  return failed;
}

// docs/rpc.md, "Servers that do not multiplex": legacy mode is what makes
// overlapping calls work against such a server; the default mode loses
// the earlier of two overlapping calls (here to its deadline; without one
// it would wait forever).
TEST(NonMultiplexingServerSim, LegacyModeCompletesEveryCall) {
  for (uint64_t seed = 0; seed < 100; ++seed) {
    ASSERT_EQ(FailuresAgainstOneStreamServer(true, seed), 0) << "seed " << seed;
  }
}

TEST(NonMultiplexingServerSim, DefaultModeLosesOverlappingCalls) {
  int failed = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) failed += FailuresAgainstOneStreamServer(false, seed);
  EXPECT_GT(failed, 0) << "overlapping calls on a non-multiplexing server";
}

}  // namespace
}  // namespace drpc::manager::testing

// Concurrent calls on one Conn really run concurrently: no connection-wide
// lock is held across a round trip (drpc-protocol.md §4.10's last hazard:
// the Go fork's Invoke serializes them).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/rpc/rpc_test_util.h"

namespace drpc::rpc::testing {
namespace {

class RpcConcurrencyTest : public ::testing::TestWithParam<Net> {};
INSTANTIATE_TEST_SUITE_P(Nets, RpcConcurrencyTest, ::testing::Values(Net::kSocketPair, Net::kTcp),
                         NetName);

// Each Barrier handler returns only once all N calls are in its handler at
// the same time, so the calls pass only if all N are in flight at once.
TEST_P(RpcConcurrencyTest, AThousandUnaryCallsOnOneConnRunAtOnce) {
  constexpr int kCalls = 1000;
  TestService service;
  service.barrier_size = kCalls;
  ServerOptions server_options;
  server_options.manager.accept_queue_capacity = kCalls;  // a burst of invokes is not refused
  ClientServer cs(service, GetParam(), std::move(server_options));
  std::vector<Status> results(kCalls);
  std::vector<int64_t> widths(kCalls);
  std::vector<rt::Task> callers;
  callers.reserve(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    callers.push_back(rt::spawn("caller", [&, i] {
      Reply reply;
      results[i] = cs.conn().Invoke(kBarrier, MakeRequest("b", i), reply);
      widths[i] = reply.number();
    }));
  }
  for (rt::Task& t : callers) t.join();
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i];
    EXPECT_EQ(widths[i], kCalls);
  }
  EXPECT_EQ(cs.server().stats().calls_started, static_cast<uint64_t>(kCalls));
}

// Streams and unary calls mixed on one Conn from many tasks, each checking
// its own results: nothing crosses between calls.
TEST_P(RpcConcurrencyTest, MixedCallsFromManyTasksKeepTheirOwnResults) {
  constexpr int kTasks = 16;
  constexpr int kRounds = 30;
  TestService service;
  ClientServer cs(service, GetParam());
  std::vector<rt::Task> tasks;
  for (int t = 0; t < kTasks; ++t) {
    tasks.push_back(rt::spawn("mixed", [&, t] {
      for (int r = 0; r < kRounds; ++r) {
        const std::string tag = std::to_string(t) + "/" + std::to_string(r);
        Reply reply;
        ASSERT_TRUE(cs.conn().Invoke(kEcho, MakeRequest(tag, r), reply).ok());
        ASSERT_EQ(reply.text(), tag);
        auto chat = cs.conn().NewStream<Request, Reply>(kChat);
        ASSERT_TRUE(chat.ok());
        for (int m = 0; m < 3; ++m) {
          ASSERT_TRUE(chat->Send(MakeRequest(tag, m)).ok());
          ASSERT_TRUE(chat->Recv(reply).ok());
          ASSERT_EQ(reply.text(), tag);
          ASSERT_EQ(reply.number(), m);
        }
        ASSERT_TRUE(chat->CloseSend().ok());
        ASSERT_EQ(chat->Recv(reply).kind(), ErrorKind::kEof);
      }
    }));
  }
  for (rt::Task& t : tasks) t.join();
}

}  // namespace
}  // namespace drpc::rpc::testing

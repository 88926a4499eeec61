// Many streams on one connection at once (OS backend): multi-frame messages
// of different streams interleave on the wire and must not corrupt each
// other (the fork's TestConcurrentLargeMessages regression: a reader that
// reset a partial packet when another stream's frame arrived).
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "tests/manager/manager_testing.h"

namespace drpc::manager {
namespace {

using namespace testing;  // NOLINT: test helpers

std::string Payload(uint64_t stream, int message, size_t size) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    s[i] = static_cast<char>((stream * 131 + message * 31 + i * 7) % 251);
  }
  return s;
}

// Serves `streams` echo calls: every message comes back, then CloseSend.
std::vector<std::thread> EchoServer(Manager& server, int streams, std::atomic<int>* served) {
  std::vector<std::thread> handlers;
  for (int i = 0; i < streams; ++i) {
    ServerStream in = Accept(server);
    handlers.emplace_back([s = in.stream, served] {
      for (int n = 0; n < 100000; ++n) {
        std::string msg;
        Status st = s->MsgRecv(msg, BytesCodec{});
        if (st.is(ErrorKind::kEof)) break;
        ASSERT_TRUE(st.ok()) << st;
        ASSERT_TRUE(s->MsgSend(msg, BytesCodec{}).ok());
      }
      ASSERT_TRUE(s->CloseSend().ok());
      served->fetch_add(1);
    });
  }
  return handlers;
}

void RunEchoCalls(int streams, int messages, size_t min_size, size_t max_size, int64_t split) {
  ManagerOptions client = ClientOptions();
  ManagerOptions server = ServerOptions();
  client.stream.split_size = split;
  server.stream.split_size = split;
  server.accept_queue_capacity = static_cast<size_t>(streams);
  Pair p = MakePair(client, server);
  std::atomic<int> served{0};
  std::thread acceptor([&] {
    std::vector<std::thread> handlers = EchoServer(*p.server, streams, &served);
    for (auto& h : handlers) h.join();
  });
  std::vector<std::thread> callers;
  std::atomic<int> verified{0};
  for (int c = 0; c < streams; ++c) {
    callers.emplace_back([&, c] {
      std::shared_ptr<Stream> s = Invoke(*p.client, "/echo/" + std::to_string(c));
      const uint64_t sid = s->id();
      auto size_of = [&](int m) {
        return min_size + (sid * 977 + m * 389) % (max_size - min_size + 1);
      };
      for (int m = 0; m < messages; ++m) {
        ASSERT_TRUE(Send(*s, Payload(sid, m, size_of(m))).ok());
      }
      ASSERT_TRUE(s->CloseSend().ok());
      for (int m = 0; m < messages; ++m) {
        Result<std::string> got = Recv(*s);
        ASSERT_TRUE(got.ok()) << got.status();
        ASSERT_EQ(*got, Payload(sid, m, size_of(m))) << "stream " << sid << " message " << m;
      }
      ASSERT_TRUE(Recv(*s).status().is(ErrorKind::kEof));
      verified.fetch_add(1);
    });
  }
  for (auto& t : callers) t.join();
  acceptor.join();
  EXPECT_EQ(verified.load(), streams);
  EXPECT_EQ(served.load(), streams);
  EXPECT_TRUE(p.client->Close().ok());
  EXPECT_TRUE(p.server->Close().ok());
  EXPECT_EQ(p.client->stats().live_streams, 0u);
}

TEST(Concurrency, HundredStreamsInterleaveSmallFrames) {
  RunEchoCalls(/*streams=*/100, /*messages=*/4, /*min=*/1, /*max=*/600, /*split=*/5);
}

TEST(Concurrency, ConcurrentLargeMessagesWithSplitSizeFive) {
  RunEchoCalls(/*streams=*/8, /*messages=*/2, /*min=*/32 * 1024, /*max=*/64 * 1024, /*split=*/5);
}

TEST(Concurrency, ManyStreamsDefaultSplit) {
  RunEchoCalls(/*streams=*/32, /*messages=*/8, /*min=*/1, /*max=*/200 * 1024, /*split=*/0);
}

}  // namespace
}  // namespace drpc::manager

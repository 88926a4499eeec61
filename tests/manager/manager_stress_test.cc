// Threaded stress of a manager pair (label tsan: it runs under the tsan
// preset). Many caller threads open streams, send and receive, and end them
// every way there is (CloseSend, Close, Cancel on either side, deadlines),
// while the server handles each stream on its own thread; at the end both
// managers close with calls still in flight. The checks are the
// sanitizer's and the invariants': every call returns, every stream
// finishes, every buffer goes back to its pool.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/manager/manager_testing.h"

namespace drpc::manager {
namespace {

using namespace testing;  // NOLINT: test helpers

void Handle(std::shared_ptr<Stream> s, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (int n = 0; n < 64; ++n) {
    std::string msg;
    Status st = s->MsgRecv(msg, BytesCodec{});
    if (!st.ok()) break;
    switch (rng() % 16) {
      case 0:
        (void)Manager::Cancel(*s, CanceledError());
        return;
      case 1:
        (void)s->SendError(Status(ErrorKind::kDrpc, "handler failed", 7));
        return;
      default:
        if (!s->MsgSend(msg, BytesCodec{}).ok()) return;
    }
  }
  (void)s->CloseSend();
}

void Call(Manager& client, uint64_t seed, std::atomic<int>* done) {
  std::mt19937_64 rng(seed);
  for (int call = 0; call < 20; ++call) {
    ClientStreamOptions options;
    if (rng() % 8 == 0) options.deadline = rt::now() + std::chrono::microseconds(rng() % 2000);
    Result<std::shared_ptr<Stream>> opened = client.NewClientStream(options);
    if (!opened.ok()) break;  // the connection is closing
    std::shared_ptr<Stream> s = *opened;
    if (!s->WriteInvoke("/stress/Call", {{"seed", std::to_string(seed)}}).ok()) {
      (void)s->Close();
      continue;
    }
    const int messages = static_cast<int>(rng() % 6);
    for (int m = 0; m < messages; ++m) {
      if (!s->MsgSend(std::string(rng() % 3000, 'x'), BytesCodec{}).ok()) break;
    }
    switch (rng() % 4) {
      case 0:
        (void)Manager::Cancel(*s, CanceledError());
        break;
      case 1:
        (void)s->Close();
        break;
      default:
        (void)s->CloseSend();
    }
    for (int m = 0; m < 64; ++m) {
      std::string reply;
      if (!s->MsgRecv(reply, BytesCodec{}).ok()) break;
    }
    (void)s->Close();
  }
  done->fetch_add(1);
}

TEST(ManagerStress, ManyThreadsManyStreamsEveryEnding) {
  for (int round = 0; round < 3; ++round) {
    ManagerOptions client = ClientOptions();
    ManagerOptions server = ServerOptions();
    client.stream.split_size = 512;
    server.stream.split_size = 700;
    client.writer.high_water_bytes = 16 * 1024;
    server.stream.ring.capacity = 4;
    client.close_flush_timeout = std::chrono::milliseconds(200);
    server.close_flush_timeout = std::chrono::milliseconds(200);
    Pair p = MakePair(client, server);
    std::shared_ptr<stream::BufferPool> client_pool = p.client->pool();
    std::shared_ptr<stream::BufferPool> server_pool = p.server->pool();

    std::atomic<bool> accepting{true};
    std::vector<std::thread> handlers;
    std::thread acceptor([&] {
      for (uint64_t n = 0; n < 100000; ++n) {
        Result<ServerStream> in = p.server->NewServerStream();
        if (!in.ok()) break;
        handlers.emplace_back(Handle, in->stream, n);
      }
      accepting = false;
    });
    constexpr int kCallers = 12;
    std::atomic<int> done{0};
    std::vector<std::thread> callers;
    for (int c = 0; c < kCallers; ++c) {
      callers.emplace_back(Call, std::ref(*p.client), round * 100 + c, &done);
    }
    // Let some calls finish, then close with the rest in flight.
    std::this_thread::sleep_for(std::chrono::milliseconds(30 + 20 * round));
    if (round % 2 == 0) {
      EXPECT_TRUE(p.client->Close().ok());
    } else {
      EXPECT_TRUE(p.server->Close().ok());
    }
    for (auto& t : callers) t.join();
    EXPECT_EQ(done.load(), kCallers);
    EXPECT_TRUE(p.client->Close().ok());
    EXPECT_TRUE(p.server->Close().ok());
    acceptor.join();
    for (auto& t : handlers) t.join();
    EXPECT_FALSE(accepting.load());
    p.client.reset();
    p.server.reset();
    EXPECT_EQ(client_pool->stats().lent, 0u);
    EXPECT_EQ(server_pool->stats().lent, 0u);
  }
}

}  // namespace
}  // namespace drpc::manager

// Serving without runtime plumbing (Server::Start, Wait, Stop), on the OS
// backend: the body of TEST(ServerStartTest, AMainServesUntilStopped) is
// what a main() writes, with std::thread standing in for whatever asks the
// server to stop (a signal, an admin call). Ordered by events, no sleeps.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "drpc/rpc/conn.h"
#include "drpc/rpc/mux.h"
#include "drpc/rpc/server.h"
#include "drpc/rt/os/tcp.h"
#include "tests/rpc/scripted_listener.h"

namespace drpc::rpc::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kEchoRpc[] = "/start.Start/Echo";
constexpr char kHangRpc[] = "/start.Start/Hang";

void RegisterEcho(Mux& mux) {
  mux.RegisterUnary<std::string, std::string>(
      kEchoRpc, [](ServerCall&, const std::string& in, std::string& out) {
        if (in.empty()) return InvalidArgumentError("empty request");
        out = in;
        return OkStatus();
      });
}

TEST(ServerStartTest, AMainServesUntilStopped) {
  Mux mux;
  RegisterEcho(mux);
  Server server(mux);
  Result<std::unique_ptr<rt::os::TcpListener>> listener =
      rt::os::TcpListener::Listen("127.0.0.1", 0);
  ASSERT_TRUE(listener.ok()) << listener.status();
  const uint16_t port = (*listener)->Port();
  ASSERT_TRUE(server.Start(std::move(*listener)).ok());

  // Another thread: a client, then Stop.
  Status echoed;
  Status empty;
  std::thread other([&] {
    Result<std::unique_ptr<rt::Transport>> dialed = rt::os::TcpConnect("127.0.0.1", port);
    ASSERT_TRUE(dialed.ok()) << dialed.status();
    Conn conn(std::move(*dialed));
    std::string reply;
    echoed = conn.Invoke(kEchoRpc, std::string("hi"), reply);
    empty = conn.Invoke(kEchoRpc, std::string(), reply);
    server.Stop(5s);
  });
  const Status served = server.Wait();
  other.join();
  EXPECT_TRUE(served.ok()) << served;
  EXPECT_TRUE(echoed.ok()) << echoed;
  EXPECT_EQ(empty.code(), StatusCode::kInvalidArgument) << empty;
  EXPECT_EQ(server.stats().calls_started, 2u);
}

// Wait returns only once Stop has finished: the handler Stop cancels has
// returned by then.
TEST(ServerStartTest, WaitReturnsAfterStopHasEndedEveryCall) {
  Mux mux;
  std::atomic<bool> handler_returned{false};
  mux.RegisterUnary<std::string, std::string>(
      kHangRpc, [&](ServerCall& call, const std::string&, std::string&) {
        // Without rt: a wait that the call's end cuts short.
        const bool ended = call.WaitDoneFor(1h);
        handler_returned = true;
        return ended ? CanceledError() : DeadlineExceededError("not canceled within the hour");
      });
  Server server(mux);
  Result<std::unique_ptr<rt::os::TcpListener>> listener =
      rt::os::TcpListener::Listen("127.0.0.1", 0);
  ASSERT_TRUE(listener.ok()) << listener.status();
  const uint16_t port = (*listener)->Port();
  ASSERT_TRUE(server.Start(std::move(*listener)).ok());
  Result<std::unique_ptr<rt::Transport>> dialed = rt::os::TcpConnect("127.0.0.1", port);
  ASSERT_TRUE(dialed.ok()) << dialed.status();
  Conn conn(std::move(*dialed));
  Status hung;
  std::thread caller([&] {
    std::string reply;
    hung = conn.Invoke(kHangRpc, std::string("x"), reply);
  });
  // Stop once the call is running: its handler is counted when it starts.
  std::thread stopper([&] {
    while (server.stats().calls_started == 0) std::this_thread::yield();
    server.Stop(0s);  // cancels the handler at once
  });
  const Status served = server.Wait();
  EXPECT_TRUE(handler_returned) << "Wait returned while a handler ran";
  EXPECT_TRUE(served.ok()) << served;
  stopper.join();
  caller.join();
  EXPECT_FALSE(hung.ok());
  EXPECT_EQ(server.stats().calls_canceled_at_stop, 1u);
}

TEST(ServerStartTest, StartTwiceIsAnError) {
  Mux mux;
  Server server(mux);
  ASSERT_TRUE(server.Start(std::make_unique<ScriptedListener>()).ok());
  const Status again = server.Start(std::make_unique<ScriptedListener>());
  EXPECT_EQ(again.code(), StatusCode::kFailedPrecondition) << again;
  server.Stop(0s);
  EXPECT_TRUE(server.Wait().ok());
}

TEST(ServerStartTest, WaitWithoutStartFailsAtOnce) {
  Mux mux;
  Server server(mux);
  EXPECT_EQ(server.Wait().code(), StatusCode::kFailedPrecondition);
  server.Stop(0s);
  EXPECT_EQ(server.Wait().code(), StatusCode::kFailedPrecondition);
}

TEST(ServerStartTest, StartAfterStopClosesTheListenerAndWaitReturns) {
  Mux mux;
  Server server(mux);
  server.Stop(0s);
  auto listener = std::make_unique<ScriptedListener>();
  ScriptedListener& seen = *listener;
  ASSERT_TRUE(server.Start(std::move(listener)).ok());
  EXPECT_TRUE(server.Wait().ok());
  // Closed: an Accept now fails at once instead of waiting.
  EXPECT_TRUE(seen.Accept().status().is(ErrorKind::kClosed));
}

TEST(ServerStartTest, AHardAcceptErrorEndsWaitWithIt) {
  Mux mux;
  Server server(mux);
  auto listener = std::make_unique<ScriptedListener>();
  listener->Push(ConnectionError("listener broke"));
  ASSERT_TRUE(server.Start(std::move(listener)).ok());
  const Status served = server.Wait();
  EXPECT_EQ(served, ConnectionError("listener broke"));
  EXPECT_EQ(served.code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace drpc::rpc::testing

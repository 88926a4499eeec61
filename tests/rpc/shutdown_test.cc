// Server lifecycle over real sockets: graceful Stop with calls in flight
// (they finish within the grace period; past it they are canceled), new
// calls refused while draining, Serve/ServeOne after Stop, and the accept
// loop's handling of temporary and hard errors (through a scripted
// Listener, and a TCP listener out of descriptors). Each waits for the
// event it orders on (a handler entered, Stop begun, the server's
// half-close), never for a time. The back-off's timing is tested in the
// simulator, where it is exact: accept_sim_test.cc.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "drpc/rt/signal.h"
#include "tests/rpc/rpc_test_util.h"
#include "tests/rpc/scripted_listener.h"

namespace drpc::rpc::testing {
namespace {

class RpcShutdownTest : public ::testing::TestWithParam<Net> {
 protected:
  TestService service_;
};
INSTANTIATE_TEST_SUITE_P(Nets, RpcShutdownTest, ::testing::Values(Net::kSocketPair, Net::kTcp),
                         NetName);

// The handlers of the calls in flight run to the end; Stop cancels none,
// and every client gets its reply: the server's close lingers (it
// half-closes and reads until the client's EOF), so nothing a client
// writes meanwhile is answered by a reset that would lose its replies.
// The handlers are held until Stop has begun, so they end while it drains.
TEST_P(RpcShutdownTest, CallsInFlightFinishWithinTheGracePeriod) {
  constexpr int kCalls = 8;
  ClientServer cs(service_, GetParam());
  std::vector<Status> results(kCalls);
  std::vector<rt::Task> callers;
  for (int i = 0; i < kCalls; ++i) {
    callers.push_back(rt::spawn("caller", [&, i] {
      Reply reply;
      results[i] = cs.conn().Invoke(kHeld, MakeRequest("s"), reply);
    }));
  }
  ASSERT_TRUE(service_.WaitEntered(kCalls));
  // Returns once the calls are done and everything is joined.
  rt::Task stopper = rt::spawn("stopper", [&] { cs.server().Stop(kLiveness); });
  ASSERT_TRUE(cs.server().stopping().wait_until(rt::now() + kLiveness, "test"));
  service_.ReleaseHeld();
  stopper.join();
  EXPECT_EQ(service_.held_finished(), kCalls);
  EXPECT_EQ(cs.server().stats().calls_canceled_at_stop, 0u);
  for (rt::Task& t : callers) t.join();
  for (const Status& st : results) EXPECT_TRUE(st.ok()) << st;
  EXPECT_TRUE(cs.server().stopping().is_set());
}

// The case a close both ways at once gets wrong: a client that has not
// read all of its replies yet (its reader waits on a full receive queue,
// so the bytes sit in its socket) writes after Stop closed the server's
// side. A server that closed both ways answers that write with a reset;
// the client's write fails, its connection aborts and the unread replies
// are lost. The lingering close reads and drops that write instead, and
// the client reads every reply, then the end of the stream.
TEST_P(RpcShutdownTest, RepliesAClientHasNotReadSurviveItsWritesAfterStop) {
  ConnOptions conn_options;
  conn_options.manager.stream.ring.capacity = 1;  // the client's reader stalls at reply 2
  ClientServer cs(service_, GetParam(), ServerOptions{}, std::move(conn_options));
  constexpr int kReplies = 5;
  Result<ClientStream<Request, Reply>> s = cs.conn().NewStream<Request, Reply>(kCount);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_TRUE(s->Send(MakeRequest("", kReplies)).ok());
  ASSERT_TRUE(s->CloseSend().ok());
  Reply r;
  ASSERT_TRUE(s->Recv(r).ok()) << "the handler runs";  // so Stop lets it finish
  EXPECT_EQ(r.number(), 0);
  rt::Task stopper = rt::spawn("stopper", [&] { cs.server().Stop(kLiveness); });
  // The handler ends and Stop closes the connection's write side.
  ASSERT_TRUE(cs.server_kill->write_closed.wait_until(rt::now() + kLiveness, "test"))
      << "Stop never half-closed the connection";
  // A write after that (any call: a new one is dropped by the stopping
  // server and fails when the connection ends).
  Status late;
  rt::Task writer = rt::spawn("late writer", [&] {
    Reply reply;
    late = cs.conn().Invoke(kEcho, MakeRequest("late"), reply);
  });
  // The write reaches the server before the client reads on: the lingering
  // close reads it (a server that closed both ways never does).
  EXPECT_TRUE(cs.server_kill->read_after_write_close.wait_until(rt::now() + 10s, "test"))
      << "the server did not read the late write after its half-close";
  bool all = true;
  for (int i = 1; i < kReplies && all; ++i) {
    const Status got = s->Recv(r);
    all = got.ok();
    EXPECT_TRUE(all) << "reply " << i << " lost: " << got;
    if (all) {
      EXPECT_EQ(r.number(), i);
    }
  }
  if (all) {
    EXPECT_EQ(s->Recv(r).kind(), ErrorKind::kEof);
  }
  writer.join();
  EXPECT_FALSE(late.ok());
  stopper.join();
}

TEST_P(RpcShutdownTest, CallsPastTheGracePeriodAreCanceled) {
  constexpr int kCalls = 5;
  ClientServer cs(service_, GetParam());
  std::vector<Status> results(kCalls);
  std::vector<rt::Task> callers;
  for (int i = 0; i < kCalls; ++i) {
    callers.push_back(rt::spawn("caller", [&, i] {
      Reply reply;
      results[i] = cs.conn().Invoke(kBlock, MakeRequest("b"), reply);
    }));
  }
  ASSERT_TRUE(service_.WaitEntered(kCalls));
  cs.server().Stop(20ms);
  for (rt::Task& t : callers) t.join();
  for (const Status& st : results) {
    // The soft cancel's Cancel frame, or the connection closing right after
    // it, whichever the client reads first.
    EXPECT_TRUE(st.is(ErrorKind::kCanceled) || st.is(ErrorKind::kClosed)) << st;
  }
  const std::vector<Status> seen = service_.WaitRecorded(kCalls);
  ASSERT_EQ(seen.size(), static_cast<size_t>(kCalls));
  for (const Status& st : seen) EXPECT_EQ(st.kind(), ErrorKind::kCanceled) << st;
  EXPECT_EQ(cs.server().stats().calls_canceled_at_stop, static_cast<uint64_t>(kCalls));
}

TEST_P(RpcShutdownTest, NewCallsWhileDrainingAreRefusedAsUnavailable) {
  ClientServer cs(service_, GetParam());
  Status held;
  rt::Task caller = rt::spawn("held", [&] {
    Reply reply;
    held = cs.conn().Invoke(kHeld, MakeRequest("s"), reply);
  });
  ASSERT_TRUE(service_.WaitEntered(1));
  rt::Task stopper = rt::spawn("stopper", [&] { cs.server().Stop(kLiveness); });
  ASSERT_TRUE(cs.server().stopping().wait_until(rt::now() + kLiveness, "test"));
  // Stop waits for the held call; a new call now is refused.
  Reply reply;
  const Status refused = cs.conn().Invoke(kEcho, MakeRequest("late"), reply);
  service_.ReleaseHeld();
  stopper.join();
  caller.join();
  EXPECT_TRUE(held.ok()) << held;
  EXPECT_EQ(refused.kind(), ErrorKind::kRemote) << refused;
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable);
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable);
  EXPECT_EQ(cs.server().stats().calls_refused, 1u);
}

TEST_P(RpcShutdownTest, StopIsIdempotentAndServeReturnsOk) {
  ClientServer cs(service_, GetParam());
  cs.Shutdown();
  cs.server().Stop(0ms);
  EXPECT_TRUE(cs.serve_result().ok()) << cs.serve_result();
  // After Stop nothing is served.
  Result<rt::os::TransportPair> pair = rt::os::SocketPair();
  ASSERT_TRUE(pair.ok());
  EXPECT_EQ(cs.server().ServeOne(std::move(pair->b)).kind(), ErrorKind::kClosed);
  Result<std::unique_ptr<rt::os::TcpListener>> l = rt::os::TcpListener::Listen("127.0.0.1", 0);
  ASSERT_TRUE(l.ok());
  EXPECT_TRUE(cs.server().Serve(**l).ok());
}

// ---- the accept loop ---------------------------------------------------------

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

TEST(RpcAcceptTest, AHardErrorEndsServe) {
  TestService service;
  Server server(service.mux);
  ScriptedListener listener;
  listener.Push(Emfile());
  listener.Push(ConnectionError("accept: invalid argument"));
  const Status served = server.Serve(listener);
  EXPECT_EQ(served.kind(), ErrorKind::kConnection) << served;
  EXPECT_EQ(server.stats().accept_retries, 1u);
}

TEST(RpcAcceptTest, TooManyTemporaryErrorsInARowEndServe) {
  TestService service;
  ServerOptions options;
  options.accept_backoff_initial = 1us;
  options.accept_backoff_max = 1us;
  options.max_accept_retries = 3;
  Server server(service.mux, options);
  ScriptedListener listener;
  for (int i = 0; i < 10; ++i) listener.Push(Emfile());
  EXPECT_EQ(server.Serve(listener).kind(), ErrorKind::kResourceExhausted);
  EXPECT_EQ(listener.accepts(), 4u);  // the first try and three retries
}

TEST(RpcAcceptTest, ConnectionsOverTheLimitAreClosed) {
  TestService service;
  ServerOptions options;
  options.max_connections = 1;
  Server server(service.mux, options);
  ScriptedListener listener;
  Result<rt::os::TransportPair> first = rt::os::SocketPair();
  Result<rt::os::TransportPair> second = rt::os::SocketPair();
  ASSERT_TRUE(first.ok() && second.ok());
  listener.Push(std::move(first->b));
  listener.Push(std::move(second->b));
  rt::Task serving = rt::spawn("serve", [&] { (void)server.Serve(listener); });
  Conn one(std::move(first->a));
  Conn two(std::move(second->a));
  Reply reply;
  EXPECT_TRUE(one.Invoke(kEcho, MakeRequest("1"), reply).ok());
  const Status refused = two.Invoke(kEcho, MakeRequest("2"), reply);
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable) << refused;
  EXPECT_EQ(server.stats().connections_refused, 1u);
  server.Stop(0ms);
  serving.join();
}

// Passes Accept through; retried_n is set when Accept is called after `n`
// failed ones, so Serve has counted (and backed off from) all `n`.
class RetryCountingListener final : public rt::Listener {
 public:
  RetryCountingListener(rt::Listener& inner, int n) : inner_(inner), n_(n) {}
  Result<std::unique_ptr<rt::Transport>> Accept() override {
    if (failures_ == n_) retried_n_.set(OkStatus());
    Result<std::unique_ptr<rt::Transport>> t = inner_.Accept();
    if (!t.ok()) ++failures_;
    return t;
  }
  Status Close() override { return inner_.Close(); }
  rt::Signal& retried_n() { return retried_n_; }

 private:
  rt::Listener& inner_;
  const int n_;
  int failures_ = 0;  // only the one Serve task accepts
  rt::Signal retried_n_{"retry_counting_listener.retried_n"};
};

// The real thing: a TCP listener out of descriptors (EMFILE) reports a
// temporary error, Serve backs off and retries, and once descriptors are
// available again the waiting connection is accepted and served.
TEST(RpcAcceptTest, TcpListenerOutOfDescriptorsIsRetried) {
  if (kSanitized) {
    GTEST_SKIP() << "the sanitizers' own checks need free descriptors (UBSan reports a bad vptr "
                    "when its memory probe cannot open a pipe)";
  }
  TestService service;
  ServerOptions options;
  options.accept_backoff_initial = 1ms;
  options.accept_backoff_max = 4ms;
  Server server(service.mux, options);
  Result<std::unique_ptr<rt::os::TcpListener>> listener =
      rt::os::TcpListener::Listen("127.0.0.1", 0);
  ASSERT_TRUE(listener.ok());
  Result<std::unique_ptr<rt::Transport>> dialed =
      rt::os::TcpConnect("127.0.0.1", (*listener)->Port());
  ASSERT_TRUE(dialed.ok());
  Conn conn(std::move(*dialed));  // waits in the listener's backlog

  // Allow no new descriptor: the lowest free number becomes the limit.
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  const int probe = ::dup(0);
  ASSERT_GE(probe, 0);
  ::close(probe);
  rlimit tight = saved;
  tight.rlim_cur = static_cast<rlim_t>(probe);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &tight), 0);
  // The listener itself says "temporary".
  Result<std::unique_ptr<rt::Transport>> refused = (*listener)->Accept();
  const Status emfile = refused.status();
  EXPECT_EQ(emfile.kind(), ErrorKind::kResourceExhausted) << emfile;
  EXPECT_TRUE(rt::IsTemporaryAcceptError(emfile));

  RetryCountingListener counting(**listener, 3);
  Status served;
  rt::Task serving = rt::spawn("serve", [&] { served = server.Serve(counting); });
  // Serve keeps retrying while no descriptor is free.
  EXPECT_TRUE(counting.retried_n().wait_until(rt::now() + kLiveness, "test: three retries"));
  EXPECT_GE(server.stats().accept_retries, 3u);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);

  Reply reply;
  EXPECT_TRUE(conn.Invoke(kEcho, MakeRequest("after EMFILE"), reply).ok());
  EXPECT_EQ(reply.text(), "after EMFILE");
  (void)conn.Close();
  server.Stop(0ms);
  serving.join();
  EXPECT_TRUE(served.ok()) << served;
}

TEST(RpcServerTest, DestructorStopsAndJoinsEverything) {
  TestService service;
  Result<rt::os::TransportPair> pair = rt::os::SocketPair();
  ASSERT_TRUE(pair.ok());
  Status blocked;
  Conn conn(std::move(pair->a));
  rt::Task caller;
  rt::Task serving;
  {
    Server server(service.mux);
    serving = rt::spawn("serve", [&, end = std::move(pair->b)]() mutable {
      (void)server.ServeOne(std::move(end));
    });
    caller = rt::spawn("caller", [&] {
      Reply reply;
      blocked = conn.Invoke(kBlock, MakeRequest("b"), reply);
    });
    ASSERT_TRUE(service.WaitEntered(1));
  }  // ~Server: Stop(0) cancels the call, closes the connection, waits for ServeOne
  serving.join();
  caller.join();
  EXPECT_TRUE(blocked.is(ErrorKind::kCanceled) || blocked.is(ErrorKind::kClosed)) << blocked;
}

}  // namespace
}  // namespace drpc::rpc::testing

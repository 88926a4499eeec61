// Server lifecycle: graceful Stop with calls in flight (they finish within
// the grace period; past it they are canceled), new calls refused while
// draining, Serve/ServeOne after Stop, and the accept loop's handling of
// temporary and hard errors (through a scripted Listener).
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <deque>
#include <string>
#include <vector>

#include "drpc/rt/signal.h"
#include "tests/rpc/rpc_test_util.h"

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
TEST_P(RpcShutdownTest, CallsInFlightFinishWithinTheGracePeriod) {
  constexpr int kCalls = 8;
  ClientServer cs(service_, GetParam());
  std::vector<Status> results(kCalls);
  std::vector<rt::Task> callers;
  for (int i = 0; i < kCalls; ++i) {
    callers.push_back(rt::spawn("caller", [&, i] {
      Reply reply;
      results[i] = cs.conn().Invoke(kSlow, MakeRequest("s", 100), reply);
    }));
  }
  ASSERT_TRUE(service_.WaitEntered(kCalls));
  cs.server().Stop(kLiveness);  // returns once the calls are done and everything is joined
  EXPECT_EQ(service_.slow_finished(), kCalls);
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
  ASSERT_TRUE(cs.server().stopping().wait_until(rt::now() + kLiveness, "test"));
  // Let the handler end and Stop close the connection's write side.
  rt::sleep_for(100ms);
  // A write after that (any call: a new one is dropped by the stopping
  // server and fails when the connection ends).
  Status late;
  rt::Task writer = rt::spawn("late writer", [&] {
    Reply reply;
    late = cs.conn().Invoke(kEcho, MakeRequest("late"), reply);
  });
  rt::sleep_for(50ms);  // the write reaches the server first
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
  Status slow;
  rt::Task caller = rt::spawn("slow", [&] {
    Reply reply;
    slow = cs.conn().Invoke(kSlow, MakeRequest("s", 300), reply);
  });
  ASSERT_TRUE(service_.WaitEntered(1));
  rt::Task stopper = rt::spawn("stopper", [&] { cs.server().Stop(kLiveness); });
  ASSERT_TRUE(cs.server().stopping().wait_until(rt::now() + kLiveness, "test"));
  // Stop waits for the slow call; a new call now is refused.
  Reply reply;
  const Status refused = cs.conn().Invoke(kEcho, MakeRequest("late"), reply);
  stopper.join();
  caller.join();
  EXPECT_TRUE(slow.ok()) << slow;
  EXPECT_EQ(refused.kind(), ErrorKind::kRemote) << refused;
  EXPECT_EQ(refused.code(), kUnavailableCode);
  EXPECT_EQ(ToGrpcCode(refused), GrpcCode::kUnavailable);
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

// Plays a script of Accept results, then blocks until Close.
class ScriptedListener final : public rt::Listener {
 public:
  void Push(Result<std::unique_ptr<rt::Transport>> r) { script_.push_back(std::move(r)); }

  Result<std::unique_ptr<rt::Transport>> Accept() override {
    rt::Lock lock(mu_);
    accept_times_.push_back(rt::now());
    if (!closed_ && !script_.empty()) {
      Result<std::unique_ptr<rt::Transport>> next = std::move(script_.front());
      script_.pop_front();
      return next;
    }
    cv_.wait(
        lock, [&] { return closed_; }, "scripted accept");
    return ClosedError("scripted listener closed");
  }
  Status Close() override {
    rt::LockGuard guard(mu_);
    closed_ = true;
    cv_.notify_all();
    return OkStatus();
  }
  std::vector<rt::TimePoint> accept_times() {
    rt::LockGuard guard(mu_);
    return accept_times_;
  }
  size_t accepts() {
    rt::LockGuard guard(mu_);
    return accept_times_.size();
  }

 private:
  rt::Mutex mu_{"scripted"};
  rt::CondVar cv_{"scripted.cv"};
  bool closed_ = false;
  std::deque<Result<std::unique_ptr<rt::Transport>>> script_;
  std::vector<rt::TimePoint> accept_times_;
};

Status Emfile() { return ResourceExhaustedError("accept: too many open files"); }

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

TEST(RpcAcceptTest, TemporaryErrorsAreRetriedWithAGrowingBackOff) {
  TestService service;
  ServerOptions options;
  options.accept_backoff_initial = 2ms;
  options.accept_backoff_max = 8ms;
  Server server(service.mux, options);
  ScriptedListener listener;
  constexpr int kErrors = 5;
  for (int i = 0; i < kErrors; ++i) listener.Push(Emfile());
  Result<rt::os::TransportPair> pair = rt::os::SocketPair();
  ASSERT_TRUE(pair.ok());
  listener.Push(std::move(pair->b));
  Status served;
  rt::Task serving = rt::spawn("serve", [&] { served = server.Serve(listener); });
  // The connection after the errors is served.
  Conn conn(std::move(pair->a));
  Reply reply;
  ASSERT_TRUE(conn.Invoke(kEcho, MakeRequest("hi"), reply).ok());
  (void)conn.Close();
  server.Stop(0ms);
  serving.join();
  EXPECT_TRUE(served.ok()) << served;
  EXPECT_EQ(server.stats().accept_retries, static_cast<uint64_t>(kErrors));
  EXPECT_EQ(server.stats().connections_accepted, 1u);
  // Each retry waited at least its back-off: 2, 4, 8, 8, 8 ms (sleeps are
  // never shorter than asked; this bounds from below only).
  const std::vector<rt::TimePoint> at = listener.accept_times();
  ASSERT_GE(at.size(), static_cast<size_t>(kErrors + 1));
  const rt::Duration want[] = {2ms, 4ms, 8ms, 8ms, 8ms};
  for (int i = 0; i < kErrors; ++i) EXPECT_GE(at[i + 1] - at[i], want[i]) << "retry " << i;
}

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

TEST(RpcAcceptTest, StopCutsTheBackOffShort) {
  TestService service;
  ServerOptions options;
  options.accept_backoff_initial = std::chrono::hours(1);
  options.accept_backoff_max = std::chrono::hours(1);
  Server server(service.mux, options);
  ScriptedListener listener;
  listener.Push(Emfile());
  Status served;
  rt::Task serving = rt::spawn("serve", [&] { served = server.Serve(listener); });
  // Wait until Serve is in its back-off (the error was taken).
  for (int i = 0; i < 10'000 && server.stats().accept_retries == 0; ++i) rt::sleep_for(1ms);
  ASSERT_EQ(server.stats().accept_retries, 1u);
  server.Stop(0ms);  // returns only once Serve returned: an hour if the pause were not cut
  serving.join();
  EXPECT_TRUE(served.ok()) << served;
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
  EXPECT_EQ(ToGrpcCode(refused), GrpcCode::kUnavailable) << refused;
  EXPECT_EQ(server.stats().connections_refused, 1u);
  server.Stop(0ms);
  serving.join();
}

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

  Status served;
  rt::Task serving = rt::spawn("serve", [&] { served = server.Serve(**listener); });
  for (int i = 0; i < 10'000 && server.stats().accept_retries < 3; ++i) rt::sleep_for(1ms);
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

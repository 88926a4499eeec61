// Threads hammering shared Conns, meant for TSan (label tsan): many client
// tasks make unary, server-, client- and bidi-streaming calls on two shared
// connections (TCP and a socketpair), some canceled from other tasks at
// random moments, some with short deadlines; then a last wave of calls
// races a server Stop. Every call must end with the result its kind allows,
// and everything must be joined at the end.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "drpc/rt/atomic.h"
#include "tests/rpc/rpc_test_util.h"

namespace drpc::rpc::testing {
namespace {

constexpr int kClients = 8;
constexpr int kRounds = 40;

enum class Op { kEcho, kCount, kChat, kSum, kCanceled, kDeadline, kNumOps };

// One call of kind `op` on `conn`; returns "" if its result is what the op
// allows, else a description.
std::string OneCall(Conn& conn, Op op, std::minstd_rand& rng, const std::string& tag) {
  switch (op) {
    case Op::kEcho: {
      Reply reply;
      const Status st = conn.Invoke(kEcho, MakeRequest(tag, 1), reply);
      if (!st.ok()) return "echo: " + st.ToString();
      return reply.text() == tag && reply.number() == 2 ? "" : "echo: wrong reply";
    }
    case Op::kCount: {
      const int n = static_cast<int>(rng() % 6);
      auto s = conn.NewStream<Request, Reply>(kCount);
      if (!s.ok()) return "count open: " + s.status().ToString();
      if (!s->Send(MakeRequest(tag, n)).ok() || !s->CloseSend().ok()) return "count send";
      Reply r;
      for (int i = 0; i < n; ++i) {
        if (Status st = s->Recv(r); !st.ok() || r.number() != i)
          return "count recv " + st.ToString();
      }
      return s->Recv(r).is(ErrorKind::kEof) ? "" : "count: no EOF";
    }
    case Op::kChat: {
      auto s = conn.NewStream<Request, Reply>(kChat);
      if (!s.ok()) return "chat open: " + s.status().ToString();
      const int n = 1 + static_cast<int>(rng() % 4);
      for (int i = 0; i < n; ++i) {
        Reply r;
        if (!s->Send(MakeRequest(tag, i)).ok()) return "chat send";
        if (Status st = s->Recv(r); !st.ok() || r.text() != tag || r.number() != i) {
          return "chat recv " + st.ToString();
        }
      }
      if (!s->CloseSend().ok()) return "chat close send";
      Reply r;
      return s->Recv(r).is(ErrorKind::kEof) ? "" : "chat: no EOF";
    }
    case Op::kSum: {
      auto s = conn.NewStream<Request, Reply>(kSum);
      if (!s.ok()) return "sum open: " + s.status().ToString();
      int64_t want = 0;
      for (int i = 0; i < 5; ++i) {
        if (!s->Send(MakeRequest(tag, i)).ok()) return "sum send";
        want += i;
      }
      Reply total;
      const Status st = s->CloseAndRecv(total);
      return st.ok() && total.number() == want ? "" : "sum: " + st.ToString();
    }
    case Op::kCanceled: {
      CancelToken token;
      const auto delay = std::chrono::microseconds(rng() % 2000);
      rt::Task canceler = rt::spawn("canceler", [token, delay] {
        rt::sleep_for(delay);
        token.Cancel();
      });
      Reply reply;
      const Status st = conn.Invoke(kBlock, MakeRequest(tag), reply, {.cancel = token});
      canceler.join();
      return st.is(ErrorKind::kCanceled) ? "" : "canceled: " + st.ToString();
    }
    case Op::kDeadline: {
      Reply reply;
      const auto timeout = std::chrono::microseconds(100 + rng() % 3000);
      const Status st =
          conn.Invoke(kBlock, MakeRequest(tag), reply, {.deadline = DeadlineAfter(timeout)});
      return st.is(ErrorKind::kDeadlineExceeded) ? "" : "deadline: " + st.ToString();
    }
    case Op::kNumOps:
      break;
  }
  return "unknown op";
}

// What a call may end with once Stop raced it.
bool AllowedDuringStop(const Status& st) {
  return st.ok() || st.is(ErrorKind::kCanceled) || st.is(ErrorKind::kClosed) ||
         st.is(ErrorKind::kConnection) || st.is(ErrorKind::kEof) ||
         (st.is(ErrorKind::kRemote) && st.code() == StatusCode::kUnavailable);
}

TEST(RpcStressTest, SharedConnsCancelsDeadlinesAndAStopAtTheEnd) {
  TestService service;
  ServerOptions server_options;
  server_options.manager.accept_queue_capacity = 1024;
  Server server(service.mux, server_options);

  Result<std::unique_ptr<rt::os::TcpListener>> listener =
      rt::os::TcpListener::Listen("127.0.0.1", 0);
  ASSERT_TRUE(listener.ok());
  rt::Task serving = rt::spawn("serve", [&] { EXPECT_TRUE(server.Serve(**listener).ok()); });
  Result<rt::os::TransportPair> pair = rt::os::SocketPair();
  ASSERT_TRUE(pair.ok());
  rt::Task serving_one = rt::spawn("serve_one", [&, end = std::move(pair->b)]() mutable {
    (void)server.ServeOne(std::move(end));
  });
  Result<std::unique_ptr<rt::Transport>> dialed =
      rt::os::TcpConnect("127.0.0.1", (*listener)->Port());
  ASSERT_TRUE(dialed.ok());
  Conn tcp(std::move(*dialed));
  Conn socketpair(std::move(pair->a));
  Conn* conns[] = {&tcp, &socketpair};

  rt::Mutex failures_mu("failures");
  std::vector<std::string> failures;
  std::vector<rt::Task> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.push_back(rt::spawn("client", [&, c] {
      std::minstd_rand rng(static_cast<unsigned>(c + 1));
      for (int r = 0; r < kRounds; ++r) {
        const Op op = static_cast<Op>(rng() % static_cast<unsigned>(Op::kNumOps));
        const std::string tag = std::to_string(c) + "." + std::to_string(r);
        std::string failed = OneCall(*conns[rng() % 2], op, rng, tag);
        if (!failed.empty()) {
          rt::LockGuard guard(failures_mu);
          failures.push_back(tag + " " + failed);
        }
      }
    }));
  }
  for (rt::Task& t : clients) t.join();
  EXPECT_TRUE(failures.empty()) << failures.size() << " bad calls, first: " << failures.front();

  // The last wave: calls in flight (some blocked for good) while Stop runs.
  rt::Atomic<int> bad(0);
  std::vector<rt::Task> wave;
  for (int c = 0; c < kClients; ++c) {
    wave.push_back(rt::spawn("late", [&, c] {
      for (int r = 0; r < 10; ++r) {
        Reply reply;
        const char* rpc = (c + r) % 3 == 0 ? kBlock : kEcho;
        const Status st = conns[c % 2]->Invoke(rpc, MakeRequest("late"), reply);
        if (!AllowedDuringStop(st) || (st.ok() && rpc == kBlock)) bad.fetch_add(1);
      }
    }));
  }
  rt::sleep_for(2ms);
  server.Stop(5ms);
  for (rt::Task& t : wave) t.join();
  EXPECT_EQ(bad.load(), 0);
  serving.join();
  serving_one.join();
  (void)tcp.Close();
  (void)socketpair.Close();
}

}  // namespace
}  // namespace drpc::rpc::testing

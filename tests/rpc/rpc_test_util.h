// What the OS-backend RPC tests share: a test service (a Mux with one
// method per behaviour a test needs, and what its handlers observed), a
// transport that a test can cut from the outside, and a client/server pair
// over a socketpair or over TCP.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "drpc/rpc/conn.h"
#include "drpc/rpc/mux.h"
#include "drpc/rpc/server.h"
#include "drpc/rpc/status.h"
#include "drpc/rt/condvar.h"
#include "drpc/rt/listener.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/os/socket_pair.h"
#include "drpc/rt/os/tcp.h"
#include "drpc/rt/task.h"
#include "drpc/rt/time.h"
#include "rpc_test.pb.h"

namespace drpc::rpc::testing {

using rpctest::Reply;
using rpctest::Request;
using namespace std::chrono_literals;

// Far beyond any wait that must end by a notification: only a lost wakeup
// or a hang reaches it (a liveness bound, not a speed assertion).
inline constexpr rt::Duration kLiveness = std::chrono::seconds(60);

inline constexpr char kEcho[] = "/drpc.rpctest.Test/Echo";
inline constexpr char kFail[] = "/drpc.rpctest.Test/Fail";
inline constexpr char kBlock[] = "/drpc.rpctest.Test/Block";
inline constexpr char kSlow[] = "/drpc.rpctest.Test/Slow";
inline constexpr char kCount[] = "/drpc.rpctest.Test/Count";
inline constexpr char kSum[] = "/drpc.rpctest.Test/Sum";
inline constexpr char kChat[] = "/drpc.rpctest.Test/Chat";
inline constexpr char kMetadata[] = "/drpc.rpctest.Test/Metadata";
inline constexpr char kBarrier[] = "/drpc.rpctest.Test/Barrier";
inline constexpr char kNoReply[] = "/drpc.rpctest.Test/NoReply";
inline constexpr char kRawEcho[] = "/drpc.rpctest.Raw/Echo";

inline constexpr uint64_t kFailCode = 7;
inline constexpr char kFailText[] = "permission denied: rpc test error";

// The test service. Handlers:
//   Echo      unary: text and payload back, number + 1
//   Fail      unary: WithCode(kFailText, kFailCode)
//   Block     unary: waits until its call ends under it (cancel, deadline,
//             Stop, connection death) and records that error
//   Slow      unary: sleeps request.number milliseconds, then echoes (and
//             counts the handlers that got to the end)
//   Count     server stream: request.number replies numbered 0..n-1; if
//             request.text == "fail", then an error with code kFailCode
//   Sum       client stream: the sum of the numbers received until EOF
//   Chat      bidi: echoes each message; text "fail" ends with an error
//   Metadata  unary: records the incoming metadata and the rpc name
//   Barrier   unary: returns once `barrier_size` Barrier calls are in flight
//   NoReply   raw: returns ok without sending anything (the client's
//             Invoke then gets EOF)
//   Raw/Echo  unary over BytesCodec with std::string messages
class TestService {
 public:
  TestService() {
    mux.RegisterUnary<Request, Reply>(kEcho, [](ServerCall&, const Request& in, Reply& out) {
      out.set_text(in.text());
      out.set_number(in.number() + 1);
      out.set_payload(in.payload());
      return OkStatus();
    });
    mux.RegisterUnary<Request, Reply>(kFail, [](ServerCall&, const Request&, Reply&) {
      return WithCode(DrpcError(kFailText), kFailCode);
    });
    mux.RegisterUnary<Request, Reply>(kBlock, [this](ServerCall& call, const Request&, Reply&) {
      Entered();
      if (!call.done().wait_until(rt::now() + kLiveness, "test: Block waits for its end")) {
        return InternalError("Block was never ended");
      }
      Record(call.stream().termination_error());
      return call.stream().termination_error();
    });
    mux.RegisterUnary<Request, Reply>(kSlow, [this](ServerCall&, const Request& in, Reply& out) {
      Entered();
      rt::sleep_for(std::chrono::milliseconds(in.number()));
      out.set_text(in.text());
      rt::LockGuard guard(mu_);
      ++slow_finished_;
      return OkStatus();
    });
    mux.RegisterServerStream<Request, Reply>(
        kCount, [](ServerCall&, const Request& in, ServerWriter<Reply>& out) {
          for (int64_t i = 0; i < in.number(); ++i) {
            Reply r;
            r.set_number(i);
            if (Status st = out.Send(r); !st.ok()) return st;
          }
          if (in.text() == "fail") return WithCode(DrpcError(kFailText), kFailCode);
          return OkStatus();
        });
    mux.RegisterClientStream<Request, Reply>(
        kSum, [](ServerCall&, ServerReader<Request>& in, Reply& out) {
          int64_t sum = 0;
          Request r;
          Status st;
          while ((st = in.Recv(r)).ok()) sum += r.number();
          if (!st.is(ErrorKind::kEof)) return st;
          out.set_number(sum);
          return OkStatus();
        });
    mux.RegisterBidiStream<Request, Reply>(
        kChat, [this](ServerCall& call, ServerReaderWriter<Request, Reply>& stream) {
          Request in;
          Status st;
          while ((st = stream.Recv(in)).ok()) {
            if (in.text() == "fail") return WithCode(DrpcError(kFailText), kFailCode);
            Reply out;
            out.set_text(in.text());
            out.set_number(in.number());
            if (Status sent = stream.Send(out); !sent.ok()) return sent;
          }
          if (!st.is(ErrorKind::kEof)) Record(call.stream().termination_error());
          return st.is(ErrorKind::kEof) ? OkStatus() : st;
        });
    mux.RegisterUnary<Request, Reply>(
        kMetadata, [this](ServerCall& call, const Request&, Reply& out) {
          rt::LockGuard guard(mu_);
          seen_metadata_ = call.metadata();
          seen_rpc_ = call.rpc();
          out.set_number(static_cast<int64_t>(call.metadata().size()));
          return OkStatus();
        });
    mux.RegisterUnary<Request, Reply>(kBarrier, [this](ServerCall&, const Request&, Reply& out) {
      rt::Lock lock(mu_);
      ++barrier_arrived_;
      max_in_barrier_ = std::max(max_in_barrier_, barrier_arrived_);
      changed_.notify_all();
      const bool all_in = changed_.wait_until(
          lock, rt::now() + kLiveness, [&] { return max_in_barrier_ >= barrier_size; },
          "test: Barrier waits for every call");
      out.set_number(max_in_barrier_);
      return all_in ? OkStatus() : InternalError("the barrier never filled");
    });
    mux.Register(kNoReply, [](ServerCall&) { return OkStatus(); });
    mux.RegisterUnary<std::string, std::string>(
        kRawEcho, [](ServerCall&, const std::string& in, std::string& out) {
          out = "raw:" + in;
          return OkStatus();
        });
  }

  // Blocks until `n` handlers of Block or Slow have started in all.
  bool WaitEntered(int n) {
    rt::Lock lock(mu_);
    return changed_.wait_until(
        lock, rt::now() + kLiveness, [&] { return entered_ >= n; }, "test: wait for handlers");
  }
  // Blocks until `n` errors were recorded by handlers, and returns them.
  std::vector<Status> WaitRecorded(size_t n) {
    rt::Lock lock(mu_);
    (void)changed_.wait_until(
        lock, rt::now() + kLiveness, [&] { return recorded_.size() >= n; },
        "test: wait for handler errors");
    return recorded_;
  }
  int slow_finished() {
    rt::LockGuard guard(mu_);
    return slow_finished_;
  }
  Metadata seen_metadata() {
    rt::LockGuard guard(mu_);
    return seen_metadata_;
  }
  std::string seen_rpc() {
    rt::LockGuard guard(mu_);
    return seen_rpc_;
  }

  Mux mux;
  int barrier_size = 0;  // set before the Barrier calls

 private:
  void Entered() {
    rt::LockGuard guard(mu_);
    ++entered_;
    changed_.notify_all();
  }
  void Record(Status st) {
    rt::LockGuard guard(mu_);
    recorded_.push_back(std::move(st));
    changed_.notify_all();
  }

  rt::Mutex mu_{"test_service"};
  rt::CondVar changed_{"test_service.changed"};
  int entered_ = 0;
  int slow_finished_ = 0;
  std::vector<Status> recorded_;
  Metadata seen_metadata_;
  std::string seen_rpc_;
  int barrier_arrived_ = 0;
  int max_in_barrier_ = 0;
};

// A transport a test can cut from outside (the peer vanishes): Kill closes
// the wrapped transport, as a crashed process's sockets are closed.
class KillSwitch {
 public:
  void Kill() {
    rt::LockGuard guard(mu_);
    killed_ = true;
    if (target_ != nullptr) (void)target_->Close();
  }

 private:
  friend class KillableTransport;
  rt::Mutex mu_{"kill_switch"};
  rt::Transport* target_ = nullptr;  // guarded by mu_
  bool killed_ = false;              // guarded by mu_
};

class KillableTransport final : public rt::Transport {
 public:
  KillableTransport(std::unique_ptr<rt::Transport> inner, std::shared_ptr<KillSwitch> kill)
      : inner_(std::move(inner)), kill_(std::move(kill)) {
    rt::LockGuard guard(kill_->mu_);
    kill_->target_ = inner_.get();
    if (kill_->killed_) (void)inner_->Close();
  }
  ~KillableTransport() override {
    rt::LockGuard guard(kill_->mu_);
    kill_->target_ = nullptr;
  }
  rt::ReadResult Read(MutableBytes buffer) override { return inner_->Read(buffer); }
  Status Write(Bytes data) override { return inner_->Write(data); }
  rt::WriteResult TryWrite(Bytes data) override { return inner_->TryWrite(data); }
  Status Close() override { return inner_->Close(); }
  Status CloseWrite() override { return inner_->CloseWrite(); }

 private:
  std::unique_ptr<rt::Transport> inner_;
  std::shared_ptr<KillSwitch> kill_;
};

// A listener whose accepted connections all answer to one kill switch.
class KillableListener final : public rt::Listener {
 public:
  KillableListener(rt::Listener& inner, std::shared_ptr<KillSwitch> kill)
      : inner_(inner), kill_(std::move(kill)) {}
  Result<std::unique_ptr<rt::Transport>> Accept() override {
    Result<std::unique_ptr<rt::Transport>> t = inner_.Accept();
    if (!t.ok()) return t;
    return std::unique_ptr<rt::Transport>(
        std::make_unique<KillableTransport>(std::move(*t), kill_));
  }
  Status Close() override { return inner_.Close(); }

 private:
  rt::Listener& inner_;
  std::shared_ptr<KillSwitch> kill_;
};

enum class Net { kSocketPair, kTcp };
inline std::string NetName(const ::testing::TestParamInfo<Net>& info) {
  return info.param == Net::kSocketPair ? "SocketPair" : "Tcp";
}

// A server for `service` and one client connection to it, over `net`.
// `server_kill` cuts the server's side of the connection.
class ClientServer {
 public:
  explicit ClientServer(TestService& service, Net net, ServerOptions server_options = {},
                        ConnOptions conn_options = {})
      : server_(service.mux, std::move(server_options)) {
    if (net == Net::kSocketPair) {
      Result<rt::os::TransportPair> pair = rt::os::SocketPair();
      DRPC_ASSERT(pair.ok(), pair.status().ToString());
      auto server_end = std::make_unique<KillableTransport>(std::move(pair->b), server_kill);
      serving_ = rt::spawn("test.serve_one", [this, end = std::move(server_end)]() mutable {
        (void)server_.ServeOne(std::move(end));
      });
      conn_.emplace(std::move(pair->a), std::move(conn_options));
    } else {
      Result<std::unique_ptr<rt::os::TcpListener>> listener =
          rt::os::TcpListener::Listen("127.0.0.1", 0);
      DRPC_ASSERT(listener.ok(), listener.status().ToString());
      tcp_ = std::move(*listener);
      killable_ = std::make_unique<KillableListener>(*tcp_, server_kill);
      serving_ = rt::spawn("test.serve", [this] { serve_result_ = server_.Serve(*killable_); });
      Result<std::unique_ptr<rt::Transport>> dialed = rt::os::TcpConnect("127.0.0.1", tcp_->Port());
      DRPC_ASSERT(dialed.ok(), dialed.status().ToString());
      conn_.emplace(std::move(*dialed), std::move(conn_options));
    }
  }
  ~ClientServer() { Shutdown(); }

  void Shutdown(rt::Duration grace = rt::Duration::zero()) {
    if (!serving_.joinable()) return;
    (void)conn_->Close();
    server_.Stop(grace);
    serving_.join();
  }

  Conn& conn() { return *conn_; }
  Server& server() { return server_; }
  const Status& serve_result() const { return serve_result_; }

  std::shared_ptr<KillSwitch> server_kill = std::make_shared<KillSwitch>();

 private:
  Server server_;
  std::unique_ptr<rt::os::TcpListener> tcp_;
  std::unique_ptr<KillableListener> killable_;
  std::optional<Conn> conn_;
  rt::Task serving_;
  Status serve_result_;
};

inline Request MakeRequest(std::string text, int64_t number = 0, std::string payload = {}) {
  Request r;
  r.set_text(std::move(text));
  r.set_number(number);
  r.set_payload(std::move(payload));
  return r;
}

}  // namespace drpc::rpc::testing

// What the OS-backend RPC tests share: the test service (test_service.h),
// a transport that a test can cut from the outside and watch, and a
// client/server pair over a socketpair or over TCP.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "drpc/base/status.h"
#include "drpc/rpc/conn.h"
#include "drpc/rpc/mux.h"
#include "drpc/rpc/server.h"
#include "drpc/rt/condvar.h"
#include "drpc/rt/listener.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/os/socket_pair.h"
#include "drpc/rt/os/tcp.h"
#include "drpc/rt/signal.h"
#include "drpc/rt/task.h"
#include "drpc/rt/time.h"
#include "tests/rpc/test_service.h"

namespace drpc::rpc::testing {

// A transport a test can cut from outside (the peer vanishes): Kill closes
// the wrapped transport, as a crashed process's sockets are closed. It
// also tells a test when the owner half-closed the transport and when a
// read took bytes after that (a lingering close reading a late write), so
// the test waits for those events instead of sleeping.
class KillSwitch {
 public:
  void Kill() {
    rt::LockGuard guard(mu_);
    killed_ = true;
    if (target_ != nullptr) (void)target_->Close();
  }

  rt::Signal write_closed{"kill_switch.write_closed"};
  rt::Signal read_after_write_close{"kill_switch.read_after_write_close"};

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
  ReadResult Read(MutableBytes buffer) override {
    ReadResult r = inner_->Read(buffer);
    if (r.n > 0 && kill_->write_closed.is_set()) kill_->read_after_write_close.set(OkStatus());
    return r;
  }
  Status Write(Bytes data) override { return inner_->Write(data); }
  rt::WriteResult TryWrite(Bytes data) override { return inner_->TryWrite(data); }
  Status Close() override { return inner_->Close(); }
  Status CloseWrite() override {
    Status closed = inner_->CloseWrite();
    kill_->write_closed.set(OkStatus());
    return closed;
  }

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

}  // namespace drpc::rpc::testing

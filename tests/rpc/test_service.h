// The test service of the RPC tests, on either backend (rt only): a Mux
// with one method per behaviour a test needs, and what its handlers
// observed.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "drpc/base/status.h"
#include "drpc/rpc/mux.h"
#include "drpc/rt/condvar.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/signal.h"
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
inline constexpr char kHeld[] = "/drpc.rpctest.Test/Held";
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
//   Held      unary: waits until the test calls ReleaseHeld, then echoes
//             (and counts the handlers that got to the end): a call that
//             is in flight for exactly as long as the test wants; its call
//             ending under it ends it too
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
    mux.RegisterUnary<Request, Reply>(
        kHeld, [this](ServerCall& call, const Request& in, Reply& out) {
          Entered();
          // Its call ending first (a test that failed before releasing it is
          // being torn down) ends it too, with that error.
          rt::Signal* const ends[] = {&released_, &call.done()};
          if (rt::wait_any_until(ends, rt::now() + kLiveness, "test: Held waits for ReleaseHeld") !=
              0) {
            return call.done().is_set() ? call.stream().termination_error()
                                        : InternalError("Held was never released");
          }
          out.set_text(in.text());
          rt::LockGuard guard(mu_);
          ++held_finished_;
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

  // Blocks until `n` handlers of Block or Held have started in all.
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
  // Lets every Held handler, waiting or still to come, finish.
  void ReleaseHeld() { released_.set(OkStatus()); }
  int held_finished() {
    rt::LockGuard guard(mu_);
    return held_finished_;
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
  rt::Signal released_{"test_service.released"};
  int held_finished_ = 0;
  std::vector<Status> recorded_;
  Metadata seen_metadata_;
  std::string seen_rpc_;
  int barrier_arrived_ = 0;
  int max_in_barrier_ = 0;
};

inline Request MakeRequest(std::string text, int64_t number = 0, std::string payload = {}) {
  Request r;
  r.set_text(std::move(text));
  r.set_number(number);
  r.set_payload(std::move(payload));
  return r;
}

}  // namespace drpc::rpc::testing

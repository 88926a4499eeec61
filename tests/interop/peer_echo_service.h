// The service the Go server of the captures ran (interop README), as C++
// handlers on an rpc::Mux, over raw-bytes messages (the captures use a
// protobuf-free encoding: a message is its bytes):
//   /peer.Echo/Unary         echoes the request
//   /peer.Echo/ServerStream  for "count=N" sends "msg-0" .. "msg-<N-1>"
//   /peer.Echo/Fail          fails with code 7 "permission denied: peer test error"
//   /peer.Echo/Bidi          echoes each message until the client's CloseSend
// It records what the handlers saw: each call's metadata, and how each Bidi
// call ended.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "drpc/base/status.h"
#include "drpc/rpc/mux.h"
#include "drpc/rt/condvar.h"
#include "drpc/rt/mutex.h"
#include "tests/interop/conversation.h"

namespace drpc::interop {

inline constexpr char kUnary[] = "/peer.Echo/Unary";
inline constexpr char kServerStream[] = "/peer.Echo/ServerStream";
inline constexpr char kFail[] = "/peer.Echo/Fail";
inline constexpr char kBidi[] = "/peer.Echo/Bidi";
inline constexpr uint64_t kFailCode = 7;
inline constexpr char kFailText[] = "permission denied: peer test error";

class PeerEchoService {
 public:
  // hold_unary_reply: Unary's handler returns only after its call ended
  // under it (for the variation where the client's Close arrives before
  // the server's CloseSend, which Go's timing produces now and then).
  explicit PeerEchoService(bool hold_unary_reply = false) {
    if (hold_unary_reply) {
      mux.Register(kUnary, [this](rpc::ServerCall& call) {
        Seen(call);
        std::string in;
        if (Status st = call.stream().MsgRecv(in, rpc::BytesCodec{}); !st.ok()) return st;
        if (Status st = call.stream().MsgSend(in, rpc::BytesCodec{}); !st.ok()) return st;
        if (!call.done().wait_until(rt::now() + kLiveness, "interop: Unary waits for its end")) {
          return InternalError("the client never ended the call");
        }
        Ended(call.stream().termination_error());
        return OkStatus();
      });
    } else {
      mux.RegisterUnary<std::string, std::string>(
          kUnary, [this](rpc::ServerCall& call, const std::string& in, std::string& out) {
            Seen(call);
            out = in;
            return OkStatus();
          });
    }
    mux.RegisterServerStream<std::string, std::string>(
        kServerStream, [this](rpc::ServerCall& call, const std::string& in,
                              rpc::ServerWriter<std::string, rpc::BytesCodec>& out) {
          Seen(call);
          constexpr std::string_view kPrefix = "count=";
          int count = -1;
          if (in.starts_with(kPrefix)) {
            (void)std::from_chars(in.data() + kPrefix.size(), in.data() + in.size(), count);
          }
          if (count < 0 || count > 1000) return InvalidArgumentError("want count=N, got " + in);
          for (int i = 0; i < count; ++i) {
            if (Status st = out.Send("msg-" + std::to_string(i)); !st.ok()) return st;
          }
          return OkStatus();
        });
    mux.RegisterUnary<std::string, std::string>(
        kFail, [this](rpc::ServerCall& call, const std::string&, std::string&) {
          Seen(call);
          return WithCode(DrpcError(kFailText), kFailCode);
        });
    mux.RegisterBidiStream<std::string, std::string>(
        kBidi, [this](rpc::ServerCall& call,
                      rpc::ServerReaderWriter<std::string, std::string, rpc::BytesCodec>& stream) {
          Seen(call);
          std::string msg;
          Status st;
          // Bounded by what the client sends; each round answers one message.
          while ((st = stream.Recv(msg)).ok()) {
            if (Status sent = stream.Send(msg); !sent.ok()) {
              st = sent;
              break;
            }
          }
          Ended(st);
          return st.is(ErrorKind::kEof) ? OkStatus() : st;
        });
  }

  // The metadata of each call, in call order.
  std::vector<rpc::Metadata> metadata() const {
    rt::LockGuard guard(mu_);
    return metadata_;
  }
  // Waits until `n` held Unary or Bidi calls ended and returns how they
  // ended (EOF: the client's CloseSend; kCanceled: a remote Cancel or the
  // connection died; kClosed: the client's Close).
  std::vector<Status> WaitEnded(size_t n) const {
    rt::Lock lock(mu_);
    (void)changed_.wait_until(
        lock, rt::now() + kLiveness, [&] { return ended_.size() >= n; },
        "interop: wait for handlers to end");
    return ended_;
  }

  rpc::Mux mux;

 private:
  void Seen(rpc::ServerCall& call) {
    rt::LockGuard guard(mu_);
    metadata_.push_back(call.metadata());
  }
  void Ended(Status st) {
    rt::LockGuard guard(mu_);
    ended_.push_back(std::move(st));
    changed_.notify_all();
  }

  mutable rt::Mutex mu_{"peer_echo_service"};
  mutable rt::CondVar changed_{"peer_echo_service.changed"};
  std::vector<rpc::Metadata> metadata_;  // guarded by mu_
  std::vector<Status> ended_;            // guarded by mu_
};

}  // namespace drpc::interop

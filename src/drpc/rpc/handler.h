// rpc::Handler handles calls; rpc::ServerCall is what a handler knows about
// its call. Most servers register typed handlers on a Mux (mux.h), which is
// a Handler.
//
//   class Echo final : public rpc::Handler {
//     Status HandleRPC(rpc::ServerCall& call) const override {
//       Buffer msg;
//       if (Status st = call.stream().MsgRecv(msg, rpc::BytesCodec{}); !st.ok()) return st;
//       return call.stream().MsgSend(msg, rpc::BytesCodec{});
//     }
//   };
//
// See docs/rpc.md, "Server".
#pragma once

#include <string>

#include "drpc/base/status.h"
#include "drpc/manager/manager.h"
#include "drpc/rpc/metadata.h"
#include "drpc/rt/signal.h"
#include "drpc/rt/time.h"
#include "drpc/stream/stream.h"

namespace drpc::rpc {

// What a handler knows about its call. Valid for the handler's run only.
class ServerCall {
 public:
  explicit ServerCall(manager::ServerStream& accepted) : accepted_(accepted) {}
  ServerCall(const ServerCall&) = delete;
  ServerCall& operator=(const ServerCall&) = delete;

  // "/package.Service/Method", as the client sent it.
  const std::string& rpc() const { return accepted_.rpc; }
  // The client's metadata for this call (metadata.h); empty if it sent none.
  const Metadata& metadata() const { return accepted_.metadata; }
  // The call's stream: receives return the client's messages, then EOF
  // after its CloseSend, or kCanceled when the client canceled (or its
  // deadline passed), the connection died or the server is stopping.
  stream::Stream& stream() { return *accepted_.stream; }

  // Set when the call's stream has ended under the handler (canceled, the
  // client closed it, the connection died, the server stopped): a long
  // handler waits on it (rt::wait_any with its own signals) or polls.
  rt::Signal& done() { return accepted_.stream->terminated(); }
  bool canceled() const { return accepted_.stream->terminated().is_set(); }
  // Waits until the call ended under the handler (as done()) or `timeout`
  // passed; true if it ended. A handler's sleep that cancellation cuts
  // short, on either backend.
  bool WaitDoneFor(rt::Duration timeout) {
    const rt::TimePoint now = rt::now();
    const rt::TimePoint deadline =
        timeout >= rt::kNoDeadline - now ? rt::kNoDeadline : now + timeout;
    return done().wait_until(deadline, "rpc: a handler waits for its call to end");
  }

 private:
  manager::ServerStream& accepted_;
};

// Handles calls (Go's drpc.Handler). The server runs HandleRPC on a task of
// its own per call, many at once, so it must be safe to call concurrently.
// Its result ends the call (§5.2 handleRPC): ok -> the server sends
// CloseSend (the client's receives end with EOF after the messages the
// handler sent); an error -> an Error packet with its wire_code() and text
// (the client gets kRemote with that code and text): return
// NotFoundError("...") and the client's code() is kNotFound.
class Handler {
 public:
  virtual ~Handler() = default;
  virtual Status HandleRPC(ServerCall& call) const = 0;
};

}  // namespace drpc::rpc

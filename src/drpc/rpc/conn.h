// rpc::Conn: the client side of one connection. Any number of tasks may
// call on one Conn at once; each call has its own stream.
//
//   rpc::Conn conn(std::move(transport));  // a TCP or simulated transport
//   EchoReply reply;
//   Status st = conn.Invoke("/echo.Echo/Say", request, reply,
//                           {.metadata = {{"who", "me"}},
//                            .deadline = rpc::DeadlineAfter(100ms)});
//   auto chat = conn.NewStream<ChatIn, ChatOut>("/chat.Chat/Talk");
//   conn.Close();
//
// How a call runs and how Close ends the calls in flight: docs/rpc.md, "Conn".
#pragma once

#include <memory>
#include <string_view>
#include <utility>

#include "drpc/base/plant.h"
#include "drpc/base/result.h"
#include "drpc/base/status.h"
#include "drpc/manager/manager.h"
#include "drpc/manager/options.h"
#include "drpc/rpc/call_options.h"
#include "drpc/rpc/client_stream.h"
#include "drpc/rpc/codec/codec.h"
#include "drpc/rpc/internal/client_call.h"
#include "drpc/rt/signal.h"
#include "drpc/rt/transport.h"

namespace drpc::rpc {

struct ConnOptions {
  // The connection's manager (streams, rings, writer, limits). The role is
  // always client. Against a server that does not multiplex (Go's upstream
  // storj.io/drpc), set manager.legacy_single_stream (docs/rpc.md, "Servers
  // that do not multiplex").
  manager::ManagerOptions manager = {};
};

class Conn {
 public:
  explicit Conn(std::unique_ptr<rt::Transport> transport, ConnOptions options = {});
  Conn(Conn&& other) noexcept = default;
  Conn& operator=(Conn&& other) noexcept;  // closes this connection first
  ~Conn();                                 // Close()

  // A unary call. Returns ok with the reply in `out`; kRemote with the
  // handler's code and text; kCanceled (the call's CancelToken);
  // kDeadlineExceeded; kEof (the server ended the call without a reply);
  // kClosed or kConnection (the connection is gone); or a codec's error.
  // Protobuf messages, std::string and Buffer need no codec named; any
  // other type passes one as the last argument (codec/codec.h).
  template <class Req, class Resp, class C = DefaultCodec<Req>>
  requires Codec<C, Req> && Codec<C, Resp> Status Invoke(std::string_view rpc, const Req& in,
                                                         Resp& out, const CallOptions& options = {},
                                                         const C& codec = C{}) {
    Result<detail::ClientCall> call = detail::OpenCall(manager(), options);
    if (!call.ok()) return call.status();
    stream::Stream& s = call->stream();
    // The whole request (invoke, message, CloseSend) as one write.
    Status st = s.InvokeAndSend(rpc, options.metadata, in, codec);
    st = st.ok() ? s.MsgRecv(out, codec) : detail::ClientCall::SendFailure(s, std::move(st));
    if (DRPC_PLANT(kRpcResetReplyOk) &&
        (st.is(ErrorKind::kClosed) || st.is(ErrorKind::kConnection))) {
      st = OkStatus();  // planted: the reply never came, `out` is whatever it was
    }
    (void)call->Finish();
    return st;
  }

  // A streaming call of any shape: the invoke is sent before this returns.
  template <class Out, class In, class C = DefaultCodec<Out>>
  requires Codec<C, Out> && Codec<C, In> Result<ClientStream<Out, In, C>> NewStream(
      std::string_view rpc, const CallOptions& options = {}, C codec = C{}) {
    Result<detail::ClientCall> call = detail::StartCall(manager(), rpc, options);
    if (!call.ok()) return call.status();
    return ClientStream<Out, In, C>(std::move(*call), std::move(codec));
  }

  // Terminates the connection: calls in flight fail with the connection's
  // error, and every task of the connection is joined before it returns.
  // Returns the transport's close error. Callable from any task, more than
  // once; the destructor calls it.
  Status Close();
  // Set once the connection is terminating (closed here, by the peer, or
  // broken), with the connection's error.
  rt::Signal& closed();
  bool is_closed() const;

  // The connection's manager (stats, pool, options).
  manager::Manager& manager() const;
  // What the connection holds now (bytes by category, tasks): lock-free
  // (docs/resources.md). Its budget is ConnOptions::manager.budget.
  ResourceUsage resources() const { return manager().resources(); }

 private:
  std::unique_ptr<manager::Manager> manager_;
};

}  // namespace drpc::rpc

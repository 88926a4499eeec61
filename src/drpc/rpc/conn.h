// Conn: the client side of one connection (drpc-protocol.md §5.1). Any
// number of tasks may make calls on one Conn at the same time; each call
// has its own stream, so concurrent unary calls really run concurrently
// (no connection-wide lock is held across a round trip, unlike the Go
// fork's Invoke, §4.10) and canceling one call cancels only its stream.
//
//   rpc::Conn conn(std::move(transport));            // a TCP or sim transport
//   EchoReply reply;
//   Status st = conn.Invoke("/echo.Echo/Say", request, reply,
//                           {.metadata = {{"who", "me"}},
//                            .deadline = rpc::DeadlineAfter(100ms)});
//   auto chat = conn.NewStream<ChatIn, ChatOut>("/chat.Chat/Talk");
//   conn.Close();
//
// Invoke follows §5.1: open a stream (with the call's deadline), write
// InvokeMetadata + Invoke, the request Message and CloseSend (one
// submission to the connection's writer, so one transport write: see
// Stream::InvokeAndSend), then receive the reply, and always Close the
// stream. Its result:
//   ok                  the reply is in `out`;
//   kRemote + code      the handler's error, with its code and text;
//   kCanceled           the call's CancelToken was canceled;
//   kDeadlineExceeded   the call's deadline passed;
//   kEof                the server ended the call without a reply;
//   kClosed/kConnection the connection is closed or failed (ToGrpcCode:
//                       Unavailable);
//   a codec error       marshaling the request or parsing the reply failed.
// A call whose reply arrived succeeds even if the final Close cannot be
// written any more (Go would report that Close's error).
//
// Codecs (codec/codec.h): protobuf messages and std::string/Buffer need
// none named; any other type passes a codec object as the last argument.
// Marshaling uses the call's stream's reused buffer.
//
// Close (or the destructor) terminates the connection: calls in flight
// fail with the connection's error, every stream finishes and every task
// of the connection is joined before it returns. It may be called from any
// task, more than once.
#pragma once

#include <memory>
#include <string_view>
#include <utility>

#include "drpc/base/result.h"
#include "drpc/base/status.h"
#include "drpc/manager/manager.h"
#include "drpc/manager/options.h"
#include "drpc/rpc/call_options.h"
#include "drpc/rpc/client_call.h"
#include "drpc/rpc/client_stream.h"
#include "drpc/rpc/codec/codec.h"
#include "drpc/rt/signal.h"
#include "drpc/rt/transport.h"

namespace drpc::rpc {

struct ConnOptions {
  // The connection's manager (streams, rings, writer, limits). The role is
  // always client.
  manager::ManagerOptions manager = {};
};

class Conn {
 public:
  explicit Conn(std::unique_ptr<rt::Transport> transport, ConnOptions options = {});
  Conn(Conn&& other) noexcept = default;
  Conn& operator=(Conn&& other) noexcept;  // closes this connection first
  ~Conn();                                 // Close()

  // A unary call; see the header comment.
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

  // Terminates the connection and waits for it; returns the transport's
  // close error. Idempotent.
  Status Close();
  // Set once the connection is terminating (closed here, by the peer, or
  // broken), with the connection's error.
  rt::Signal& closed();
  bool is_closed() const;

  // The connection's manager (stats, pool, options).
  manager::Manager& manager() const;

 private:
  std::unique_ptr<manager::Manager> manager_;
};

}  // namespace drpc::rpc

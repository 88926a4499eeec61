// rpc::ClientStream<Out, In, C>: the client side of a client-, server- or
// bidi-streaming call, made by Conn::NewStream.
//
//   auto s = conn.NewStream<Req, Resp>("/pkg.Svc/Chat", {.cancel = token});
//   if (!s.ok()) return s.status();
//   s->Send(req);
//   s->CloseSend();
//   Resp resp;
//   Status st;
//   while ((st = s->Recv(resp)).ok()) Use(resp);
//   if (!st.is(ErrorKind::kEof)) return st;  // the call's real status
//
// Send returns EOF once the call ended; Recv then returns the real status
// (drpc-protocol.md §2.4, as in gRPC). Send, CloseSend and Close may be called
// from one task while another receives. See docs/rpc.md, "Conn".
#pragma once

#include <utility>

#include "drpc/base/status.h"
#include "drpc/manager/manager.h"
#include "drpc/rpc/codec/codec.h"
#include "drpc/rpc/internal/client_call.h"
#include "drpc/stream/stream.h"

namespace drpc::rpc {

class Conn;

template <class Out, class In, class C = DefaultCodec<Out>>
requires Codec<C, Out> && Codec<C, In>
class ClientStream {
 public:
  ClientStream(ClientStream&&) noexcept = default;
  ClientStream& operator=(ClientStream&&) noexcept = default;
  ~ClientStream() = default;  // the call's destructor closes it

  Status Send(const Out& msg) { return call_.stream().MsgSend(msg, codec_); }
  // No more messages from the client; the server's Recv returns EOF.
  Status CloseSend() { return call_.stream().CloseSend(); }
  // The server's messages in order, then EOF after its CloseSend, or the
  // error that ended the call (kRemote with the server's code, kCanceled,
  // kDeadlineExceeded, the connection's error).
  Status Recv(In& msg) { return call_.stream().MsgRecv(msg, codec_); }

  // Client streaming: CloseSend, then the one reply (or the call's error).
  Status CloseAndRecv(In& reply) {
    Status st = CloseSend();
    if (!st.ok()) return detail::ClientCall::SendFailure(call_.stream(), std::move(st));
    return Recv(reply);
  }

  // Ends the call, sending Close unless the stream already ended. The
  // destructor calls it; the call's slot on the connection is freed only
  // then.
  Status Close() { return call_.Finish(); }
  // Soft-cancels this call only (a Cancel frame; the server's handler sees
  // kCanceled): every later Recv returns `err` at once, even with messages
  // already queued (as in Go). A cancel token or a deadline does the same.
  Status Cancel(Status err = CanceledError()) {
    return manager::Manager::Cancel(call_.stream(), std::move(err));
  }

  // The underlying stream, for what the wrapper does not cover.
  stream::Stream& stream() { return call_.stream(); }

 private:
  friend class Conn;
  ClientStream(detail::ClientCall call, C codec)
      : call_(std::move(call)), codec_(std::move(codec)) {}

  detail::ClientCall call_;
  [[no_unique_address]] C codec_;
};

}  // namespace drpc::rpc

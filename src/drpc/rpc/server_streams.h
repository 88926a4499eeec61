// Typed views of a server call's stream, for Mux's streaming handlers:
//   ServerReader<Req, C>              client streaming: the client's messages
//   ServerWriter<Resp, C>             server streaming: send any number
//   ServerReaderWriter<Req, Resp, C>  bidi: both
//
//   Status Sum(rpc::ServerCall&, rpc::ServerReader<Num>& in, Total& out) {  // RegisterClientStream
//     Num n;
//     Status st;
//     while ((st = in.Recv(n)).ok()) out.set_value(out.value() + n.value());
//     return st.is(ErrorKind::kEof) ? OkStatus() : st;
//   }
//
// Recv returns EOF after the client's CloseSend, or the error that ended the
// call (kCanceled when the client canceled). Send returns EOF once the call
// ended; the handler should then return. See docs/rpc.md, "Server".
#pragma once

#include "drpc/base/status.h"
#include "drpc/rpc/codec/codec.h"
#include "drpc/rpc/handler.h"

namespace drpc::rpc {

template <class Req, class C = DefaultCodec<Req>>
requires Codec<C, Req>
class ServerReader {
 public:
  ServerReader(ServerCall& call, const C& codec) : call_(call), codec_(codec) {}
  Status Recv(Req& msg) { return call_.stream().MsgRecv(msg, codec_); }
  ServerCall& call() { return call_; }

 private:
  ServerCall& call_;
  const C& codec_;
};

template <class Resp, class C = DefaultCodec<Resp>>
requires Codec<C, Resp>
class ServerWriter {
 public:
  ServerWriter(ServerCall& call, const C& codec) : call_(call), codec_(codec) {}
  Status Send(const Resp& msg) { return call_.stream().MsgSend(msg, codec_); }
  ServerCall& call() { return call_; }

 private:
  ServerCall& call_;
  const C& codec_;
};

template <class Req, class Resp, class C = DefaultCodec<Req>>
requires Codec<C, Req> && Codec<C, Resp>
class ServerReaderWriter {
 public:
  ServerReaderWriter(ServerCall& call, const C& codec) : call_(call), codec_(codec) {}
  Status Recv(Req& msg) { return call_.stream().MsgRecv(msg, codec_); }
  Status Send(const Resp& msg) { return call_.stream().MsgSend(msg, codec_); }
  ServerCall& call() { return call_; }

 private:
  ServerCall& call_;
  const C& codec_;
};

}  // namespace drpc::rpc

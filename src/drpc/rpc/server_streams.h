// Typed views of a server call's stream, for the streaming handler shapes
// of Mux (mux.h). Each is a thin wrapper: Recv is MsgRecv, Send is MsgSend,
// with the registration's codec.
//   ServerReader<Req, C>            client streaming: the client's messages
//   ServerWriter<Resp, C>           server streaming: send any number
//   ServerReaderWriter<Req, Resp, C> bidi: both
// Recv returns EOF after the client's CloseSend, or the error that ended
// the call (kCanceled when the client canceled). Send returns EOF once the
// call ended (the handler should then return).
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

// Hand-written glue for the Echo service of echo.proto: what a protoc
// plugin would generate (a later issue). Both sides are thin wrappers over
// the RPC library:
//
//   server:  class MyEcho : public echo::EchoService { ... };
//            drpc::rpc::Mux mux;
//            echo::RegisterEcho(mux, my_echo);
//   client:  echo::EchoClient client(conn);
//            client.Say(request, reply, {.deadline = drpc::rpc::DeadlineAfter(1s)});
//
// Streams: every streaming method returns a ClientStream<Out, In>:
//   Count (server streaming)  the request is already sent; Recv until EOF
//   Sum   (client streaming)  Send each number, then CloseAndRecv the total
//   Chat  (bidi)              Send and Recv as you like; CloseSend when done
// A Recv that returns EOF means the server finished normally; any other
// error is the call's status (the server's error code, kCanceled,
// kDeadlineExceeded, a broken connection).
#pragma once

#include <utility>

#include "drpc/base/result.h"
#include "drpc/base/status.h"
#include "drpc/rpc/call_options.h"
#include "drpc/rpc/client_stream.h"
#include "drpc/rpc/conn.h"
#include "drpc/rpc/handler.h"
#include "drpc/rpc/mux.h"
#include "drpc/rpc/server_streams.h"
#include "echo.pb.h"

namespace echo {

namespace rpc = drpc::rpc;
using drpc::Result;
using drpc::Status;

// The RPC names: "/<proto package>.<service>/<method>".
inline constexpr char kSay[] = "/echo.Echo/Say";
inline constexpr char kCount[] = "/echo.Echo/Count";
inline constexpr char kSum[] = "/echo.Echo/Sum";
inline constexpr char kChat[] = "/echo.Echo/Chat";

// ---- server ------------------------------------------------------------------

// What a server implements. Each method's Status ends the call: ok, or an
// error whose code and text the client receives.
class EchoService {
 public:
  virtual ~EchoService() = default;
  virtual Status Say(rpc::ServerCall& call, const SayRequest& in, SayReply& out) = 0;
  virtual Status Count(rpc::ServerCall& call, const CountRequest& in,
                       rpc::ServerWriter<Tick>& out) = 0;
  virtual Status Sum(rpc::ServerCall& call, rpc::ServerReader<Number>& in, Total& out) = 0;
  virtual Status Chat(rpc::ServerCall& call,
                      rpc::ServerReaderWriter<ChatMessage, ChatMessage>& stream) = 0;
};

// Registers every method of `impl`, which must outlive the mux's server.
inline void RegisterEcho(rpc::Mux& mux, EchoService& impl) {
  mux.RegisterUnary<SayRequest, SayReply>(
      kSay, [&impl](rpc::ServerCall& call, const SayRequest& in, SayReply& out) {
        return impl.Say(call, in, out);
      });
  mux.RegisterServerStream<CountRequest, Tick>(
      kCount, [&impl](rpc::ServerCall& call, const CountRequest& in, rpc::ServerWriter<Tick>& out) {
        return impl.Count(call, in, out);
      });
  mux.RegisterClientStream<Number, Total>(
      kSum, [&impl](rpc::ServerCall& call, rpc::ServerReader<Number>& in, Total& out) {
        return impl.Sum(call, in, out);
      });
  mux.RegisterBidiStream<ChatMessage, ChatMessage>(
      kChat,
      [&impl](rpc::ServerCall& call, rpc::ServerReaderWriter<ChatMessage, ChatMessage>& stream) {
        return impl.Chat(call, stream);
      });
}

// ---- client ------------------------------------------------------------------

class EchoClient {
 public:
  // `conn` must outlive the client and the streams it opens.
  explicit EchoClient(rpc::Conn& conn) : conn_(conn) {}

  Status Say(const SayRequest& in, SayReply& out, const rpc::CallOptions& options = {}) {
    return conn_.Invoke(kSay, in, out, options);
  }

  // The request is sent (and the send side closed) before this returns.
  Result<rpc::ClientStream<CountRequest, Tick>> Count(const CountRequest& in,
                                                      const rpc::CallOptions& options = {}) {
    Result<rpc::ClientStream<CountRequest, Tick>> stream =
        conn_.NewStream<CountRequest, Tick>(kCount, options);
    if (!stream.ok()) return stream;
    // A failed send ends the call; the stream's Recv then reports why
    // (the library's rule: sends return EOF, receives the real status).
    if (stream->Send(in).ok()) (void)stream->CloseSend();
    return stream;
  }

  Result<rpc::ClientStream<Number, Total>> Sum(const rpc::CallOptions& options = {}) {
    return conn_.NewStream<Number, Total>(kSum, options);
  }

  Result<rpc::ClientStream<ChatMessage, ChatMessage>> Chat(const rpc::CallOptions& options = {}) {
    return conn_.NewStream<ChatMessage, ChatMessage>(kChat, options);
  }

 private:
  rpc::Conn& conn_;
};

}  // namespace echo

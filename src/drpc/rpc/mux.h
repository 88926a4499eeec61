// Mux: the server's handler registry. Maps RPC names
// ("/package.Service/Method") to typed handlers of four shapes (unary,
// server stream, client stream, bidi); the server calls HandleRPC per call.
//
//   rpc::Mux mux;
//   mux.RegisterUnary<EchoRequest, EchoReply>(
//       "/echo.Echo/Say", [](rpc::ServerCall& call, const EchoRequest& in, EchoReply& out) {
//         out.set_text(in.text());
//         return OkStatus();
//       });
//   mux.RegisterServerStream<CountRequest, Tick>(
//       "/echo.Echo/Count", [](rpc::ServerCall&, const CountRequest& in,
//                              rpc::ServerWriter<Tick>& out) { ...out.Send(t)...; });
//
// Register every method before the server starts (HandleRPC reads the
// registry without a lock); a later registration of a name replaces the
// earlier one. The shapes, the unknown-name error and the design:
// docs/rpc.md, "Handler mux".
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "drpc/base/check.h"
#include "drpc/base/status.h"
#include "drpc/rpc/codec/codec.h"
#include "drpc/rpc/handler.h"
#include "drpc/rpc/server_streams.h"

namespace drpc::rpc {

class Mux final : public Handler {
 public:
  // Any shape: the handler drives the call's stream itself.
  using RawHandler = std::function<Status(ServerCall&)>;

  template <class Req, class Resp>
  using UnaryFn = std::function<Status(ServerCall&, const Req&, Resp&)>;
  template <class Req, class Resp, class C>
  using ServerStreamFn = std::function<Status(ServerCall&, const Req&, ServerWriter<Resp, C>&)>;
  template <class Req, class Resp, class C>
  using ClientStreamFn = std::function<Status(ServerCall&, ServerReader<Req, C>&, Resp&)>;
  template <class Req, class Resp, class C>
  using BidiStreamFn = std::function<Status(ServerCall&, ServerReaderWriter<Req, Resp, C>&)>;

  // `rpc` must not be empty and `handler` not null.
  void Register(std::string rpc, RawHandler handler);

  // The typed shapes. The mux receives the one request of a unary or
  // server-stream call before the handler runs, and sends the one reply of a
  // unary or client-stream call (with the server's CloseSend) if the handler
  // returned ok. The handler's Status ends the call.
  template <class Req, class Resp, class C = DefaultCodec<Req>>
  requires Codec<C, Req> && Codec<C, Resp>
  void RegisterUnary(std::string rpc, std::type_identity_t<UnaryFn<Req, Resp>> fn, C codec = C{}) {
    RegisterShape<Shape::kUnary, Req, Resp>(std::move(rpc), std::move(fn), std::move(codec));
  }

  template <class Req, class Resp, class C = DefaultCodec<Req>>
  requires Codec<C, Req> && Codec<C, Resp>
  void RegisterServerStream(std::string rpc, std::type_identity_t<ServerStreamFn<Req, Resp, C>> fn,
                            C codec = C{}) {
    RegisterShape<Shape::kServerStream, Req, Resp>(std::move(rpc), std::move(fn), std::move(codec));
  }

  template <class Req, class Resp, class C = DefaultCodec<Req>>
  requires Codec<C, Req> && Codec<C, Resp>
  void RegisterClientStream(std::string rpc, std::type_identity_t<ClientStreamFn<Req, Resp, C>> fn,
                            C codec = C{}) {
    RegisterShape<Shape::kClientStream, Req, Resp>(std::move(rpc), std::move(fn), std::move(codec));
  }

  template <class Req, class Resp, class C = DefaultCodec<Req>>
  requires Codec<C, Req> && Codec<C, Resp>
  void RegisterBidiStream(std::string rpc, std::type_identity_t<BidiStreamFn<Req, Resp, C>> fn,
                          C codec = C{}) {
    RegisterShape<Shape::kBidiStream, Req, Resp>(std::move(rpc), std::move(fn), std::move(codec));
  }

  // Runs the handler registered for call.rpc(); UnknownRpcError if none is.
  Status HandleRPC(ServerCall& call) const override;

  bool Has(std::string_view rpc) const { return handlers_.find(rpc) != handlers_.end(); }
  // The registered names, sorted.
  std::vector<std::string> Names() const;

 private:
  enum class Shape { kUnary, kServerStream, kClientStream, kBidiStream };

  // The one body of the four Register* calls.
  template <Shape kShape, class Req, class Resp, class C, class Fn>
  void RegisterShape(std::string rpc, Fn fn, C codec) {
    DRPC_ASSERT(fn != nullptr, "Mux: " + rpc + " registered with no handler");
    Register(std::move(rpc), [fn = std::move(fn), codec = std::move(codec)](ServerCall& call) {
      return Serve<kShape, Req, Resp>(call, fn, codec);
    });
  }

  // One call of a typed handler. The mux receives the one request before
  // the handler runs (unary, server stream) and sends the one reply after it
  // returned ok (unary, client stream); a side that is a stream is a view
  // the handler uses itself.
  template <Shape kShape, class Req, class Resp, class C, class Fn>
  static Status Serve(ServerCall& call, const Fn& fn, const C& codec) {
    if constexpr (kShape == Shape::kBidiStream) {
      ServerReaderWriter<Req, Resp, C> stream(call, codec);
      return fn(call, stream);
    } else {
      constexpr bool kOneRequest = kShape == Shape::kUnary || kShape == Shape::kServerStream;
      constexpr bool kOneReply = kShape == Shape::kUnary || kShape == Shape::kClientStream;
      auto in = Side<kOneRequest, Req, ServerReader<Req, C>>(call, codec);
      if constexpr (kOneRequest) {
        if (Status st = call.stream().MsgRecv(in, codec); !st.ok()) return st;
      }
      auto out = Side<kOneReply, Resp, ServerWriter<Resp, C>>(call, codec);
      Status st = fn(call, in, out);
      if constexpr (kOneReply) {
        // The reply and the server's CloseSend as one write; the server's
        // own CloseSend after the handler is then a no-op.
        if (st.ok()) st = call.stream().MsgSendAndCloseSend(out, codec);
      }
      return st;
    }
  }

  // One side of a typed call: the one message, or a stream view.
  template <bool kOne, class Msg, class View, class C>
  static auto Side(ServerCall& call, const C& codec) {
    if constexpr (kOne) {
      return Msg{};
    } else {
      return View(call, codec);
    }
  }

  std::map<std::string, RawHandler, std::less<>> handlers_;
};

// ProtocolError `protocol error: unknown rpc: "<name>"` (code 0), the name
// quoted as Go's %q quotes ASCII: what HandleRPC returns for a name nobody
// registered. The text is Go's on the wire, class prefix included.
Status UnknownRpcError(std::string_view rpc);

}  // namespace drpc::rpc

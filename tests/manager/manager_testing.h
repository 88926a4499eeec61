// Helpers for the OS-backend manager tests: a client/server manager pair on
// a socketpair, and a raw peer that writes and reads frames by hand (for
// protocol violations a well-behaved manager never sends).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "drpc/manager/internal/transport_source.h"
#include "drpc/manager/manager.h"
#include "drpc/rt/os/socket_pair.h"
#include "drpc/stream/codec.h"
#include "drpc/wire/error_payload.h"
#include "drpc/wire/kind.h"
#include "drpc/wire/metadata.h"
#include "drpc/wire/reader.h"

namespace drpc::manager::testing {

using stream::BytesCodec;
using wire::Kind;

inline ManagerOptions ClientOptions(ManagerOptions o = {}) {
  o.role = Role::kClient;
  o.name = "client";
  return o;
}
inline ManagerOptions ServerOptions(ManagerOptions o = {}) {
  o.role = Role::kServer;
  o.name = "server";
  return o;
}

struct Pair {
  std::unique_ptr<Manager> client;
  std::unique_ptr<Manager> server;
};

inline Pair MakePair(ManagerOptions client = ClientOptions(),
                     ManagerOptions server = ServerOptions()) {
  auto transports = rt::os::SocketPair();
  DRPC_ASSERT(transports.ok(), transports.status().ToString());
  Pair p;
  p.client = std::make_unique<Manager>(std::move(transports->a), std::move(client));
  p.server = std::make_unique<Manager>(std::move(transports->b), std::move(server));
  return p;
}

// Opens a client stream and invokes `rpc` on it.
inline std::shared_ptr<Stream> Invoke(Manager& client, const std::string& rpc = "/test/Method",
                                      const wire::Metadata& md = {},
                                      ClientStreamOptions options = {}) {
  Result<std::shared_ptr<Stream>> s = client.NewClientStream(options);
  DRPC_ASSERT(s.ok(), s.status().ToString());
  Status invoked = (*s)->WriteInvoke(rpc, md);
  DRPC_ASSERT(invoked.ok(), invoked.ToString());
  return *s;
}

inline ServerStream Accept(Manager& server) {
  Result<ServerStream> in = server.NewServerStream(rt::now() + std::chrono::seconds(10));
  DRPC_ASSERT(in.ok(), in.status().ToString());
  return std::move(in).value();
}

inline Status Send(Stream& s, const std::string& msg) { return s.MsgSend(msg, BytesCodec{}); }

inline Result<std::string> Recv(Stream& s) {
  std::string out;
  Status st = s.MsgRecv(out, BytesCodec{});
  if (!st.ok()) return st;
  return out;
}

// Waits (bounded) for a signal; fails the test if it never comes.
inline void WaitFor(rt::Signal& signal, const char* what) {
  ASSERT_TRUE(signal.wait_until(rt::now() + std::chrono::seconds(10), what)) << what;
}

// The other end of a transport, driven by hand.
class RawPeer {
 public:
  explicit RawPeer(std::unique_ptr<rt::Transport> t)
      : transport_(std::move(t)), source_(*transport_), reader_(source_) {}

  Status WriteFrame(uint64_t sid, uint64_t mid, Kind kind, std::string_view data = {},
                    bool done = true, bool control = false) {
    Buffer out;
    wire::AppendFrame(out, wire::Frame{sid, mid, wire::ToRaw(kind), done, control, AsBytes(data)});
    return transport_->Write(out.view());
  }
  Status WriteBytes(std::string_view bytes) { return transport_->Write(AsBytes(bytes)); }
  Status WriteMetadata(uint64_t sid, uint64_t mid, const wire::Metadata& md) {
    Buffer enc;
    wire::EncodeMetadata(enc, md);
    return WriteFrame(sid, mid, Kind::kInvokeMetadata, AsStringView(enc.view()));
  }

  struct Read {
    Status status;
    wire::Frame frame;
    std::string data;
  };
  Read ReadFrame() {
    Result<wire::Frame> f = reader_.ReadFrame();
    if (!f.ok()) return {f.status(), {}, {}};
    return {OkStatus(), *f, ToString(f->data)};
  }
  // Reads until the connection ends; returns its error.
  Status ReadUntilEnd() {
    for (int i = 0; i < 100000; ++i) {
      Read r = ReadFrame();
      if (!r.status.ok()) return r.status;
    }
    return InternalError("no end");
  }
  rt::Transport& transport() { return *transport_; }
  void Close() { (void)transport_->Close(); }

 private:
  std::unique_ptr<rt::Transport> transport_;
  TransportSource source_;
  wire::FrameReader reader_;
};

struct RawPair {
  std::unique_ptr<Manager> manager;
  std::unique_ptr<RawPeer> peer;
};

inline RawPair MakeRaw(ManagerOptions options) {
  auto transports = rt::os::SocketPair();
  DRPC_ASSERT(transports.ok(), transports.status().ToString());
  RawPair p;
  p.manager = std::make_unique<Manager>(std::move(transports->a), std::move(options));
  p.peer = std::make_unique<RawPeer>(std::move(transports->b));
  return p;
}

}  // namespace drpc::manager::testing

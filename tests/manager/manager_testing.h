// Helpers for the OS-backend manager tests: a client/server manager pair on
// a socketpair, and a raw peer that writes and reads frames by hand (for
// protocol violations a well-behaved manager never sends).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "drpc/manager/internal/transport_source.h"
#include "drpc/manager/manager.h"
#include "drpc/rt/os/socket_pair.h"
#include "drpc/wire/error_payload.h"
#include "drpc/wire/kind.h"
#include "drpc/wire/metadata.h"
#include "drpc/wire/reader.h"
#include "tests/manager/manager_calls.h"

namespace drpc::manager::testing {

using wire::Kind;

inline Pair MakePair(ManagerOptions client = ClientOptions(),
                     ManagerOptions server = ServerOptions()) {
  auto transports = rt::os::SocketPair();
  DRPC_ASSERT(transports.ok(), transports.status().ToString());
  Pair p;
  p.client = std::make_unique<Manager>(std::move(transports->a), std::move(client));
  p.server = std::make_unique<Manager>(std::move(transports->b), std::move(server));
  return p;
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

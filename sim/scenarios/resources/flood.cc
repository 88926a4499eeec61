#include "sim/scenarios/resources/flood.h"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "drpc/base/buffer.h"
#include "drpc/manager/manager.h"
#include "drpc/rt/rt.h"
#include "drpc/stream/codec.h"
#include "drpc/wire/frame.h"
#include "drpc/wire/kind.h"
#include "sim/checkers/resource_checker.h"
#include "sim/net/pipe.h"
#include "sim/scenarios/scenario.h"

namespace drpc::sim::resources {
namespace {

using manager::Manager;
using manager::ManagerOptions;
using manager::Role;
using manager::ServerStream;
using stream::BytesCodec;
using stream::Stream;

constexpr size_t kPipeBytes = 256 * 1024;

ManagerOptions Options(Role role) {
  ManagerOptions o;  // every limit and budget at its default
  o.role = role;
  o.name = role == Role::kClient ? "client" : "server";
  o.close_flush_timeout = std::chrono::milliseconds(5);
  return o;
}

// Appends one frame of a raw peer's: `done` ends its message.
void AppendPeerFrame(Buffer& out, uint64_t stream_id, uint64_t message_id, wire::Kind kind,
                     bool done, std::string_view data) {
  wire::AppendFrame(out, wire::Frame{.stream_id = stream_id,
                                     .message_id = message_id,
                                     .kind = wire::ToRaw(kind),
                                     .done = done,
                                     .data = AsBytes(data)});
}

// Accepts every stream and runs `handle` on a task of its own for each,
// until the connection ends.
template <class Handle>
void AcceptAll(Manager& server, const Handle& handle) {
  std::vector<rt::Task> handlers;
  for (int n = 0; n < 1000; ++n) {
    Result<ServerStream> in = server.NewServerStream();
    if (!in.ok()) break;
    handlers.push_back(
        rt::spawn("handler " + std::to_string(n), [&handle, s = in->stream] { handle(*s); }));
  }
  for (rt::Task& t : handlers) t.join();
}

// One flood's connection: a pipe whose server end is a Manager that accepts
// every stream into a handler task of its own, with the resource checker
// watching it. The other end is a client Manager (watched too) or the raw
// transport of a peer that writes frames itself.
class FloodedServer {
 public:
  enum class Peer { kClientManager, kRawTransport };

  FloodedServer(Peer peer, std::function<void(Stream&)> handle) {
    sim::net::PipeEnds ends = sim::net::MakePipe({.capacity_bytes = kPipeBytes});
    if (peer == Peer::kClientManager) {
      client_ = std::make_unique<Manager>(std::move(ends.a), Options(Role::kClient));
    } else {
      raw_peer_ = std::move(ends.a);
    }
    server_ = std::make_unique<Manager>(std::move(ends.b), Options(Role::kServer));
    resources_.emplace();
    if (client_ != nullptr) resources_->WatchConnection(*client_);
    resources_->WatchConnection(*server_);
    acceptor_ =
        rt::spawn("acceptor", [this, handle = std::move(handle)] { AcceptAll(*server_, handle); });
  }

  Manager& client() { return *client_; }
  rt::Transport& raw_peer() { return *raw_peer_; }

  // Once the peer has ended the connection: waits for every handler, closes
  // the server, destroys both ends and checks that nothing stays counted.
  void Finish() {
    acceptor_.join();
    (void)server_->Close();
    client_.reset();
    server_.reset();
    raw_peer_.reset();
    resources_->CheckReleased();
  }

 private:
  std::unique_ptr<Manager> client_;
  std::unique_ptr<rt::Transport> raw_peer_;
  std::unique_ptr<Manager> server_;
  std::optional<ResourceChecker> resources_;  // made once both ends exist
  rt::Task acceptor_;
};

}  // namespace

RunOptions FloodRunOptions() { return ScenarioDefaults(/*max_steps=*/2'000'000); }

void RunSlowHandlerFlood() {
  // 4 streams x 20 messages x 1 MiB: 80 MiB if the server queued them all,
  // over the default 64 MiB budget.
  constexpr int kStreams = 4;
  constexpr int kMessages = 20;
  constexpr size_t kMessageBytes = size_t{1} << 20;
  int delivered = 0;  // tasks run one at a time in the simulator
  FloodedServer flood(FloodedServer::Peer::kClientManager, [&delivered](Stream& s) {
    // A slow handler: it reads only after a (virtual) second.
    rt::sleep_for(std::chrono::seconds(1));
    std::string msg;
    while (s.MsgRecv(msg, BytesCodec{}).ok()) ++delivered;
    (void)s.CloseSend();
  });
  Manager& client = flood.client();
  std::vector<rt::Task> callers;
  for (int i = 0; i < kStreams; ++i) {
    callers.push_back(rt::spawn("flooder " + std::to_string(i), [&client, i] {
      Result<std::shared_ptr<Stream>> opened = client.NewClientStream();
      if (!opened.ok()) return;
      Stream& s = **opened;
      if (!s.WriteInvoke("/flood/" + std::to_string(i)).ok()) return;
      const std::string message(kMessageBytes, static_cast<char>('a' + i));
      for (int m = 0; m < kMessages; ++m) {
        if (!s.MsgSend(message, BytesCodec{}).ok()) break;
      }
      (void)s.CloseSend();
      std::string reply;
      while (s.MsgRecv(reply, BytesCodec{}).ok()) {
      }
      (void)s.Close();
    }));
  }
  for (rt::Task& t : callers) t.join();
  (void)client.Close();
  flood.Finish();
  // Back-pressure, not refusal: a well-behaved sender loses nothing.
  if (delivered != kStreams * kMessages) {
    sim::Fail("resources: slow handlers received " + std::to_string(delivered) + " of " +
              std::to_string(kStreams * kMessages) + " messages: the budget refused some");
  }
}

void RunPartialMessageFlood() {
  // 20 streams, each with 63 frames of 64 KiB of one Message that never
  // ends: 20 x ~4 MiB held by the assemblers if nothing bounds them.
  constexpr uint64_t kStreams = 20;
  constexpr int kFrames = 63;
  constexpr size_t kFrameBytes = 64 * 1024;
  int exhausted = 0;  // streams failed for want of budget
  FloodedServer flood(FloodedServer::Peer::kRawTransport, [&exhausted](Stream& s) {
    std::string msg;
    Status received;
    while ((received = s.MsgRecv(msg, BytesCodec{})).ok()) {
    }
    if (received.code() == StatusCode::kResourceExhausted) ++exhausted;
  });
  rt::Transport& peer = flood.raw_peer();
  rt::Task flooder = rt::spawn("raw peer", [&peer] {
    const std::string rpc = "/flood/Partial";
    const std::string chunk(kFrameBytes, 'p');
    Buffer out;
    for (uint64_t id = 1; id <= kStreams; ++id) {
      out.clear();
      AppendPeerFrame(out, id, 1, wire::Kind::kInvoke, /*done=*/true, rpc);
      if (!peer.Write(out.view()).ok()) return;
      for (int f = 0; f < kFrames; ++f) {
        out.clear();
        AppendPeerFrame(out, id, 2, wire::Kind::kMessage, /*done=*/false, chunk);
        if (!peer.Write(out.view()).ok()) return;
      }
    }
    // The peer goes away without finishing any message, but only once the
    // server has had every chance to hand its streams to handlers: a
    // schedule that starves the acceptor (PCT does) until the peer has gone
    // would otherwise drop every stream at teardown, before a handler sees
    // the ResourceExhausted this scenario checks for.
    rt::sleep_for(std::chrono::seconds(10));
    (void)peer.Close();
  });
  flooder.join();
  flood.Finish();
  // 20 x 4 MiB cannot all fit: the streams past the budget failed, with
  // the code the peer is told (ResourceExhausted).
  if (exhausted == 0)
    sim::Fail("resources: no stream failed with ResourceExhausted past the budget");
}

void RunUnreadRepliesFlood() {
  // 20 calls, each answered with 4 MiB - 1 KiB: 20 x 4 MiB of marshal
  // buffers if nothing bounds what waiting senders hold.
  constexpr uint64_t kCalls = 20;
  static const std::string kReply((size_t{4} << 20) - 1024, 'r');
  FloodedServer flood(FloodedServer::Peer::kRawTransport, [](Stream& s) {
    std::string request;
    if (!s.MsgRecv(request, BytesCodec{}).ok()) return;
    const Status sent = s.MsgSend(kReply, BytesCodec{});
    if (sent.ok()) {
      (void)s.CloseSend();
    } else if (sent.code() == StatusCode::kResourceExhausted) {
      // Refused for want of budget (how many depends on the schedule): the
      // peer is told why.
      (void)s.SendError(sent);
    }
  });
  rt::Transport& peer = flood.raw_peer();
  rt::Task caller = rt::spawn("raw peer", [&peer] {
    const std::string rpc = "/flood/Unread";
    Buffer out;
    for (uint64_t id = 1; id <= kCalls; ++id) {
      out.clear();
      AppendPeerFrame(out, id, 1, wire::Kind::kInvoke, /*done=*/true, rpc);
      AppendPeerFrame(out, id, 2, wire::Kind::kMessage, /*done=*/true, "request");
      AppendPeerFrame(out, id, 3, wire::Kind::kCloseSend, /*done=*/true, "");
      if (!peer.Write(out.view()).ok()) return;
    }
    // Never reads a reply; goes away once the server is clearly stuck.
    rt::sleep_for(std::chrono::seconds(10));
    (void)peer.Close();
  });
  caller.join();
  flood.Finish();
}

}  // namespace drpc::sim::resources

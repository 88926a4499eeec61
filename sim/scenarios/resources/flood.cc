#include "sim/scenarios/resources/flood.h"

#include <chrono>
#include <memory>
#include <string>
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
#include "sim/sched/run.h"

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

}  // namespace

RunOptions FloodRunOptions() {
  RunOptions options;
  options.max_steps = 2'000'000;
  options.stack_bytes = 128 * 1024;
  return options;
}

void RunSlowHandlerFlood() {
  // 4 streams x 20 messages x 1 MiB: 80 MiB if the server queued them all,
  // over the default 64 MiB budget.
  constexpr int kStreams = 4;
  constexpr int kMessages = 20;
  constexpr size_t kMessageBytes = size_t{1} << 20;
  sim::net::PipeEnds ends = sim::net::MakePipe({.capacity_bytes = kPipeBytes});
  auto client = std::make_unique<Manager>(std::move(ends.a), Options(Role::kClient));
  auto server = std::make_unique<Manager>(std::move(ends.b), Options(Role::kServer));
  ResourceChecker resources;
  resources.WatchConnection(*client);
  resources.WatchConnection(*server);

  int delivered = 0;  // tasks run one at a time in the simulator
  rt::Task acceptor = rt::spawn("acceptor", [&] {
    AcceptAll(*server, [&delivered](Stream& s) {
      // A slow handler: it reads only after a (virtual) second.
      rt::sleep_for(std::chrono::seconds(1));
      std::string msg;
      while (s.MsgRecv(msg, BytesCodec{}).ok()) ++delivered;
      (void)s.CloseSend();
    });
  });
  std::vector<rt::Task> callers;
  for (int i = 0; i < kStreams; ++i) {
    callers.push_back(rt::spawn("flooder " + std::to_string(i), [&client, i] {
      Result<std::shared_ptr<Stream>> opened = client->NewClientStream();
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
  (void)client->Close();
  acceptor.join();
  (void)server->Close();
  client.reset();
  server.reset();
  resources.CheckReleased();
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
  sim::net::PipeEnds ends = sim::net::MakePipe({.capacity_bytes = kPipeBytes});
  std::unique_ptr<rt::Transport> peer = std::move(ends.a);
  auto server = std::make_unique<Manager>(std::move(ends.b), Options(Role::kServer));
  ResourceChecker resources;
  resources.WatchConnection(*server);

  int exhausted = 0;  // streams failed for want of budget
  rt::Task acceptor = rt::spawn("acceptor", [&] {
    AcceptAll(*server, [&exhausted](Stream& s) {
      std::string msg;
      Status received;
      while ((received = s.MsgRecv(msg, BytesCodec{})).ok()) {
      }
      if (received.code() == StatusCode::kResourceExhausted) ++exhausted;
    });
  });
  rt::Task flooder = rt::spawn("raw peer", [&peer] {
    const std::string rpc = "/flood/Partial";
    const std::string chunk(kFrameBytes, 'p');
    Buffer out;
    for (uint64_t id = 1; id <= kStreams; ++id) {
      out.clear();
      wire::AppendFrame(out, wire::Frame{.stream_id = id,
                                         .message_id = 1,
                                         .kind = wire::ToRaw(wire::Kind::kInvoke),
                                         .done = true,
                                         .data = AsBytes(rpc)});
      if (!peer->Write(out.view()).ok()) return;
      for (int f = 0; f < kFrames; ++f) {
        out.clear();
        wire::AppendFrame(out, wire::Frame{.stream_id = id,
                                           .message_id = 2,
                                           .kind = wire::ToRaw(wire::Kind::kMessage),
                                           .done = false,
                                           .data = AsBytes(chunk)});
        if (!peer->Write(out.view()).ok()) return;
      }
    }
    // The peer goes away without finishing any message.
    (void)peer->Close();
  });
  flooder.join();
  acceptor.join();
  (void)server->Close();
  server.reset();
  peer.reset();
  resources.CheckReleased();
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
  sim::net::PipeEnds ends = sim::net::MakePipe({.capacity_bytes = kPipeBytes});
  std::unique_ptr<rt::Transport> peer = std::move(ends.a);
  auto server = std::make_unique<Manager>(std::move(ends.b), Options(Role::kServer));
  ResourceChecker resources;
  resources.WatchConnection(*server);

  rt::Task acceptor = rt::spawn("acceptor", [&] {
    AcceptAll(*server, [](Stream& s) {
      std::string request;
      if (!s.MsgRecv(request, BytesCodec{}).ok()) return;
      const Status sent = s.MsgSend(kReply, BytesCodec{});
      if (sent.ok()) {
        (void)s.CloseSend();
      } else if (sent.code() == StatusCode::kResourceExhausted) {
        // Refused for want of budget (how many depends on the schedule):
        // the peer is told why.
        (void)s.SendError(sent);
      }
    });
  });
  rt::Task caller = rt::spawn("raw peer", [&peer] {
    const std::string rpc = "/flood/Unread";
    Buffer out;
    for (uint64_t id = 1; id <= kCalls; ++id) {
      out.clear();
      const auto frame = [&](uint64_t message, wire::Kind kind, std::string_view data) {
        wire::AppendFrame(out, wire::Frame{.stream_id = id,
                                           .message_id = message,
                                           .kind = wire::ToRaw(kind),
                                           .done = true,
                                           .data = AsBytes(data)});
      };
      frame(1, wire::Kind::kInvoke, rpc);
      frame(2, wire::Kind::kMessage, "request");
      frame(3, wire::Kind::kCloseSend, "");
      if (!peer->Write(out.view()).ok()) return;
    }
    // Never reads a reply; goes away once the server is clearly stuck.
    rt::sleep_for(std::chrono::seconds(10));
    (void)peer->Close();
  });
  caller.join();
  acceptor.join();
  (void)server->Close();
  server.reset();
  peer.reset();
  resources.CheckReleased();
}

}  // namespace drpc::sim::resources

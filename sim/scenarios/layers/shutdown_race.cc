// layers.shutdown-race.fixed: streams end while receives are in flight on
// both sides. A client rpc::Conn makes 1-3 calls to an rpc::Server over a
// pipe: server streams (Count: the client receives in a loop) and bidi
// chats (the server's handler receives in a loop while the client sends);
// each call ends by a cancel token canceled once the client has received a
// drawn number of replies, racing the next receives. Checked: the library's own assertions (fin
// waits for a receive that began before term: docs/stream.md), each call's
// replies arrive in order, and after the calls, Close and Stop, every task
// ends and every meter is back to zero.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drpc/rpc/cancel.h"
#include "drpc/rpc/conn.h"
#include "drpc/rpc/server.h"
#include "drpc/rt/rt.h"
#include "drpc/stream/codec.h"
#include "sim/checkers/resource_checker.h"
#include "sim/net/listener.h"
#include "sim/scenarios/layers/layer_scenarios.h"
#include "sim/scenarios/rpc/rpc_handlers.h"
#include "sim/sched/run.h"

namespace drpc::sim::layers {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr rt::Duration kLetRepliesQueue = microseconds(50);

[[noreturn]] void Broken(const std::string& what) { Fail("layers.shutdown-race: " + what); }

// When a call's canceler goes.
struct Progress {
  int after = 0;                           // the canceler goes while this reply is decoded
  int decoding = 0;                        // replies whose decoding began
  rt::Signal reached{"progress.reached"};  // set at that reply, or when the call ends
};

// The client's decoder. It decodes the reply the canceler waits for
// slowly, yielding a drawn number of times (as a decoder with real work is
// preempted), so the cancel lands while that receive holds its buffer: the
// receive began before term and fin must wait for it.
struct SlowDecoder {
  Progress* progress;
  Status Marshal(const std::string& msg, Buffer& out) const {
    return stream::BytesCodec{}.Marshal(msg, out);
  }
  Status Unmarshal(Bytes data, std::string& msg) const {
    if (++progress->decoding == progress->after) {
      progress->reached.set(OkStatus());
      static constexpr uint64_t kYields[] = {0, 10, 100, 400};
      for (uint64_t i = kYields[Choose(4, ChoiceKind::kWorkload)]; i > 0; --i) rt::yield();
    }
    return stream::BytesCodec{}.Unmarshal(data, msg);
  }
};

void CountCall(rpc::Conn& conn, const rpc::CallOptions& options, const std::string& tag,
               Progress& progress) {
  auto stream =
      conn.NewStream<std::string, std::string>(rpcsim::kCountRpc, options, SlowDecoder{&progress});
  if (!stream.ok()) return;
  if (!stream->Send(tag + "|" + "32").ok() || !stream->CloseSend().ok()) {
    (void)stream->Close();
    return;
  }
  // Replies queue up in the ring meanwhile, so the receives that race the
  // cancel find one waiting (a receive in flight, not one blocked).
  rt::sleep_for(kLetRepliesQueue);
  std::string reply;
  for (int64_t i = 0; stream->Recv(reply).ok(); ++i) {
    const std::string want = tag + "|c" + std::to_string(i);
    if (reply != want) Broken("count call " + tag + ": got '" + reply + "', want '" + want + "'");
  }
  (void)stream->Close();
}

void ChatCall(rpc::Conn& conn, const rpc::CallOptions& options, const std::string& tag,
              Progress& progress) {
  auto stream =
      conn.NewStream<std::string, std::string>(rpcsim::kChatRpc, options, SlowDecoder{&progress});
  if (!stream.ok()) return;
  rt::Task receiver = rt::spawn(tag + ".recv", [&] {
    rt::sleep_for(kLetRepliesQueue);
    std::string reply;
    for (int i = 0; stream->Recv(reply).ok(); ++i) {
      const std::string want = tag + "|m" + std::to_string(i) + "|e";
      if (reply != want) Broken("chat call " + tag + ": got '" + reply + "', want '" + want + "'");
    }
  });
  for (int i = 0; i < 16; ++i) {
    if (!stream->Send(tag + "|m" + std::to_string(i)).ok()) break;
  }
  receiver.join();
  (void)stream->Close();
}

}  // namespace

void RunShutdownRace() {
  rpcsim::TestService service;
  ResourceChecker resources;
  rpc::ServerOptions server_options;
  server_options.on_connection = [&](manager::Manager& m) { resources.WatchConnection(m); };
  rpc::Server server(service.mux, server_options);
  net::Listener listener;
  Status served;
  rt::Task serving = rt::spawn("serve", [&] { served = server.Serve(listener); });
  {
    Result<net::Dialed> dialed = listener.Dial();
    if (!dialed.ok()) Broken("dial: " + dialed.status().ToString());
    rpc::ConnOptions conn_options;
    conn_options.manager.name = "client";
    // A few slots per stream: a server stream fills the client's ring and
    // waits (through the pipe) until the client receives, so its receives
    // begin while the stream is still open even when nothing preempts the
    // server (the schedule a shrinker lowers towards).
    conn_options.manager.stream.ring.capacity = 4;
    rpc::Conn conn(std::move(dialed->transport), conn_options);
    resources.WatchConnection(conn.manager());
    const size_t calls = 1 + Choose(3, ChoiceKind::kWorkload);
    std::vector<rt::Task> tasks;
    std::vector<std::unique_ptr<rpc::CancelToken>> tokens;
    std::vector<std::unique_ptr<Progress>> progress;
    for (size_t i = 0; i < calls; ++i) {
      const std::string tag = "t" + std::to_string(i);
      rpc::CallOptions options;
      tokens.push_back(std::make_unique<rpc::CancelToken>());
      progress.push_back(std::make_unique<Progress>());
      options.cancel = *tokens.back();
      // Canceled once the client has received `after` replies: while the
      // next ones are being received on both sides.
      progress.back()->after = 1 + static_cast<int>(Choose(8, ChoiceKind::kWorkload));
      tasks.push_back(
          rt::spawn(tag + ".cancel", [t = tokens.back().get(), p = progress.back().get()] {
            p->reached.wait("cancel: wait for the replies before the cancel");
            t->Cancel();
          }));
      const bool chat = Choose(2, ChoiceKind::kWorkload) == 1;
      tasks.push_back(rt::spawn(tag, [&conn, options, tag, chat, p = progress.back().get()] {
        if (chat) {
          ChatCall(conn, options, tag, *p);
        } else {
          CountCall(conn, options, tag, *p);
        }
        p->reached.set(OkStatus());
      }));
    }
    for (rt::Task& t : tasks) t.join();
    (void)conn.Close();
  }
  (void)server.Stop(milliseconds(10));
  serving.join();
  (void)listener.Close();
  if (!served.ok()) Broken("Serve returned " + served.ToString());
  resources.CheckReleased();
}

}  // namespace drpc::sim::layers

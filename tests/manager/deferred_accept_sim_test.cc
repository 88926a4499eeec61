// The server manager's deferred accept wake-up, in the simulator: an
// acceptor already waiting in NewServerStream is woken only once the frames
// that came with the Invoke in the same read (the request Message and the
// CloseSend of a unary call) are routed, so its first receive finds the
// message queued and the stream's receive side closed, whatever the
// schedule. And the wake-up is never lost: frames of another stream, a
// second Message or a read that finds nothing send it first.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "drpc/base/buffer.h"
#include "drpc/manager/manager.h"
#include "drpc/rt/rt.h"
#include "drpc/stream/codec.h"
#include "drpc/wire/frame.h"
#include "drpc/wire/kind.h"
#include "sim/net/pipe.h"
#include "sim/sched/random_source.h"
#include "sim/sched/run.h"

namespace drpc::manager {
namespace {

using wire::Kind;

std::string Describe(const sim::RunResult& r) {
  return std::string(sim::OutcomeName(r.outcome)) + "\n" + r.report + "\n" + r.trace_tail;
}

void AppendFrame(Buffer& out, uint64_t sid, uint64_t mid, Kind kind, std::string_view data = {}) {
  wire::AppendFrame(out, wire::Frame{sid, mid, wire::ToRaw(kind), true, false, AsBytes(data)});
}

ManagerOptions ServerOptions() {
  ManagerOptions o;
  o.role = Role::kServer;
  o.name = "server";
  return o;
}

// Runs `seed` with a server manager whose peer writes `bytes` in one write
// once the acceptor waits; `accept` runs on the acceptor task.
sim::RunResult RunServer(uint64_t seed, const Buffer& bytes,
                         const std::function<void(Manager&)>& accept,
                         ManagerOptions server_options = ServerOptions()) {
  sim::RandomSource decisions(seed);
  sim::RunOptions options;
  options.max_steps = 200'000;
  return sim::Run(decisions, options, [&] {
    // Whole reads: the frames arrive together, as one TCP segment would.
    sim::net::PipeEnds ends = sim::net::MakePipe({.chosen_reads = false});
    Manager server(std::move(ends.b), server_options);
    rt::Task acceptor = rt::spawn("acceptor", [&] { accept(server); });
    // Virtual time moves only once every task waits: the acceptor is in
    // NewServerStream and the reader in its read when the bytes come.
    rt::sleep_for(std::chrono::milliseconds(1));
    ASSERT_TRUE(ends.a->Write(bytes.view()).ok());
    acceptor.join();
    (void)ends.a->Close();
    (void)server.Close();
  });
}

TEST(DeferredAccept, AWaitingAcceptorSeesTheWholeUnaryRequest) {
  Buffer request;
  AppendFrame(request, 1, 1, Kind::kInvoke, "/svc/M");
  AppendFrame(request, 1, 2, Kind::kMessage, "ping");
  AppendFrame(request, 1, 3, Kind::kCloseSend);
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    bool recv_closed = false;
    std::string got;
    const sim::RunResult r = RunServer(seed, request, [&](Manager& server) {
      Result<ServerStream> in = server.NewServerStream();
      ASSERT_TRUE(in.ok()) << in.status();
      recv_closed = in->stream->DebugState().recv;  // the CloseSend was routed already
      ASSERT_TRUE(in->stream->MsgRecv(got, stream::BytesCodec{}).ok());
      (void)in->stream->Close();
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << Describe(r);
    EXPECT_TRUE(recv_closed) << "seed " << seed << ": woken before the request was routed";
    EXPECT_EQ(got, "ping");
  }
}

// Frames of another stream, or a second Message, wake the acceptor before
// they are routed (routing them may block on a ring whose consumer is the
// acceptor's handler): with two streams invoked in one read, both are
// accepted; with ring capacity 1 and two messages, the first is received.
TEST(DeferredAccept, NeverHeldAcrossFramesThatMayBlock) {
  Buffer bytes;
  AppendFrame(bytes, 1, 1, Kind::kInvoke, "/svc/A");
  AppendFrame(bytes, 1, 2, Kind::kMessage, "a1");
  AppendFrame(bytes, 1, 3, Kind::kMessage, "a2");
  AppendFrame(bytes, 1, 4, Kind::kMessage, "a3");
  AppendFrame(bytes, 3, 1, Kind::kInvoke, "/svc/B");
  ManagerOptions options = ServerOptions();
  options.stream.ring.capacity = 1;  // a2 waits in the reader until a1 is received
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    std::vector<std::string> got;
    const sim::RunResult r = RunServer(
        seed, bytes,
        [&](Manager& server) {
          for (int i = 0; i < 2; ++i) {
            Result<ServerStream> in = server.NewServerStream();
            ASSERT_TRUE(in.ok()) << in.status();
            std::string msg;
            if (in->rpc == "/svc/A") {
              for (int m = 0; m < 3; ++m) {
                ASSERT_TRUE(in->stream->MsgRecv(msg, stream::BytesCodec{}).ok());
                got.push_back(msg);
              }
            } else {
              got.push_back(in->rpc);
            }
            (void)in->stream->Close();
          }
        },
        options);
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << Describe(r);
    EXPECT_EQ(got, (std::vector<std::string>{"a1", "a2", "a3", "/svc/B"})) << "seed " << seed;
  }
}

}  // namespace
}  // namespace drpc::manager

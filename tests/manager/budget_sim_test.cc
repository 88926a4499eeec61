// The connection's memory budget, end to end over a simulated pipe
// (docs/resources.md, "What happens at the budget"):
//   * a stream whose messages the connection has no room for fails with
//     ResourceExhausted, the peer reads that code, and the connection keeps
//     serving its other streams;
//   * a reply waiting on a peer that does not read holds about one extra
//     copy of itself (its marshal buffer), not three.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "drpc/base/buffer.h"
#include "drpc/base/resource_meter.h"
#include "drpc/manager/manager.h"
#include "drpc/rt/rt.h"
#include "drpc/stream/codec.h"
#include "drpc/wire/frame.h"
#include "drpc/wire/kind.h"
#include "sim/checkers/resource_checker.h"
#include "sim/net/pipe.h"
#include "sim/sched/random_source.h"
#include "sim/sched/run.h"
#include "sim/testing/run_checks.h"

namespace drpc::manager {
namespace {

using sim::testing::Describe;
using stream::BytesCodec;
using stream::Stream;

constexpr uint64_t kSeeds = 20;

sim::RunResult RunSeed(uint64_t seed, const std::function<void()>& body) {
  sim::RandomSource decisions(seed);
  sim::RunOptions options;
  options.max_steps = 2'000'000;
  options.stack_bytes = 128 * 1024;
  return sim::Run(decisions, options, [&] { body(); });
}

ManagerOptions Options(Role role) {
  ManagerOptions o;
  o.role = role;
  o.name = role == Role::kClient ? "client" : "server";
  o.close_flush_timeout = std::chrono::milliseconds(5);
  return o;
}

// The server's queues hold whatever arrives (no per-stream byte bound), so
// the connection's budget is what stops a flood: a small one.
ManagerOptions SmallBudgetServer() {
  ManagerOptions o = Options(Role::kServer);
  o.budget.max_bytes = size_t{24} << 20;
  o.stream.ring.max_queued_bytes = 0;
  return o;
}

TEST(BudgetSim, AStreamPastTheBudgetFailsWithResourceExhaustedAndTheConnectionLives) {
  constexpr size_t kMessage = size_t{1} << 20;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    Status flood_end;
    std::string echoed;
    const sim::RunResult r = RunSeed(seed, [&] {
      sim::net::PipeEnds ends = sim::net::MakePipe({.capacity_bytes = 256 * 1024});
      auto client = std::make_unique<Manager>(std::move(ends.a), Options(Role::kClient));
      auto server = std::make_unique<Manager>(std::move(ends.b), SmallBudgetServer());
      sim::ResourceChecker resources;
      resources.WatchConnection(*client);
      resources.WatchConnection(*server);
      rt::Signal release("release the hold handler");
      rt::Task acceptor = rt::spawn("acceptor", [&] {
        std::vector<rt::Task> handlers;
        for (;;) {
          Result<ServerStream> in = server->NewServerStream();
          if (!in.ok()) break;
          handlers.push_back(rt::spawn(in->rpc, [&release, s = in->stream, rpc = in->rpc] {
            std::string msg;
            if (rpc == "/hold") release.wait("hold: wait to be released");
            if (rpc == "/echo" && s->MsgRecv(msg, BytesCodec{}).ok() &&
                s->MsgSend(msg, BytesCodec{}).ok()) {
              (void)s->CloseSend();
            }
            while (s->MsgRecv(msg, BytesCodec{}).ok()) {
            }
          }));
        }
        for (rt::Task& t : handlers) t.join();
      });
      // A stream whose handler never reads: 40 MiB cannot all be queued.
      std::shared_ptr<Stream> hold = *client->NewClientStream();
      ASSERT_TRUE(hold->WriteInvoke("/hold").ok());
      const std::string message(kMessage, 'h');
      for (int i = 0; i < 40 && hold->MsgSend(message, BytesCodec{}).ok(); ++i) {
      }
      std::string reply;
      flood_end = hold->MsgRecv(reply, BytesCodec{});
      // The same connection still serves another call.
      std::shared_ptr<Stream> echo = *client->NewClientStream();
      ASSERT_TRUE(echo->WriteInvoke("/echo").ok());
      ASSERT_TRUE(echo->MsgSend(std::string("ping"), BytesCodec{}).ok());
      ASSERT_TRUE(echo->MsgRecv(echoed, BytesCodec{}).ok());
      (void)echo->Close();
      (void)hold->Close();
      release.set(OkStatus());
      (void)client->Close();
      acceptor.join();
      (void)server->Close();
      hold.reset();
      echo.reset();
      client.reset();
      server.reset();
      resources.CheckReleased();
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << Describe(r);
    EXPECT_EQ(flood_end.code(), StatusCode::kResourceExhausted)
        << "seed " << seed << ": " << flood_end;
    EXPECT_EQ(echoed, "ping") << "seed " << seed;
  }
}

// The largest total a meter reached, looked at after every step. It shares
// the meter: the hook still runs while the manager (the meter's other
// owner) is being destroyed.
class PeakBytes {
 public:
  explicit PeakBytes(std::shared_ptr<const ResourceMeter> meter)
      : meter_(std::move(meter)),
        hook_([this] { peak_ = std::max(peak_, meter_->TotalBytes()); }) {}
  int64_t peak() const { return peak_; }

 private:
  std::shared_ptr<const ResourceMeter> meter_;
  int64_t peak_ = 0;
  sim::StepHook hook_;
};

TEST(BudgetSim, AReplyWaitingOnAPeerThatDoesNotReadHoldsOneExtraCopy) {
  constexpr size_t kReply = size_t{4} << 20;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    int64_t idle = 0;
    int64_t peak = 0;
    Status sent = InternalError("not sent");
    const sim::RunResult r = RunSeed(seed, [&] {
      sim::net::PipeEnds ends = sim::net::MakePipe({.capacity_bytes = 64 * 1024});
      std::unique_ptr<rt::Transport> peer = std::move(ends.a);
      auto server = std::make_unique<Manager>(std::move(ends.b), Options(Role::kServer));
      const std::string reply(kReply, 'r');
      rt::Task handler = rt::spawn("handler", [&] {
        Result<ServerStream> in = server->NewServerStream();
        if (!in.ok()) return;
        std::string request;
        if (!in->stream->MsgRecv(request, BytesCodec{}).ok()) return;
        idle = server->meter()->TotalBytes();  // the request read, the reply not yet made
        sent = in->stream->MsgSend(reply, BytesCodec{});
      });
      PeakBytes held(server->meter());
      Buffer out;
      const auto frame = [&](uint64_t message, wire::Kind kind, std::string_view data) {
        wire::AppendFrame(out, wire::Frame{.stream_id = 1,
                                           .message_id = message,
                                           .kind = wire::ToRaw(kind),
                                           .done = true,
                                           .data = AsBytes(data)});
      };
      frame(1, wire::Kind::kInvoke, "/reply/Big");
      frame(2, wire::Kind::kMessage, "request");
      ASSERT_TRUE(peer->Write(out.view()).ok());
      // The peer never reads: the reply waits on back-pressure.
      rt::sleep_for(std::chrono::seconds(1));
      peak = held.peak();
      (void)peer->Close();
      handler.join();
      (void)server->Close();
      server.reset();
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << Describe(r);
    // One copy of the reply (its marshal buffer) and the writer's share:
    // its queue and the batch in flight, each about the high-water mark.
    const int64_t writer = 4 * static_cast<int64_t>(MuxWriterOptions{}.high_water_bytes);
    const int64_t extra = peak - idle;
    EXPECT_LE(extra, static_cast<int64_t>(kReply) + writer)
        << "seed " << seed << ": a 4 MiB reply waiting made the connection hold " << extra
        << " more bytes";
    EXPECT_GE(extra, static_cast<int64_t>(kReply)) << "seed " << seed << ": the marshal buffer";
    RecordProperty("extra_bytes_seed_" + std::to_string(seed), std::to_string(extra));
    if (seed == 1) {
      std::printf("a 4 MiB reply waiting: %lld extra bytes held (%.2fx the reply)\n",
                  static_cast<long long>(extra), static_cast<double>(extra) / kReply);
    }
  }
}

}  // namespace
}  // namespace drpc::manager

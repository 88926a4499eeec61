// One copy per received message (issue 15) over a simulated pipe whose
// reads the seed splits anywhere (inside headers, inside payloads): the
// receive path copies each Message byte once, into the pooled buffer the
// receiver decodes from. Two client streams send multi-frame messages at
// once, so their frames interleave. Checked builds count the copies.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "drpc/base/copy_count.h"
#include "drpc/manager/manager.h"
#include "drpc/rt/rt.h"
#include "drpc/stream/codec.h"
#include "sim/net/pipe.h"
#include "sim/sched/random_source.h"
#include "sim/sched/run.h"
#include "sim/testing/run_checks.h"

namespace drpc::manager {
namespace {

using sim::testing::Describe;
using stream::BytesCodec;
using stream::Stream;

ManagerOptions Options(Role role) {
  ManagerOptions o;
  o.role = role;
  o.name = role == Role::kClient ? "client" : "server";
  o.close_flush_timeout = std::chrono::milliseconds(5);
  o.stream.split_size = 8 * 1024;  // multi-frame from 8 KiB up
  return o;
}

std::string Payload(size_t size, int seed) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>(seed * 7 + i % 31);
  return out;
}

// Each of `streams` client streams sends `sizes` twice, in lockstep (the
// server acks each message with one byte before the next goes); the
// server's pool starts with the buffers a round needs and the first round
// warms the client's. Counts the receive copies of the second round, both
// ends.
struct Counted {
  uint64_t copied = 0;
  uint64_t received = 0;  // message and ack bytes of the second round
};

sim::RunResult RunSeed(uint64_t seed, int streams, const std::vector<size_t>& sizes,
                       Counted& counted) {
  sim::RandomSource decisions(seed);
  sim::RunOptions options;
  options.max_steps = 4'000'000;
  options.stack_bytes = 128 * 1024;
  return sim::Run(decisions, options, [&] {
    sim::net::PipeEnds ends = sim::net::MakePipe({.capacity_bytes = 64 * 1024});
    auto client = std::make_unique<Manager>(std::move(ends.a), Options(Role::kClient));
    auto server = std::make_unique<Manager>(std::move(ends.b), Options(Role::kServer));
    const std::string ack = "k";
    {
      // The buffers a round needs at most at once (one per stream: the
      // receives are in lockstep), so the counts do not depend on which
      // packets the schedule happens to assemble together: a multi-frame
      // packet takes the largest kept buffer, a one-frame one the smallest
      // that fits.
      std::vector<stream::PooledBuffer> warm;
      for (int i = 0; i < streams; ++i) {
        warm.push_back(server->pool()->TryGet(256 * 1024));
        warm.push_back(server->pool()->TryGet(64));
      }
    }
    int warm_left = streams;
    rt::Signal warmed("every stream finished its first round");
    rt::Task acceptor = rt::spawn("acceptor", [&] {
      std::vector<rt::Task> handlers;
      for (int i = 0; i < streams; ++i) {
        Result<ServerStream> in = server->NewServerStream();
        if (!in.ok()) break;
        handlers.push_back(rt::spawn("handler", [&, s = in->stream] {
          std::string msg;
          for (size_t k = 0; s->MsgRecv(msg, BytesCodec{}).ok(); ++k) {
            if (k >= sizes.size()) counted.received += msg.size() + ack.size();
            if (!s->MsgSend(ack, BytesCodec{}).ok()) return;
          }
          (void)s->CloseSend();
        }));
      }
      for (rt::Task& t : handlers) t.join();
    });
    std::vector<rt::Task> senders;
    for (int i = 0; i < streams; ++i) {
      senders.push_back(rt::spawn("sender", [&, i] {
        std::shared_ptr<Stream> s = *client->NewClientStream();
        if (!s->WriteInvoke("/copies").ok()) return;
        std::string got;
        for (int round = 0; round < 2; ++round) {
          if (round == 1) {
            if (--warm_left == 0) {
              ResetCopyCounts();
              warmed.set(OkStatus());
            }
            warmed.wait("sender: wait for every first round");
          }
          for (size_t k = 0; k < sizes.size(); ++k) {
            const std::string message = Payload(sizes[k], i * 13 + static_cast<int>(k) + round);
            if (!s->MsgSend(message, BytesCodec{}).ok()) return;
            if (!s->MsgRecv(got, BytesCodec{}).ok() || got != ack) return;
          }
        }
        (void)s->CloseSend();
        (void)s->MsgRecv(got, BytesCodec{});
      }));
    }
    for (rt::Task& t : senders) t.join();
    acceptor.join();
    counted.copied = CopiedBytes(CopyPath::kReceive);
    (void)client->Close();
    (void)server->Close();
  });
}

#if DRPC_CHECKED
void ExpectOneCopy(int streams, const std::vector<size_t>& sizes) {
  uint64_t total = 0;
  for (size_t size : sizes) total += size + 1;  // and its one-byte ack
  total *= static_cast<uint64_t>(streams);
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    Counted counted;
    const sim::RunResult r = RunSeed(seed, streams, sizes, counted);
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << Describe(r);
    ASSERT_EQ(counted.received, total) << "seed " << seed;
    EXPECT_EQ(counted.copied, total)
        << "seed " << seed << ": receive copies of " << total << " message bytes";
  }
}

TEST(ReceiveCopiesSim, SingleFrameMessagesWithSplitReads) {
  ExpectOneCopy(1, {64, 1000, 8 * 1024, 64, 5});
}

TEST(ReceiveCopiesSim, MultiFrameMessagesWithSplitReads) {
  ExpectOneCopy(1, {40 * 1024, 8 * 1024 + 1, 100 * 1024});
}

TEST(ReceiveCopiesSim, InterleavedStreamsWithSplitReads) {
  ExpectOneCopy(3, {30 * 1024, 64, 70 * 1024, 17 * 1024});
}
#else
TEST(ReceiveCopiesSim, NeedsACheckedBuild) {
  GTEST_SKIP() << "copies are counted in checked builds";
}
#endif

}  // namespace
}  // namespace drpc::manager

// MuxWriter under threads (label tsan): writers of frames and batches race
// each other, a slow reader (so TryWrite comes up short and the writer task
// takes over mid-frame) and a stop (graceful or abortive) at a random
// moment. Whatever the interleaving: every frame on the wire is whole, each
// writer's frames are an in-order prefix of what it wrote (all of them
// after a graceful stop), every batch is contiguous, and a write that
// returned ok before a graceful stop is on the wire.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "drpc/manager/mux_writer.h"
#include "drpc/rt/os/socket_pair.h"
#include "drpc/wire/reader.h"

namespace drpc::manager {
namespace {

class TransportSource final : public wire::ByteSource {
 public:
  explicit TransportSource(rt::Transport& t) : t_(t) {}
  ReadResult Read(MutableBytes b) override {
    // A slow reader: small reads and a pause now and then, so the socket
    // fills and inline writers hand off to the task, often mid-frame.
    if (++reads_ % 32 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    ReadResult r = t_.Read(b.first(std::min<size_t>(b.size(), 512)));
    return {r.n, r.err};
  }

 private:
  rt::Transport& t_;
  uint64_t reads_ = 0;
};

constexpr int kWriters = 6;
constexpr int kBatchesEach = 400;
constexpr int kPerBatch = 3;

struct Round {
  bool graceful = false;
  int stop_after_us = 0;
  bool inline_writes = true;
};

void RunRound(const Round& round, uint64_t seed) {
  auto pair = rt::os::SocketPair();
  ASSERT_TRUE(pair.ok()) << pair.status();
  MuxWriter writer(
      *pair->a, [](Status) {},
      MuxWriterOptions{.high_water_bytes = 4096, .inline_writes = round.inline_writes});
  // Per writer: how many batches WriteFrames accepted (returned ok).
  std::vector<std::atomic<int>> accepted(kWriters + 1);
  std::vector<std::thread> threads;
  for (int w = 1; w <= kWriters; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937_64 rng(seed * 100 + static_cast<uint64_t>(w));
      for (int b = 0; b < kBatchesEach; ++b) {
        std::vector<std::string> data;
        std::vector<wire::Frame> frames;
        const int count = 1 + static_cast<int>(rng() % kPerBatch);
        for (int k = 0; k < kPerBatch; ++k) data.push_back(std::string(rng() % 700, 'a' + w));
        for (int k = 0; k < count; ++k) {
          frames.push_back(wire::Frame{.stream_id = static_cast<uint64_t>(w),
                                       .message_id = static_cast<uint64_t>(b + 1),
                                       .kind = static_cast<uint8_t>(k + 1),
                                       .done = k == count - 1,
                                       .control = rng() % 7 == 0,
                                       .data = AsBytes(data[static_cast<size_t>(k)])});
        }
        if (!writer.WriteFrames(frames, nullptr).ok()) return;  // stopped
        accepted[static_cast<size_t>(w)].store(b + 1);
      }
    });
  }
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::microseconds(round.stop_after_us));
    if (round.graceful) {
      writer.StopAfterFlush(ClosedError("graceful"));
    } else {
      writer.Stop(ClosedError("abort"));
    }
  });
  // The reader: every frame whole, each writer in order, batches contiguous
  // (a batch's frames have kinds 1..n with done on the last).
  std::map<uint64_t, uint64_t> last_batch;
  auto check_wire = [&] {
    TransportSource source(*pair->b);
    wire::FrameReader frames(source);
    uint64_t open_stream = 0;  // a batch in progress
    uint8_t next_kind = 1;
    for (int n = 0; n < kWriters * kBatchesEach * kPerBatch + 1; ++n) {
      Result<wire::Frame> f = frames.ReadFrame();
      if (!f.ok()) {
        EXPECT_TRUE(f.status().is(ErrorKind::kEof)) << "a torn frame: " << f.status();
        EXPECT_EQ(open_stream, 0u) << "the wire ended inside a batch";
        return;
      }
      if (open_stream == 0) {
        ASSERT_EQ(f->kind, 1) << "a batch starts with its first frame";
        ASSERT_EQ(f->message_id, last_batch[f->stream_id] + 1) << "writer " << f->stream_id;
        last_batch[f->stream_id] = f->message_id;
        open_stream = f->stream_id;
        next_kind = 1;
      }
      ASSERT_EQ(f->stream_id, open_stream) << "another writer's frame inside a batch";
      ASSERT_EQ(f->kind, next_kind++);
      for (uint8_t byte : f->data) ASSERT_EQ(byte, 'a' + f->stream_id);
      if (f->done) open_stream = 0;
    }
  };
  std::thread reader([&] {
    check_wire();
    // After a failed check, keep reading so the writer task can finish.
    std::vector<uint8_t> sink(4096);
    for (int i = 0; i < 1'000'000 && pair->b->Read(MutableBytes(sink)).err.ok(); ++i) {
    }
  });
  for (auto& t : threads) t.join();
  stopper.join();
  // The task exits once what it owes is written (the reader keeps reading).
  writer.Join();
  ASSERT_TRUE(pair->a->CloseWrite().ok());  // EOF for the reader after the last byte
  reader.join();
  if (round.graceful) {
    for (int w = 1; w <= kWriters; ++w) {
      EXPECT_EQ(static_cast<int>(last_batch[static_cast<uint64_t>(w)]),
                accepted[static_cast<size_t>(w)].load())
          << "writer " << w << ": a batch accepted before the graceful stop is missing";
    }
  }
}

TEST(MuxWriterStress, FramesStayWholeOrderedAndContiguousAcrossStops) {
  std::mt19937_64 rng(42);
  for (uint64_t seed = 1; seed <= 24; ++seed) {
    const Round round{.graceful = seed % 2 == 0,
                      .stop_after_us = static_cast<int>(rng() % 5000),
                      .inline_writes = seed % 3 != 0};
    RunRound(round, seed);
    if (::testing::Test::HasFatalFailure()) {
      ADD_FAILURE() << "round " << seed << " (graceful " << round.graceful << ", stop after "
                    << round.stop_after_us << " us, inline " << round.inline_writes << ")";
      return;
    }
  }
}

}  // namespace
}  // namespace drpc::manager

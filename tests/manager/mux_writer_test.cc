// MuxWriter on the OS backend (drpc-protocol.md §4.5; the Go mux_writer_test
// ideas plus the later era's back-pressure and our graceful flush). What
// must hold while a write waits (a stop that cannot end a transport write,
// a flush held at the gate, back-pressure and what releases it) is tested
// in the simulator, where "it waits" is exact: mux_writer_order_sim_test.cc.
#include "drpc/manager/mux_writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "drpc/manager/internal/transport_source.h"
#include "drpc/rt/os/socket_pair.h"
#include "drpc/wire/memory_io.h"
#include "drpc/wire/reader.h"
#include "tests/common/frame_copy.h"
#include "tests/manager/gated_transport.h"

namespace drpc::manager {
namespace {

using testing::GatedTransport;

using ::drpc::testing::FrameCopy;
using ::drpc::testing::ParseAll;

FrameCopy DataFrame(uint64_t sid, uint64_t mid, size_t size, char fill = 'x') {
  return FrameCopy{sid, mid, 2, true, false, std::string(size, fill)};
}

struct StoppedWriter {
  // Stops and joins, whatever the test did.
  static void Finish(MuxWriter& writer, rt::Transport& transport) {
    writer.Stop(ClosedError("test over"));
    (void)transport.Close();
    writer.Join();
  }
};

TEST(MuxWriter, RandomFramesArriveByteExact) {
  GatedTransport transport;
  MuxWriter writer(transport, [](Status) { ADD_FAILURE() << "no write error expected"; });
  std::mt19937_64 rng(7);
  std::vector<FrameCopy> sent;
  Buffer expected;
  for (int i = 0; i < 1000; ++i) {
    FrameCopy f{rng() % 1000,     rng() % 100000,   static_cast<uint8_t>(rng() % 64),
                (rng() & 1) != 0, (rng() & 1) != 0, std::string(rng() % 300, 'a' + i % 26)};
    ASSERT_TRUE(writer.WriteFrame(f.view(), nullptr).ok());
    wire::AppendFrame(expected, f.view());
    sent.push_back(f);
  }
  writer.StopAfterFlush(ClosedError("done"));
  writer.Join();
  Buffer got = transport.TakeWritten();
  ASSERT_EQ(ToString(got.view()), ToString(expected.view()));
  EXPECT_EQ(ParseAll(got.view()), sent);
  EXPECT_EQ(writer.stats().frames_queued, 1000u);
}

TEST(MuxWriter, WriteAfterStopReturnsTheStopError) {
  GatedTransport transport;
  MuxWriter writer(transport, [](Status) {});
  writer.Stop(ClosedError("first"));
  writer.Stop(ClosedError("second"));  // first stop wins
  Status s = writer.WriteFrame(DataFrame(1, 1, 3).view(), nullptr);
  EXPECT_EQ(s, ClosedError("first"));
  EXPECT_EQ(writer.stopped().err(), ClosedError("first"));
  FrameCopy control = DataFrame(1, 2, 0);
  control.control = true;
  EXPECT_EQ(writer.WriteFrame(control.view(), nullptr), ClosedError("first"));
  writer.Join();
  EXPECT_TRUE(writer.exited().is_set());
}

TEST(MuxWriter, ConcurrentWritersKeepTheirOrderAndNeverTear) {
  auto pair = rt::os::SocketPair();
  ASSERT_TRUE(pair.ok()) << pair.status();
  MuxWriter writer(
      *pair->a, [](Status s) { ADD_FAILURE() << s; }, MuxWriterOptions{.high_water_bytes = 2048});
  constexpr int kWriters = 10;
  constexpr int kFrames = 200;
  std::vector<std::thread> threads;
  for (int w = 1; w <= kWriters; ++w) {
    threads.emplace_back([&writer, w] {
      for (int i = 1; i <= kFrames; ++i) {
        FrameCopy f = DataFrame(w, i, (i * 37) % 700, static_cast<char>('a' + w));
        ASSERT_TRUE(writer.WriteFrame(f.view(), nullptr).ok());
      }
    });
  }
  // Read on this thread while the writers write (the socket buffer is small).
  TransportSource source(*pair->b);
  wire::FrameReader reader(source);
  std::map<uint64_t, uint64_t> next;  // per writer: the next message id expected
  for (int n = 0; n < kWriters * kFrames; ++n) {
    Result<wire::Frame> f = reader.ReadFrame();
    ASSERT_TRUE(f.ok()) << f.status();
    uint64_t& expect = next[f->stream_id];
    ASSERT_EQ(f->message_id, ++expect) << "writer " << f->stream_id << " out of order";
    ASSERT_EQ(f->data.size(), (f->message_id * 37) % 700);
    for (uint8_t byte : f->data) ASSERT_EQ(byte, 'a' + f->stream_id);
  }
  for (auto& t : threads) t.join();
  writer.Stop(ClosedError("done"));
  (void)pair->a->Close();
  writer.Join();
  EXPECT_GE(writer.stats().writes, 1u);
}

TEST(MuxWriter, WriteErrorCallsOnErrorOnceAndEndsTheTask) {
  GatedTransport transport;
  transport.FailWrites(ConnectionError("boom"));
  std::atomic<int> calls{0};
  Status seen;
  MuxWriter writer(transport, [&](Status s) {
    seen = s;
    calls.fetch_add(1);
  });
  EXPECT_TRUE(writer.WriteFrame(DataFrame(1, 1, 10).view(), nullptr).ok());
  writer.exited().wait("test: wait for the writer to exit");
  writer.Join();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(seen, ConnectionError("boom"));
  EXPECT_EQ(writer.WriteFrame(DataFrame(1, 2, 1).view(), nullptr), ConnectionError("boom"));
}

TEST(MuxWriter, OnErrorMayStopTheWriterWithoutDeadlock) {
  GatedTransport transport;
  transport.FailWrites(ConnectionError("boom"));
  MuxWriter* self = nullptr;
  MuxWriter writer(transport, [&](Status s) {
    self->Stop(s);
    self->StopAfterFlush(s);
  });
  self = &writer;
  EXPECT_TRUE(writer.WriteFrame(DataFrame(1, 1, 10).view(), nullptr).ok());
  writer.Join();
  EXPECT_EQ(writer.stopped().err(), ConnectionError("boom"));
}

TEST(MuxWriter, AbortiveStopDropsQueuedFrames) {
  GatedTransport transport;
  transport.SetOpen(false);
  MuxWriter writer(transport, [](Status) {});
  ASSERT_TRUE(writer.WriteFrame(DataFrame(1, 1, 10).view(), nullptr).ok());
  transport.WaitWritesStarted(1);  // frame 1 is in flight, at the gate
  ASSERT_TRUE(writer.WriteFrame(DataFrame(1, 2, 20).view(), nullptr).ok());
  writer.Stop(ClosedError("abort"));
  transport.SetOpen(true);
  writer.Join();
  std::vector<FrameCopy> got = ParseAll(transport.TakeWritten().view());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].message_id, 1u);
  EXPECT_GT(writer.stats().bytes_dropped, 20u);
}

// ---- inline writes: the caller writes when nobody else does ------------------

TEST(MuxWriter, AnIdleWriterIsWrittenByTheCallerBeforeItReturns) {
  GatedTransport transport;
  MuxWriter writer(transport, [](Status) { ADD_FAILURE() << "no write error expected"; });
  Buffer expected;
  for (int i = 1; i <= 3; ++i) {
    FrameCopy f = DataFrame(1, i, 10 * i);
    ASSERT_TRUE(writer.WriteFrame(f.view(), nullptr).ok());
    wire::AppendFrame(expected, f.view());
    // On the transport already: no hand-off to the task, no wait for it.
    transport.WaitBytesWritten(expected.size());
  }
  EXPECT_EQ(writer.stats().inline_writes, 3u);
  EXPECT_EQ(writer.stats().handoffs, 0u);
  EXPECT_EQ(transport.writes_started(), 0u) << "the writer task wrote nothing";
  writer.StopAfterFlush(ClosedError("done"));
  writer.Join();
  EXPECT_EQ(ToString(transport.TakeWritten().view()), ToString(expected.view()));
}

TEST(MuxWriter, APartialTryWriteLeavesTheRestOfTheFrameToTheTask) {
  GatedTransport transport;
  transport.SetTryWrites(true, /*limit=*/5);  // the socket takes 5 bytes, then is full
  MuxWriter writer(transport, [](Status) { ADD_FAILURE() << "no write error expected"; });
  const FrameCopy first = DataFrame(1, 1, 100, 'a');
  const FrameCopy second = DataFrame(1, 2, 50, 'b');
  ASSERT_TRUE(writer.WriteFrame(first.view(), nullptr).ok());
  ASSERT_TRUE(writer.WriteFrame(second.view(), nullptr).ok());
  writer.StopAfterFlush(ClosedError("done"));
  writer.Join();
  EXPECT_EQ(ParseAll(transport.TakeWritten().view()), (std::vector<FrameCopy>{first, second}));
  EXPECT_GE(writer.stats().handoffs, 1u);
  EXPECT_GE(transport.writes_done(), 1u) << "the task finished what TryWrite left";
}

// A peer that stopped reading: the caller's frame is accepted and the
// caller returns; only the writer task blocks in the transport. Later
// frames of every caller queue behind it in order; a control frame above
// the mark is accepted at once.
TEST(MuxWriter, ACallerFacingAStuckPeerNeverBlocksInTheTransport) {
  GatedTransport transport;
  transport.SetOpen(false);
  MuxWriter writer(
      transport, [](Status) {}, MuxWriterOptions{.high_water_bytes = 1000});
  std::vector<FrameCopy> sent;
  for (int i = 1; i <= 5; ++i) {
    sent.push_back(DataFrame(1 + i % 2, i, 100));
    ASSERT_TRUE(writer.WriteFrame(sent.back().view(), nullptr).ok());
  }
  transport.WaitWritesStarted(1);
  EXPECT_EQ(writer.stats().handoffs, 1u) << "the first frame went to the task";
  FrameCopy close_frame{1, 10, 5, true, false, ""};  // a stream's Close
  ASSERT_TRUE(writer.WriteFrame(close_frame.view(), nullptr).ok());
  sent.push_back(close_frame);
  transport.SetOpen(true);
  writer.StopAfterFlush(ClosedError("done"));
  writer.Join();
  EXPECT_EQ(ParseAll(transport.TakeWritten().view()), sent);
}

// An abortive stop drops what is queued but finishes the frame whose first
// bytes an inline TryWrite already put on the wire: no torn frame.
TEST(MuxWriter, AbortiveStopFinishesAPartlyWrittenFrame) {
  GatedTransport transport;
  transport.SetOpen(false);
  transport.SetTryWrites(true, SIZE_MAX, /*limit_while_shut=*/7);
  MuxWriter writer(transport, [](Status) {});
  const FrameCopy first = DataFrame(1, 1, 100, 'a');
  ASSERT_TRUE(writer.WriteFrame(first.view(), nullptr).ok());
  transport.WaitWritesStarted(1);  // the task holds the rest at the gate
  ASSERT_TRUE(writer.WriteFrame(DataFrame(1, 2, 20).view(), nullptr).ok());
  writer.Stop(ClosedError("abort"));
  transport.SetOpen(true);
  writer.Join();
  EXPECT_EQ(ParseAll(transport.TakeWritten().view()), (std::vector<FrameCopy>{first}));
  EXPECT_GT(writer.stats().bytes_dropped, 20u);
}

// The same when the abort comes while the caller is inside its TryWrite:
// the caller hands the rest to the task instead of dropping it.
TEST(MuxWriter, AnAbortDuringAPartialInlineWriteStillFinishesTheFrame) {
  GatedTransport transport;
  transport.SetTryWrites(true, /*limit=*/7);
  MuxWriter writer(transport, [](Status) {});
  transport.AfterNextTryWrite([&] { writer.Stop(ClosedError("abort")); });
  const FrameCopy first = DataFrame(1, 1, 100, 'a');
  ASSERT_TRUE(writer.WriteFrame(first.view(), nullptr).ok());
  writer.Join();
  EXPECT_EQ(ParseAll(transport.TakeWritten().view()), (std::vector<FrameCopy>{first}));
  EXPECT_EQ(writer.stats().handoffs, 1u);
}

TEST(MuxWriter, WithoutInlineWritesOnlyTheTaskWrites) {
  GatedTransport transport;
  MuxWriter writer(
      transport, [](Status) {}, MuxWriterOptions{.inline_writes = false});
  for (int i = 1; i <= 20; ++i)
    ASSERT_TRUE(writer.WriteFrame(DataFrame(1, i, 9).view(), nullptr).ok());
  writer.StopAfterFlush(ClosedError("done"));
  writer.Join();
  EXPECT_EQ(transport.try_writes(), 0u);
  EXPECT_EQ(writer.stats().inline_writes, 0u);
  EXPECT_EQ(ParseAll(transport.TakeWritten().view()).size(), 20u);
}

// A burst frame (QueueFrame) goes to the task even on an idle writer, and
// an inline write that follows it waits its turn behind it (order holds).
TEST(MuxWriter, QueuedFramesAreWrittenByTheTaskInOrder) {
  GatedTransport transport;
  MuxWriter writer(transport, [](Status) { ADD_FAILURE() << "no write error expected"; });
  std::vector<FrameCopy> sent;
  for (int i = 1; i <= 20; ++i) {
    sent.push_back(DataFrame(1, i, i));
    ASSERT_TRUE((i % 5 == 0 ? writer.WriteFrame(sent.back().view(), nullptr)
                            : writer.QueueFrame(sent.back().view(), nullptr))
                    .ok());
  }
  writer.StopAfterFlush(ClosedError("done"));
  writer.Join();
  EXPECT_EQ(ParseAll(transport.TakeWritten().view()), sent);
  EXPECT_EQ(writer.stats().burst_frames, 16u);
  EXPECT_GE(transport.writes_done(), 1u) << "the task wrote the queued frames";
  EXPECT_EQ(writer.stats().writes, writer.stats().inline_writes + transport.writes_done());
}

TEST(MuxWriter, AQueuedFrameOnAnIdleWriterIsNeverWrittenInline) {
  GatedTransport transport;
  MuxWriter writer(transport, [](Status) { ADD_FAILURE() << "no write error expected"; });
  const FrameCopy f = DataFrame(1, 1, 10);
  ASSERT_TRUE(writer.QueueFrame(f.view(), nullptr).ok());
  writer.StopAfterFlush(ClosedError("done"));
  writer.Join();
  EXPECT_EQ(writer.stats().inline_writes, 0u);
  EXPECT_EQ(transport.try_writes(), 0u);
  EXPECT_EQ(ParseAll(transport.TakeWritten().view()), (std::vector<FrameCopy>{f}));
}

TEST(MuxWriter, ATransportWithoutTryWriteIsWrittenByTheTask) {
  GatedTransport transport;
  transport.SetTryWrites(false);
  MuxWriter writer(transport, [](Status) { ADD_FAILURE() << "no write error expected"; });
  std::vector<FrameCopy> sent;
  for (int i = 1; i <= 20; ++i) {
    sent.push_back(DataFrame(1, i, i));
    ASSERT_TRUE(writer.WriteFrame(sent.back().view(), nullptr).ok());
  }
  writer.StopAfterFlush(ClosedError("done"));
  writer.Join();
  EXPECT_EQ(ParseAll(transport.TakeWritten().view()), sent);
  EXPECT_GE(transport.writes_done(), 1u);
  EXPECT_EQ(writer.stats().handoffs, writer.stats().inline_writes);
}

// ---- batches -----------------------------------------------------------------

// Writers of batches on many threads: every batch is contiguous on the wire
// (no other stream's frame inside it) and each writer's frames keep their
// order, with and without inline writes, above and below the mark.
class Batches : public ::testing::TestWithParam<bool> {};

TEST_P(Batches, AreContiguousOnTheWireAmongConcurrentWriters) {
  auto pair = rt::os::SocketPair();
  ASSERT_TRUE(pair.ok()) << pair.status();
  MuxWriter writer(
      *pair->a, [](Status s) { ADD_FAILURE() << s; },
      MuxWriterOptions{.high_water_bytes = 512, .inline_writes = GetParam()});
  constexpr int kWriters = 8;
  constexpr int kBatches = 300;
  constexpr int kPerBatch = 3;
  std::vector<std::thread> threads;
  for (int w = 1; w <= kWriters; ++w) {
    threads.emplace_back([&writer, w] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<FrameCopy> owned;
        for (int k = 0; k < kPerBatch; ++k) {
          const uint64_t mid = static_cast<uint64_t>(b * kPerBatch + k + 1);
          owned.push_back(DataFrame(w, mid, (mid * 29) % 300, static_cast<char>('a' + w)));
          owned.back().control = b % 5 == 0;  // some batches are all control frames
        }
        std::vector<wire::Frame> views;
        for (const FrameCopy& f : owned) views.push_back(f.view());
        ASSERT_TRUE(writer.WriteFrames(views, nullptr).ok());
      }
    });
  }
  TransportSource source(*pair->b);
  wire::FrameReader reader(source);
  std::map<uint64_t, uint64_t> last;  // per writer: the last message id seen
  uint64_t previous_stream = 0;
  for (int n = 0; n < kWriters * kBatches * kPerBatch; ++n) {
    Result<wire::Frame> f = reader.ReadFrame();
    ASSERT_TRUE(f.ok()) << f.status();
    ASSERT_EQ(f->message_id, ++last[f->stream_id]) << "writer " << f->stream_id << " out of order";
    if ((f->message_id - 1) % kPerBatch != 0) {
      ASSERT_EQ(f->stream_id, previous_stream)
          << "frame " << f->message_id << " of writer " << f->stream_id
          << " is not next to the rest of its batch";
    }
    previous_stream = f->stream_id;
    for (uint8_t byte : f->data) ASSERT_EQ(byte, 'a' + f->stream_id);
  }
  for (auto& t : threads) t.join();
  writer.Stop(ClosedError("done"));
  (void)pair->a->Close();
  writer.Join();
}

INSTANTIATE_TEST_SUITE_P(InlineWrites, Batches, ::testing::Bool());

TEST(MuxWriter, ACanceledBatchQueuesNothing) {
  GatedTransport transport;
  transport.SetOpen(false);
  MuxWriter writer(
      transport, [](Status) {}, MuxWriterOptions{.high_water_bytes = 100});
  ASSERT_TRUE(writer.WriteFrame(DataFrame(1, 1, 10).view(), nullptr).ok());
  transport.WaitWritesStarted(1);
  ASSERT_TRUE(writer.WriteFrame(DataFrame(1, 2, 150).view(), nullptr).ok());  // above the mark
  const size_t queued = writer.queued_bytes();
  rt::Signal cancel("test.cancel");
  cancel.set(CanceledError());
  FrameCopy control = DataFrame(2, 2, 3);
  control.control = true;
  const std::vector<wire::Frame> batch = {DataFrame(2, 1, 3).view(), control.view()};
  EXPECT_EQ(writer.WriteFrames(batch, &cancel), CanceledError())
      << "a batch with a data frame waits for back-pressure as one";
  EXPECT_EQ(writer.queued_bytes(), queued);
  StoppedWriter::Finish(writer, transport);
}

TEST(MuxWriter, UnboundedWhenTheMarkIsZero) {
  GatedTransport transport;
  transport.SetOpen(false);
  MuxWriter writer(
      transport, [](Status) {}, MuxWriterOptions{.high_water_bytes = 0});
  for (int i = 1; i <= 100; ++i) {
    ASSERT_TRUE(writer.WriteFrame(DataFrame(1, i, 1000).view(), nullptr).ok());
  }
  EXPECT_EQ(writer.stats().data_waits, 0u);
  StoppedWriter::Finish(writer, transport);
}

}  // namespace
}  // namespace drpc::manager

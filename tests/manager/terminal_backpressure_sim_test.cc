// A terminal frame waiting on the writer's back-pressure must not hold the
// stream's transition lock (mu): the connection's reader (a remote terminal
// packet) and the deadline watcher (Cancel) take that lock, and a reader
// stuck behind our writer stops reading while our writer waits for the peer
// to read, which two peers can do to each other for good. The simulator's
// PCT strategy found that deadlock in manager.fixed (fixed in 85c6f8e).
//
// Here the scene is set up exactly, on the simulator: a CloseSend whose
// frame waits for a writer that cannot drain (a gated transport), then the
// reader's remote CloseSend or a Cancel, which must return before the gate
// opens. With the plant stream.terminal-holds-mu (mu kept while the frame
// waits) every task ends up parked, and the simulator reports the deadlock.
// The same holds for a SendCancel and for a Close of another task meanwhile
// (neither may wait for write holding mu: the deadlock layers.stalled-close
// found; the plant stream.abort-waits-for-write brings it back).
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drpc/base/check.h"
#include "drpc/base/plant.h"
#include "drpc/manager/mux_writer.h"
#include "drpc/rt/rt.h"
#include "drpc/stream/buffer_pool.h"
#include "drpc/stream/stream.h"
#include "drpc/wire/frame.h"
#include "drpc/wire/kind.h"
#include "sim/sched/random_source.h"
#include "sim/sched/run.h"
#include "sim/testing/run_checks.h"
#include "tests/common/sim_seeds.h"
#include "tests/manager/gated_transport.h"

namespace drpc::manager {
namespace {

using ::drpc::testing::UntilEveryOtherTaskParks;
using sim::testing::Describe;
using stream::Stream;
using testing::GatedTransport;

constexpr uint64_t kSeeds = 50;

// What the test does while CloseSend's frame waits for a drain; it runs on
// the main task, before the gate opens.
using Meanwhile = std::function<void(Stream&)>;

// Runs the scene with `seed` and `plants`: a writer with one frame stuck at
// the gate and one over the mark, a stream whose CloseSend then waits for a
// drain, and `meanwhile`; then the gate opens and everything winds down.
// `kinds` (may be null) gets the kinds of stream 7's frames as the transport
// took them, in order; `after_gate` (may be empty) runs once the gate opened.
sim::RunResult RunScene(uint64_t seed, plant::Set plants, const Meanwhile& meanwhile,
                        std::vector<uint8_t>* kinds = nullptr,
                        const std::function<void()>& after_gate = {}) {
  sim::RandomSource decisions(seed);
  sim::RunOptions options;
  options.max_steps = 100'000;
  options.plants = plants;
  return sim::Run(decisions, options, [&] {
    GatedTransport transport;
    transport.SetOpen(false);
    MuxWriter writer(
        transport, [](Status) {}, MuxWriterOptions{.high_water_bytes = 100});
    const std::string filler(150, 'x');
    const wire::Frame first{.stream_id = 1, .message_id = 1, .kind = 2, .done = true, .data = {}};
    ASSERT_TRUE(writer.WriteFrame(first, nullptr).ok());
    transport.WaitWritesStarted(1);
    const wire::Frame second{
        .stream_id = 1, .message_id = 2, .kind = 2, .done = true, .data = AsBytes(filler)};
    ASSERT_TRUE(writer.WriteFrame(second, nullptr).ok());
    auto stream =
        std::make_shared<Stream>(stream::StreamConfig{.id = 7,
                                                      .role = stream::Role::kClient,
                                                      .pool = stream::BufferPool::Create({}),
                                                      .sink = writer});
    Status close_send = InternalError("not returned");
    rt::Task closer = rt::spawn("closer", [&] { close_send = stream->CloseSend(); });
    UntilEveryOtherTaskParks();  // CloseSend is parked by now
    EXPECT_EQ(writer.stats().data_waits, 1u) << "CloseSend's frame waits for a drain";
    EXPECT_EQ(close_send, InternalError("not returned"));
    meanwhile(*stream);
    transport.SetOpen(true);
    closer.join();
    if (after_gate) after_gate();
    EXPECT_TRUE(close_send.ok()) << close_send;
    writer.StopAfterFlush(ClosedError("test over"));
    writer.Join();
    if (kinds == nullptr) return;
    const Buffer written = transport.TakeWritten();
    Bytes rest = written.view();
    while (!rest.empty()) {
      const wire::FrameParse parsed = wire::ParseFrame(rest);
      ASSERT_EQ(parsed.status, wire::ParseStatus::kOk) << "the writer wrote a torn frame";
      if (parsed.frame.stream_id == 7) kinds->push_back(parsed.frame.kind);
      rest = rest.subspan(parsed.consumed);
    }
  });
}

// The reader's remote CloseSend, on its own task; the main task waits for it.
void RemoteCloseSend(Stream& stream) {
  Status handled = InternalError("not returned");
  const wire::Frame remote_close_send{.stream_id = 7,
                                      .message_id = 1,
                                      .kind = wire::ToRaw(wire::Kind::kCloseSend),
                                      .done = true,
                                      .data = {}};
  rt::Task reader = rt::spawn("reader", [&] { handled = stream.HandleFrame(remote_close_send); });
  reader.join();
  EXPECT_TRUE(handled.ok()) << handled;
}

// The deadline watcher's Cancel, on its own task; the main task waits for it.
void DeadlineCancel(Stream& stream) {
  bool already_finished = true;
  rt::Task canceler =
      rt::spawn("canceler", [&] { already_finished = stream.Cancel(DeadlineExceededError()); });
  canceler.join();
  EXPECT_FALSE(already_finished);
}

// The deadline watcher's (or a cancel token's) SendCancel, on its own task;
// the main task waits for it.
void SendCancelMeanwhile(Stream& stream) {
  Status sent = InternalError("not returned");
  rt::Task canceler =
      rt::spawn("canceler", [&] { sent = stream.SendCancel(DeadlineExceededError()); });
  canceler.join();
  EXPECT_TRUE(sent.ok()) << sent;
}

TEST(TerminalBackPressureSim, TheReaderHandlesARemoteTerminalMeanwhile) {
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    const sim::RunResult r = RunScene(seed, {}, [&](Stream& s) {
      RemoteCloseSend(s);
      // Both sides closed: term is set, fin waits for CloseSend to let go.
      EXPECT_TRUE(s.DebugState().term);
      EXPECT_FALSE(s.DebugState().fin);
      EXPECT_EQ(s.termination_error(), DrpcError("both closed"));
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << Describe(r);
  }
}

TEST(TerminalBackPressureSim, CancelReturnsMeanwhile) {
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    const sim::RunResult r = RunScene(seed, {}, [](Stream& s) {
      DeadlineCancel(s);
      EXPECT_EQ(s.termination_error(), DeadlineExceededError());
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << Describe(r);
  }
}

// An abortive call never waits for write (docs/stream.md, "The
// terminal-call protocol"): SendCancel terminates the stream at once while
// CloseSend's frame waits, the reader then handles the peer's CloseSend
// (the deadlock layers.stalled-close found had the reader wait for mu
// here), and the Cancel frame goes out after the CloseSend's, sent by the
// CloseSend's task as it lets go of write.
TEST(TerminalBackPressureSim, SendCancelReturnsMeanwhileAndItsFrameFollowsTheCloseSend) {
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    std::vector<uint8_t> kinds;
    const sim::RunResult r = RunScene(
        seed, {},
        [](Stream& s) {
          SendCancelMeanwhile(s);
          EXPECT_EQ(s.termination_error(), DeadlineExceededError());
          EXPECT_FALSE(s.DebugState().fin) << "fin waits for the owed Cancel frame";
          RemoteCloseSend(s);
        },
        &kinds);
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << Describe(r);
    EXPECT_EQ(kinds, (std::vector<uint8_t>{wire::ToRaw(wire::Kind::kCloseSend),
                                           wire::ToRaw(wire::Kind::kCancel)}))
        << "seed " << seed;
  }
}

// An ordered terminal call of another task waits for write without mu: a
// Close parked behind the CloseSend's frame does not stop the reader, and
// once it gets write it finds the stream terminated (a no-op).
TEST(TerminalBackPressureSim, ACloseWaitingForWriteLeavesMuToTheReader) {
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    std::vector<uint8_t> kinds;
    Status closed = InternalError("not returned");
    std::optional<rt::Task> other_closer;
    const sim::RunResult r = RunScene(
        seed, {},
        [&](Stream& s) {
          other_closer = rt::spawn("other_closer", [&] { closed = s.Close(); });
          UntilEveryOtherTaskParks();  // Close waits for write
          EXPECT_EQ(closed, InternalError("not returned"));
          RemoteCloseSend(s);
          EXPECT_EQ(s.termination_error(), DrpcError("both closed"));
        },
        &kinds,
        [&] {
          other_closer->join();
          EXPECT_TRUE(closed.ok()) << closed;
        });
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << Describe(r);
    EXPECT_EQ(kinds, std::vector<uint8_t>{wire::ToRaw(wire::Kind::kCloseSend)})
        << "seed " << seed << ": Close found the stream terminated";
  }
}

// The plant stream.abort-waits-for-write puts back the wait under mu: the
// canceler parks on write holding mu, and every task ends up parked.
TEST(TerminalBackPressureSim, ThePlantedAbortWaitIsReported) {
  if (!DRPC_CHECKED) GTEST_SKIP() << "plants exist only in checked builds";
  const plant::Set plants{plant::Site::kStreamAbortWaitsForWrite};
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    const sim::RunResult r = RunScene(seed, plants, SendCancelMeanwhile);
    ASSERT_EQ(r.outcome, sim::Outcome::kDeadlock) << "seed " << seed << ": " << Describe(r);
    EXPECT_NE(r.report.find("canceler"), std::string::npos) << r.report;
    EXPECT_NE(r.report.find("mux_writer: data frame waits for a drain"), std::string::npos)
        << r.report;
  }
}

// The plant stream.terminal-holds-mu brings back the bug of 85c6f8e: both
// scenes deadlock on every seed, and the report names the task holding mu
// and the drain it waits for.
TEST(TerminalBackPressureSim, ThePlantedDeadlockIsReported) {
  if (!DRPC_CHECKED) GTEST_SKIP() << "plants exist only in checked builds";
  const plant::Set plants{plant::Site::kStreamTerminalHoldsMu};
  for (const Meanwhile& meanwhile : {Meanwhile(RemoteCloseSend), Meanwhile(DeadlineCancel)}) {
    for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
      const sim::RunResult r = RunScene(seed, plants, meanwhile);
      ASSERT_EQ(r.outcome, sim::Outcome::kDeadlock) << "seed " << seed << ": " << Describe(r);
      EXPECT_NE(r.report.find("mutex \"stream.mu\""), std::string::npos) << r.report;
      EXPECT_NE(r.report.find("held by #"), std::string::npos) << r.report;
      EXPECT_NE(r.report.find("closer"), std::string::npos) << r.report;
      EXPECT_NE(r.report.find("mux_writer: data frame waits for a drain"), std::string::npos)
          << r.report;
    }
  }
}

}  // namespace
}  // namespace drpc::manager

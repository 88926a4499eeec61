// A terminal frame waiting on the writer's back-pressure must not hold the
// stream's transition lock: the connection's reader (a remote terminal
// packet) and the deadline watcher (Cancel) take that lock, and a reader
// stuck behind our writer stops reading while our writer waits for the peer
// to read, which two peers can do to each other for good. The simulator's
// PCT strategy found that deadlock (manager.fixed, corpus/manager); this is
// its deterministic regression over a gated transport: once CloseSend's
// frame waits for a drain (every other task parked), the reader's or the
// watcher's call must return before the gate opens.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "drpc/manager/mux_writer.h"
#include "drpc/rt/rt.h"
#include "drpc/stream/buffer_pool.h"
#include "drpc/stream/stream.h"
#include "drpc/wire/kind.h"
#include "tests/common/sim_seeds.h"
#include "tests/manager/gated_transport.h"

namespace drpc::manager {
namespace {

using ::drpc::testing::ForEachSeed;
using ::drpc::testing::UntilEveryOtherTaskParks;
using stream::Stream;
using testing::GatedTransport;

constexpr uint64_t kSeeds = 50;

// Runs `meanwhile` on its own task while stream 7's CloseSend waits for a
// drain; `meanwhile` must have returned by the time every task is parked
// again (the gate still shut). Then the gate opens and `check` runs.
void WhileCloseSendWaits(sim::FunctionRef<void(Stream&)> meanwhile,
                         sim::FunctionRef<void(Stream&, const Status& close_send)> check) {
  ForEachSeed(kSeeds, [&](uint64_t) {
    GatedTransport transport;
    transport.SetOpen(false);
    MuxWriter writer(
        transport, [](Status) {}, MuxWriterOptions{.high_water_bytes = 100});
    // One frame stuck at the gate, one above the mark: the next data (or
    // terminal) frame waits for a drain.
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
    rt::Task closing = rt::spawn("closing", [&] { close_send = stream->CloseSend(); });
    UntilEveryOtherTaskParks();
    EXPECT_EQ(writer.stats().data_waits, 1u) << "CloseSend's frame waits for a drain";
    EXPECT_EQ(close_send, InternalError("not returned"));

    bool returned = false;
    rt::Task other = rt::spawn("meanwhile", [&] {
      meanwhile(*stream);
      returned = true;
    });
    UntilEveryOtherTaskParks();
    EXPECT_TRUE(returned) << "it waited for the writer's drain";
    transport.SetOpen(true);  // lets everything go, whatever happened
    other.join();
    closing.join();
    check(*stream, close_send);
    writer.StopAfterFlush(ClosedError("test over"));
    writer.Join();
  });
}

TEST(TerminalBackPressure, TheReaderHandlesARemoteTerminalMeanwhile) {
  Status handled = InternalError("not returned");
  WhileCloseSendWaits(
      [&](Stream& stream) {
        const wire::Frame remote_close_send{.stream_id = 7,
                                            .message_id = 1,
                                            .kind = wire::ToRaw(wire::Kind::kCloseSend),
                                            .done = true,
                                            .data = {}};
        handled = stream.HandleFrame(remote_close_send);
      },
      [&](Stream& stream, const Status& close_send) {
        EXPECT_TRUE(handled.ok()) << handled;
        EXPECT_TRUE(close_send.ok()) << close_send;
        // Both sides closed: the stream finished once CloseSend let go.
        EXPECT_TRUE(stream.finished().is_set());
        EXPECT_EQ(stream.termination_error(), DrpcError("both closed"));
      });
}

TEST(TerminalBackPressure, CancelReturnsMeanwhile) {
  WhileCloseSendWaits([](Stream& stream) { EXPECT_FALSE(stream.Cancel(DeadlineExceededError())); },
                      [](Stream& stream, const Status&) {
                        EXPECT_TRUE(stream.finished().is_set());
                        EXPECT_EQ(stream.termination_error(), DeadlineExceededError());
                      });
}

}  // namespace
}  // namespace drpc::manager

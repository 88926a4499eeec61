// MuxWriter in the simulator, for what must (or must not) happen while a
// write waits: the writer task held in a transport write, a graceful stop
// that cannot flush yet, a data frame held by back-pressure. Each test
// waits until every other task is parked, so "still waiting" is exact, not
// a guess after a sleep; where a stop or cancel may come before or after
// the frame starts waiting, a sweep of seeds runs both orders and checks
// that both were run.
#include <gtest/gtest.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "drpc/manager/mux_writer.h"
#include "drpc/rt/rt.h"
#include "drpc/wire/frame.h"
#include "tests/common/frame_copy.h"
#include "tests/common/sim_seeds.h"
#include "tests/manager/gated_transport.h"

namespace drpc::manager {
namespace {

using ::drpc::testing::ForEachSeed;
using ::drpc::testing::FrameCopy;
using ::drpc::testing::ParseAll;
using ::drpc::testing::UntilEveryOtherTaskParks;
using testing::GatedTransport;

constexpr uint64_t kSeeds = 50;

FrameCopy DataFrame(uint64_t sid, uint64_t mid, size_t size, char fill = 'x') {
  return FrameCopy{sid, mid, 2, true, false, std::string(size, fill)};
}

TEST(MuxWriter, ABlockedTransportWriteIsReleasedByClose) {
  ForEachSeed(kSeeds, [](uint64_t) {
    GatedTransport transport;
    transport.SetOpen(false);
    int errors = 0;
    MuxWriter writer(transport, [&](Status) { ++errors; });
    ASSERT_TRUE(writer.WriteFrame(DataFrame(1, 1, 10).view(), nullptr).ok());
    transport.WaitWritesStarted(1);
    writer.Stop(ClosedError("closing"));
    UntilEveryOtherTaskParks();
    EXPECT_FALSE(writer.exited().is_set()) << "a stop does not end a transport write";
    (void)transport.Close();
    writer.Join();
    EXPECT_EQ(errors, 0) << "an error after a stop is not reported again";
  });
}

TEST(MuxWriter, GracefulStopFlushesQueuedFramesAndRefusesNewOnes) {
  ForEachSeed(kSeeds, [](uint64_t) {
    GatedTransport transport;
    transport.SetOpen(false);
    MuxWriter writer(transport, [](Status) {});
    ASSERT_TRUE(writer.WriteFrame(DataFrame(1, 1, 10).view(), nullptr).ok());
    transport.WaitWritesStarted(1);
    const FrameCopy close_frame{1, 2, 5, true, false, ""};  // a terminal Close queued before
    ASSERT_TRUE(writer.WriteFrame(close_frame.view(), nullptr).ok());
    writer.StopAfterFlush(ClosedError("closing"));
    EXPECT_EQ(writer.WriteFrame(DataFrame(1, 3, 1).view(), nullptr), ClosedError("closing"));
    UntilEveryOtherTaskParks();
    EXPECT_FALSE(writer.exited().is_set()) << "a graceful stop waits for the queued frames";
    transport.SetOpen(true);
    writer.Join();
    std::vector<FrameCopy> got = ParseAll(transport.TakeWritten().view());
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[1], close_frame);
    EXPECT_EQ(writer.stats().bytes_dropped, 0u);
  });
}

TEST(MuxWriter, FlushThatCannotFinishEndsWhenTheTransportCloses) {
  ForEachSeed(kSeeds, [](uint64_t) {
    GatedTransport transport;
    transport.SetOpen(false);
    MuxWriter writer(transport, [](Status) {});
    ASSERT_TRUE(writer.WriteFrame(DataFrame(1, 1, 10).view(), nullptr).ok());
    transport.WaitWritesStarted(1);
    ASSERT_TRUE(writer.WriteFrame(DataFrame(1, 2, 10).view(), nullptr).ok());
    writer.StopAfterFlush(ClosedError("closing"));
    UntilEveryOtherTaskParks();
    EXPECT_FALSE(writer.exited().is_set()) << "the flush waits at the gate";
    writer.Stop(ClosedError("flush deadline"));  // escalate: drop the rest
    (void)transport.Close();
    writer.Join();
    EXPECT_EQ(writer.stopped().err(), ClosedError("closing"));
  });
}

// ---- back-pressure ---------------------------------------------------------------

// Above the mark a data frame waits; a control frame does not; a drain,
// the frame's cancel signal or a stop releases the waiter. `body` runs with
// a writer whose frame 1 is stuck at the gate and whose queue (frame 2) is
// above the mark; the writer is stopped and joined after it.
void AboveTheMark(uint64_t seeds, FunctionRef<void(GatedTransport&, MuxWriter&)> body) {
  ForEachSeed(seeds, [&](uint64_t) {
    GatedTransport transport;
    transport.SetOpen(false);
    MuxWriter writer(
        transport, [](Status) {}, MuxWriterOptions{.high_water_bytes = 100});
    ASSERT_TRUE(writer.WriteFrame(DataFrame(1, 1, 10).view(), nullptr).ok());
    transport.WaitWritesStarted(1);
    ASSERT_TRUE(writer.WriteFrame(DataFrame(1, 2, 150).view(), nullptr).ok());
    ASSERT_GE(writer.queued_bytes(), 100u);
    body(transport, writer);
    writer.Stop(ClosedError("test over"));
    (void)transport.Close();
    writer.Join();
  });
}

// A data frame written on its own task; `finished` once WriteFrame returned.
struct PendingWrite {
  PendingWrite(MuxWriter& writer, rt::Signal* cancel)
      : task(rt::spawn("data writer", [this, &writer, cancel] {
          status = writer.WriteFrame(DataFrame(2, 1, 5).view(), cancel);
          finished = true;
        })) {}
  Status status = InternalError("not returned");
  bool finished = false;
  rt::Task task;
};

TEST(BackPressure, ControlFramesPassAboveTheMark) {
  AboveTheMark(1, [](GatedTransport&, MuxWriter& writer) {
    const FrameCopy cancel{3, 1, 4, true, true, ""};
    EXPECT_TRUE(writer.WriteFrame(cancel.view(), nullptr).ok());
    EXPECT_EQ(writer.stats().control_over_mark, 1u);
  });
}

TEST(BackPressure, AlreadyCanceledFrameReturnsAtOnce) {
  AboveTheMark(1, [](GatedTransport&, MuxWriter& writer) {
    rt::Signal cancel("test.cancel");
    cancel.set(DeadlineExceededError());
    EXPECT_EQ(writer.WriteFrame(DataFrame(2, 1, 5).view(), &cancel), DeadlineExceededError());
    EXPECT_EQ(writer.stats().data_waits, 0u);
  });
}

TEST(BackPressure, DataFrameWaitsUntilADrain) {
  AboveTheMark(kSeeds, [](GatedTransport& transport, MuxWriter& writer) {
    PendingWrite write(writer, nullptr);
    UntilEveryOtherTaskParks();
    EXPECT_FALSE(write.finished) << "a data frame above the mark must wait";
    EXPECT_EQ(writer.stats().data_waits, 1u);
    transport.SetOpen(true);  // the writer finishes frame 1 and swaps frame 2 out
    write.task.join();
    EXPECT_TRUE(write.status.ok()) << write.status;
  });
}

TEST(BackPressure, CancelSignalReleasesAWaitingDataFrame) {
  AboveTheMark(kSeeds, [](GatedTransport&, MuxWriter& writer) {
    rt::Signal cancel("test.cancel");
    PendingWrite write(writer, &cancel);
    UntilEveryOtherTaskParks();
    ASSERT_FALSE(write.finished);
    ASSERT_EQ(writer.stats().data_waits, 1u);
    cancel.set(CanceledError());
    write.task.join();
    EXPECT_EQ(write.status, CanceledError());
    EXPECT_EQ(writer.queued_bytes(), wire::EncodedFrameSize(DataFrame(1, 2, 150).view()))
        << "the canceled frame must not be queued";
  });
}

TEST(BackPressure, StopReleasesAWaitingDataFrame) {
  AboveTheMark(kSeeds, [](GatedTransport&, MuxWriter& writer) {
    PendingWrite write(writer, nullptr);
    UntilEveryOtherTaskParks();
    ASSERT_FALSE(write.finished);
    ASSERT_EQ(writer.stats().data_waits, 1u);
    writer.Stop(ClosedError("stopped"));
    write.task.join();
    EXPECT_EQ(write.status, ClosedError("stopped"));
  });
}

// Unordered: the cancel (or the stop) comes before the frame is written,
// or while it waits. Either way the frame is refused with that error and
// never queued; the sweep must run both orders (data_waits tells them
// apart: 1 if the frame waited).
TEST(BackPressure, CancelRacingADataFrameRefusesItEitherWay) {
  int waited = 0;
  int refused_at_once = 0;
  AboveTheMark(200, [&](GatedTransport&, MuxWriter& writer) {
    const size_t queued = writer.queued_bytes();
    rt::Signal cancel("test.cancel");
    PendingWrite write(writer, &cancel);
    cancel.set(CanceledError());
    write.task.join();
    EXPECT_EQ(write.status, CanceledError());
    EXPECT_EQ(writer.queued_bytes(), queued) << "the canceled frame must not be queued";
    (writer.stats().data_waits == 1 ? waited : refused_at_once)++;
  });
  EXPECT_GT(waited, 0);
  EXPECT_GT(refused_at_once, 0);
  std::cout << "waited: " << waited << ", refused at once: " << refused_at_once << "\n";
}

TEST(BackPressure, StopRacingADataFrameRefusesItEitherWay) {
  int waited = 0;
  int refused_at_once = 0;
  AboveTheMark(200, [&](GatedTransport&, MuxWriter& writer) {
    PendingWrite write(writer, nullptr);
    writer.Stop(ClosedError("stopped"));
    write.task.join();
    EXPECT_EQ(write.status, ClosedError("stopped"));
    (writer.stats().data_waits == 1 ? waited : refused_at_once)++;
  });
  EXPECT_GT(waited, 0);
  EXPECT_GT(refused_at_once, 0);
  std::cout << "waited: " << waited << ", refused at once: " << refused_at_once << "\n";
}

}  // namespace
}  // namespace drpc::manager

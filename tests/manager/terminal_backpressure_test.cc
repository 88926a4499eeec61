// A terminal frame waiting on the writer's back-pressure must not hold the
// stream's transition lock: the connection's reader (a remote terminal
// packet) and the deadline watcher (Cancel) take that lock, and a reader
// stuck behind our writer stops reading while our writer waits for the peer
// to read, which two peers can do to each other for good. The simulator's
// PCT strategy found that deadlock (manager.fixed, corpus/manager); this is
// its deterministic regression over a gated transport.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include "drpc/manager/mux_writer.h"
#include "drpc/stream/buffer_pool.h"
#include "drpc/stream/stream.h"
#include "drpc/wire/kind.h"
#include "tests/manager/gated_transport.h"

namespace drpc::manager {
namespace {

using namespace std::chrono_literals;
using stream::Stream;
using testing::GatedTransport;

// Runs `fn` on a thread; true if it returned within `limit`. The thread is
// joined either way (a test that fails here still ends once the gate opens).
class Timed {
 public:
  explicit Timed(std::function<void()> fn) : done_(promise_.get_future()) {
    thread_ = std::thread([this, fn = std::move(fn)] {
      fn();
      promise_.set_value();
    });
  }
  bool ReturnedWithin(std::chrono::milliseconds limit) {
    return done_.wait_for(limit) == std::future_status::ready;
  }
  ~Timed() { thread_.join(); }

 private:
  std::promise<void> promise_;
  std::future<void> done_;
  std::thread thread_;
};

class TerminalBackPressure : public ::testing::Test {
 protected:
  void SetUp() override {
    transport_.SetOpen(false);
    writer_ = std::make_unique<MuxWriter>(
        transport_, [](Status) {}, MuxWriterOptions{.high_water_bytes = 100});
    // One frame stuck at the gate, one above the mark: the next data (or
    // terminal) frame waits for a drain.
    const std::string filler(150, 'x');
    const wire::Frame first{.stream_id = 1, .message_id = 1, .kind = 2, .done = true, .data = {}};
    ASSERT_TRUE(writer_->WriteFrame(first, nullptr).ok());
    transport_.WaitWritesStarted(1);
    const wire::Frame second{
        .stream_id = 1, .message_id = 2, .kind = 2, .done = true, .data = AsBytes(filler)};
    ASSERT_TRUE(writer_->WriteFrame(second, nullptr).ok());
    stream_ = std::make_shared<Stream>(stream::StreamConfig{.id = 7,
                                                            .role = stream::Role::kClient,
                                                            .pool = stream::BufferPool::Create({}),
                                                            .sink = *writer_});
  }
  void TearDown() override {
    transport_.SetOpen(true);
    writer_->StopAfterFlush(ClosedError("test over"));
    writer_->Join();
  }
  // Starts CloseSend on a thread and returns once its frame waits for a drain.
  std::unique_ptr<Timed> BlockedCloseSend() {
    auto closing = std::make_unique<Timed>([this] { close_send_ = stream_->CloseSend(); });
    for (int i = 0; i < 10'000 && writer_->stats().data_waits == 0; ++i) {
      std::this_thread::sleep_for(1ms);
    }
    EXPECT_EQ(writer_->stats().data_waits, 1u) << "CloseSend's frame waits for a drain";
    EXPECT_FALSE(closing->ReturnedWithin(10ms));
    return closing;
  }

  GatedTransport transport_;
  std::unique_ptr<MuxWriter> writer_;
  std::shared_ptr<Stream> stream_;
  Status close_send_ = InternalError("not returned");
};

TEST_F(TerminalBackPressure, TheReaderHandlesARemoteTerminalMeanwhile) {
  std::unique_ptr<Timed> closing = BlockedCloseSend();
  Status handled = InternalError("not returned");
  const wire::Frame remote_close_send{.stream_id = 7,
                                      .message_id = 1,
                                      .kind = wire::ToRaw(wire::Kind::kCloseSend),
                                      .done = true,
                                      .data = {}};
  {
    Timed reader([&] { handled = stream_->HandleFrame(remote_close_send); });
    EXPECT_TRUE(reader.ReturnedWithin(10s)) << "the reader waited for the writer's drain";
    transport_.SetOpen(true);  // lets everything go, whatever happened
  }
  EXPECT_TRUE(handled.ok()) << handled;
  closing.reset();
  EXPECT_TRUE(close_send_.ok()) << close_send_;
  // Both sides closed: the stream finished once CloseSend let go.
  EXPECT_TRUE(stream_->finished().is_set());
  EXPECT_EQ(stream_->termination_error(), DrpcError("both closed"));
}

TEST_F(TerminalBackPressure, CancelReturnsMeanwhile) {
  std::unique_ptr<Timed> closing = BlockedCloseSend();
  {
    Timed canceler([&] { EXPECT_FALSE(stream_->Cancel(DeadlineExceededError())); });
    EXPECT_TRUE(canceler.ReturnedWithin(10s)) << "Cancel waited for the writer's drain";
    transport_.SetOpen(true);
  }
  closing.reset();
  EXPECT_TRUE(stream_->finished().is_set());
  EXPECT_EQ(stream_->termination_error(), DeadlineExceededError());
}

}  // namespace
}  // namespace drpc::manager

// How a stream lends the frames of a message over the split size
// (FrameSink::Handover::kLend; docs/manager.md): every frame from its
// marshal buffer, none copied; two buffers take turns, so the sender waits
// only for the message before its last one; a buffer the stream gives up
// (a canceled wait, a packet abandoned half-way, fin, a buffer over the
// marshal limit) goes to the sink with the ticket that frees it.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tests/stream_state/stream_testing.h"

namespace drpc::stream {
namespace {

using wire::Kind;

// A sink that lends as a MuxWriter does (tickets count submissions), with
// the writing left to the test: WaitWritten answers `written_answer`.
class LendingSink final : public FrameSink {
 public:
  struct Lent {
    const uint8_t* data = nullptr;
    size_t size = 0;
    const uint8_t* buffer = nullptr;  // the payload buffer's memory
    size_t capacity = 0;              // and its capacity
  };
  struct Released {
    const uint8_t* buffer = nullptr;
    size_t capacity = 0;
    uint64_t ticket = 0;
  };

  Status WriteFrame(const wire::Frame& frame, rt::Signal* cancel) override {
    (void)cancel;
    ++submitted_;
    copied_.push_back(frame.kind);
    return OkStatus();
  }
  Status WriteFramesTaking(std::span<const wire::Frame> frames, size_t taken, Buffer& payload,
                           rt::Signal* cancel, bool burst, Handover handover) override {
    if (handover != Handover::kLend)
      return FrameSink::WriteFramesTaking(frames, taken, payload, cancel, burst, handover);
    EXPECT_EQ(frames.size(), 1u) << "a lent frame is submitted alone";
    if (fail_after_lent_ >= 0 && static_cast<int>(lent_.size()) >= fail_after_lent_) {
      return ClosedError("the sink stopped");
    }
    ++submitted_;
    lent_.push_back(Lent{frames[taken].data.data(), frames[taken].data.size(), payload.data(),
                         payload.capacity()});
    return OkStatus();
  }
  uint64_t LendingTicket() override { return submitted_; }
  bool WaitWritten(uint64_t ticket, rt::Signal* cancel) override {
    (void)cancel;
    waited_.push_back(ticket);
    if (probe_meter_) metered_at_wait_.push_back(probe_meter_());
    return written_answer_;
  }
  void ReleaseLent(Buffer payload, uint64_t ticket) override {
    released_.push_back(Released{payload.data(), payload.capacity(), ticket});
    kept_.push_back(std::move(payload));  // alive: its memory is not handed out again
  }

  std::vector<Lent> lent_;
  std::vector<uint8_t> copied_;     // kinds of frames written by copy
  std::vector<uint64_t> waited_;    // tickets WaitWritten was asked for
  std::vector<Released> released_;  // buffers given up
  std::vector<Buffer> kept_;        // and the buffers themselves
  bool written_answer_ = true;
  std::function<int64_t()> probe_meter_;  // read at each wait, into metered_at_wait_
  std::vector<int64_t> metered_at_wait_;
  int fail_after_lent_ = -1;  // >= 0: lent frames past this many fail
  uint64_t submitted_ = 0;
};

constexpr int64_t kSplit = 1000;

struct LendingHarness {
  explicit LendingHarness(size_t max_marshal = size_t{1} << 20) : pool(BufferPool::Create()) {
    StreamOptions options;
    options.split_size = kSplit;
    options.max_marshal_buffer_bytes = max_marshal;
    stream = std::make_shared<Stream>(StreamConfig{
        .id = 1,
        .role = Role::kClient,
        .pool = pool,
        .sink = sink,
        .options = options,
        .on_finished = [this] { released_at_fin = sink.released_.size(); },
    });
    EXPECT_TRUE(stream->WriteInvoke("/svc/Lend").ok());
    sink.probe_meter_ = [this] { return MarshalBytes(); };
  }
  ~LendingHarness() {
    stream.reset();
    pool->CheckAllReturned();
  }
  Status Send(size_t size) { return stream->MsgSend(std::string(size, 'l'), BytesCodec{}); }
  int64_t MarshalBytes() const { return pool->meter().Snapshot().bytes_of(ResourceKind::kMarshal); }

  LendingSink sink;
  std::shared_ptr<BufferPool> pool;
  std::shared_ptr<Stream> stream;
  size_t released_at_fin = SIZE_MAX;
};

TEST(Lending, EveryFrameOfALongMessageIsLentAndTheSenderDoesNotWaitForIt) {
  LendingHarness h;
  ASSERT_TRUE(h.Send(2500).ok());
  ASSERT_EQ(h.sink.lent_.size(), 3u) << "2,500 bytes in frames of 1,000";
  const uint8_t* first = h.sink.lent_[0].buffer;
  for (const LendingSink::Lent& lent : h.sink.lent_) {
    EXPECT_EQ(lent.buffer, first) << "every frame from the one marshal buffer";
    EXPECT_TRUE(lent.data >= first && lent.data + lent.size <= first + 2500 + 8);
  }
  EXPECT_TRUE(h.sink.waited_.empty()) << "nothing lent before: no wait";
  const uint64_t first_ticket = h.sink.submitted_;
  EXPECT_GE(h.MarshalBytes(), 2500) << "the lent buffer still counts as the stream's";

  ASSERT_TRUE(h.Send(2500).ok());
  ASSERT_EQ(h.sink.lent_.size(), 6u);
  const uint8_t* second = h.sink.lent_[3].buffer;
  EXPECT_NE(second, first) << "the next message is marshalled into the other buffer";
  EXPECT_EQ(h.sink.waited_, std::vector<uint64_t>{first_ticket})
      << "the sender waits for the message before, not its own";

  ASSERT_TRUE(h.Send(2500).ok());
  EXPECT_EQ(h.sink.lent_[6].buffer, first) << "the first buffer again, once written";
  EXPECT_TRUE(h.sink.released_.empty());
  EXPECT_TRUE(h.sink.copied_.size() == 1) << "only the invoke was copied";
  EXPECT_GE(h.MarshalBytes(), 2 * 2500) << "both buffers count";
}

// While the sender waits for the older buffer, each of its two buffers is
// counted once: the one just lent and the one coming back (of different
// sizes here, so counting either twice shows).
TEST(Lending, BothBuffersAreCountedOnceWhileTheSenderWaits) {
  LendingHarness h;
  ASSERT_TRUE(h.Send(2500).ok());
  ASSERT_TRUE(h.Send(9000).ok());
  ASSERT_EQ(h.sink.lent_.size(), 3u + 9u);
  ASSERT_EQ(h.sink.metered_at_wait_.size(), 1u);
  const size_t older = h.sink.lent_.front().capacity;
  const size_t newer = h.sink.lent_.back().capacity;
  ASSERT_NE(older, newer);
  EXPECT_EQ(h.sink.metered_at_wait_[0], static_cast<int64_t>(older + newer));
}

TEST(Lending, ACanceledWaitLeavesTheOlderBufferToTheSink) {
  LendingHarness h;
  ASSERT_TRUE(h.Send(2500).ok());
  const uint8_t* first = h.sink.lent_[0].buffer;
  const uint64_t first_ticket = h.sink.submitted_;
  h.sink.written_answer_ = false;  // as a wait ended by a cancel or an abortive stop
  ASSERT_TRUE(h.Send(2500).ok()) << "the message itself went";
  ASSERT_EQ(h.sink.released_.size(), 1u);
  EXPECT_EQ(h.sink.released_[0].buffer, first);
  EXPECT_EQ(h.sink.released_[0].ticket, first_ticket);
  h.sink.written_answer_ = true;
  ASSERT_TRUE(h.Send(2500).ok());
  EXPECT_NE(h.sink.lent_[6].buffer, first) << "a released buffer is never used again";
}

TEST(Lending, AMessageAbandonedHalfWayLeavesItsBufferToTheSink) {
  LendingHarness h;
  h.sink.fail_after_lent_ = 2;
  EXPECT_FALSE(h.Send(2500).ok());
  ASSERT_EQ(h.sink.lent_.size(), 2u);
  ASSERT_EQ(h.sink.released_.size(), 1u) << "two frames still read the buffer";
  EXPECT_EQ(h.sink.released_[0].buffer, h.sink.lent_[0].buffer);
  EXPECT_EQ(h.sink.released_[0].ticket, h.sink.submitted_);
}

TEST(Lending, FinGivesTheLentBufferToTheSinkBeforeTheStreamGoes) {
  LendingHarness h;
  ASSERT_TRUE(h.Send(2500).ok());
  const uint8_t* lent = h.sink.lent_[0].buffer;
  const uint64_t ticket = h.sink.submitted_;
  ASSERT_TRUE(h.sink.released_.empty());
  const int64_t held = h.MarshalBytes();
  EXPECT_FALSE(h.stream->Cancel(CanceledError("done")));
  ASSERT_TRUE(h.stream->finished().is_set());
  ASSERT_EQ(h.released_at_fin, 1u) << "released before the finished callbacks ran";
  EXPECT_EQ(h.sink.released_[0].buffer, lent);
  EXPECT_EQ(h.sink.released_[0].ticket, ticket);
  EXPECT_EQ(h.MarshalBytes(), held - static_cast<int64_t>(h.sink.released_[0].capacity))
      << "the stream no longer counts it: the sink does";
}

TEST(Lending, ABufferOverTheMarshalLimitIsNotKept) {
  LendingHarness h(/*max_marshal=*/2048);
  ASSERT_TRUE(h.Send(2500).ok());
  ASSERT_EQ(h.sink.released_.size(), 1u) << "over the limit: the sink frees it once written";
  EXPECT_EQ(h.sink.released_[0].ticket, h.sink.submitted_);
  EXPECT_TRUE(h.sink.waited_.empty());
}

// A sink that copies (the default WriteFramesTaking, ticket 0) gets every
// frame of long messages whole: the stream keeps no buffer lent to it.
TEST(Lending, ASinkThatCopiesGetsLongMessagesWhole) {
  testing::Harness h;
  ASSERT_TRUE(h.stream->WriteInvoke("/svc/Copy").ok());
  const std::string message(200 * 1024, 'c');  // over the default 64 KiB split
  ASSERT_TRUE(h.stream->MsgSend(message, BytesCodec{}).ok());
  ASSERT_TRUE(h.stream->MsgSend(message, BytesCodec{}).ok());
  std::string got;
  for (const testing::RecordedFrame& f : h.sink.frames()) {
    if (f.kind == wire::ToRaw(Kind::kMessage)) got += f.data;
  }
  EXPECT_EQ(got, message + message);
}

}  // namespace
}  // namespace drpc::stream

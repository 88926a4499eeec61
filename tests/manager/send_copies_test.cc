// The send path's copies of payload bytes (base/copy_count.h), OS backend:
// a large message goes from the marshal buffer to the socket with no copy
// (the MuxWriter takes the buffer and writes header and payload in one
// gathered write); a small one is copied once, into the writer's batch.
// The simulator's half (chosen partial writes, hand-offs): send_copies_sim_test.cc.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "drpc/base/copy_count.h"
#include "drpc/manager/mux_writer.h"
#include "drpc/rt/os/socket_pair.h"
#include "drpc/wire/frame.h"
#include "tests/common/frame_copy.h"
#include "tests/manager/gated_transport.h"
#include "tests/manager/manager_testing.h"

namespace drpc::manager {
namespace {

using namespace testing;  // NOLINT: test helpers
using ::drpc::testing::FrameCopy;
using ::drpc::testing::ParseAll;

#if DRPC_CHECKED
constexpr bool kCounted = true;
#else
constexpr bool kCounted = false;
#endif

Buffer Filled(size_t size, char fill) {
  Buffer b;
  std::memset(b.Extend(size), fill, size);
  return b;
}

// A client stream over a socket to a raw peer, its Invoke already read.
std::shared_ptr<Stream> InvokedStream(RawPair& p) {
  Result<std::shared_ptr<Stream>> s = p.manager->NewClientStream();
  EXPECT_TRUE(s.ok());
  if (!s.ok()) return nullptr;
  EXPECT_TRUE((*s)->WriteInvoke("/svc/Sink").ok());
  EXPECT_EQ(p.peer->ReadFrame().frame.kind, wire::ToRaw(Kind::kInvoke));
  return *s;
}

wire::Frame FrameOf(uint64_t sid, uint64_t mid, Bytes data) {
  return wire::Frame{sid, mid, wire::ToRaw(Kind::kMessage), true, false, data};
}

TEST(SendCopies, TheWriterTakesLargePayloadsAndCopiesSmallOnes) {
  if (!kCounted) GTEST_SKIP() << "copies are counted in checked builds";
  GatedTransport transport;
  // Inline writes take a few KiB at a time: parts are cut mid-header and
  // mid-payload and handed off to the task.
  transport.SetTryWrites(true, 5000);
  MuxWriter writer(transport, [](Status) { ADD_FAILURE() << "no write error expected"; });
  std::vector<FrameCopy> sent;
  Buffer expected;
  size_t small_bytes = 0;
  size_t taken = 0;
  ResetCopyCounts();
  for (int i = 0; i < 40; ++i) {
    const size_t size = i % 3 == 0 ? 64 : (i % 3 == 1 ? 64 * 1024 : 20 * 1024 + i);
    Buffer payload = Filled(size, static_cast<char>('a' + i % 26));
    const uint8_t* const memory = payload.data();
    const wire::Frame frame = FrameOf(1, i + 1, payload.view());
    sent.push_back(FrameCopy{1, static_cast<uint64_t>(i + 1), frame.kind, true, false,
                             std::string(AsStringView(payload.view()))});
    wire::AppendFrame(expected, frame);
    ASSERT_TRUE(writer
                    .WriteFramesTaking(std::span(&frame, 1), 0, payload, nullptr,
                                       /*burst=*/i % 2 == 0, MuxWriter::Handover::kIfLarge)
                    .ok());
    if (size >= MuxWriter::kMinTakenPayloadBytes) {
      ++taken;
      EXPECT_NE(payload.data(), memory) << "a taken payload's buffer is the writer's now";
      EXPECT_TRUE(payload.empty()) << "the caller gets an empty buffer back";
    } else {
      small_bytes += size;
      EXPECT_EQ(payload.data(), memory) << "a small payload is copied, its buffer left";
    }
  }
  writer.StopAfterFlush(ClosedError("done"));
  writer.Join();
  EXPECT_EQ(CopiedBytes(CopyPath::kSend), small_bytes) << "only the small payloads were copied";
  EXPECT_EQ(writer.stats().payloads_taken, taken);
  Buffer got = transport.TakeWritten();
  ASSERT_EQ(got.size(), expected.size());
  EXPECT_TRUE(std::memcmp(got.data(), expected.data(), got.size()) == 0);
  EXPECT_EQ(ParseAll(got.view()), sent);
}

// A payload bigger than the socket takes at once: the inline write takes a
// part, the task writes the rest from the taken buffer (no copy either way).
TEST(SendCopies, APartlyWrittenTakenPayloadIsFinishedByTheTaskWithoutACopy) {
  if (!kCounted) GTEST_SKIP() << "copies are counted in checked builds";
  auto pair = rt::os::SocketPair();
  ASSERT_TRUE(pair.ok());
  std::unique_ptr<rt::Transport> a = std::move(pair->a);
  std::unique_ptr<rt::Transport> b = std::move(pair->b);
  MuxWriter writer(*a, [](Status) { ADD_FAILURE() << "no write error expected"; });
  constexpr size_t kSize = 8 << 20;  // far more than a socket buffer
  Buffer payload = Filled(kSize, 'p');
  for (size_t i = 0; i < kSize; i += 4096) payload.data()[i] = static_cast<uint8_t>(i >> 12);
  Buffer expected;
  const wire::Frame frame = FrameOf(3, 1, payload.view());
  wire::AppendFrame(expected, frame);
  Buffer got(expected.size());
  std::thread reader([&] {
    got.Resize(expected.size());
    size_t read = 0;
    while (read < got.size()) {
      ReadResult r = b->Read(MutableBytes(got.data() + read, got.size() - read));
      read += r.n;
      if (!r.err.ok()) break;
    }
    got.Resize(read);
  });
  ResetCopyCounts();
  ASSERT_TRUE(writer
                  .WriteFramesTaking(std::span(&frame, 1), 0, payload, nullptr, false,
                                     MuxWriter::Handover::kIfLarge)
                  .ok());
  writer.StopAfterFlush(ClosedError("done"));
  writer.Join();
  reader.join();
  EXPECT_EQ(CopiedBytes(CopyPath::kSend), 0u);
  EXPECT_GE(writer.stats().handoffs, 1u) << "the socket took the payload in parts";
  ASSERT_EQ(got.size(), expected.size());
  EXPECT_TRUE(std::memcmp(got.data(), expected.data(), got.size()) == 0);
}

// Frames lent from one buffer (the frames of a message over the split
// size) are written from it, with no copy and no taking; the buffer may be
// reused once their ticket is written.
TEST(SendCopies, LentFramesAreWrittenFromTheCallersBufferWithNoCopy) {
  if (!kCounted) GTEST_SKIP() << "copies are counted in checked builds";
  GatedTransport transport;
  transport.SetTryWrites(true, 5000);  // hand-offs mid-frame
  MuxWriter writer(transport, [](Status) { ADD_FAILURE() << "no write error expected"; });
  constexpr size_t kFrame = 1000;  // small: lending has no size threshold
  Buffer payload = Filled(3 * kFrame, 'x');
  for (size_t i = 0; i < payload.size(); ++i) payload.data()[i] = static_cast<uint8_t>(i * 7);
  const uint8_t* const memory = payload.data();
  Buffer expected;
  ResetCopyCounts();
  for (size_t i = 0; i < 3; ++i) {
    const wire::Frame frame{3,      1,     wire::ToRaw(Kind::kMessage),
                            i == 2, false, payload.view().subspan(i * kFrame, kFrame)};
    wire::AppendFrame(expected, frame);
    ASSERT_TRUE(writer
                    .WriteFramesTaking(std::span(&frame, 1), 0, payload, nullptr, i == 1,
                                       MuxWriter::Handover::kLend)
                    .ok());
    EXPECT_EQ(payload.data(), memory) << "a lent buffer stays the caller's";
  }
  const uint64_t ticket = writer.LendingTicket();
  EXPECT_EQ(ticket, 3u) << "one submission per lent frame";
  ASSERT_TRUE(writer.WaitWritten(ticket, nullptr));
  EXPECT_EQ(CopiedBytes(CopyPath::kSend), 0u);
  EXPECT_EQ(writer.stats().payloads_lent, 3u);
  EXPECT_EQ(writer.stats().payloads_taken, 0u);
  Buffer got = transport.TakeWritten();
  ASSERT_EQ(got.size(), expected.size()) << "WaitWritten returned before the frames were written";
  EXPECT_TRUE(std::memcmp(got.data(), expected.data(), got.size()) == 0);
  writer.StopAfterFlush(ClosedError("done"));
  writer.Join();
}

// A lent frame half written when its lender gives the buffer up (released
// after a stop, a canceled wait, an abortive stop during the wait): the
// rest is still written (no torn frame) from the buffer, which the writer
// keeps until then. Freeing it early would have the task read freed memory
// (a 256 KiB buffer is unmapped when freed: the write faults, the bytes
// differ, or ASan reports it).
TEST(SendCopies, ALentBufferGivenUpEarlyStaysWithTheWriterUntilItsFrameIsWritten) {
  enum class End { kReleasedAfterStop, kCanceledWait, kStopDuringWait };
  for (const End end : {End::kReleasedAfterStop, End::kCanceledWait, End::kStopDuringWait}) {
    SCOPED_TRACE(static_cast<int>(end));
    GatedTransport transport;
    transport.SetTryWrites(true, SIZE_MAX, /*limit_while_shut=*/1000);
    transport.SetOpen(false);
    MuxWriter writer(transport, [](Status) {});
    constexpr size_t kFrame = 256 * 1024;
    Buffer payload = Filled(kFrame, 'l');
    for (size_t i = 0; i < payload.size(); i += 512) {
      payload.data()[i] = static_cast<uint8_t>(i >> 9);
    }
    const wire::Frame frame{5, 1, wire::ToRaw(Kind::kMessage), true, false, payload.view()};
    Buffer expected;
    wire::AppendFrame(expected, frame);
    ASSERT_TRUE(writer
                    .WriteFramesTaking(std::span(&frame, 1), 0, payload, nullptr, false,
                                       MuxWriter::Handover::kLend)
                    .ok());
    const uint64_t ticket = writer.LendingTicket();
    transport.WaitWritesStarted(1);  // the task holds the rest of the frame at the gate
    switch (end) {
      case End::kReleasedAfterStop:
        writer.Stop(AbortedError("stop"));
        break;
      case End::kCanceledWait: {
        rt::Signal cancel;
        cancel.set(CanceledError("cancel"));
        EXPECT_FALSE(writer.WaitWritten(ticket, &cancel));
        break;
      }
      case End::kStopDuringWait: {
        bool written = true;
        std::thread lender([&] { written = writer.WaitWritten(ticket, nullptr); });
        writer.Stop(AbortedError("stop"));
        lender.join();
        EXPECT_FALSE(written) << "an abortive stop ends the wait";
        break;
      }
    }
    writer.ReleaseLent(std::move(payload), ticket);
    if (end == End::kCanceledWait) writer.Stop(AbortedError("stop"));
    transport.SetOpen(true);
    writer.Join();
    Buffer got = transport.TakeWritten();
    ASSERT_EQ(got.size(), expected.size()) << "exactly the lent frame, whole";
    EXPECT_TRUE(std::memcmp(got.data(), expected.data(), got.size()) == 0);
  }
}

// A message over the split size (64 KiB) goes as several frames, none
// copied, over and over: the stream's two buffers take turns.
TEST(SendCopies, AStreamSendsAMessageOfSeveralFramesWithNoCopy) {
  if (!kCounted) GTEST_SKIP() << "copies are counted in checked builds";
  RawPair p = MakeRaw(ClientOptions());
  std::shared_ptr<Stream> s = InvokedStream(p);
  ASSERT_NE(s, nullptr);
  for (int round = 0; round < 4; ++round) {
    std::string message(200 * 1024 + 17, 'm');
    for (size_t i = 0; i < message.size(); i += 1000) {
      message[i] = static_cast<char>('a' + (i + round) % 26);
    }
    ResetCopyCounts();
    ASSERT_TRUE(s->MsgSend(message, BytesCodec{}).ok());
    std::string got;
    int frames = 0;
    for (;;) {
      RawPeer::Read r = p.peer->ReadFrame();
      ASSERT_TRUE(r.status.ok());
      got += r.data;
      ++frames;
      if (r.frame.done) break;
    }
    EXPECT_EQ(frames, 4) << "round " << round;
    EXPECT_EQ(got, message) << "round " << round;
    EXPECT_EQ(CopiedBytes(CopyPath::kSend), 0u) << "round " << round;
  }
  EXPECT_GE(p.manager->writer().stats().payloads_lent, 16u);
  (void)s->Close();
}

// End to end through a stream: MsgSend marshals once into the stream's
// buffer; a 64 KiB message then reaches the socket with 0 copies, a 64 B
// one with exactly 1 (the batch).
TEST(SendCopies, AStreamSendsALargeMessageWithNoCopyAndASmallOneWithOne) {
  if (!kCounted) GTEST_SKIP() << "copies are counted in checked builds";
  RawPair p = MakeRaw(ClientOptions());
  std::shared_ptr<Stream> s = InvokedStream(p);
  ASSERT_NE(s, nullptr);
  const std::string large(64 * 1024, 'L');
  const std::string small(64, 's');
  for (int round = 0; round < 3; ++round) {
    ResetCopyCounts();
    ASSERT_TRUE(s->MsgSend(large, BytesCodec{}).ok());
    RawPeer::Read r = p.peer->ReadFrame();
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.data, large);
    EXPECT_EQ(CopiedBytes(CopyPath::kSend), 0u) << "round " << round;

    ResetCopyCounts();
    ASSERT_TRUE(s->MsgSend(small, BytesCodec{}).ok());
    r = p.peer->ReadFrame();
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.data, small);
    EXPECT_EQ(CopiedBytes(CopyPath::kSend), small.size()) << "round " << round;
  }
  // A unary request (one submission: invoke, message, CloseSend): the
  // large message is not copied either.
  Result<std::shared_ptr<Stream>> unary = p.manager->NewClientStream();
  ASSERT_TRUE(unary.ok());
  ResetCopyCounts();
  ASSERT_TRUE((*unary)->InvokeAndSend("/svc/U", {}, large, BytesCodec{}).ok());
  EXPECT_EQ(CopiedBytes(CopyPath::kSend), std::string("/svc/U").size())
      << "only the invoke's rpc name is copied";
  (void)s->Close();
  (void)(*unary)->Close();
}

}  // namespace
}  // namespace drpc::manager

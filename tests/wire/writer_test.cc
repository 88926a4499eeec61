// FrameWriter: buffered output equals AppendFrame of the same frames
// (writer_test.go), flushing rules, packet splitting, sticky sink errors.
#include "drpc/wire/writer.h"

#include <gtest/gtest.h>

#include <random>

#include "drpc/wire/kind.h"
#include "drpc/wire/memory_io.h"
#include "tests/wire/wire_testing.h"

namespace drpc::wire {
namespace {

using testing::F;
using testing::FailingSink;
using testing::FrameCopy;
using testing::Hex;
using testing::ToHex;
using testing::View;

std::vector<FrameCopy> RandomFrames(size_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<FrameCopy> frames;
  for (size_t i = 0; i < count; ++i) {
    FrameCopy frame =
        F(static_cast<uint8_t>(rng() % 64), rng() % 1000, rng() >> (rng() % 64), rng() % 2 == 0,
          std::string(rng() % 2000, 'a' + static_cast<char>(i % 26)), rng() % 2 == 0);
    frames.push_back(frame);
  }
  return frames;
}

TEST(WireWriter, OutputEqualsAppendFrameForAnyBufferSize) {
  const std::vector<FrameCopy> frames = RandomFrames(1000, 99);
  Buffer expected;
  for (const FrameCopy& frame : frames) AppendFrame(expected, frame.view());
  for (size_t buffer_size : {size_t{0}, size_t{4096}, size_t{1} << 20}) {
    BufferSink sink;
    FrameWriter writer(sink, WriterOptions{.buffer_size = buffer_size});
    for (const FrameCopy& frame : frames) ASSERT_TRUE(writer.WriteFrame(frame.view()).ok());
    ASSERT_TRUE(writer.Flush().ok());
    EXPECT_EQ(writer.buffered(), 0u);
    EXPECT_TRUE(std::ranges::equal(sink.bytes().view(), expected.view())) << buffer_size;
    if (buffer_size == 0) {
      EXPECT_EQ(sink.writes(), frames.size());
    }
  }
}

TEST(WireWriter, HoldsFramesUntilTheBufferFillsOrFlush) {
  BufferSink sink;
  FrameWriter writer(sink, WriterOptions{.buffer_size = 10});
  ASSERT_TRUE(writer.WriteFrame(F(kMessage, 1, 1, true, "ab").view()).ok());  // 6 bytes
  EXPECT_EQ(sink.writes(), 0u);
  EXPECT_EQ(writer.buffered(), 6u);
  ASSERT_TRUE(writer.WriteFrame(F(kMessage, 1, 2, true, "cd").view()).ok());  // 12 >= 10
  EXPECT_EQ(sink.writes(), 1u);
  EXPECT_EQ(writer.buffered(), 0u);
  ASSERT_TRUE(writer.WriteFrame(F(kMessage, 1, 3, true).view()).ok());
  EXPECT_EQ(sink.writes(), 1u);
  ASSERT_TRUE(writer.Flush().ok());
  EXPECT_EQ(sink.writes(), 2u);
  ASSERT_TRUE(writer.Flush().ok());  // nothing buffered: no empty write
  EXPECT_EQ(sink.writes(), 2u);
  EXPECT_EQ(ToHex(sink.bytes().view()),
            ToHex(View(Hex("05 01 01 02 61 62 05 01 02 02 63 64 05 01 03 00"))));
}

TEST(WireWriter, WritePacketSplitsAtTheConfiguredSize) {
  BufferSink sink;
  FrameWriter writer(sink, WriterOptions{.split_size = 5});
  const std::string data = "hello world";
  ASSERT_TRUE(writer.WritePacket(Packet{1, 2, kMessage, false, AsBytes(data)}).ok());
  ASSERT_TRUE(writer.Flush().ok());
  EXPECT_EQ(
      ToHex(sink.bytes().view()),
      ToHex(View(Hex("04 01 02 05 68 65 6c 6c 6f 04 01 02 05 20 77 6f 72 6c 05 01 02 01 64"))));
}

TEST(WireWriter, WritePacketDefaultIsSixtyFourKibFrames) {
  BufferSink sink;
  FrameWriter writer(sink);
  const std::string data(70000, 'z');
  ASSERT_TRUE(writer.WritePacket(Packet{3, 1, kMessage, false, AsBytes(data)}).ok());
  ASSERT_TRUE(writer.Flush().ok());
  const std::vector<FrameCopy> frames = testing::ParseAll(sink.bytes().view());
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].data.size(), 65536u);
  EXPECT_FALSE(frames[0].done);
  EXPECT_EQ(frames[1].data.size(), 70000u - 65536u);
  EXPECT_TRUE(frames[1].done);
}

TEST(WireWriter, SinkErrorIsFinalAndDropsBufferedBytes) {
  FailingSink sink(/*fail_at=*/1);
  FrameWriter writer(sink, WriterOptions{.buffer_size = 0});
  ASSERT_TRUE(writer.WriteFrame(F(kMessage, 1, 1, true, "a").view()).ok());
  const Status failed = writer.WriteFrame(F(kMessage, 1, 2, true, "b").view());
  EXPECT_EQ(failed.kind(), ErrorKind::kConnection);
  EXPECT_EQ(failed.message(), "sink broke");
  EXPECT_EQ(writer.buffered(), 0u);
  // Later calls fail the same way without touching the sink.
  EXPECT_EQ(writer.WriteFrame(F(kMessage, 1, 3, true).view()), failed);
  EXPECT_EQ(writer.Flush(), failed);
  EXPECT_EQ(writer.WritePacket(Packet{1, 4, kMessage, false, {}}), failed);
  EXPECT_EQ(sink.writes(), 2u);
  EXPECT_EQ(ToHex(View(sink.written())), "05 01 01 01 61");
}

TEST(WireWriter, FlushErrorIsReported) {
  FailingSink sink(/*fail_at=*/0);
  FrameWriter writer(sink);
  ASSERT_TRUE(writer.WriteFrame(F(kMessage, 1, 1, true, "a").view()).ok());
  EXPECT_EQ(writer.Flush().kind(), ErrorKind::kConnection);
  EXPECT_TRUE(sink.written().empty());
}

}  // namespace
}  // namespace drpc::wire

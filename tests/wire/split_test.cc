// Packet splitting (Go SplitN / SplitData semantics, §1.6; split_test.go).
#include "drpc/wire/split.h"

#include <gtest/gtest.h>

#include <random>

#include "drpc/wire/kind.h"
#include "tests/wire/wire_testing.h"

namespace drpc::wire {
namespace {

using testing::F;
using testing::FrameCopy;
using testing::Hex;
using testing::ToHex;
using testing::View;

std::vector<FrameCopy> Split(const Packet& packet, int64_t split_size) {
  std::vector<FrameCopy> frames;
  const size_t bound = SplitFrameCount(packet.data.size(), split_size);
  for (PacketSplitter split(packet, split_size); !split.finished();) {
    frames.push_back(FrameCopy::Of(split.Next()));
    if (frames.size() > bound) {
      ADD_FAILURE() << "splitter made more than " << bound << " frames";
      break;
    }
  }
  return frames;
}

Packet MessagePacket(const std::string& data, bool control = false) {
  return Packet{1, 2, kMessage, control, AsBytes(data)};
}

TEST(WireSplit, ChunkSizeFollowsGo) {
  EXPECT_EQ(SplitChunkSize(0), 64u * 1024);
  EXPECT_EQ(SplitChunkSize(-1), SIZE_MAX);
  EXPECT_EQ(SplitChunkSize(-100), SIZE_MAX);
  EXPECT_EQ(SplitChunkSize(1), 1u);
  EXPECT_EQ(SplitChunkSize(5), 5u);
}

TEST(WireSplit, FrameCounts) {
  EXPECT_EQ(SplitFrameCount(0, 0), 1u);
  EXPECT_EQ(SplitFrameCount(0, 5), 1u);
  EXPECT_EQ(SplitFrameCount(0, -1), 1u);
  EXPECT_EQ(SplitFrameCount(11, 5), 3u);
  EXPECT_EQ(SplitFrameCount(10, 5), 2u);
  EXPECT_EQ(SplitFrameCount(65536, 0), 1u);
  EXPECT_EQ(SplitFrameCount(65537, 0), 2u);
  EXPECT_EQ(SplitFrameCount(204800, 0), 4u);  // 3 x 64 KiB + 8 KiB
  EXPECT_EQ(SplitFrameCount(204800, -1), 1u);
}

TEST(WireSplit, HelloWorldAtFiveIsExampleE8) {
  const std::string data = "hello world";
  const std::vector<FrameCopy> frames = Split(MessagePacket(data), 5);
  const std::vector<FrameCopy> expected = {F(kMessage, 1, 2, false, "hello"),
                                           F(kMessage, 1, 2, false, " worl"),
                                           F(kMessage, 1, 2, true, "d")};
  EXPECT_EQ(frames, expected);
  Buffer out;
  for (const FrameCopy& frame : frames) AppendFrame(out, frame.view());
  EXPECT_EQ(
      ToHex(out.view()),
      ToHex(View(Hex("04 01 02 05 68 65 6c 6c 6f 04 01 02 05 20 77 6f 72 6c 05 01 02 01 64"))));
}

TEST(WireSplit, EmptyPayloadIsOneDoneFrame) {
  for (int64_t n : {int64_t{-1}, int64_t{0}, int64_t{1}, int64_t{4}}) {
    const std::vector<FrameCopy> frames = Split(MessagePacket(""), n);
    ASSERT_EQ(frames.size(), 1u) << n;
    EXPECT_EQ(frames[0], F(kMessage, 1, 2, true, "")) << n;
  }
}

TEST(WireSplit, ZeroMeansSixtyFourKibAndNegativeNeverSplits) {
  const std::string data(204800, 'x');
  const std::vector<FrameCopy> by_default = Split(MessagePacket(data), 0);
  ASSERT_EQ(by_default.size(), 4u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(by_default[i].data.size(), 65536u);
  EXPECT_EQ(by_default[3].data.size(), 8192u);
  const std::vector<FrameCopy> never = Split(MessagePacket(data), -1);
  ASSERT_EQ(never.size(), 1u);
  EXPECT_EQ(never[0].data.size(), data.size());
  EXPECT_TRUE(never[0].done);
}

TEST(WireSplit, PiecesJoinBackAndCarryTheControlBit) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) {
    std::string data(rng() % 100, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    const int64_t n = static_cast<int64_t>(rng() % 12) - 1;
    const bool control = rng() % 2 == 0;
    const std::vector<FrameCopy> frames = Split(MessagePacket(data, control), n);
    ASSERT_EQ(frames.size(), SplitFrameCount(data.size(), n));
    std::string joined;
    for (size_t k = 0; k < frames.size(); ++k) {
      EXPECT_EQ(frames[k].done, k + 1 == frames.size());
      EXPECT_EQ(frames[k].control, control);
      EXPECT_EQ(frames[k].stream_id, 1u);
      EXPECT_EQ(frames[k].message_id, 2u);
      EXPECT_EQ(frames[k].kind, kMessage);
      if (n > 0) {
        EXPECT_LE(frames[k].data.size(), static_cast<size_t>(n));
      }
      joined += frames[k].data;
    }
    EXPECT_EQ(joined, data);
  }
}

}  // namespace
}  // namespace drpc::wire

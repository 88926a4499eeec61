// Tests of the interop harness itself: the capture loader, the comparisons
// (each must catch the difference it exists for, and accept only the
// variation it is told to) and the scripted peer.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "drpc/rt/task.h"
#include "tests/interop/capture.h"
#include "tests/interop/conversation.h"

namespace drpc::interop {
namespace {

using namespace std::chrono_literals;

TEST(Captures, EachLoadsAsTheReadmeDescribes) {
  // Frames per capture, counted from the README's scenario descriptions.
  const std::map<std::string, size_t> frames = {
      {"cancel_hard.c2s", 2},    {"cancel_hard.s2c", 1},     {"cancel_soft.c2s", 7},
      {"cancel_soft.s2c", 3},    {"server_stream3.c2s", 3},  {"server_stream3.s2c", 4},
      {"unary_error.c2s", 3},    {"unary_error.s2c", 1},     {"unary_metadata.c2s", 5},
      {"unary_metadata.s2c", 2}, {"unary_metadata2.c2s", 5}, {"unary_metadata2.s2c", 2},
      {"unary_split.c2s", 9},    {"unary_split.s2c", 4},
  };
  for (const auto& [name, count] : frames) {
    const Capture capture = Capture::Load(name);
    EXPECT_EQ(capture.frames.size(), count) << name;
    // Each frame's encoding parses back to itself.
    EXPECT_TRUE(SameFrames(capture.frames, ParseFrames(capture.bytes()))) << name;
  }
  const Capture md = Capture::Load("unary_metadata.c2s");
  EXPECT_EQ(Describe(md.frames[0]), "InvokeMetadata s1 m1 done {authorization: \"Bearer t0k3n\"}");
  EXPECT_EQ(Describe(Capture::Load("unary_error.s2c").frames[0]),
            "Error s1 m1 done code 7 \"permission denied: peer test error\"");
  EXPECT_EQ(Describe(Capture::Load("cancel_soft.c2s").frames[2]), "Cancel s1 m3 done control");
}

TEST(SameFrames, CatchesEachKindOfDifference) {
  const Capture s2c = Capture::Load("server_stream3.s2c");
  ASSERT_EQ(s2c.frames.size(), 4u);
  EXPECT_TRUE(SameFrames(s2c.frames, ParseFrames(s2c.bytes())));

  std::vector<WireFrame> changed = s2c.frames;
  changed[1] = changed[1].WithData("msg-9");
  const ::testing::AssertionResult data = SameFrames(s2c.frames, ParseFrames(Join(changed)));
  EXPECT_FALSE(data);
  EXPECT_NE(std::string(data.message()).find(">> 1 "), std::string::npos) << data.message();
  EXPECT_NE(std::string(data.message()).find("msg-9"), std::string::npos) << data.message();

  EXPECT_FALSE(SameFrames(s2c.frames, ParseFrames(s2c.Slice(0, 3))));      // one missing
  EXPECT_FALSE(SameFrames(s2c.WithoutLast(1), ParseFrames(s2c.bytes())));  // one extra

  std::vector<uint8_t> torn = s2c.bytes();
  torn.push_back(0x05);  // the start of a frame that never ends
  const ::testing::AssertionResult tail = SameFrames(s2c.frames, ParseFrames(torn));
  EXPECT_FALSE(tail);
  EXPECT_NE(std::string(tail.message()).find("not a whole frame"), std::string::npos);

  std::vector<WireFrame> flags = s2c.frames;
  flags[3].control = true;
  flags[3] = flags[3].WithData("");  // encoded again, with the control bit
  EXPECT_FALSE(SameFrames(s2c.frames, ParseFrames(Join(flags))));
}

TEST(SameFrames, MetadataOrderIsIgnoredOnlyWhenAsked) {
  const Capture c2s = Capture::Load("unary_metadata2.c2s");
  const std::vector<std::string> entries = MetadataEntries(c2s.frames[0].data);
  ASSERT_EQ(entries.size(), 2u);
  std::vector<WireFrame> swapped = c2s.frames;
  swapped[0] = swapped[0].WithData(entries[1] + entries[0]);
  EXPECT_FALSE(SameFrames(c2s.frames, ParseFrames(Join(swapped))));
  EXPECT_TRUE(SameFrames(c2s.frames, ParseFrames(Join(swapped)), MetadataOrder::kAny));

  // Another value is a difference in any order.
  std::vector<WireFrame> other = c2s.frames;
  std::string changed = entries[1];
  changed.back() = '3';  // x-request-id: 43
  other[0] = other[0].WithData(changed + entries[0]);
  EXPECT_FALSE(SameFrames(c2s.frames, ParseFrames(Join(other)), MetadataOrder::kAny));
  // And so is a missing entry.
  other[0] = other[0].WithData(entries[0]);
  EXPECT_FALSE(SameFrames(c2s.frames, ParseFrames(Join(other)), MetadataOrder::kAny));
}

TEST(SameBytes, ShowsBothSidesInHex) {
  const Capture s2c = Capture::Load("unary_metadata.s2c");
  std::vector<uint8_t> other = s2c.bytes();
  other.back() ^= 1;
  EXPECT_TRUE(SameBytes(s2c.bytes(), s2c.bytes()));
  const ::testing::AssertionResult result = SameBytes(s2c.bytes(), other);
  EXPECT_FALSE(result);
  EXPECT_NE(std::string(result.message()).find("0d010200"), std::string::npos);
  EXPECT_NE(std::string(result.message()).find("0d010201"), std::string::npos);
}

TEST(ScriptedPeer, DeliversInOrderInPiecesThenEof) {
  ScriptedPeer peer(/*read_size=*/2);
  std::unique_ptr<rt::Transport> transport = peer.Transport();
  peer.Send({1, 2, 3});
  peer.HangUp();
  uint8_t buffer[16];
  ReadResult first = transport->Read(MutableBytes(buffer));
  EXPECT_EQ(first.n, 2u);
  EXPECT_TRUE(first.err.ok());
  ReadResult second = transport->Read(MutableBytes(buffer));
  EXPECT_EQ(second.n, 1u);
  EXPECT_EQ(buffer[0], 3);
  EXPECT_TRUE(transport->Read(MutableBytes(buffer)).err.is(ErrorKind::kEof));

  EXPECT_TRUE(transport->Write(AsBytes("abcd")).ok());
  EXPECT_EQ(peer.written(), (std::vector<uint8_t>{'a', 'b', 'c', 'd'}));
  EXPECT_FALSE(peer.closed_by_cpp());
  EXPECT_TRUE(transport->Close().ok());
  EXPECT_TRUE(peer.closed_by_cpp());
  EXPECT_TRUE(transport->Read(MutableBytes(buffer)).err.is(ErrorKind::kClosed));
  // A write after close is refused but still recorded, so a diff shows it.
  EXPECT_FALSE(transport->Write(AsBytes("e")).ok());
  EXPECT_EQ(peer.written().size(), 5u);
}

TEST(ScriptedPeer, ReadBlocksUntilThePeerSends) {
  ScriptedPeer peer;
  std::unique_ptr<rt::Transport> transport = peer.Transport();
  size_t got = 0;
  rt::Task reader = rt::spawn("test.reader", [&] {
    uint8_t buffer[8];
    got = transport->Read(MutableBytes(buffer)).n;
  });
  rt::sleep_for(10ms);  // the reader is (very likely) blocked by now; either way it must get 3
  peer.Send({7, 8, 9});
  reader.join();
  EXPECT_EQ(got, 3u);
}

TEST(RunScript, ATimedOutAwaitNamesItsStepAndWhatWasWritten) {
  const Capture s2c = Capture::Load("unary_metadata.s2c");
  ScriptedPeer peer;
  std::unique_ptr<rt::Transport> transport = peer.Transport();
  ASSERT_TRUE(transport->Write(s2c.Slice(0, 1)).ok());
  const ::testing::AssertionResult frames =
      RunScript(peer, s2c, {AwaitCpp(2, "the reply and CloseSend")}, 20ms);
  EXPECT_FALSE(frames);
  EXPECT_NE(std::string(frames.message()).find("the reply and CloseSend"), std::string::npos);
  EXPECT_NE(std::string(frames.message()).find("Message s1 m1 done \"hello\""), std::string::npos)
      << frames.message();

  EXPECT_FALSE(RunScript(peer, s2c, {AwaitCppCloses("never closed")}, 20ms));
  EXPECT_FALSE(RunScript(peer, s2c, {PeerSends(1, 3, "past the end")}, 20ms));
  EXPECT_TRUE(RunScript(peer, s2c, {AwaitCpp(1, "already there"), PeerSends(0, 2, "all")}, 20ms));
}

}  // namespace
}  // namespace drpc::interop

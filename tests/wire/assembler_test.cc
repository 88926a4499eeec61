// PacketAssembler: the fork's reassembly rules of drpc-protocol.md §1.7 in
// order (packet_assembler_test.go ideas), the examples of the fork's
// wire-protocol doc, and the packet size bound the Go seed era lacks.
#include "drpc/wire/assembler.h"

#include <gtest/gtest.h>

#include "drpc/wire/kind.h"
#include "tests/wire/wire_testing.h"

namespace drpc::wire {
namespace {

using testing::F;
using testing::FrameCopy;
using testing::P;
using testing::PacketCopy;

// Feeds frames in order; returns the completed packets, or the first error.
struct Outcome {
  std::vector<PacketCopy> packets;
  std::vector<size_t> dropped;  // dropped_bytes of each step that dropped something
  Status err;
};

Outcome Feed(PacketAssembler& assembler, const std::vector<FrameCopy>& frames) {
  Outcome outcome;
  for (const FrameCopy& frame : frames) {
    Result<AssembleStep> step = assembler.Append(frame.view());
    if (!step.ok()) {
      outcome.err = step.status();
      return outcome;
    }
    if (step->dropped) {
      outcome.dropped.push_back(step->dropped_bytes);
    } else if (step->dropped_bytes != 0) {
      ADD_FAILURE() << "dropped bytes without a dropped packet";
    }
    if (step->packet) outcome.packets.push_back(PacketCopy::Of(*step->packet));
  }
  return outcome;
}

TEST(WireAssembler, WrongStreamIdIsAMismatch) {
  PacketAssembler assembler(1);
  const Outcome outcome = Feed(assembler, {F(kMessage, 2, 1, true, "x")});
  EXPECT_EQ(outcome.err, ProtocolError("frame stream mismatch: got stream 2, expected 1"));
}

TEST(WireAssembler, AdoptsTheStreamIdOfTheFirstFrame) {
  PacketAssembler assembler = PacketAssembler::ForFirstStream();
  EXPECT_FALSE(assembler.stream_id().has_value());
  const Outcome outcome =
      Feed(assembler, {F(kInvoke, 7, 1, true, "/a/B"), F(kMessage, 7, 2, true, "m"),
                       F(kMessage, 8, 3, true, "other stream")});
  EXPECT_EQ(assembler.stream_id(), 7u);
  EXPECT_EQ(outcome.packets,
            (std::vector<PacketCopy>{P(kInvoke, 7, 1, "/a/B"), P(kMessage, 7, 2, "m")}));
  EXPECT_EQ(outcome.err, ProtocolError("frame stream mismatch: got stream 8, expected 7"));
}

TEST(WireAssembler, MessageIdZeroIsRejected) {
  PacketAssembler assembler(1);
  const Outcome outcome = Feed(assembler, {F(kMessage, 1, 0, true)});
  EXPECT_EQ(outcome.err, ProtocolError("message id monotonicity violation: got 0, expected >= 1"));
}

TEST(WireAssembler, LowerIdAfterAHigherOneIsRejected) {
  // [s1 m3 d=t] [s1 m2] is an error (fork wire-protocol doc).
  PacketAssembler assembler(1);
  const Outcome outcome = Feed(assembler, {F(kMessage, 1, 3, true, "c"), F(kMessage, 1, 2, true)});
  EXPECT_EQ(outcome.packets, std::vector<PacketCopy>{P(kMessage, 1, 3, "c")});
  EXPECT_EQ(outcome.err, ProtocolError("message id monotonicity violation: got 2, expected >= 4"));
}

TEST(WireAssembler, LowerIdWhileAssemblingIsRejected) {
  PacketAssembler assembler(1);
  const Outcome outcome = Feed(assembler, {F(kMessage, 1, 3, false, "c"), F(kMessage, 1, 2, true)});
  EXPECT_EQ(outcome.err.kind(), ErrorKind::kProtocol);
  EXPECT_NE(outcome.err.message().find("monotonicity violation"), std::string::npos);
}

TEST(WireAssembler, DonePacketCannotBeReplayed) {
  PacketAssembler assembler(1);
  const Outcome outcome =
      Feed(assembler, {F(kMessage, 1, 1, true, "a"), F(kMessage, 1, 1, true, "a")});
  EXPECT_EQ(outcome.packets.size(), 1u);
  EXPECT_EQ(outcome.err, ProtocolError("message id monotonicity violation: got 1, expected >= 2"));
}

TEST(WireAssembler, HigherIdDropsAPartialPacketSilently) {
  // [s1 m1 Msg d=f][s1 m1 Msg d=f][s1 m2 ...] drops the m1 data.
  PacketAssembler assembler(1);
  const Outcome outcome =
      Feed(assembler, {F(kMessage, 1, 1, false, "ab"), F(kMessage, 1, 1, false, "cde"),
                       F(kMessage, 1, 2, true, "x")});
  EXPECT_TRUE(outcome.err.ok()) << outcome.err;
  EXPECT_EQ(outcome.packets, std::vector<PacketCopy>{P(kMessage, 1, 2, "x")});
  EXPECT_EQ(outcome.dropped, std::vector<size_t>{5});
}

TEST(WireAssembler, DroppedPartialReportsItsKind) {
  PacketAssembler assembler(1);
  ASSERT_TRUE(assembler.Append(F(kError, 1, 1, false, "1234").view()).ok());
  const FrameCopy close = F(kClose, 1, 4, true);
  Result<AssembleStep> step = assembler.Append(close.view());
  ASSERT_TRUE(step.ok());
  EXPECT_TRUE(step->dropped);
  EXPECT_EQ(step->dropped_bytes, 4u);
  EXPECT_EQ(step->dropped_kind, kError);
  ASSERT_TRUE(step->packet.has_value());
  EXPECT_EQ(PacketCopy::Of(*step->packet), P(kClose, 1, 4));
}

TEST(WireAssembler, GapsAreFine) {
  PacketAssembler assembler(1);
  const Outcome outcome =
      Feed(assembler, {F(kMessage, 1, 1, true, "a"), F(kMessage, 1, 5, true, "e")});
  EXPECT_TRUE(outcome.err.ok());
  EXPECT_EQ(outcome.packets,
            (std::vector<PacketCopy>{P(kMessage, 1, 1, "a"), P(kMessage, 1, 5, "e")}));
  EXPECT_EQ(assembler.expected_message_id(), 6u);
}

TEST(WireAssembler, KindChangeMidPacketIsAnError) {
  // [s1 m1 Msg d=f][s1 m1 Error] is an error.
  PacketAssembler assembler(1);
  const Outcome outcome = Feed(assembler, {F(kMessage, 1, 1, false, "a"), F(kError, 1, 1, true)});
  EXPECT_EQ(outcome.err,
            ProtocolError("frame kind changed mid-packet: got Error (3), expected Message (2)"));
}

TEST(WireAssembler, NewKindOnTheNextIdIsFine) {
  // [s1 m1 Msg d=t][s1 m2 Close d=t] is fine.
  PacketAssembler assembler(1);
  const Outcome outcome = Feed(assembler, {F(kMessage, 1, 1, true, "a"), F(kClose, 1, 2, true)});
  EXPECT_TRUE(outcome.err.ok());
  EXPECT_EQ(outcome.packets, (std::vector<PacketCopy>{P(kMessage, 1, 1, "a"), P(kClose, 1, 2)}));
}

TEST(WireAssembler, JoinsAMultiFramePacket) {
  // Example E8: "hello world" split at 5.
  PacketAssembler assembler(1);
  const Outcome outcome =
      Feed(assembler, {F(kMessage, 1, 2, false, "hello"), F(kMessage, 1, 2, false, " worl"),
                       F(kMessage, 1, 2, true, "d")});
  EXPECT_EQ(outcome.packets, std::vector<PacketCopy>{P(kMessage, 1, 2, "hello world")});
  EXPECT_EQ(assembler.expected_message_id(), 3u);
  EXPECT_FALSE(assembler.assembling());
}

TEST(WireAssembler, MultiFramePacketMayStartAboveOne) {
  PacketAssembler assembler(4);
  const Outcome outcome =
      Feed(assembler, {F(kMessage, 4, 9, false, "ab"), F(kMessage, 4, 9, false, ""),
                       F(kMessage, 4, 9, true, "cd")});
  EXPECT_EQ(outcome.packets, std::vector<PacketCopy>{P(kMessage, 4, 9, "abcd")});
  EXPECT_TRUE(outcome.dropped.empty());
}

TEST(WireAssembler, ControlBitComesFromTheLastFrame) {
  PacketAssembler assembler(1);
  const Outcome last_on =
      Feed(assembler, {F(9, 1, 1, false, "a", false), F(9, 1, 1, true, "b", true)});
  EXPECT_EQ(last_on.packets, std::vector<PacketCopy>{P(9, 1, 1, "ab", true)});
  const Outcome last_off =
      Feed(assembler, {F(9, 1, 2, false, "a", true), F(9, 1, 2, true, "b", false)});
  EXPECT_EQ(last_off.packets, std::vector<PacketCopy>{P(9, 1, 2, "ab", false)});
}

TEST(WireAssembler, OneFramePacketIsNotCopied) {
  PacketAssembler assembler(1);
  const std::string data = "payload";
  Frame frame = F(kMessage, 1, 1, true).view();
  frame.data = AsBytes(data);
  Result<AssembleStep> step = assembler.Append(frame);
  ASSERT_TRUE(step.ok() && step->packet.has_value());
  EXPECT_EQ(step->packet->data.data(), frame.data.data());
  EXPECT_EQ(assembler.buffer_capacity(), 0u);
}

TEST(WireAssembler, PacketOverTheBoundIsAMessageSizeError) {
  const AssemblerOptions options{.max_packet_size = 10};
  {
    PacketAssembler assembler(1, options);
    const Outcome exact =
        Feed(assembler, {F(kMessage, 1, 1, false, "12345"), F(kMessage, 1, 1, true, "67890")});
    EXPECT_EQ(exact.packets, std::vector<PacketCopy>{P(kMessage, 1, 1, "1234567890")});
    EXPECT_LE(assembler.buffer_capacity(), 10u);
  }
  {
    PacketAssembler assembler(1, options);
    const Outcome over =
        Feed(assembler, {F(kMessage, 1, 1, false, "123456"), F(kMessage, 1, 1, true, "78901")});
    EXPECT_EQ(over.err,
              Status(ErrorKind::kMessageSize, "packet exceeds 10 bytes (stream 1, message 1)"));
    EXPECT_LE(assembler.buffer_capacity(), 10u);
    // The error is final.
    EXPECT_EQ(assembler.Append(F(kMessage, 1, 2, true).view()).status(), over.err);
  }
  {
    PacketAssembler assembler(1, options);
    const Outcome single = Feed(assembler, {F(kMessage, 1, 1, true, "12345678901")});
    EXPECT_EQ(single.err.kind(), ErrorKind::kMessageSize);
  }
}

TEST(WireAssembler, ManySmallFramesStayWithinTheBound) {
  const AssemblerOptions options{.max_packet_size = 1000};
  PacketAssembler assembler(1, options);
  for (int i = 0; i < 333; ++i) {
    ASSERT_TRUE(assembler.Append(F(kMessage, 1, 1, false, "abc").view()).ok());
    ASSERT_LE(assembler.buffer_capacity(), 1000u);
  }
  EXPECT_EQ(assembler.Append(F(kMessage, 1, 1, false, "abcd").view()).status().kind(),
            ErrorKind::kMessageSize);
}

TEST(WireAssembler, KeepsABigBufferForBigPacketsAndFreesItAfterSmallOnes) {
  PacketAssembler assembler(1);
  const std::string chunk(50 * 1024, 'b');
  uint64_t message_id = 0;
  auto join = [&](size_t frames, const std::string& data) {
    ++message_id;
    for (size_t i = 0; i < frames; ++i) {
      const FrameCopy frame = F(kMessage, 1, message_id, i + 1 == frames, data);
      Result<AssembleStep> step = assembler.Append(frame.view());
      ASSERT_TRUE(step.ok()) << step.status();
      ASSERT_EQ(step->packet.has_value(), i + 1 == frames);
      if (step->packet) {
        ASSERT_EQ(step->packet->data.size(), frames * data.size());
      }
    }
  };
  join(4, chunk);  // 200 KiB
  const size_t big = assembler.buffer_capacity();
  EXPECT_GE(big, 200u * 1024);
  join(4, chunk);  // another big one reuses the buffer
  EXPECT_EQ(assembler.buffer_capacity(), big);
  join(2, "small");  // assembled in the big buffer, which it barely uses
  EXPECT_EQ(assembler.buffer_capacity(), big);
  join(2, "small");  // the big buffer went when the small packet was done with
  EXPECT_LE(assembler.buffer_capacity(), 64u * 1024);
}

TEST(WireAssembler, ResetDropsThePartialPacketAndKeepsTheIds) {
  PacketAssembler assembler(1);
  ASSERT_TRUE(assembler.Append(F(kMessage, 1, 3, false, "abc").view()).ok());
  EXPECT_EQ(assembler.Reset(), 3u);
  EXPECT_FALSE(assembler.assembling());
  EXPECT_EQ(assembler.Reset(), 0u);
  // The continuation of the dropped packet starts a new packet now.
  const Outcome outcome = Feed(assembler, {F(kMessage, 1, 3, true, "d")});
  EXPECT_EQ(outcome.packets, std::vector<PacketCopy>{P(kMessage, 1, 3, "d")});
  EXPECT_EQ(Feed(assembler, {F(kMessage, 1, 2, true)}).err.kind(), ErrorKind::kProtocol);
}

TEST(WireAssembler, LargestMessageIdEndsTheStream) {
  PacketAssembler assembler(1);
  const Outcome outcome =
      Feed(assembler, {F(kMessage, 1, UINT64_MAX, true, "last"), F(kMessage, 1, 1, true)});
  EXPECT_EQ(outcome.packets, std::vector<PacketCopy>{P(kMessage, 1, UINT64_MAX, "last")});
  EXPECT_EQ(outcome.err.kind(), ErrorKind::kProtocol);
  EXPECT_NE(outcome.err.message().find("monotonicity violation"), std::string::npos);
}

TEST(WireAssembler, UnknownKindsAssembleLikeAnyOther) {
  PacketAssembler assembler(1);
  const Outcome outcome =
      Feed(assembler, {F(42, 1, 1, false, "a", true), F(42, 1, 1, true, "b", true)});
  ASSERT_EQ(outcome.packets.size(), 1u);
  EXPECT_EQ(ClassifyKind(outcome.packets[0].kind, outcome.packets[0].control),
            KindDisposition::kIgnore);
}

TEST(WireAssembler, InterleavedStreamsGiveSixPacketsAndRejectAReplay) {
  // s1m1 s2m1 s1m2 s2m2 s1m3 s2m3 with one assembler per stream.
  PacketAssembler s1(1);
  PacketAssembler s2(2);
  std::vector<PacketCopy> packets;
  for (uint64_t m = 1; m <= 3; ++m) {
    for (PacketAssembler* assembler : {&s1, &s2}) {
      const uint64_t stream = assembler == &s1 ? 1 : 2;
      // A one-frame packet aliases its frame's data: keep the frame alive.
      const FrameCopy frame = F(kMessage, stream, m, true, "x");
      Result<AssembleStep> step = assembler->Append(frame.view());
      ASSERT_TRUE(step.ok() && step->packet.has_value());
      packets.push_back(PacketCopy::Of(*step->packet));
    }
  }
  EXPECT_EQ(packets.size(), 6u);
  EXPECT_EQ(s2.Append(F(kMessage, 2, 1, true, "x").view()).status().kind(), ErrorKind::kProtocol);
}

}  // namespace
}  // namespace drpc::wire

// The byte captures of real Go peers (tests/wire/testdata, described in the
// interop README): each is parsed completely into the frames the README
// describes, read back through FrameReader and per-stream assemblers, and
// re-encoded to the same bytes.
#include <gtest/gtest.h>

#include <map>

#include "drpc/wire/error_payload.h"
#include "drpc/wire/kind.h"
#include "drpc/wire/memory_io.h"
#include "drpc/wire/metadata.h"
#include "drpc/wire/writer.h"
#include "tests/wire/wire_testing.h"

namespace drpc::wire {
namespace {

using testing::Capture;
using testing::F;
using testing::FrameCopy;
using testing::P;
using testing::PacketCopy;
using testing::ReadPackets;
using testing::ToHex;

// Metadata entries spelled out by hand from §1.10 (tag, length, bytes).
const std::string kAuthorizationEntry =
    std::string("\x0a\x1d\x0a\x0d") + "authorization" + "\x12\x0c" + "Bearer t0k3n";
const std::string kRequestIdEntry =
    std::string("\x0a\x12\x0a\x0c") + "x-request-id" + "\x12\x02" + "42";

struct CaptureCase {
  const char* name;
  std::vector<FrameCopy> frames;
};

std::vector<CaptureCase> Cases() {
  return {
      {"cancel_hard.c2s",
       {F(kInvoke, 1, 1, true, "/peer.Echo/Bidi"), F(kMessage, 1, 2, true, "ping")}},
      {"cancel_hard.s2c", {F(kMessage, 1, 1, true, "ping")}},
      {"cancel_soft.c2s",
       {F(kInvoke, 1, 1, true, "/peer.Echo/Bidi"), F(kMessage, 1, 2, true, "ping"),
        F(kCancel, 1, 3, true, "", /*control=*/true), F(kInvoke, 2, 1, true, "/peer.Echo/Unary"),
        F(kMessage, 2, 2, true, "after-cancel"), F(kCloseSend, 2, 3, true), F(kClose, 2, 4, true)}},
      {"cancel_soft.s2c",
       {F(kMessage, 1, 1, true, "ping"), F(kMessage, 2, 1, true, "after-cancel"),
        F(kCloseSend, 2, 2, true)}},
      {"server_stream3.c2s",
       {F(kInvoke, 1, 1, true, "/peer.Echo/ServerStream"), F(kMessage, 1, 2, true, "count=3"),
        F(kCloseSend, 1, 3, true)}},
      {"server_stream3.s2c",
       {F(kMessage, 1, 1, true, "msg-0"), F(kMessage, 1, 2, true, "msg-1"),
        F(kMessage, 1, 3, true, "msg-2"), F(kCloseSend, 1, 4, true)}},
      {"unary_error.c2s",
       {F(kInvoke, 1, 1, true, "/peer.Echo/Fail"), F(kMessage, 1, 2, true, "please"),
        F(kCloseSend, 1, 3, true)}},
      {"unary_error.s2c",
       {F(kError, 1, 1, true,
          std::string("\0\0\0\0\0\0\0\x07", 8) + "permission denied: peer test error")}},
      {"unary_metadata.c2s",
       {F(kInvokeMetadata, 1, 1, true, kAuthorizationEntry),
        F(kInvoke, 1, 2, true, "/peer.Echo/Unary"), F(kMessage, 1, 3, true, "hello"),
        F(kCloseSend, 1, 4, true), F(kClose, 1, 5, true)}},
      {"unary_metadata.s2c", {F(kMessage, 1, 1, true, "hello"), F(kCloseSend, 1, 2, true)}},
      {"unary_metadata2.c2s",
       {F(kInvokeMetadata, 1, 1, true, kAuthorizationEntry + kRequestIdEntry),
        F(kInvoke, 1, 2, true, "/peer.Echo/Unary"), F(kMessage, 1, 3, true, "hello"),
        F(kCloseSend, 1, 4, true), F(kClose, 1, 5, true)}},
      {"unary_metadata2.s2c", {F(kMessage, 1, 1, true, "hello"), F(kCloseSend, 1, 2, true)}},
      {"unary_split.c2s",
       {F(kInvoke, 1, 1, false, "/pee"), F(kInvoke, 1, 1, false, "r.Ec"),
        F(kInvoke, 1, 1, false, "ho/U"), F(kInvoke, 1, 1, true, "nary"),
        F(kMessage, 1, 2, false, "hell"), F(kMessage, 1, 2, false, "o wo"),
        F(kMessage, 1, 2, true, "rld!"), F(kCloseSend, 1, 3, true), F(kClose, 1, 4, true)}},
      {"unary_split.s2c",
       {F(kMessage, 1, 1, false, "hell"), F(kMessage, 1, 1, false, "o wo"),
        F(kMessage, 1, 1, true, "rld!"), F(kCloseSend, 1, 2, true)}},
  };
}

TEST(WireInterop, EveryCaptureParsesIntoTheDescribedFrames) {
  for (const CaptureCase& c : Cases()) {
    const std::vector<uint8_t> bytes = Capture(c.name);
    ASSERT_FALSE(bytes.empty()) << c.name;
    EXPECT_EQ(testing::ParseAll(testing::View(bytes)), c.frames) << c.name;
  }
}

TEST(WireInterop, EveryCaptureReEncodesToTheSameBytes) {
  for (const CaptureCase& c : Cases()) {
    Buffer out;
    for (const FrameCopy& frame : c.frames) AppendFrame(out, frame.view());
    EXPECT_EQ(ToHex(out.view()), ToHex(testing::View(Capture(c.name)))) << c.name;
  }
}

TEST(WireInterop, EveryCaptureReadsBackThroughReaderAndAssemblers) {
  for (const CaptureCase& c : Cases()) {
    // Every capture except unary_split has one frame per packet.
    if (std::string_view(c.name).starts_with("unary_split")) continue;
    std::vector<PacketCopy> expected;
    for (const FrameCopy& f : c.frames) {
      ASSERT_TRUE(f.done);
      expected.push_back(P(f.kind, f.stream_id, f.message_id, f.data, f.control));
    }
    EXPECT_EQ(ReadPackets(Capture(c.name), 1), expected) << c.name;
  }
}

TEST(WireInterop, UnarySplitJoinsFourByteFrames) {
  const std::vector<PacketCopy> client = {P(kInvoke, 1, 1, "/peer.Echo/Unary"),
                                          P(kMessage, 1, 2, "hello world!"), P(kCloseSend, 1, 3),
                                          P(kClose, 1, 4)};
  const std::vector<PacketCopy> server = {P(kMessage, 1, 1, "hello world!"), P(kCloseSend, 1, 2)};
  EXPECT_EQ(ReadPackets(Capture("unary_split.c2s"), 1), client);
  EXPECT_EQ(ReadPackets(Capture("unary_split.s2c"), 1), server);
  // Every frame but a packet's last carries exactly 4 bytes.
  for (const char* name : {"unary_split.c2s", "unary_split.s2c"}) {
    for (const FrameCopy& frame : testing::ParseAll(testing::View(Capture(name)))) {
      if (!frame.done) {
        EXPECT_EQ(frame.data.size(), 4u) << name;
      }
      EXPECT_LE(frame.data.size(), 4u) << name;
    }
  }
}

TEST(WireInterop, WriterWithSplitSizeFourReproducesUnarySplit) {
  const std::vector<PacketCopy> client = {P(kInvoke, 1, 1, "/peer.Echo/Unary"),
                                          P(kMessage, 1, 2, "hello world!"), P(kCloseSend, 1, 3),
                                          P(kClose, 1, 4)};
  BufferSink sink;
  FrameWriter writer(sink, WriterOptions{.split_size = 4});
  for (const PacketCopy& p : client) {
    ASSERT_TRUE(
        writer.WritePacket(Packet{p.stream_id, p.message_id, p.kind, p.control, AsBytes(p.data)})
            .ok());
  }
  ASSERT_TRUE(writer.Flush().ok());
  EXPECT_EQ(ToHex(sink.bytes().view()), ToHex(testing::View(Capture("unary_split.c2s"))));
}

TEST(WireInterop, PayloadsDecode) {
  const std::vector<FrameCopy> error = testing::ParseAll(testing::View(Capture("unary_error.s2c")));
  ASSERT_EQ(error.size(), 1u);
  const ErrorPayload payload = DecodeErrorPayload(AsBytes(error[0].data));
  EXPECT_EQ(payload.code, 7u);
  EXPECT_EQ(payload.text, "permission denied: peer test error");

  const std::vector<FrameCopy> md = testing::ParseAll(testing::View(Capture("unary_metadata.c2s")));
  Result<Metadata> decoded = DecodeMetadata(AsBytes(md.at(0).data));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, (Metadata{{"authorization", "Bearer t0k3n"}}));
}

TEST(WireInterop, UnaryMetadata2AcceptsEitherEntryOrder) {
  // Go writes metadata in map order, which varies run to run: the capture
  // has authorization first, about a quarter of runs had x-request-id first.
  // Both orders must decode to the same map; our encoder writes sorted keys,
  // which happens to be the captured order.
  const Metadata expected{{"authorization", "Bearer t0k3n"}, {"x-request-id", "42"}};
  const std::vector<FrameCopy> frames =
      testing::ParseAll(testing::View(Capture("unary_metadata2.c2s")));
  ASSERT_FALSE(frames.empty());
  for (const std::string& data : {frames[0].data, kRequestIdEntry + kAuthorizationEntry}) {
    Result<Metadata> decoded = DecodeMetadata(AsBytes(data));
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, expected);
  }
  Buffer encoded;
  EncodeMetadata(encoded, expected);
  EXPECT_EQ(ToString(encoded.view()), frames[0].data);
}

TEST(WireInterop, ServerCloseSendMayBeMissing) {
  // After a unary call the server's trailing CloseSend can be missing (the
  // client's Close won the race): the shorter stream must read cleanly too.
  std::vector<uint8_t> bytes = Capture("unary_metadata.s2c");
  bytes.resize(bytes.size() - 4);
  EXPECT_EQ(ReadPackets(bytes, 1), std::vector<PacketCopy>{P(kMessage, 1, 1, "hello")});
}

}  // namespace
}  // namespace drpc::wire

// The bytes a stream puts on the wire, against drpc-protocol.md §1.11 (the
// worked examples E1..E8 and the whole unary call), message ids (§1.6), and
// split writes at small split sizes, joined back by a peer stream.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "drpc/wire/assembler.h"
#include "drpc/wire/split.h"
#include "tests/stream_state/stream_testing.h"

namespace drpc::stream {
namespace {

using testing::Harness;
using testing::Hex;
using testing::ToHex;
using wire::Kind;

std::string WireHex(const Harness& h) {
  const std::vector<uint8_t> bytes = h.sink.bytes();
  return ToHex(Bytes(bytes));
}
std::string SpecHex(std::string_view text) {
  const std::vector<uint8_t> bytes = Hex(text);
  return ToHex(Bytes(bytes));
}

// The protobuf message {1: "foo"} of E2, as bytes.
const std::string kFoo = "\x0a\x03\x66\x6f\x6f";
const std::string kBar = "\x0a\x03\x62\x61\x72";

// Client side of a unary call: E1 E2 E3, then Close s1 m4 (§1.11).
TEST(WireBytes, UnaryCallClientSide) {
  Harness h(1, Role::kClient);
  ASSERT_TRUE(h.stream->WriteInvoke("/svc/Method").ok());
  ASSERT_TRUE(h.stream->MsgSend(kFoo, BytesCodec{}).ok());
  ASSERT_TRUE(h.stream->CloseSend().ok());
  EXPECT_EQ(WireHex(h), SpecHex("03 01 01 0b 2f 73 76 63 2f 4d 65 74 68 6f 64"  // E1
                                " 05 01 02 05 0a 03 66 6f 6f"                   // E2
                                " 0d 01 03 00"));                               // E3
  // The server's reply, then the client's deferred Close.
  ASSERT_TRUE(h.Deliver(Kind::kMessage, kBar).ok());
  std::string reply;
  ASSERT_TRUE(h.stream->MsgRecv(reply, BytesCodec{}).ok());
  EXPECT_EQ(reply, kBar);
  ASSERT_TRUE(h.stream->Close().ok());
  EXPECT_EQ(WireHex(h), SpecHex("03 01 01 0b 2f 73 76 63 2f 4d 65 74 68 6f 64"
                                " 05 01 02 05 0a 03 66 6f 6f 0d 01 03 00"
                                " 0b 01 04 00"));  // Close s1 m4
}

// Once the server's CloseSend arrived (after ours), the stream is finished
// and the deferred Close is a no-op: no Close frame (§1.11's timing note).
TEST(WireBytes, UnaryCallClientCloseAfterServerCloseSendIsSilent) {
  Harness h(1, Role::kClient);
  ASSERT_TRUE(h.stream->WriteInvoke("/svc/Method").ok());
  ASSERT_TRUE(h.stream->MsgSend(kFoo, BytesCodec{}).ok());
  ASSERT_TRUE(h.stream->CloseSend().ok());
  ASSERT_TRUE(h.Deliver(Kind::kMessage, kBar).ok());
  ASSERT_TRUE(h.Deliver(Kind::kCloseSend).ok());
  EXPECT_TRUE(h.stream->finished().is_set());
  ASSERT_TRUE(h.stream->Close().ok());
  EXPECT_EQ(WireHex(h), SpecHex("03 01 01 0b 2f 73 76 63 2f 4d 65 74 68 6f 64"
                                " 05 01 02 05 0a 03 66 6f 6f 0d 01 03 00"));
}

// Server side: the invoke packets were consumed by the manager (message ids
// 1 and 2 on the client's counter), so the stream first sees the client's
// Message as id 2 or 3; it replies with Message s1 m1 "bar", CloseSend s1 m2.
TEST(WireBytes, UnaryCallServerSide) {
  Harness h(1, Role::kServer);
  h.next_in_id = 1;  // the Invoke was message 1
  ASSERT_TRUE(h.Deliver(Kind::kMessage, kFoo).ok());
  ASSERT_TRUE(h.Deliver(Kind::kCloseSend).ok());
  std::string request;
  ASSERT_TRUE(h.stream->MsgRecv(request, BytesCodec{}).ok());
  EXPECT_EQ(request, kFoo);
  ASSERT_TRUE(h.stream->MsgSend(kBar, BytesCodec{}).ok());
  ASSERT_TRUE(h.stream->CloseSend().ok());
  EXPECT_EQ(WireHex(h), SpecHex("05 01 01 05 0a 03 62 61 72 0d 01 02 00"));
  EXPECT_TRUE(h.stream->finished().is_set());  // both sides closed their sends
}

// E4 + E4b: metadata then Invoke, back to back.
TEST(WireBytes, InvokeWithMetadata) {
  Harness h(1);
  ASSERT_TRUE(h.stream->WriteInvoke("/svc/Method", {{"key", "value"}}).ok());
  EXPECT_EQ(WireHex(h),
            SpecHex("0f 01 01 0e 0a 0c 0a 03 6b 65 79 12 05 76 61 6c 75 65"  // E4
                    " 03 01 02 0b 2f 73 76 63 2f 4d 65 74 68 6f 64"));       // E4b
}

// E5: Error s1 m4, code 12, text "nope".
TEST(WireBytes, ErrorPacket) {
  Harness h(1);
  ASSERT_TRUE(h.stream->WriteInvoke("/svc/Method").ok());  // m1
  ASSERT_TRUE(h.Send("a").ok());                           // m2
  ASSERT_TRUE(h.Send("b").ok());                           // m3
  const size_t before = h.sink.bytes().size();
  ASSERT_TRUE(h.stream->SendError(Status(ErrorKind::kInternal, "nope", 12)).ok());
  const std::vector<uint8_t> all = h.sink.bytes();
  EXPECT_EQ(ToHex(Bytes(all).subspan(before)),
            SpecHex("07 01 04 0c 00 00 00 00 00 00 00 0c 6e 6f 70 65"));
}

// E6: Cancel (control) s300 m5.
TEST(WireBytes, CancelPacket) {
  Harness h(300);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(h.Send("m").ok());
  const size_t before = h.sink.bytes().size();
  ASSERT_TRUE(h.stream->SendCancel(CanceledError()).ok());
  const std::vector<uint8_t> all = h.sink.bytes();
  EXPECT_EQ(ToHex(Bytes(all).subspan(before)), SpecHex("89 ac 02 05 00"));
}

// E8: "hello world" split at 5 as message 2.
TEST(WireBytes, SplitMessage) {
  StreamOptions options;
  options.split_size = 5;
  Harness h(1, Role::kClient, options);
  ASSERT_TRUE(h.stream->WriteInvoke("/svc/Method").ok());
  const size_t before = h.sink.bytes().size();
  ASSERT_TRUE(h.Send("hello world").ok());
  const std::vector<uint8_t> all = h.sink.bytes();
  EXPECT_EQ(ToHex(Bytes(all).subspan(before)),
            SpecHex("04 01 02 05 68 65 6c 6c 6f · 04 01 02 05 20 77 6f 72 6c · 05 01 02 01 64"));
}

// Terminal packets are always one frame, whatever the split size.
TEST(WireBytes, TerminalPacketsAreNeverSplit) {
  StreamOptions options;
  options.split_size = 2;
  Harness h(1, Role::kServer, options);
  ASSERT_TRUE(h.stream->SendError(Status(ErrorKind::kInternal, "a long error text", 3)).ok());
  const std::vector<testing::RecordedFrame> frames = h.sink.frames();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_TRUE(frames[0].done);
  EXPECT_EQ(frames[0].data.size(), 8u + 17u);
}

// Split writes at small sizes: the frame count and sizes follow Go's
// SplitData, every frame carries the packet's ids, only the last has done,
// and a peer stream joins them back into the same bytes.
TEST(WireBytes, SplitWritesJoinBack) {
  std::string payload;
  for (int i = 0; i < 1000; ++i) payload += static_cast<char>('a' + i % 26);
  for (int64_t split : {int64_t{1}, int64_t{2}, int64_t{3}, int64_t{7}, int64_t{999}, int64_t{1000},
                        int64_t{1001}, int64_t{0}, int64_t{-1}}) {
    SCOPED_TRACE(split);
    StreamOptions options;
    options.split_size = split;
    Harness sender(9, Role::kClient, options);
    ASSERT_TRUE(sender.Send("first").ok());
    ASSERT_TRUE(sender.Send(payload).ok());
    ASSERT_TRUE(sender.Send("").ok());  // empty is still one frame
    const std::vector<testing::RecordedFrame> frames = sender.sink.frames();

    const size_t chunk = split > 0 ? static_cast<size_t>(split) : (split == 0 ? 65536 : SIZE_MAX);
    auto frames_for = [chunk](size_t n) { return n == 0 ? size_t{1} : (n - 1) / chunk + 1; };
    const size_t payload_frames = frames_for(payload.size());
    ASSERT_EQ(frames.size(), frames_for(5) + payload_frames + frames_for(0));
    size_t seen = 0;
    for (size_t i = 0; i < frames.size(); ++i) {
      const testing::RecordedFrame& f = frames[i];
      EXPECT_EQ(f.stream_id, 9u);
      EXPECT_FALSE(f.control);
      EXPECT_LE(f.data.size(), chunk);
      if (f.message_id == 2) {
        ++seen;
        EXPECT_EQ(f.done, seen == payload_frames);
      }
    }
    EXPECT_EQ(seen, payload_frames);

    // The peer: a stream of the same id fed the recorded frames.
    Harness receiver(9, Role::kServer);
    for (const testing::RecordedFrame& f : frames) {
      ASSERT_TRUE(receiver.stream->HandleFrame(f.view()).ok());
    }
    for (const std::string& want : {std::string("first"), payload, std::string()}) {
      Result<std::string> got = receiver.Recv();
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(*got, want);
    }
  }
}

// Two independent counters: outgoing ids count this side's packets only,
// whatever arrives; each starts at 0 and goes up by one per packet sent.
TEST(WireBytes, MessageIdsCountOwnPacketsOnly) {
  Harness h(1);
  ASSERT_TRUE(h.Send("a").ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(h.Deliver(Kind::kMessage, "in").ok());
  ASSERT_TRUE(h.Send("b").ok());
  ASSERT_TRUE(h.stream->CloseSend().ok());
  const std::vector<testing::RecordedFrame> frames = h.sink.frames();
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].message_id, 1u);
  EXPECT_EQ(frames[1].message_id, 2u);
  EXPECT_EQ(frames[2].message_id, 3u);
}

}  // namespace
}  // namespace drpc::stream

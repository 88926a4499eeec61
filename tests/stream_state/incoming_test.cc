// drpc-protocol.md §2.2, "Incoming packets": the effect of every packet kind
// on a stream, what HandleFrame returns to the manager (non-ok = the
// connection dies), unknown kinds with and without the control bit, invokes
// on an existing stream, frames after termination, assembler errors, and the
// later era's stream-level MessageSizeError.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "drpc/wire/assembler.h"
#include "drpc/wire/error_payload.h"
#include "tests/stream_state/stream_testing.h"

namespace drpc::stream {
namespace {

using testing::Harness;
using wire::Kind;

TEST(Incoming, MessageIsQueued) {
  Harness h;
  EXPECT_TRUE(h.Deliver(Kind::kMessage, "hello").ok());
  EXPECT_FALSE(h.stream->DebugState().term);
  Result<std::string> got = h.Recv();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "hello");
}

TEST(Incoming, MultiFrameMessageIsJoined) {
  Harness h;
  const std::string parts[] = {"ab", "cd", "e"};
  for (int i = 0; i < 3; ++i) {
    const wire::Frame f{.stream_id = 1,
                        .message_id = 4,  // the first packet may start above 1
                        .kind = wire::ToRaw(Kind::kMessage),
                        .done = i == 2,
                        .data = AsBytes(parts[i])};
    ASSERT_TRUE(h.stream->HandleFrame(f).ok());
  }
  Result<std::string> got = h.Recv();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "abcde");
}

TEST(Incoming, InvokeOnAnExistingStreamKillsTheConnection) {
  for (Kind kind : {Kind::kInvoke, Kind::kInvokeMetadata}) {
    SCOPED_TRACE(wire::KindName(wire::ToRaw(kind)));
    Harness h(3, Role::kServer);
    const Status st = h.Deliver(kind, "/svc/Other");
    EXPECT_TRUE(st.is(ErrorKind::kProtocol)) << st;
    EXPECT_NE(st.message().find("invoke on existing stream"), std::string::npos) << st;
    EXPECT_TRUE(h.stream->DebugState().term);
    EXPECT_TRUE(h.stream->finished().is_set());
    EXPECT_EQ(h.stream->termination_error(), st);
    EXPECT_EQ(h.Recv().status(), st);
    EXPECT_TRUE(h.Send("x").is(ErrorKind::kProtocol));
  }
}

TEST(Incoming, ErrorDecodesCodeAndText) {
  Harness h;
  EXPECT_TRUE(h.DeliverError(5, "it broke").ok());
  const Status recv = h.Recv().status();
  EXPECT_EQ(recv, RemoteError("it broke", 5));
  EXPECT_TRUE(h.Send("x").is(ErrorKind::kEof));
  EXPECT_TRUE(h.stream->finished().is_set());
}

TEST(Incoming, ShortErrorDataKeepsItsTextWithTheNote) {
  Harness h;
  EXPECT_TRUE(h.Deliver(Kind::kError, "abc").ok());
  EXPECT_EQ(h.Recv().status(), RemoteError("abc (drpcwire note: invalid error data)", 0));
}

TEST(Incoming, CancelCancels) {
  Harness h;
  EXPECT_TRUE(h.Deliver(Kind::kCancel, {}, /*control=*/true).ok());
  const StreamState st = h.stream->DebugState();
  EXPECT_TRUE(st.cancel && st.send && st.term && st.fin);
  EXPECT_TRUE(h.Recv().status().is(ErrorKind::kCanceled));
  EXPECT_TRUE(h.Send("x").is(ErrorKind::kEof));
}

TEST(Incoming, CloseTerminates) {
  Harness h;
  EXPECT_TRUE(h.Deliver(Kind::kClose).ok());
  EXPECT_TRUE(h.stream->finished().is_set());
  EXPECT_EQ(h.stream->termination_error(), ClosedError("remote closed the stream"));
  EXPECT_TRUE(h.Recv().status().is(ErrorKind::kEof));
}

TEST(Incoming, CloseSendClosesOnlyTheReceiveSide) {
  Harness h;
  EXPECT_TRUE(h.Deliver(Kind::kCloseSend).ok());
  const StreamState st = h.stream->DebugState();
  EXPECT_TRUE(st.recv);
  EXPECT_FALSE(st.send || st.term || st.fin);
  EXPECT_TRUE(h.Recv().status().is(ErrorKind::kEof));
  EXPECT_TRUE(h.Send("x").ok());
}

// Unknown kinds (§1.5): with the control bit they are dropped silently and
// the stream carries on; without it the stream dies with an internal error
// that also kills the connection. WindowUpdate (8) is not handled yet, so it
// counts as unknown; kind 0 is reserved.
TEST(Incoming, UnknownKindWithControlIsIgnored) {
  for (uint8_t kind : {uint8_t{0}, uint8_t{8}, uint8_t{9}, uint8_t{63}}) {
    SCOPED_TRACE(kind);
    Harness h;
    EXPECT_TRUE(h.DeliverRaw(kind, "whatever", /*control=*/true).ok());
    const StreamState st = h.stream->DebugState();
    EXPECT_FALSE(st.send || st.recv || st.term || st.cancel);
    EXPECT_TRUE(h.Deliver(Kind::kMessage, "next").ok());
    Result<std::string> got = h.Recv();
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, "next");
  }
}

TEST(Incoming, UnknownKindWithoutControlKillsStreamAndConnection) {
  for (uint8_t kind : {uint8_t{0}, uint8_t{8}, uint8_t{9}, uint8_t{63}}) {
    SCOPED_TRACE(kind);
    Harness h;
    const Status st = h.DeliverRaw(kind, "", /*control=*/false);
    EXPECT_TRUE(st.is(ErrorKind::kInternal)) << st;
    EXPECT_NE(st.message().find("unknown packet kind"), std::string::npos) << st;
    EXPECT_TRUE(h.stream->finished().is_set());
    EXPECT_EQ(h.Recv().status(), st);
  }
}

// Known kinds are handled whether or not the control bit is set.
TEST(Incoming, KnownKindWithControlIsHandled) {
  Harness h;
  EXPECT_TRUE(h.Deliver(Kind::kMessage, "ctl", /*control=*/true).ok());
  Result<std::string> got = h.Recv();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "ctl");
}

// Anything after termination is dropped, including packets that would
// otherwise kill the connection.
TEST(Incoming, FramesAfterTerminationAreIgnored) {
  Harness h;
  ASSERT_TRUE(h.Deliver(Kind::kMessage, "before").ok());
  ASSERT_TRUE(h.stream->Close().ok());
  EXPECT_TRUE(h.Deliver(Kind::kMessage, "after").ok());
  EXPECT_TRUE(h.Deliver(Kind::kInvoke, "/svc/X").ok());
  EXPECT_TRUE(h.DeliverRaw(9, "", /*control=*/false).ok());
  EXPECT_TRUE(h.DeliverError(1, "late").ok());
  EXPECT_TRUE(h.Deliver(Kind::kCancel, {}, true).ok());
  // Even a malformed frame (message id going backwards).
  const wire::Frame stale{.stream_id = 1, .message_id = 1, .kind = 2, .done = true, .data = {}};
  EXPECT_TRUE(h.stream->HandleFrame(stale).ok());
  EXPECT_FALSE(h.stream->DebugState().cancel);
  Result<std::string> got = h.Recv();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "before");
  EXPECT_EQ(h.Recv().status(), DrpcError("terminated by sending close"));
  EXPECT_EQ(h.pool->stats().lent, 0u);
}

// Assembler errors go to the manager (the connection dies); the stream does
// not decide that on its own.
TEST(Incoming, AssemblerErrorsAreReturned) {
  {
    Harness h;
    const wire::Frame zero{.stream_id = 1, .message_id = 0, .kind = 2, .done = true, .data = {}};
    EXPECT_TRUE(h.stream->HandleFrame(zero).is(ErrorKind::kProtocol));
  }
  {
    Harness h;
    const wire::Frame other{.stream_id = 2, .message_id = 1, .kind = 2, .done = true, .data = {}};
    EXPECT_TRUE(h.stream->HandleFrame(other).is(ErrorKind::kProtocol));
  }
  {
    Harness h;
    ASSERT_TRUE(
        h.stream->HandleFrame({.stream_id = 1, .message_id = 1, .kind = 2, .data = {}}).ok());
    const Status st =
        h.stream->HandleFrame({.stream_id = 1, .message_id = 1, .kind = 3, .data = {}});
    EXPECT_TRUE(st.is(ErrorKind::kProtocol)) << st;
  }
}

// A Message over max_packet_size fails only the stream (later era): sends
// return EOF, receives the size error, an abortive Error (control bit) tells
// the peer, and the connection lives.
TEST(Incoming, OversizedMessageFailsOnlyTheStream) {
  StreamOptions options;
  options.max_packet_size = 8;
  Harness h(5, Role::kServer, options);
  ASSERT_TRUE(h.Deliver(Kind::kMessage, "12345678").ok());  // at the limit: fine
  const Status st = h.Deliver(Kind::kMessage, "123456789");
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_TRUE(h.stream->finished().is_set());
  EXPECT_TRUE(h.Send("x").is(ErrorKind::kEof));
  Result<std::string> first = h.Recv();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, "12345678");
  EXPECT_TRUE(h.Recv().status().is(ErrorKind::kMessageSize));

  const std::vector<testing::RecordedFrame> frames = h.sink.frames();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].kind, wire::ToRaw(Kind::kError));
  EXPECT_TRUE(frames[0].control);
  EXPECT_TRUE(frames[0].done);
  EXPECT_EQ(frames[0].message_id, 1u);
  const wire::ErrorPayload payload = wire::DecodeErrorPayload(AsBytes(frames[0].data));
  EXPECT_EQ(payload.code, 8u) << "ResourceExhausted: the client must not read it as Unknown";
  EXPECT_EQ(payload.text.rfind("rpc error: code = ResourceExhausted desc = ", 0), 0u)
      << payload.text;
}

// The same size over the limit in a multi-frame Message: the frame that
// crosses the limit fails the stream.
TEST(Incoming, OversizedMultiFrameMessageFailsOnlyTheStream) {
  StreamOptions options;
  options.max_packet_size = 5;
  Harness h(1, Role::kClient, options);
  EXPECT_TRUE(h.stream
                  ->HandleFrame({.stream_id = 1,
                                 .message_id = 1,
                                 .kind = 2,
                                 .data = AsBytes(std::string_view("abc"))})
                  .ok());
  EXPECT_TRUE(h.stream
                  ->HandleFrame({.stream_id = 1,
                                 .message_id = 1,
                                 .kind = 2,
                                 .done = true,
                                 .data = AsBytes(std::string_view("def"))})
                  .ok());
  EXPECT_TRUE(h.Recv().status().is(ErrorKind::kMessageSize));
}

// Any other kind over the limit is not a Message: the connection dies.
TEST(Incoming, OversizedNonMessageKillsTheConnection) {
  StreamOptions options;
  options.max_packet_size = 4;
  Harness h(1, Role::kClient, options);
  const Status st = h.DeliverError(1, "too long for four bytes");
  EXPECT_TRUE(st.is(ErrorKind::kMessageSize)) << st;
  EXPECT_TRUE(h.sink.frames().empty());
}

// A message the ring refuses under its byte budget (§3.4 variant B): only
// this stream fails.
TEST(Incoming, RingOverBudgetFailsOnlyTheStream) {
  StreamOptions options;
  options.ring.max_bytes = 10;
  Harness h(1, Role::kClient, options);
  ASSERT_TRUE(h.Deliver(Kind::kMessage, "0123456789").ok());
  EXPECT_TRUE(h.Deliver(Kind::kMessage, "x").ok());
  EXPECT_TRUE(h.stream->finished().is_set());
  EXPECT_TRUE(h.stream->termination_error().is(ErrorKind::kResourceExhausted));
  ASSERT_EQ(h.sink.frames().size(), 1u);
  EXPECT_TRUE(h.sink.frames()[0].control);
  Result<std::string> first = h.Recv();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, "0123456789");
}

}  // namespace
}  // namespace drpc::stream

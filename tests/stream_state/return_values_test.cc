// drpc-protocol.md §2.4, "What later calls return", row by row: after each
// event, what the next send and the next receive return; and drain after
// close (queued messages come before the error, whatever the error).
// Expected values are written from the spec table, not from the code.
#include <gtest/gtest.h>

#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "tests/stream_state/stream_testing.h"

namespace drpc::stream {
namespace {

using testing::Harness;
using wire::Kind;

// What a call should return: ok, or an error of `kind` (and, when given,
// exactly this message and code).
struct Expect {
  Expect(ErrorKind k, std::string m = "", uint64_t c = 0)  // NOLINT: implicit for the table
      : kind(k), message(std::move(m)), code(c) {}
  ErrorKind kind;
  std::string message;  // empty: any message
  uint64_t code;
};

::testing::AssertionResult Matches(const Status& got, const Expect& want) {
  if (got.kind() != want.kind) {
    return ::testing::AssertionFailure()
           << "got " << got << ", want kind " << ErrorKindName(want.kind);
  }
  if (!want.message.empty() && got.message() != want.message) {
    return ::testing::AssertionFailure()
           << "got " << got << ", want message '" << want.message << "'";
  }
  if ((got.is(ErrorKind::kRemote) ? got.wire_code() : 0) != want.code) {
    return ::testing::AssertionFailure() << "got " << got << ", want code " << want.code;
  }
  return ::testing::AssertionSuccess();
}

struct Row {
  std::string name;
  std::function<void(Harness&)> event;
  Expect next_send;
  Expect next_recv;
};

// gtest prints the row's name instead of its bytes.
void PrintTo(const Row& row, std::ostream* os) { *os << row.name; }

std::vector<Row> Rows() {
  return {
      {"LocalClose",
       [](Harness& h) { EXPECT_TRUE(h.stream->Close().ok()); },
       {ErrorKind::kDrpc, "terminated by sending close"},
       {ErrorKind::kDrpc, "terminated by sending close"}},
      {"LocalSendError",
       [](Harness& h) {
         EXPECT_TRUE(h.stream->SendError(Status(ErrorKind::kInternal, "boom", 7)).ok());
       },
       {ErrorKind::kEof},
       {ErrorKind::kDrpc, "terminated by sending error"}},
      {"LocalCancelCanceled",
       [](Harness& h) { EXPECT_FALSE(h.stream->Cancel(CanceledError())); },
       {ErrorKind::kEof},
       {ErrorKind::kCanceled}},
      {"LocalCancelDeadlineExceeded",
       [](Harness& h) { EXPECT_FALSE(h.stream->Cancel(DeadlineExceededError())); },
       {ErrorKind::kEof},
       {ErrorKind::kDeadlineExceeded}},
      {"RemoteClose",
       [](Harness& h) { EXPECT_TRUE(h.Deliver(Kind::kClose).ok()); },
       {ErrorKind::kClosed, "remote closed the stream"},
       {ErrorKind::kEof}},
      {"RemoteErrorWithCode",
       [](Harness& h) { EXPECT_TRUE(h.DeliverError(12, "nope").ok()); },
       {ErrorKind::kEof},
       {ErrorKind::kRemote, "nope", 12}},
      {"RemoteCloseSend",
       [](Harness& h) { EXPECT_TRUE(h.Deliver(Kind::kCloseSend).ok()); },
       {ErrorKind::kOk},
       {ErrorKind::kEof}},
      {"RemoteCancel",
       [](Harness& h) { EXPECT_TRUE(h.Deliver(Kind::kCancel, {}, /*control=*/true).ok()); },
       {ErrorKind::kEof},
       {ErrorKind::kCanceled}},
      // Connection death: the manager cancels every stream with the mapped
      // connection error (§4.7).
      {"ConnectionDiedClient",
       [](Harness& h) { EXPECT_FALSE(h.stream->Cancel(ClosedError("connection closed"))); },
       {ErrorKind::kEof},
       {ErrorKind::kClosed, "connection closed"}},
      {"ConnectionDiedServer",
       [](Harness& h) { EXPECT_FALSE(h.stream->Cancel(CanceledError())); },
       {ErrorKind::kEof},
       {ErrorKind::kCanceled}},
  };
}

class ReturnValues : public ::testing::TestWithParam<Row> {};

TEST_P(ReturnValues, NextSendAndNextRecv) {
  const Row& row = GetParam();
  Harness h;
  row.event(h);
  // Twice each: the answer is stable, not a one-off.
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(Matches(h.Send("x"), row.next_send)) << "send #" << i;
  }
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(Matches(h.Recv().status(), row.next_recv)) << "recv #" << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, ReturnValues, ::testing::ValuesIn(Rows()),
                         [](const auto& param_info) { return param_info.param.name; });

// local CloseSend: sends say "send closed"; messages still arrive; EOF only
// after the remote CloseSend, which also finishes the stream (both closed).
TEST(ReturnValues, LocalCloseSendThenRemoteCloseSend) {
  Harness h;
  ASSERT_TRUE(h.stream->CloseSend().ok());
  EXPECT_TRUE(Matches(h.Send("x"), {ErrorKind::kDrpc, "send closed"}));
  EXPECT_FALSE(h.stream->DebugState().term);

  ASSERT_TRUE(h.Deliver(Kind::kMessage, "late reply").ok());
  Result<std::string> got = h.Recv();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "late reply");

  ASSERT_TRUE(h.Deliver(Kind::kCloseSend).ok());
  EXPECT_TRUE(Matches(h.Recv().status(), {ErrorKind::kEof}));
  EXPECT_TRUE(h.stream->finished().is_set());
  EXPECT_TRUE(Matches(h.stream->termination_error(), {ErrorKind::kDrpc, "both closed"}));
  EXPECT_TRUE(Matches(h.Send("x"), {ErrorKind::kDrpc, "send closed"}));
}

// The other order: remote CloseSend first, then ours finishes the stream.
TEST(ReturnValues, RemoteCloseSendThenLocalCloseSend) {
  Harness h;
  ASSERT_TRUE(h.Deliver(Kind::kCloseSend).ok());
  EXPECT_FALSE(h.stream->DebugState().term);
  ASSERT_TRUE(h.Send("still allowed").ok());
  ASSERT_TRUE(h.stream->CloseSend().ok());
  EXPECT_TRUE(h.stream->finished().is_set());
  EXPECT_TRUE(Matches(h.stream->termination_error(), {ErrorKind::kDrpc, "both closed"}));
  EXPECT_EQ(h.finished_calls.load(), 1);
}

// Once term is set the four terminal calls are no-ops returning ok and
// put nothing on the wire.
TEST(ReturnValues, TerminalCallsAfterTermAreNoOps) {
  Harness h;
  ASSERT_FALSE(h.stream->Cancel(CanceledError()));
  const size_t calls = h.sink.calls();
  EXPECT_TRUE(h.stream->Close().ok());
  EXPECT_TRUE(h.stream->CloseSend().ok());
  EXPECT_TRUE(h.stream->SendError(InternalError("x")).ok());
  EXPECT_TRUE(h.stream->SendCancel(CanceledError()).ok());
  EXPECT_EQ(h.sink.calls(), calls);
  EXPECT_EQ(calls, 0u);
  // Cancel on a finished stream says so.
  EXPECT_TRUE(h.stream->Cancel(CanceledError()));
  EXPECT_EQ(h.finished_calls.load(), 1);
}

// Drain after close (seed era): queued messages come first, then the error,
// forever; for every way the stream can end.
class DrainAfterClose : public ::testing::TestWithParam<Row> {};

TEST_P(DrainAfterClose, QueuedMessagesThenTheError) {
  const Row& row = GetParam();
  Harness h;
  for (const char* m : {"one", "two", "three"}) ASSERT_TRUE(h.Deliver(Kind::kMessage, m).ok());
  row.event(h);
  for (const char* m : {"one", "two", "three"}) {
    Result<std::string> got = h.Recv();
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, m);
  }
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(Matches(h.Recv().status(), row.next_recv));
  // Everything was handed back to the pool on the way.
  EXPECT_EQ(h.pool->stats().lent, 0u);
}

INSTANTIATE_TEST_SUITE_P(Table, DrainAfterClose, ::testing::ValuesIn(Rows()),
                         [](const auto& param_info) { return param_info.param.name; });

// What each local terminal call puts on the wire (§2.3): one frame each, the
// next outgoing message id, Cancel with the control bit, Error with its code
// and text; none with a cancel signal (back-pressure delays, never drops).
TEST(LocalCalls, WireEffects) {
  struct Case {
    const char* name;
    std::function<Status(Stream&)> call;
    Kind kind;
    bool control;
    std::vector<uint8_t> data;
  };
  const std::vector<Case> cases = {
      {"Close", [](Stream& s) { return s.Close(); }, Kind::kClose, false, {}},
      {"CloseSend", [](Stream& s) { return s.CloseSend(); }, Kind::kCloseSend, false, {}},
      {"SendError", [](Stream& s) { return s.SendError(Status(ErrorKind::kInternal, "nope", 12)); },
       Kind::kError, false, testing::Hex("00 00 00 00 00 00 00 0c 6e 6f 70 65")},
      {"SendCancel",
       [](Stream& s) { return s.SendCancel(DeadlineExceededError()); },
       Kind::kCancel,
       true,
       {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Harness h(7);
    ASSERT_TRUE(h.Send("m").ok());  // message id 1
    ASSERT_TRUE(c.call(*h.stream).ok());
    const std::vector<testing::RecordedFrame> frames = h.sink.frames();
    ASSERT_EQ(frames.size(), 2u);
    const testing::RecordedFrame& f = frames[1];
    EXPECT_EQ(f.stream_id, 7u);
    EXPECT_EQ(f.message_id, 2u);
    EXPECT_EQ(f.kind, wire::ToRaw(c.kind));
    EXPECT_TRUE(f.done);
    EXPECT_EQ(f.control, c.control);
    EXPECT_EQ(testing::ToHex(AsBytes(f.data)), testing::ToHex(c.data));
    EXPECT_FALSE(f.had_cancel);
    EXPECT_TRUE(frames[0].had_cancel) << "data frames pass the send signal as their cancel";
  }
}

// Cancel puts nothing on the wire; a second Cancel after fin reports it.
TEST(LocalCalls, CancelIsLocalOnly) {
  Harness h;
  EXPECT_FALSE(h.stream->Cancel(CanceledError()));
  EXPECT_EQ(h.sink.calls(), 0u);
  EXPECT_TRUE(h.stream->finished().is_set());
  EXPECT_TRUE(h.stream->Cancel(DeadlineExceededError()));
  // The first error stays.
  EXPECT_TRUE(Matches(h.stream->termination_error(), {ErrorKind::kCanceled}));
}

// Without cancel a writer error passes through unchanged (§2.1
// checkCancelError); the case with cancel set needs a write in flight and is
// in concurrency_test.cc.
TEST(LocalCalls, WriterErrorsPassThroughWithoutCancel) {
  Harness h;
  h.sink.FailWith(ConnectionError("broken pipe"));
  EXPECT_TRUE(Matches(h.Send("x"), {ErrorKind::kConnection, "broken pipe"}));
  EXPECT_TRUE(Matches(h.stream->Close(), {ErrorKind::kConnection, "broken pipe"}));
}

}  // namespace
}  // namespace drpc::stream

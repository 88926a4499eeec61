// The stream under real threads (OS backend): every terminal operation
// unblocks a pending receive; Close and Cancel race; SendCancel preempts a
// send stuck on back-pressure; fin waits for the read, write or HandleFrame
// that was in flight at term (two-phase shutdown); on_finished runs once,
// outside the stream's locks.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "drpc/rt/task.h"
#include "drpc/rt/time.h"
#include "tests/stream_state/stream_testing.h"

namespace drpc::stream {
namespace {

using namespace std::chrono_literals;
using testing::FakeSink;
using testing::Harness;
using wire::Kind;

// Polls `ready` (bounded: 20 s) so a test waits for another thread to reach
// a state without asserting anything about time.
bool WaitUntil(const std::function<bool()>& ready) {
  for (int i = 0; i < 20000; ++i) {
    if (ready()) return true;
    rt::sleep_for(1ms);
  }
  return ready();
}

struct TerminalOp {
  const char* name;
  std::function<void(Harness&)> run;
  ErrorKind recv_error;
};

TEST(Concurrency, EachTerminalOpUnblocksAPendingReceive) {
  const std::vector<TerminalOp> ops = {
      {"Close", [](Harness& h) { (void)h.stream->Close(); }, ErrorKind::kDrpc},
      {"SendError", [](Harness& h) { (void)h.stream->SendError(InternalError("x")); },
       ErrorKind::kDrpc},
      {"Cancel", [](Harness& h) { h.stream->Cancel(DeadlineExceededError()); },
       ErrorKind::kDeadlineExceeded},
      {"SendCancel", [](Harness& h) { (void)h.stream->SendCancel(CanceledError()); },
       ErrorKind::kCanceled},
      {"RemoteClose", [](Harness& h) { (void)h.Deliver(Kind::kClose); }, ErrorKind::kEof},
      {"RemoteError", [](Harness& h) { (void)h.DeliverError(3, "e"); }, ErrorKind::kRemote},
      {"RemoteCancel", [](Harness& h) { (void)h.Deliver(Kind::kCancel, {}, true); },
       ErrorKind::kCanceled},
      {"RemoteCloseSend", [](Harness& h) { (void)h.Deliver(Kind::kCloseSend); }, ErrorKind::kEof},
  };
  for (const TerminalOp& op : ops) {
    SCOPED_TRACE(op.name);
    Harness h;
    Status got;
    rt::Task receiver = rt::spawn("receiver", [&] { got = h.Recv().status(); });
    // Whether the receive is already blocked or not, it must end with the
    // error; waiting for it makes the blocked case the common one.
    ASSERT_TRUE(WaitUntil([&] { return h.stream->DebugState().reading; }));
    op.run(h);
    receiver.join();
    EXPECT_EQ(got.kind(), op.recv_error) << got;
  }
}

TEST(Concurrency, CloseRacesCancel) {
  for (int round = 0; round < 300; ++round) {
    SCOPED_TRACE(round);
    Harness h;
    ASSERT_TRUE(h.Deliver(Kind::kMessage, "queued").ok());
    Status close_result;
    bool cancel_saw_finished = false;
    Status recv_final;
    rt::Task closer = rt::spawn("closer", [&] { close_result = h.stream->Close(); });
    rt::Task canceler =
        rt::spawn("canceler", [&] { cancel_saw_finished = h.stream->Cancel(CanceledError()); });
    rt::Task receiver = rt::spawn("receiver", [&] {
      for (int i = 0; i < 10; ++i) {
        Result<std::string> r = h.Recv();
        if (!r.ok()) {
          recv_final = r.status();
          return;
        }
      }
    });
    closer.join();
    canceler.join();
    receiver.join();

    EXPECT_TRUE(close_result.ok()) << close_result;
    ASSERT_TRUE(h.stream->finished().is_set());
    EXPECT_EQ(h.finished_calls.load(), 1);
    const Status term = h.stream->termination_error();
    const bool close_won = term == DrpcError("terminated by sending close");
    EXPECT_TRUE(close_won || term == CanceledError()) << term;
    // The Close frame is on the wire exactly when Close terminated first.
    const std::vector<testing::RecordedFrame> frames = h.sink.frames();
    EXPECT_EQ(frames.size(), close_won ? 1u : 0u);
    if (!close_won) {
      EXPECT_FALSE(cancel_saw_finished);
    }
    EXPECT_EQ(recv_final, term);
  }
}

// SendCancel sets send before it takes the write lock: a send waiting on
// back-pressure (its cancel is the send signal) returns, SendCancel gets the
// lock and its Cancel frame (control bit) goes out past the backlog. If
// SendCancel took the lock first this test would hang (ctest timeout).
TEST(Concurrency, SendCancelPreemptsASendBlockedOnBackPressure) {
  Harness h(1, Role::kClient, {}, FakeSink::Mode::kBackPressure);
  Status send_result;
  rt::Task writer = rt::spawn("writer", [&] { send_result = h.Send("stuck behind the backlog"); });
  h.sink.waiting().wait("test: writer reached the sink");
  ASSERT_TRUE(h.stream->DebugState().writing);

  EXPECT_TRUE(h.stream->SendCancel(CanceledError()).ok());
  writer.join();
  EXPECT_TRUE(send_result.is(ErrorKind::kEof)) << send_result;
  const std::vector<testing::RecordedFrame> frames = h.sink.frames();
  ASSERT_EQ(frames.size(), 1u);  // the data frame was never queued
  EXPECT_EQ(frames[0].kind, wire::ToRaw(Kind::kCancel));
  EXPECT_TRUE(frames[0].control);
  EXPECT_TRUE(h.stream->finished().is_set());
  h.sink.Release();
}

// Close is ordered: it waits for the send in progress, so the message goes
// out before the Close frame.
TEST(Concurrency, CloseWaitsForTheSendInProgress) {
  Harness h(1, Role::kClient, {}, FakeSink::Mode::kBackPressure);
  Status send_result, close_result;
  rt::Task writer = rt::spawn("writer", [&] { send_result = h.Send("first"); });
  h.sink.waiting().wait("test: writer reached the sink");
  rt::Task closer = rt::spawn("closer", [&] { close_result = h.stream->Close(); });
  h.sink.Release();
  writer.join();
  closer.join();
  EXPECT_TRUE(send_result.ok()) << send_result;
  EXPECT_TRUE(close_result.ok()) << close_result;
  const std::vector<testing::RecordedFrame> frames = h.sink.frames();
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].kind, wire::ToRaw(Kind::kMessage));
  EXPECT_EQ(frames[1].kind, wire::ToRaw(Kind::kClose));
}

// Two-phase shutdown, write side: a write stuck inside the sink keeps fin
// unset after term; when the transport then fails, the write reports the
// cancel's error (checkCancelError), and fin follows.
TEST(Concurrency, FinWaitsForAWriteInFlight) {
  Harness h(1, Role::kClient, {}, FakeSink::Mode::kStuck);
  Status send_result;
  rt::Task writer = rt::spawn("writer", [&] { send_result = h.Send("in flight"); });
  h.sink.waiting().wait("test: writer reached the sink");

  EXPECT_FALSE(h.stream->Cancel(DeadlineExceededError()));
  StreamState st = h.stream->DebugState();
  EXPECT_TRUE(st.term);
  EXPECT_TRUE(st.writing);
  EXPECT_FALSE(st.fin) << "fin while a write is in flight";
  EXPECT_EQ(h.finished_calls.load(), 0);

  h.sink.FailWith(ClosedError("transport closed"));
  h.sink.Release();
  writer.join();
  EXPECT_TRUE(send_result.is(ErrorKind::kDeadlineExceeded)) << send_result;
  EXPECT_TRUE(h.stream->finished().is_set());
  EXPECT_EQ(h.finished_calls.load(), 1);
}

// A codec whose Unmarshal waits until released, so a receive can be held in
// flight with its lease.
struct GateCodec {
  rt::Signal* entered;
  rt::Signal* release;
  Status Marshal(const std::string& msg, Buffer& out) const {
    return BytesCodec{}.Marshal(msg, out);
  }
  Status Unmarshal(Bytes data, std::string& msg) const {
    entered->set(OkStatus());
    release->wait("gate codec");
    return BytesCodec{}.Unmarshal(data, msg);
  }
};

// Two-phase shutdown, read side: a receive holding its lease keeps fin unset;
// it still returns its message; the buffer is back before fin.
TEST(Concurrency, FinWaitsForAReceiveInFlight) {
  Harness h;
  ASSERT_TRUE(h.Deliver(Kind::kMessage, "held").ok());
  rt::Signal entered("entered"), release("release");
  Status recv_result;
  std::string got;
  rt::Task receiver = rt::spawn("receiver", [&] {
    recv_result = h.stream->MsgRecv(got, GateCodec{&entered, &release});
  });
  entered.wait("test: receive holds its lease");
  EXPECT_EQ(h.pool->stats().lent, 1u);

  EXPECT_FALSE(h.stream->Cancel(CanceledError()));
  StreamState st = h.stream->DebugState();
  EXPECT_TRUE(st.term && st.reading);
  EXPECT_FALSE(st.fin) << "fin while a receive holds a buffer";

  release.set(OkStatus());
  receiver.join();
  EXPECT_TRUE(recv_result.ok()) << recv_result;
  EXPECT_EQ(got, "held");
  EXPECT_TRUE(h.stream->finished().is_set());
  EXPECT_EQ(h.pool->stats().lent, 0u);
  EXPECT_EQ(h.finished_calls.load(), 1);
}

// Two-phase shutdown, HandleFrame side: the reader task blocked on a full
// ring is released by termination (the message is dropped) and fin follows.
TEST(Concurrency, TerminationReleasesHandleFrameBlockedOnAFullRing) {
  StreamOptions options;
  options.ring.capacity = 1;
  Harness h(1, Role::kClient, options);
  ASSERT_TRUE(h.Deliver(Kind::kMessage, "fills the ring").ok());
  Status handle_result;
  rt::Task reader =
      rt::spawn("reader", [&] { handle_result = h.Deliver(Kind::kMessage, "waits for a slot"); });
  ASSERT_TRUE(WaitUntil([&] { return h.stream->DebugState().handling; }));
  ASSERT_TRUE(h.stream->Close().ok());
  reader.join();
  EXPECT_TRUE(handle_result.ok()) << handle_result;
  EXPECT_TRUE(h.stream->finished().is_set());
  Result<std::string> first = h.Recv();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, "fills the ring");
  EXPECT_EQ(h.Recv().status(), DrpcError("terminated by sending close"));
  EXPECT_EQ(h.pool->stats().lent, 0u);
}

// on_finished: exactly once, after fin, with none of the stream's locks held
// (it may call the stream back: a terminal call taking mu again would
// deadlock, and a checked build reports a recursive lock).
TEST(Concurrency, OnFinishedRunsOnceOutsideTheLocks) {
  auto pool = BufferPool::Create();
  FakeSink sink;
  std::shared_ptr<Stream> stream;
  int calls = 0;
  StreamState seen;
  Status drained;
  stream = std::make_shared<Stream>(StreamConfig{
      .id = 4,
      .role = Role::kServer,
      .pool = pool,
      .sink = sink,
      .on_finished =
          [&] {
            ++calls;
            seen = stream->DebugState();
            EXPECT_TRUE(stream->Close().ok());
            EXPECT_TRUE(stream->Cancel(CanceledError()));
            drained = stream->RawRecv().status();
          },
  });
  ASSERT_TRUE(stream->Close().ok());
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(seen.fin);
  EXPECT_FALSE(seen.reading || seen.writing || seen.handling);
  EXPECT_EQ(drained, DrpcError("terminated by sending close"));
  stream->Cancel(CanceledError());
  (void)stream->HandleFrame({.stream_id = 4, .message_id = 1, .kind = 5, .done = true, .data = {}});
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace drpc::stream

namespace drpc::stream {
namespace {

// The contract "one reader task calls HandleFrame" is checked: a second
// HandleFrame while one is blocked on a full ring stops the program.
TEST(ConcurrencyDeathTest, ConcurrentHandleFrameIsReported) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        StreamOptions options;
        options.ring.capacity = 1;
        testing::Harness h(1, Role::kClient, options);
        (void)h.Deliver(wire::Kind::kMessage, "fills the ring");
        rt::Task reader =
            rt::spawn("reader", [&] { (void)h.Deliver(wire::Kind::kMessage, "waits"); });
        for (int i = 0; i < 1000000 && !h.stream->DebugState().handling; ++i) rt::yield();
        (void)h.Deliver(wire::Kind::kMessage, "second reader");
      },
      "HandleFrame called concurrently");
}

}  // namespace
}  // namespace drpc::stream

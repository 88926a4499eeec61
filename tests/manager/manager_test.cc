// The manager pair end to end over a socketpair (OS backend): a unary call,
// the §2.4 state table row by row, cancellation, deadlines, Close. What
// must hold while a call already waits (a cancel, Close or a legacy opener
// releasing it, the deadline watcher left asleep) is tested in the
// simulator, where "it waits" is exact: manager_order_sim_test.cc.
#include "drpc/manager/manager.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tests/manager/manager_testing.h"

namespace drpc::manager {
namespace {

using namespace testing;  // NOLINT: test helpers

TEST(Manager, UnaryCallWithMetadata) {
  Pair p = MakePair();
  std::shared_ptr<Stream> c = Invoke(*p.client, "/svc/Echo", {{"key", "value"}, {"k2", ""}});
  ASSERT_TRUE(Send(*c, "hello").ok());
  ASSERT_TRUE(c->CloseSend().ok());

  ServerStream in = Accept(*p.server);
  EXPECT_EQ(in.rpc, "/svc/Echo");
  EXPECT_EQ(in.metadata, (wire::Metadata{{"key", "value"}, {"k2", ""}}));
  EXPECT_EQ(in.stream->id(), c->id());
  EXPECT_EQ(*Recv(*in.stream), "hello");
  EXPECT_TRUE(Recv(*in.stream).status().is(ErrorKind::kEof));
  ASSERT_TRUE(Send(*in.stream, "world").ok());
  ASSERT_TRUE(in.stream->CloseSend().ok());  // both closed: the server stream finishes

  EXPECT_EQ(*Recv(*c), "world");
  EXPECT_TRUE(Recv(*c).status().is(ErrorKind::kEof));
  WaitFor(c->finished(), "client stream finishes after both CloseSends");
  WaitFor(in.stream->finished(), "server stream finishes");
  EXPECT_TRUE(p.client->Close().ok());
  EXPECT_TRUE(p.server->Close().ok());
  EXPECT_EQ(p.client->active_streams(), 0u);
  EXPECT_EQ(p.server->stats().streams_opened, 1u);
}

TEST(Manager, ClientIdsCountUpFromOne) {
  Pair p = MakePair();
  for (uint64_t want = 1; want <= 5; ++want) {
    Result<std::shared_ptr<Stream>> s = p.client->NewClientStream();
    ASSERT_TRUE(s.ok());
    EXPECT_EQ((*s)->id(), want);
    ASSERT_TRUE((*s)->Close().ok());
  }
}

TEST(Manager, WrongRoleCallsAreRefused) {
  Pair p = MakePair();
  EXPECT_TRUE(p.server->NewClientStream().status().is(ErrorKind::kInvalidArgument));
  EXPECT_TRUE(p.client->NewServerStream().status().is(ErrorKind::kInvalidArgument));
}

TEST(Manager, NewServerStreamTimesOut) {
  Pair p = MakePair();
  Result<ServerStream> in = p.server->NewServerStream(rt::now() + std::chrono::milliseconds(10));
  EXPECT_TRUE(in.status().is(ErrorKind::kDeadlineExceeded)) << in.status();
}

// ---- §2.4: what later calls return, after each event ------------------------

struct Opened {
  Pair pair;
  std::shared_ptr<Stream> client;
  std::shared_ptr<Stream> server;
};

Opened Open() {
  Opened o{MakePair(), nullptr, nullptr};
  o.client = Invoke(*o.pair.client);
  o.server = Accept(*o.pair.server).stream;
  return o;
}

TEST(StateTable, LocalCloseAndRemoteClose) {
  Opened o = Open();
  ASSERT_TRUE(o.client->Close().ok());
  const Status closed = DrpcError("terminated by sending close");
  EXPECT_EQ(Send(*o.client, "x"), closed);
  EXPECT_EQ(Recv(*o.client).status(), closed);

  WaitFor(o.server->terminated(), "server sees the remote Close");
  EXPECT_EQ(Send(*o.server, "x"), ClosedError("remote closed the stream"));
  EXPECT_TRUE(Recv(*o.server).status().is(ErrorKind::kEof));
}

TEST(StateTable, LocalSendErrorAndRemoteError) {
  Opened o = Open();
  ASSERT_TRUE(o.server->SendError(Status(ErrorKind::kDrpc, "nope", 12)).ok());
  EXPECT_TRUE(Send(*o.server, "x").is(ErrorKind::kEof));
  EXPECT_EQ(Recv(*o.server).status(), DrpcError("terminated by sending error"));

  WaitFor(o.client->terminated(), "client sees the remote Error");
  EXPECT_TRUE(Send(*o.client, "x").is(ErrorKind::kEof));
  Status remote = Recv(*o.client).status();
  EXPECT_EQ(remote, RemoteError("nope", 12));
}

TEST(StateTable, LocalCloseSendAndRemoteCloseSend) {
  Opened o = Open();
  ASSERT_TRUE(o.client->CloseSend().ok());
  EXPECT_EQ(Send(*o.client, "x"), DrpcError("send closed"));
  // Messages still arrive on the client after its own CloseSend.
  ASSERT_TRUE(Send(*o.server, "still here").ok());
  EXPECT_EQ(*Recv(*o.client), "still here");
  // Remote CloseSend: the server may still send; its receives end in EOF.
  EXPECT_TRUE(Recv(*o.server).status().is(ErrorKind::kEof));
  EXPECT_TRUE(Send(*o.server, "more").ok());
  EXPECT_EQ(*Recv(*o.client), "more");
  ASSERT_TRUE(o.server->CloseSend().ok());
  EXPECT_TRUE(Recv(*o.client).status().is(ErrorKind::kEof));
}

TEST(StateTable, LocalCancelAndRemoteCancel) {
  Opened o = Open();
  ASSERT_TRUE(Manager::Cancel(*o.client, DeadlineExceededError()).ok());
  EXPECT_TRUE(Send(*o.client, "x").is(ErrorKind::kEof));
  EXPECT_EQ(Recv(*o.client).status(), DeadlineExceededError());

  WaitFor(o.server->terminated(), "server sees the Cancel");
  EXPECT_TRUE(Send(*o.server, "x").is(ErrorKind::kEof));
  EXPECT_EQ(Recv(*o.server).status(), CanceledError());
}

TEST(StateTable, ConnectionDiedServerSide) {
  Opened o = Open();
  ASSERT_TRUE(o.pair.client->Close().ok());  // the client hangs up
  WaitFor(o.server->terminated(), "server stream canceled by the dying connection");
  EXPECT_TRUE(Send(*o.server, "x").is(ErrorKind::kEof));
  EXPECT_EQ(Recv(*o.server).status(), CanceledError()) << "a peer EOF is Canceled on a server";
  EXPECT_EQ(o.pair.server->term().err(), CanceledError());
}

TEST(StateTable, ConnectionDiedClientSide) {
  Opened o = Open();
  ASSERT_TRUE(o.pair.server->Close().ok());
  WaitFor(o.client->terminated(), "client stream canceled by the dying connection");
  EXPECT_TRUE(Send(*o.client, "x").is(ErrorKind::kEof));
  EXPECT_EQ(Recv(*o.client).status(), ClosedError("connection closed"));
}

TEST(StateTable, QueuedMessagesDrainBeforeTheError) {
  Opened o = Open();
  ASSERT_TRUE(Send(*o.client, "one").ok());
  ASSERT_TRUE(Send(*o.client, "two").ok());
  ASSERT_TRUE(Manager::Cancel(*o.client, CanceledError()).ok());
  WaitFor(o.server->terminated(), "server sees the Cancel");
  EXPECT_EQ(*Recv(*o.server), "one");
  EXPECT_EQ(*Recv(*o.server), "two");
  EXPECT_EQ(Recv(*o.server).status(), CanceledError());
}

// ---- cancellation and deadlines ----------------------------------------------

TEST(Cancel, ServerCancelsMidStreamClientLearnsByReceiving) {
  Opened o = Open();
  ASSERT_TRUE(Send(*o.client, "a").ok());
  EXPECT_EQ(*Recv(*o.server), "a");
  ASSERT_TRUE(Manager::Cancel(*o.server, CanceledError()).ok());
  WaitFor(o.client->terminated(), "client sees the server's Cancel");
  EXPECT_TRUE(Send(*o.client, "b").is(ErrorKind::kEof));
  EXPECT_EQ(Recv(*o.client).status(), CanceledError());
  // A soft cancel never touches the connection: a new stream works.
  std::shared_ptr<Stream> again = Invoke(*o.pair.client);
  ServerStream in = Accept(*o.pair.server);
  ASSERT_TRUE(Send(*again, "c").ok());
  EXPECT_EQ(*Recv(*in.stream), "c");
  EXPECT_FALSE(o.pair.client->closed());
}

TEST(Deadline, ExpiredClientStreamIsSoftCanceled) {
  Pair p = MakePair();
  std::shared_ptr<Stream> c =
      Invoke(*p.client, "/svc/Slow", {}, {.deadline = rt::now() + std::chrono::milliseconds(30)});
  ServerStream in = Accept(*p.server);
  // Nobody answers: the watcher cancels the call at its deadline.
  EXPECT_EQ(Recv(*c).status(), DeadlineExceededError());
  WaitFor(in.stream->terminated(), "the server hears the Cancel frame");
  EXPECT_EQ(Recv(*in.stream).status(), CanceledError());
  EXPECT_EQ(p.client->stats().deadlines_expired, 1u);
  EXPECT_FALSE(p.client->closed()) << "a deadline never kills the connection";
}

TEST(Deadline, FinishedStreamsLeaveNoDeadlineBehind) {
  Pair p = MakePair();
  for (int i = 0; i < 20; ++i) {
    std::shared_ptr<Stream> c =
        Invoke(*p.client, "/svc/Fast", {}, {.deadline = rt::now() + std::chrono::hours(1)});
    ServerStream in = Accept(*p.server);
    ASSERT_TRUE(c->Close().ok());
    WaitFor(c->finished(), "client stream finishes");
  }
  EXPECT_EQ(p.client->active_streams(), 0u);
  EXPECT_EQ(p.client->stats().deadlines_expired, 0u);
}

TEST(Deadline, SetDeadlineOnAServerStream) {
  Opened o = Open();
  EXPECT_TRUE(o.pair.server->SetDeadline(*o.server, rt::now() + std::chrono::milliseconds(10)));
  EXPECT_EQ(Recv(*o.server).status(), DeadlineExceededError());
  WaitFor(o.client->terminated(), "client hears the server's Cancel");
  EXPECT_FALSE(o.pair.server->SetDeadline(*o.client, rt::now())) << "not this connection's";
}

// ---- Close -------------------------------------------------------------------

TEST(Close, IsIdempotentAndSafeFromManyThreads) {
  Opened o = Open();
  std::vector<std::thread> closers;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    closers.emplace_back([&] { ok += o.pair.server->Close().ok() ? 1 : 0; });
  }
  for (auto& t : closers) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_TRUE(o.server->finished().is_set()) << "Close returns after every stream finished";
  EXPECT_TRUE(o.pair.server->Close().ok());
}

TEST(Close, FlushesATerminalFrameQueuedBeforeIt) {
  Opened o = Open();
  ASSERT_TRUE(o.client->Close().ok());       // queued in the writer...
  ASSERT_TRUE(o.pair.client->Close().ok());  // ...and written before the transport closes
  WaitFor(o.server->terminated(), "server stream ends");
  EXPECT_EQ(o.server->termination_error(), ClosedError("remote closed the stream"))
      << "the peer must see the stream's Close, not just the connection dying";
}

TEST(Close, StreamsHeldAfterCloseAreFinishedAndDrain) {
  Opened o = Open();
  ASSERT_TRUE(Send(*o.client, "queued").ok());
  // The reader routes frames in order: once a later stream is accepted,
  // "queued" sits in the first stream's ring.
  std::shared_ptr<Stream> later = Invoke(*o.pair.client);
  (void)Accept(*o.pair.server);
  ASSERT_TRUE(o.pair.server->Close().ok());
  std::shared_ptr<Stream> held = o.server;
  EXPECT_TRUE(held->finished().is_set());
  EXPECT_EQ(*Recv(*held), "queued") << "drain after close";
  EXPECT_EQ(Recv(*held).status(), ClosedError("manager closed: Close called"));
  EXPECT_TRUE(Send(*held, "x").is(ErrorKind::kEof));
  o.pair.server.reset();  // the stream outlives its manager, and so does the pool
  EXPECT_EQ(Recv(*held).status(), ClosedError("manager closed: Close called"));
}

TEST(Close, NewStreamsFailAfterClose) {
  Pair p = MakePair();
  ASSERT_TRUE(p.client->Close().ok());
  EXPECT_EQ(p.client->NewClientStream().status(), ClosedError("manager closed: Close called"));
  ASSERT_TRUE(p.server->Close().ok());
  // The server saw the client hang up first: its error is Canceled (§4.7).
  EXPECT_EQ(p.server->NewServerStream().status(), CanceledError());
}

}  // namespace
}  // namespace drpc::manager

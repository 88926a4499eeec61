// The manager against a hand-driven peer: every bound of §4.10, stream id 0,
// reused ids, a client receiving an Invoke, a peer hanging up mid-message,
// and the unit rules of the used-id tracker and the pending-invoke table.
#include <gtest/gtest.h>

#include <string>

#include "drpc/manager/internal/pending_invokes.h"
#include "drpc/manager/internal/stream_ids.h"
#include "drpc/manager/internal/stream_table.h"
#include "tests/manager/manager_testing.h"

namespace drpc::manager {
namespace {

using namespace testing;  // NOLINT: test helpers

// Expects the next frame the peer reads to be the rejectStream Error.
void ExpectRefused(RawPeer& peer, uint64_t sid, const std::string& text_part) {
  RawPeer::Read r = peer.ReadFrame();
  ASSERT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.frame.stream_id, sid);
  EXPECT_EQ(r.frame.message_id, 1u);
  EXPECT_EQ(r.frame.kind, wire::ToRaw(Kind::kError));
  EXPECT_FALSE(r.frame.control) << "a refusal obeys back-pressure: no control bit";
  wire::ErrorPayload payload = wire::DecodeErrorPayload(AsBytes(r.data));
  EXPECT_NE(payload.text.find(text_part), std::string::npos) << payload.text;
  EXPECT_EQ(payload.code, kRefusalCode) << "a refusal says ResourceExhausted";
}

// Opens sid on the server and proves the connection still works by a round trip.
void ExpectWorkingStream(RawPair& p, uint64_t sid) {
  ASSERT_TRUE(p.peer->WriteFrame(sid, 1, Kind::kInvoke, "/svc/M").ok());
  ASSERT_TRUE(p.peer->WriteFrame(sid, 2, Kind::kMessage, "ping").ok());
  ServerStream in = Accept(*p.manager);
  EXPECT_EQ(in.stream->id(), sid);
  EXPECT_EQ(*Recv(*in.stream), "ping");
  ASSERT_TRUE(Send(*in.stream, "pong").ok());
  RawPeer::Read r = p.peer->ReadFrame();
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.frame.stream_id, sid);
  EXPECT_EQ(r.data, "pong");
}

TEST(Protocol, StreamIdZeroKillsTheConnection) {
  RawPair p = MakeRaw(ServerOptions());
  ASSERT_TRUE(p.peer->WriteFrame(0, 1, Kind::kInvoke, "/svc/M").ok());
  WaitFor(p.manager->term(), "the server terminates");
  EXPECT_TRUE(p.manager->term().err().is(ErrorKind::kProtocol)) << p.manager->term().err();
  EXPECT_TRUE(p.peer->ReadUntilEnd().is(ErrorKind::kEof));
}

TEST(Protocol, StreamIdZeroOnAClientToo) {
  RawPair p = MakeRaw(ClientOptions());
  ASSERT_TRUE(p.peer->WriteFrame(0, 1, Kind::kMessage, "x").ok());
  WaitFor(p.manager->term(), "the client terminates");
  EXPECT_TRUE(p.manager->term().err().is(ErrorKind::kProtocol));
}

TEST(Protocol, ReusedStreamIdIsAProtocolError) {
  RawPair p = MakeRaw(ServerOptions());
  ExpectWorkingStream(p, 1);
  // Finish stream 1, then invoke id 1 again.
  ASSERT_TRUE(p.peer->WriteFrame(1, 3, Kind::kClose).ok());
  ASSERT_TRUE(p.peer->WriteFrame(1, 1, Kind::kInvoke, "/svc/Again").ok());
  WaitFor(p.manager->term(), "the server terminates");
  EXPECT_TRUE(p.manager->term().err().is(ErrorKind::kProtocol));
  EXPECT_NE(p.manager->term().err().message().find("already used"), std::string::npos);
}

TEST(Protocol, InvokesSlightlyOutOfOrderAreAccepted) {
  // A Go fork client may write stream 7's Invoke before stream 6's.
  RawPair p = MakeRaw(ServerOptions());
  ExpectWorkingStream(p, 7);
  ExpectWorkingStream(p, 6);
  ExpectWorkingStream(p, 5);
  EXPECT_FALSE(p.manager->closed());
}

TEST(Protocol, ClientReceivingAnInvokeFailsInsteadOfBlocking) {
  RawPair p = MakeRaw(ClientOptions());
  ASSERT_TRUE(p.peer->WriteFrame(1, 1, Kind::kInvoke, "/evil/Server").ok());
  WaitFor(p.manager->term(), "the client terminates");
  EXPECT_TRUE(p.manager->term().err().is(ErrorKind::kProtocol));
  EXPECT_NE(p.manager->term().err().message().find("client received"), std::string::npos);
  EXPECT_TRUE(p.manager->Close().ok());  // and nothing is left blocked
}

TEST(Protocol, LateFramesForUnknownStreamsAreDropped) {
  RawPair p = MakeRaw(ServerOptions());
  ASSERT_TRUE(p.peer->WriteFrame(9, 4, Kind::kMessage, "late").ok());
  ASSERT_TRUE(p.peer->WriteFrame(9, 5, Kind::kClose).ok());
  ExpectWorkingStream(p, 1);
  EXPECT_FALSE(p.manager->closed());
}

TEST(Protocol, InvokeOnAnExistingStreamKillsTheConnection) {
  RawPair p = MakeRaw(ServerOptions());
  ExpectWorkingStream(p, 1);
  ASSERT_TRUE(p.peer->WriteFrame(1, 3, Kind::kInvoke, "/svc/M").ok());
  WaitFor(p.manager->term(), "the server terminates");
  EXPECT_TRUE(p.manager->term().err().is(ErrorKind::kProtocol));
}

TEST(Protocol, LaterMetadataReplacesEarlier) {
  RawPair p = MakeRaw(ServerOptions());
  ASSERT_TRUE(p.peer->WriteMetadata(3, 1, {{"a", "1"}, {"b", "2"}}).ok());
  ASSERT_TRUE(p.peer->WriteMetadata(3, 2, {{"c", "3"}}).ok());
  ASSERT_TRUE(p.peer->WriteFrame(3, 3, Kind::kInvoke, "/svc/M").ok());
  ServerStream in = Accept(*p.manager);
  EXPECT_EQ(in.metadata, (wire::Metadata{{"c", "3"}})) << "replaced, never merged (§1.10)";
}

TEST(Protocol, InvokeSplitAcrossFramesInterleavedWithAnotherStream) {
  RawPair p = MakeRaw(ServerOptions());
  ASSERT_TRUE(p.peer->WriteFrame(1, 1, Kind::kInvoke, "/svc/", /*done=*/false).ok());
  ASSERT_TRUE(p.peer->WriteFrame(2, 1, Kind::kInvoke, "/other/", false).ok());
  ASSERT_TRUE(p.peer->WriteFrame(1, 1, Kind::kInvoke, "One").ok());
  ASSERT_TRUE(p.peer->WriteFrame(2, 1, Kind::kInvoke, "Two").ok());
  EXPECT_EQ(Accept(*p.manager).rpc, "/svc/One");
  EXPECT_EQ(Accept(*p.manager).rpc, "/other/Two");
}

TEST(Protocol, MalformedMetadataKillsTheConnection) {
  RawPair p = MakeRaw(ServerOptions());
  ASSERT_TRUE(p.peer->WriteFrame(1, 1, Kind::kInvokeMetadata, "\x12\x00").ok());
  WaitFor(p.manager->term(), "the server terminates");
  EXPECT_TRUE(p.manager->term().err().is(ErrorKind::kProtocol));
}

TEST(Protocol, PeerHangsUpMidMessage) {
  RawPair p = MakeRaw(ServerOptions());
  ASSERT_TRUE(p.peer->WriteFrame(1, 1, Kind::kInvoke, "/svc/M").ok());
  ServerStream in = Accept(*p.manager);
  ASSERT_TRUE(p.peer->WriteFrame(1, 2, Kind::kMessage, "first half", /*done=*/false).ok());
  // Half a frame, then the connection ends.
  ASSERT_TRUE(p.peer->WriteBytes(std::string("\x05\x01\x02\x10partial", 11)).ok());
  p.peer->Close();
  WaitFor(in.stream->terminated(), "the stream dies with the connection");
  EXPECT_TRUE(Recv(*in.stream).status().is(ErrorKind::kUnexpectedEof))
      << "no partial message is delivered; the truncated frame is an unexpected EOF";
  EXPECT_TRUE(p.manager->Close().ok());
}

// ---- bounds: each refuses one stream, the connection lives -------------------

TEST(Bounds, ConcurrentStreamsOverTheLimitAreRefusedWithAnErrorFrame) {
  ManagerOptions options = ServerOptions();
  options.max_concurrent_streams = 2;
  RawPair p = MakeRaw(options);
  ASSERT_TRUE(p.peer->WriteFrame(1, 1, Kind::kInvoke, "/svc/M").ok());
  ASSERT_TRUE(p.peer->WriteFrame(2, 1, Kind::kInvoke, "/svc/M").ok());
  ASSERT_TRUE(p.peer->WriteFrame(3, 1, Kind::kInvoke, "/svc/M").ok());
  ExpectRefused(*p.peer, 3, "too many concurrent streams");
  ServerStream one = Accept(*p.manager);
  ServerStream two = Accept(*p.manager);
  ASSERT_TRUE(one.stream->Close().ok());
  (void)p.peer->ReadFrame();  // its Close
  WaitFor(one.stream->finished(), "stream 1 finishes");
  ExpectWorkingStream(p, 4);  // room again
  EXPECT_EQ(p.manager->stats().streams_refused, 1u);
}

// What the client's call sees of a refusal: the server's code and text.
TEST(Bounds, ClientSeesARefusalAsResourceExhausted) {
  ManagerOptions server = ServerOptions();
  server.max_concurrent_streams = 1;
  Pair p = MakePair(ClientOptions(), server);
  std::shared_ptr<Stream> one = Invoke(*p.client);
  ServerStream accepted = Accept(*p.server);
  std::shared_ptr<Stream> two = Invoke(*p.client);
  Result<std::string> got = Recv(*two);
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(got.status().is(ErrorKind::kRemote)) << got.status();
  EXPECT_EQ(got.status().code(), kRefusalCode);
  EXPECT_NE(got.status().message().find("too many concurrent streams (limit 1)"), std::string::npos)
      << got.status();
}

TEST(Bounds, ClientSideStreamLimit) {
  ManagerOptions client = ClientOptions();
  client.max_concurrent_streams = 1;
  Pair p = MakePair(client);
  std::shared_ptr<Stream> one = Invoke(*p.client);
  EXPECT_TRUE(p.client->NewClientStream().status().is(ErrorKind::kResourceExhausted));
  ASSERT_TRUE(one->Close().ok());
  WaitFor(one->finished(), "stream finishes");
  EXPECT_TRUE(p.client->NewClientStream().ok());
}

TEST(Bounds, FullAcceptQueueRefusesInsteadOfBlockingTheReader) {
  ManagerOptions options = ServerOptions();
  options.accept_queue_capacity = 2;
  RawPair p = MakeRaw(options);
  for (uint64_t sid = 1; sid <= 3; ++sid) {
    ASSERT_TRUE(p.peer->WriteFrame(sid, 1, Kind::kInvoke, "/svc/M").ok());
  }
  ExpectRefused(*p.peer, 3, "too many streams waiting to be accepted");
  // The reader was never blocked: frames for accepted-but-unaccepted stream
  // 1 still flow into its ring.
  ASSERT_TRUE(p.peer->WriteFrame(1, 2, Kind::kMessage, "early").ok());
  ServerStream one = Accept(*p.manager);
  EXPECT_EQ(*Recv(*one.stream), "early");
}

TEST(Bounds, TooManyUnfinishedInvokesRefusesTheNewOne) {
  ManagerOptions options = ServerOptions();
  options.max_pending_invokes = 2;
  RawPair p = MakeRaw(options);
  ASSERT_TRUE(p.peer->WriteMetadata(1, 1, {{"a", "1"}}).ok());
  ASSERT_TRUE(p.peer->WriteMetadata(2, 1, {{"a", "2"}}).ok());
  ASSERT_TRUE(p.peer->WriteMetadata(3, 1, {{"a", "3"}}).ok());  // third pending: refused
  ExpectRefused(*p.peer, 3, "too many streams being opened");
  // The rest of stream 3's invoke sequence is dropped quietly...
  ASSERT_TRUE(p.peer->WriteFrame(3, 2, Kind::kInvoke, "/svc/M").ok());
  // ...and the other two complete normally.
  ASSERT_TRUE(p.peer->WriteFrame(1, 2, Kind::kInvoke, "/svc/One").ok());
  ASSERT_TRUE(p.peer->WriteFrame(2, 2, Kind::kInvoke, "/svc/Two").ok());
  EXPECT_EQ(Accept(*p.manager).metadata, (wire::Metadata{{"a", "1"}}));
  EXPECT_EQ(Accept(*p.manager).metadata, (wire::Metadata{{"a", "2"}}));
  EXPECT_FALSE(p.manager->closed());
}

TEST(Bounds, OversizedInvokeIsRefused) {
  ManagerOptions options = ServerOptions();
  options.max_invoke_bytes = 100;
  RawPair p = MakeRaw(options);
  ASSERT_TRUE(p.peer->WriteFrame(1, 1, Kind::kInvoke, std::string(80, 'x'), false).ok());
  ASSERT_TRUE(p.peer->WriteFrame(1, 1, Kind::kInvoke, std::string(80, 'y'), false).ok());
  ExpectRefused(*p.peer, 1, "invoke too large");
  ASSERT_TRUE(p.peer->WriteFrame(1, 1, Kind::kInvoke, "end").ok());  // dropped
  ExpectWorkingStream(p, 2);
}

TEST(Bounds, OversizedMessageFailsOnlyItsStream) {
  ManagerOptions options = ServerOptions();
  options.stream.max_packet_size = 64;
  RawPair p = MakeRaw(options);
  ASSERT_TRUE(p.peer->WriteFrame(1, 1, Kind::kInvoke, "/svc/M").ok());
  ServerStream in = Accept(*p.manager);
  ASSERT_TRUE(p.peer->WriteFrame(1, 2, Kind::kMessage, std::string(50, 'a'), false).ok());
  ASSERT_TRUE(p.peer->WriteFrame(1, 2, Kind::kMessage, std::string(50, 'b')).ok());
  EXPECT_TRUE(Recv(*in.stream).status().is(ErrorKind::kMessageSize));
  RawPeer::Read r = p.peer->ReadFrame();  // the abortive Error
  EXPECT_EQ(r.frame.kind, wire::ToRaw(Kind::kError));
  const wire::ErrorPayload payload = wire::DecodeErrorPayload(AsBytes(r.data));
  EXPECT_EQ(payload.code, 8u) << "ResourceExhausted";
  EXPECT_EQ(payload.text.rfind("rpc error: code = ResourceExhausted desc = ", 0), 0u)
      << payload.text;
  ExpectWorkingStream(p, 2);
}

TEST(Bounds, HugeDeclaredFrameIsRefusedBeforeItsData) {
  ManagerOptions options = ServerOptions();
  options.reader.max_frame_size = 1024;
  RawPair p = MakeRaw(options);
  // Header of a Message frame declaring 1 MiB of data.
  ASSERT_TRUE(p.peer->WriteBytes(std::string("\x05\x01\x01\x80\x80\x40", 6)).ok());
  WaitFor(p.manager->term(), "the server terminates");
  EXPECT_TRUE(p.manager->term().err().is(ErrorKind::kProtocol));
}

// ---- the used-id rule and the pending table, unit-level -------------------------

TEST(UsedStreamIds, ZeroIsAlwaysUsed) {
  UsedStreamIds ids(8);
  EXPECT_TRUE(ids.IsUsed(0));
  EXPECT_FALSE(ids.IsUsed(1));
}

TEST(UsedStreamIds, OutOfOrderNewIdsAreNewAndReuseIsCaught) {
  UsedStreamIds ids(8);
  ids.MarkUsed(2);
  EXPECT_FALSE(ids.IsUsed(1)) << "a late lower id is still new";
  ids.MarkUsed(1);
  EXPECT_EQ(ids.low_water(), 2u);
  EXPECT_EQ(ids.above_low_water(), 0u);
  EXPECT_TRUE(ids.IsUsed(1));
  EXPECT_TRUE(ids.IsUsed(2));
}

TEST(UsedStreamIds, GapsAreBoundedByJumpingTheLowWaterMark) {
  UsedStreamIds ids(4);
  // Id 1 is never sent (a Go client used it up); 2..6 arrive.
  for (uint64_t id = 2; id <= 5; ++id) ids.MarkUsed(id);
  EXPECT_EQ(ids.low_water(), 0u);
  EXPECT_EQ(ids.above_low_water(), 4u);
  EXPECT_FALSE(ids.IsUsed(1));
  ids.MarkUsed(6);  // five above the gap: give up on id 1
  EXPECT_EQ(ids.low_water(), 6u);
  EXPECT_EQ(ids.above_low_water(), 0u);
  EXPECT_TRUE(ids.IsUsed(1)) << "an id skipped over counts as used";
  EXPECT_FALSE(ids.IsUsed(7));
}

TEST(UsedStreamIds, MemoryStaysBoundedUnderSparseIds) {
  UsedStreamIds ids(16);
  for (uint64_t id = 10; id < 100000; id += 3) {
    ASSERT_FALSE(ids.IsUsed(id));
    ids.MarkUsed(id);
    ASSERT_LE(ids.above_low_water(), 16u);
  }
}

TEST(PendingInvokes, RefusedSequenceIsForgottenAtItsInvoke) {
  PendingInvokes pending({.max_entries = 1, .max_packet_bytes = 100});
  auto frame = [](uint64_t sid, uint64_t mid, Kind kind, bool done) {
    return wire::Frame{sid, mid, wire::ToRaw(kind), done, false, {}};
  };
  Buffer md;
  ASSERT_EQ(pending.Append(frame(1, 1, Kind::kInvokeMetadata, false))->kind,
            InvokeStep::Kind::kIncomplete);
  EXPECT_EQ(pending.Append(frame(2, 1, Kind::kInvokeMetadata, true))->kind,
            InvokeStep::Kind::kRefuse);
  EXPECT_TRUE(pending.Tracks(2));
  EXPECT_EQ(pending.Append(frame(2, 2, Kind::kInvoke, true))->kind, InvokeStep::Kind::kDropped);
  EXPECT_FALSE(pending.Tracks(2));
  EXPECT_EQ(pending.refused(), 0u);
}

TEST(PendingInvokes, TooManyUnfinishedRefusalsFailTheConnection) {
  PendingInvokes pending({.max_entries = 1, .max_packet_bytes = 100});
  auto md_frame = [](uint64_t sid) {
    return wire::Frame{sid, 1, wire::ToRaw(Kind::kInvokeMetadata), false, false, {}};
  };
  ASSERT_TRUE(pending.Append(md_frame(1)).ok());
  ASSERT_EQ(pending.Append(md_frame(2))->kind, InvokeStep::Kind::kRefuse);
  Result<InvokeStep> third = pending.Append(md_frame(3));
  EXPECT_TRUE(third.status().is(ErrorKind::kResourceExhausted));
}

// The one-frame Invoke path (no table entry) behaves as the assembled one:
// a complete Invoke, the same size bound and refusal, the same protocol
// errors, and the table stays empty.
TEST(PendingInvokes, AWholeInvokeFrameNeedsNoEntry) {
  PendingInvokes pending({.max_entries = 2, .max_packet_bytes = 8});
  auto invoke = [](uint64_t sid, uint64_t mid, std::string_view rpc) {
    return wire::Frame{sid, mid, wire::ToRaw(Kind::kInvoke), true, false, AsBytes(rpc)};
  };
  Result<InvokeStep> ok = pending.Append(invoke(1, 1, "/s/M"));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->kind, InvokeStep::Kind::kInvoke);
  EXPECT_EQ(ok->rpc, "/s/M");
  EXPECT_TRUE(ok->metadata.empty());
  EXPECT_EQ(pending.size(), 0u);
  Result<InvokeStep> big = pending.Append(invoke(3, 1, "/too/long/rpc"));
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ(big->kind, InvokeStep::Kind::kRefuse);
  EXPECT_NE(big->reason.find("invoke too large"), std::string::npos) << big->reason;
  EXPECT_FALSE(pending.Tracks(3)) << "the refused sequence ended with its Invoke";
  EXPECT_TRUE(pending.Append(invoke(5, 0, "/s/M")).status().is(ErrorKind::kProtocol))
      << "message id 0 is a protocol error either way";
  // After metadata, the Invoke completes the entry as before.
  Buffer md;
  wire::EncodeMetadata(md, {{"k", "v"}});
  ASSERT_EQ(
      pending.Append(wire::Frame{7, 1, wire::ToRaw(Kind::kInvokeMetadata), true, false, md.view()})
          ->kind,
      InvokeStep::Kind::kIncomplete);
  EXPECT_EQ(pending.size(), 1u);
  Result<InvokeStep> with_md = pending.Append(invoke(7, 2, "/s/M"));
  ASSERT_TRUE(with_md.ok());
  EXPECT_EQ(with_md->metadata, (wire::Metadata{{"k", "v"}}));
  EXPECT_EQ(pending.size(), 0u);
}

TEST(UsedStreamIds, IdsInOrderNeverUseTheSet) {
  UsedStreamIds ids(4);
  for (uint64_t id = 1; id <= 1000; ++id) {
    ASSERT_FALSE(ids.IsUsed(id));
    ids.MarkUsed(id);
    ASSERT_EQ(ids.low_water(), id);
    ASSERT_EQ(ids.above_low_water(), 0u);
  }
  EXPECT_TRUE(ids.IsUsed(500));
}

// The registry is a sorted flat vector: ids added out of order, finishing
// in any order, Close's snapshot in id order, deadlines kept per id.
TEST(StreamTableFlat, OutOfOrderIdsAndRemovalsKeepItSorted) {
  auto pool = stream::BufferPool::Create({});
  class NullSink final : public stream::FrameSink {
   public:
    Status WriteFrame(const wire::Frame&, rt::Signal*) override { return OkStatus(); }
  } sink;
  auto make = [&](uint64_t id) {
    return std::make_shared<Stream>(
        stream::StreamConfig{.id = id, .role = Role::kServer, .pool = pool, .sink = sink});
  };
  StreamTable table;
  const std::vector<uint64_t> order = {7, 3, 9, 1, 5, 8};
  for (uint64_t id : order) {
    ASSERT_EQ(table.Add(make(id), 16, rt::kNoDeadline, false), AddResult::kAdded);
  }
  EXPECT_EQ(table.Add(make(5), 16, rt::kNoDeadline, false), AddResult::kDuplicate);
  for (uint64_t id : order) ASSERT_EQ(table.Get(id)->id(), id);
  EXPECT_EQ(table.Get(4), nullptr);
  EXPECT_TRUE(table.SetDeadline(9, rt::now() + std::chrono::hours(1)));
  EXPECT_EQ(table.OnFinished(3)->id(), 3u);
  EXPECT_EQ(table.OnFinished(3), nullptr);
  EXPECT_EQ(table.OnFinished(9)->id(), 9u);
  EXPECT_EQ(table.deadlines(), 0u) << "a finished stream takes its deadline along";
  std::vector<uint64_t> snapshot;
  for (const auto& s : table.Close()) snapshot.push_back(s->id());
  EXPECT_EQ(snapshot, (std::vector<uint64_t>{1, 5, 7, 8}));
  EXPECT_EQ(table.Add(make(2), 16, rt::kNoDeadline, false), AddResult::kClosed);
  for (uint64_t id : snapshot) table.OnFinished(id);
  EXPECT_EQ(table.size(), 0u);
}

}  // namespace
}  // namespace drpc::manager

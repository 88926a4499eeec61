// Stream::InvokeAndSend and Stream::MsgSendAndCloseSend over a real manager
// and a hand-driven peer: the frames and message ids of the separate calls,
// the CloseSend transition, the refusals of a data send, the fallback for
// packets over one frame, and atomicity on the wire among concurrent calls.
#include <gtest/gtest.h>

#include <barrier>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "tests/manager/manager_testing.h"

namespace drpc::manager {
namespace {

using namespace testing;  // NOLINT: test helpers

struct Seen {
  uint64_t sid = 0;
  uint64_t mid = 0;
  Kind kind = Kind::kMessage;
  std::string data;
  bool done = false;
  friend bool operator==(const Seen&, const Seen&) = default;
};

std::ostream& operator<<(std::ostream& out, const Seen& s) {
  return out << "{s" << s.sid << " m" << s.mid << " " << wire::KindName(wire::ToRaw(s.kind)) << " '"
             << s.data << "'" << (s.done ? " done" : "") << "}";
}

Seen Next(RawPeer& peer) {
  RawPeer::Read r = peer.ReadFrame();
  EXPECT_TRUE(r.status.ok()) << r.status;
  return Seen{r.frame.stream_id, r.frame.message_id, static_cast<Kind>(r.frame.kind), r.data,
              r.frame.done};
}

// Fails to marshal anything.
struct FailingCodec {
  Status Marshal(const std::string&, Buffer&) const { return InternalError("cannot marshal"); }
  Status Unmarshal(Bytes, std::string&) const { return OkStatus(); }
};

TEST(SendSequence, InvokeAndSendWritesTheWholeRequestWithTheSeparateCallsIds) {
  RawPair p = MakeRaw(ClientOptions());
  Result<std::shared_ptr<Stream>> s = p.manager->NewClientStream();
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(
      (*s)->InvokeAndSend("/svc/Echo", {{"k", "v"}}, std::string("hello"), BytesCodec{}).ok());
  Buffer md;
  wire::EncodeMetadata(md, {{"k", "v"}});
  EXPECT_EQ(Next(*p.peer), (Seen{1, 1, Kind::kInvokeMetadata, ToString(md.view()), true}));
  EXPECT_EQ(Next(*p.peer), (Seen{1, 2, Kind::kInvoke, "/svc/Echo", true}));
  EXPECT_EQ(Next(*p.peer), (Seen{1, 3, Kind::kMessage, "hello", true}));
  EXPECT_EQ(Next(*p.peer), (Seen{1, 4, Kind::kCloseSend, "", true}));
  EXPECT_EQ(p.manager->writer().stats().writes, 1u) << "one submission, one transport write";
  // CloseSend's transition was made: sends are refused, CloseSend is a no-op.
  EXPECT_EQ(Send(**s, "more"), DrpcError("send closed"));
  EXPECT_TRUE((*s)->CloseSend().ok());
  EXPECT_FALSE((*s)->DebugState().term) << "the peer has not closed its side";
  // The peer answers and closes its side: both closed.
  ASSERT_TRUE(p.peer->WriteFrame(1, 1, Kind::kMessage, "world").ok());
  ASSERT_TRUE(p.peer->WriteFrame(1, 2, Kind::kCloseSend).ok());
  EXPECT_EQ(*Recv(**s), "world");
  EXPECT_TRUE(Recv(**s).status().is(ErrorKind::kEof));
  WaitFor((*s)->finished(), "both closed: the stream finishes");
  EXPECT_EQ((*s)->termination_error(), DrpcError("both closed"));
}

TEST(SendSequence, WithoutMetadataThereIsNoMetadataPacket) {
  RawPair p = MakeRaw(ClientOptions());
  Result<std::shared_ptr<Stream>> s = p.manager->NewClientStream();
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->InvokeAndSend("/svc/M", {}, std::string(), BytesCodec{}).ok());
  EXPECT_EQ(Next(*p.peer), (Seen{1, 1, Kind::kInvoke, "/svc/M", true}));
  EXPECT_EQ(Next(*p.peer), (Seen{1, 2, Kind::kMessage, "", true}));
  EXPECT_EQ(Next(*p.peer), (Seen{1, 3, Kind::kCloseSend, "", true}));
}

TEST(SendSequence, MsgSendAndCloseSendAfterTheClientsCloseSendFinishesTheStream) {
  RawPair p = MakeRaw(ServerOptions());
  ASSERT_TRUE(p.peer->WriteFrame(5, 1, Kind::kInvoke, "/svc/M").ok());
  ASSERT_TRUE(p.peer->WriteFrame(5, 2, Kind::kMessage, "ping").ok());
  ASSERT_TRUE(p.peer->WriteFrame(5, 3, Kind::kCloseSend).ok());
  ServerStream in = Accept(*p.manager);
  EXPECT_EQ(*Recv(*in.stream), "ping");
  EXPECT_TRUE(Recv(*in.stream).status().is(ErrorKind::kEof));
  ASSERT_TRUE(Send(*in.stream, "first").ok());
  ASSERT_TRUE(in.stream->MsgSendAndCloseSend(std::string("last"), BytesCodec{}).ok());
  EXPECT_EQ(Next(*p.peer), (Seen{5, 1, Kind::kMessage, "first", true}));
  EXPECT_EQ(Next(*p.peer), (Seen{5, 2, Kind::kMessage, "last", true}));
  EXPECT_EQ(Next(*p.peer), (Seen{5, 3, Kind::kCloseSend, "", true}));
  WaitFor(in.stream->finished(), "both closed");
  EXPECT_EQ(in.stream->termination_error(), DrpcError("both closed"));
}

TEST(SendSequence, RefusedLikeADataSendOnceSendOrTermIsSet) {
  RawPair p = MakeRaw(ClientOptions());
  Result<std::shared_ptr<Stream>> s = p.manager->NewClientStream();
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->CloseSend().ok());
  EXPECT_EQ((*s)->InvokeAndSend("/svc/M", {}, std::string("x"), BytesCodec{}),
            DrpcError("send closed"));
  Result<std::shared_ptr<Stream>> t = p.manager->NewClientStream();
  ASSERT_TRUE(t.ok());
  (*t)->Cancel(CanceledError());
  EXPECT_EQ((*t)->MsgSendAndCloseSend(std::string("x"), BytesCodec{}), EofError());
  // Only s's CloseSend reached the wire.
  EXPECT_EQ(Next(*p.peer), (Seen{1, 1, Kind::kCloseSend, "", true}));
  ASSERT_TRUE((*s)->Close().ok());
  EXPECT_EQ(Next(*p.peer), (Seen{1, 2, Kind::kClose, "", true}));
}

TEST(SendSequence, AMarshalErrorSendsNothingAndChangesNothing) {
  RawPair p = MakeRaw(ClientOptions());
  Result<std::shared_ptr<Stream>> s = p.manager->NewClientStream();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->InvokeAndSend("/svc/M", {}, std::string("x"), FailingCodec{}),
            InternalError("cannot marshal"));
  EXPECT_FALSE((*s)->DebugState().send);
  ASSERT_TRUE((*s)->WriteInvoke("/svc/M").ok());
  EXPECT_EQ(Next(*p.peer), (Seen{1, 1, Kind::kInvoke, "/svc/M", true}));
}

// A message over the split size is several frames: the separate calls are
// made, with the same frames and ids as they always make.
TEST(SendSequence, APacketOverOneFrameFallsBackToTheSeparateCalls) {
  ManagerOptions options = ClientOptions();
  options.stream.split_size = 4;
  RawPair p = MakeRaw(options);
  Result<std::shared_ptr<Stream>> s = p.manager->NewClientStream();
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->InvokeAndSend("/a", {}, std::string("0123456789"), BytesCodec{}).ok());
  EXPECT_EQ(Next(*p.peer), (Seen{1, 1, Kind::kInvoke, "/a", true}));
  EXPECT_EQ(Next(*p.peer), (Seen{1, 2, Kind::kMessage, "0123", false}));
  EXPECT_EQ(Next(*p.peer), (Seen{1, 2, Kind::kMessage, "4567", false}));
  EXPECT_EQ(Next(*p.peer), (Seen{1, 2, Kind::kMessage, "89", true}));
  EXPECT_EQ(Next(*p.peer), (Seen{1, 3, Kind::kCloseSend, "", true}));
  EXPECT_EQ(Send(**s, "more"), DrpcError("send closed"));
}

// Many calls at once on one connection: each call's request frames are
// contiguous on the wire, whoever writes them (inline or the writer task).
TEST(SendSequence, EachRequestIsContiguousOnTheWireAmongConcurrentCalls) {
  RawPair p = MakeRaw(ClientOptions());
  constexpr int kThreads = 8;
  constexpr int kCallsEach = 500;
  std::barrier start(kThreads);
  std::vector<std::thread> callers;
  for (int t = 0; t < kThreads; ++t) {
    callers.emplace_back([&p, &start, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kCallsEach; ++i) {
        Result<std::shared_ptr<Stream>> s = p.manager->NewClientStream();
        ASSERT_TRUE(s.ok());
        const wire::Metadata md =
            i % 3 == 0 ? wire::Metadata{{"caller", std::to_string(t)}} : wire::Metadata{};
        ASSERT_TRUE((*s)->InvokeAndSend("/svc/M", md, std::string(i % 50, 'x'), BytesCodec{}).ok());
        (*s)->Cancel(CanceledError());  // forget it locally; the peer never answers
      }
    });
  }
  std::map<uint64_t, int> requests;
  uint64_t open = 0;  // the stream whose request is being read
  for (int n = 0; n < kThreads * kCallsEach;) {
    Seen f = Next(*p.peer);
    if (open == 0) {
      ASSERT_TRUE(f.kind == Kind::kInvoke || f.kind == Kind::kInvokeMetadata) << f;
      open = f.sid;
    }
    ASSERT_EQ(f.sid, open) << "a frame of another stream inside stream " << open << "'s request";
    if (f.kind == Kind::kCloseSend) {
      ++requests[open];
      open = 0;
      ++n;
    }
  }
  for (auto& c : callers) c.join();
  EXPECT_EQ(requests.size(), static_cast<size_t>(kThreads * kCallsEach));
}

}  // namespace
}  // namespace drpc::manager

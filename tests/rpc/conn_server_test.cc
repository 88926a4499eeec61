// Every outcome of drpc-protocol.md §2.4 seen through the RPC API (Conn,
// ClientStream, Server, Mux), over a socketpair and over TCP: success for
// the four call shapes, the server's error with its code and text, an
// unknown method, cancel, deadline, the peer vanishing, the end of a
// stream, and metadata.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "drpc/base/status.h"
#include "tests/rpc/rpc_test_util.h"

namespace drpc::rpc::testing {
namespace {

class RpcTest : public ::testing::TestWithParam<Net> {
 protected:
  TestService service_;
};

INSTANTIATE_TEST_SUITE_P(Nets, RpcTest, ::testing::Values(Net::kSocketPair, Net::kTcp), NetName);

TEST_P(RpcTest, UnaryRoundTrip) {
  ClientServer cs(service_, GetParam());
  Reply reply;
  ASSERT_TRUE(
      cs.conn().Invoke(kEcho, MakeRequest("hello", 41, std::string("\x00\xff", 2)), reply).ok());
  EXPECT_EQ(reply.text(), "hello");
  EXPECT_EQ(reply.number(), 42);
  EXPECT_EQ(reply.payload(), std::string("\x00\xff", 2));
}

TEST_P(RpcTest, ManySequentialCallsReuseTheConnection) {
  ClientServer cs(service_, GetParam());
  for (int i = 0; i < 200; ++i) {
    Reply reply;
    ASSERT_TRUE(cs.conn().Invoke(kEcho, MakeRequest("n", i), reply).ok()) << i;
    ASSERT_EQ(reply.number(), i + 1);
  }
  EXPECT_EQ(cs.server().stats().calls_started, 200u);
  EXPECT_EQ(cs.server().stats().connections_accepted, 1u);
}

TEST_P(RpcTest, EmptyAndLargeMessages) {
  ClientServer cs(service_, GetParam());
  Reply reply;
  ASSERT_TRUE(cs.conn().Invoke(kEcho, Request(), reply).ok());
  EXPECT_EQ(reply.number(), 1);
  EXPECT_TRUE(reply.text().empty());
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31 % 251);
  ASSERT_TRUE(cs.conn().Invoke(kEcho, MakeRequest("big", 0, big), reply).ok());
  EXPECT_EQ(reply.payload(), big);
}

TEST_P(RpcTest, BytesCodecMessages) {
  ClientServer cs(service_, GetParam());
  std::string reply;
  ASSERT_TRUE(cs.conn().Invoke(kRawEcho, std::string("abc"), reply).ok());
  EXPECT_EQ(reply, "raw:abc");
}

TEST_P(RpcTest, ServerErrorKeepsItsCodeAndText) {
  ClientServer cs(service_, GetParam());
  Reply reply;
  const Status st = cs.conn().Invoke(kFail, MakeRequest("x"), reply);
  EXPECT_EQ(st.kind(), ErrorKind::kRemote) << st;
  EXPECT_EQ(st.code(), kFailCode);
  EXPECT_EQ(st.message(), kFailText);
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
  // The connection is fine afterwards.
  EXPECT_TRUE(cs.conn().Invoke(kEcho, MakeRequest("after"), reply).ok());
}

TEST_P(RpcTest, UnknownMethodIsAnErrorWithItsName) {
  ClientServer cs(service_, GetParam());
  Reply reply;
  const Status st = cs.conn().Invoke("/x.Y/Z", MakeRequest("x"), reply);
  EXPECT_EQ(st.kind(), ErrorKind::kRemote) << st;
  EXPECT_EQ(st.wire_code(), 0u);
  EXPECT_EQ(st.message(), "protocol error: unknown rpc: \"/x.Y/Z\"");
  EXPECT_EQ(st.code(), StatusCode::kUnknown);
  EXPECT_TRUE(cs.conn().Invoke(kEcho, MakeRequest("after"), reply).ok());
}

TEST_P(RpcTest, AHandlerThatSendsNothingGivesEof) {
  ClientServer cs(service_, GetParam());
  Reply reply;
  EXPECT_EQ(cs.conn().Invoke(kNoReply, MakeRequest("x"), reply).kind(), ErrorKind::kEof);
}

TEST_P(RpcTest, CancelTokenCancelsOnlyThatCall) {
  ClientServer cs(service_, GetParam());
  CancelToken token;
  Status blocked;
  rt::Task caller = rt::spawn("caller", [&] {
    Reply reply;
    blocked = cs.conn().Invoke(kBlock, MakeRequest("x"), reply, {.cancel = token});
  });
  ASSERT_TRUE(service_.WaitEntered(1));
  EXPECT_TRUE(token.Cancel());
  EXPECT_FALSE(token.Cancel());  // first cancel wins
  caller.join();
  EXPECT_EQ(blocked.kind(), ErrorKind::kCanceled) << blocked;
  EXPECT_EQ(blocked.code(), StatusCode::kCanceled);
  // The server's handler saw its stream canceled (soft cancel, §4.6).
  const std::vector<Status> seen = service_.WaitRecorded(1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind(), ErrorKind::kCanceled) << seen[0];
  // The connection and its other calls are untouched.
  EXPECT_FALSE(cs.conn().is_closed());
  Reply reply;
  EXPECT_TRUE(cs.conn().Invoke(kEcho, MakeRequest("after"), reply).ok());
  // A canceled token fails new calls at once, without a stream.
  const uint64_t opened = cs.conn().manager().stats().streams_opened;
  EXPECT_EQ(cs.conn().Invoke(kEcho, MakeRequest("x"), reply, {.cancel = token}).kind(),
            ErrorKind::kCanceled);
  EXPECT_EQ(cs.conn().manager().stats().streams_opened, opened);
}

TEST_P(RpcTest, CancelWithACustomError) {
  ClientServer cs(service_, GetParam());
  CancelToken token;
  token.Cancel(DeadlineExceededError());
  Reply reply;
  EXPECT_EQ(cs.conn().Invoke(kEcho, MakeRequest("x"), reply, {.cancel = token}).kind(),
            ErrorKind::kDeadlineExceeded);
}

TEST_P(RpcTest, DeadlineExceededOnTheClientSoftCancelOnTheServer) {
  ClientServer cs(service_, GetParam());
  Reply reply;
  const Status st =
      cs.conn().Invoke(kBlock, MakeRequest("x"), reply, {.deadline = DeadlineAfter(50ms)});
  EXPECT_EQ(st.kind(), ErrorKind::kDeadlineExceeded) << st;
  EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded);
  const std::vector<Status> seen = service_.WaitRecorded(1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind(), ErrorKind::kCanceled) << seen[0];
  EXPECT_EQ(cs.conn().manager().stats().deadlines_expired, 1u);
  EXPECT_TRUE(cs.conn().Invoke(kEcho, MakeRequest("after"), reply).ok());
}

TEST_P(RpcTest, APassedDeadlineFailsBeforeAnythingIsSent) {
  ClientServer cs(service_, GetParam());
  Reply reply;
  const Status st = cs.conn().Invoke(kEcho, MakeRequest("x"), reply, {.deadline = rt::now() - 1ms});
  EXPECT_EQ(st.kind(), ErrorKind::kDeadlineExceeded);
  EXPECT_EQ(cs.conn().manager().stats().streams_opened, 0u);
}

TEST_P(RpcTest, PeerVanishingMidCallIsUnavailable) {
  ClientServer cs(service_, GetParam());
  Status blocked;
  rt::Task caller = rt::spawn("caller", [&] {
    Reply reply;
    blocked = cs.conn().Invoke(kBlock, MakeRequest("x"), reply);
  });
  ASSERT_TRUE(service_.WaitEntered(1));
  cs.server_kill->Kill();
  caller.join();
  EXPECT_TRUE(blocked.is(ErrorKind::kClosed) || blocked.is(ErrorKind::kConnection)) << blocked;
  EXPECT_EQ(blocked.code(), StatusCode::kUnavailable);
  ASSERT_TRUE(cs.conn().closed().wait_until(rt::now() + kLiveness, "test"));
  Reply reply;
  const Status later = cs.conn().Invoke(kEcho, MakeRequest("x"), reply);
  EXPECT_EQ(later.code(), StatusCode::kUnavailable) << later;
}

TEST_P(RpcTest, ServerStreamingEndsWithEof) {
  ClientServer cs(service_, GetParam());
  Result<ClientStream<Request, Reply>> s = cs.conn().NewStream<Request, Reply>(kCount);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_TRUE(s->Send(MakeRequest("", 5)).ok());
  ASSERT_TRUE(s->CloseSend().ok());
  Reply r;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(s->Recv(r).ok()) << i;
    EXPECT_EQ(r.number(), i);
  }
  EXPECT_EQ(s->Recv(r).kind(), ErrorKind::kEof);
  EXPECT_EQ(s->Recv(r).kind(), ErrorKind::kEof);  // stays at the end
  EXPECT_TRUE(s->Close().ok());
}

TEST_P(RpcTest, ServerStreamingErrorAfterMessages) {
  ClientServer cs(service_, GetParam());
  Result<ClientStream<Request, Reply>> s = cs.conn().NewStream<Request, Reply>(kCount);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s->Send(MakeRequest("fail", 3)).ok());
  ASSERT_TRUE(s->CloseSend().ok());
  Reply r;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(s->Recv(r).ok()) << i;  // drained before the error
  const Status st = s->Recv(r);
  EXPECT_EQ(st.kind(), ErrorKind::kRemote);
  EXPECT_EQ(st.code(), kFailCode);
}

TEST_P(RpcTest, ClientStreaming) {
  ClientServer cs(service_, GetParam());
  Result<ClientStream<Request, Reply>> s = cs.conn().NewStream<Request, Reply>(kSum);
  ASSERT_TRUE(s.ok());
  int64_t expected = 0;
  for (int i = 1; i <= 10; ++i) {
    ASSERT_TRUE(s->Send(MakeRequest("", i)).ok());
    expected += i;
  }
  Reply total;
  ASSERT_TRUE(s->CloseAndRecv(total).ok());
  EXPECT_EQ(total.number(), expected);
}

TEST_P(RpcTest, BidiInterleaved) {
  ClientServer cs(service_, GetParam());
  Result<ClientStream<Request, Reply>> s = cs.conn().NewStream<Request, Reply>(kChat);
  ASSERT_TRUE(s.ok());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(s->Send(MakeRequest("m" + std::to_string(i), i)).ok());
    Reply r;
    ASSERT_TRUE(s->Recv(r).ok()) << i;
    EXPECT_EQ(r.text(), "m" + std::to_string(i));
  }
  ASSERT_TRUE(s->CloseSend().ok());
  Reply r;
  EXPECT_EQ(s->Recv(r).kind(), ErrorKind::kEof);
}

TEST_P(RpcTest, BidiFromAnotherTask) {
  ClientServer cs(service_, GetParam());
  Result<ClientStream<Request, Reply>> s = cs.conn().NewStream<Request, Reply>(kChat);
  ASSERT_TRUE(s.ok());
  constexpr int kMessages = 100;
  rt::Task sender = rt::spawn("sender", [&] {
    for (int i = 0; i < kMessages; ++i) ASSERT_TRUE(s->Send(MakeRequest("s", i)).ok());
    ASSERT_TRUE(s->CloseSend().ok());
  });
  Reply r;
  int received = 0;
  Status st;
  while ((st = s->Recv(r)).ok()) EXPECT_EQ(r.number(), received++);
  sender.join();
  EXPECT_EQ(st.kind(), ErrorKind::kEof);
  EXPECT_EQ(received, kMessages);
}

TEST_P(RpcTest, ClientStreamCancelReachesTheHandler) {
  ClientServer cs(service_, GetParam());
  Result<ClientStream<Request, Reply>> s = cs.conn().NewStream<Request, Reply>(kChat);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s->Send(MakeRequest("one", 1)).ok());
  Reply r;
  ASSERT_TRUE(s->Recv(r).ok());
  EXPECT_TRUE(s->Cancel().ok());
  EXPECT_EQ(s->Recv(r).kind(), ErrorKind::kCanceled);
  EXPECT_EQ(s->Send(MakeRequest("two")).kind(), ErrorKind::kEof);  // sends say EOF (§2.4)
  const std::vector<Status> seen = service_.WaitRecorded(1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind(), ErrorKind::kCanceled) << seen[0];
}

TEST_P(RpcTest, StreamTokenCancel) {
  ClientServer cs(service_, GetParam());
  CancelToken token;
  Result<ClientStream<Request, Reply>> s =
      cs.conn().NewStream<Request, Reply>(kChat, {.cancel = token});
  ASSERT_TRUE(s.ok());
  token.Cancel();
  Reply r;
  EXPECT_EQ(s->Recv(r).kind(), ErrorKind::kCanceled);
  EXPECT_EQ(service_.WaitRecorded(1).at(0).kind(), ErrorKind::kCanceled);
}

TEST_P(RpcTest, MetadataRoundTrip) {
  ClientServer cs(service_, GetParam());
  const Metadata sent = {{"authorization", "Bearer t0k3n"},
                         {"", "empty key"},
                         {"empty value", ""},
                         {"x-request-id", "42"},
                         {"bin", std::string("\x00\x01\xff", 3)}};
  Reply reply;
  ASSERT_TRUE(cs.conn().Invoke(kMetadata, MakeRequest("x"), reply, {.metadata = sent}).ok());
  EXPECT_EQ(service_.seen_metadata(), sent);
  EXPECT_EQ(service_.seen_rpc(), kMetadata);
  EXPECT_EQ(reply.number(), 5);
  // None sent, none seen (no InvokeMetadata packet at all).
  ASSERT_TRUE(cs.conn().Invoke(kMetadata, MakeRequest("x"), reply).ok());
  EXPECT_TRUE(service_.seen_metadata().empty());
  EXPECT_EQ(Lookup(sent, "x-request-id"), std::optional<std::string_view>("42"));
  EXPECT_EQ(Lookup(sent, "missing"), std::nullopt);
}

TEST_P(RpcTest, MetadataOnStreams) {
  ClientServer cs(service_, GetParam());
  Result<ClientStream<Request, Reply>> s =
      cs.conn().NewStream<Request, Reply>(kMetadata, {.metadata = {{"k", "v"}}});
  ASSERT_TRUE(s.ok());
  Reply reply;
  ASSERT_TRUE(s->Send(MakeRequest("x")).ok());
  ASSERT_TRUE(s->CloseAndRecv(reply).ok());
  EXPECT_EQ(service_.seen_metadata(), (Metadata{{"k", "v"}}));
}

TEST_P(RpcTest, ALaterRegistrationReplacesTheEarlierOne) {
  service_.mux.RegisterUnary<Request, Reply>(kEcho, [](ServerCall&, const Request&, Reply& out) {
    out.set_text("replaced");
    return OkStatus();
  });
  ClientServer cs(service_, GetParam());
  Reply reply;
  ASSERT_TRUE(cs.conn().Invoke(kEcho, MakeRequest("x"), reply).ok());
  EXPECT_EQ(reply.text(), "replaced");
  EXPECT_TRUE(service_.mux.Has(kEcho));
  EXPECT_FALSE(service_.mux.Has("/x.Y/Z"));
}

TEST_P(RpcTest, CallsAfterCloseFailAsUnavailable) {
  ClientServer cs(service_, GetParam());
  ASSERT_TRUE(cs.conn().Close().ok());
  EXPECT_TRUE(cs.conn().is_closed());
  Reply reply;
  const Status st = cs.conn().Invoke(kEcho, MakeRequest("x"), reply);
  EXPECT_EQ(st.kind(), ErrorKind::kClosed) << st;
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_FALSE((cs.conn().NewStream<Request, Reply>(kChat).ok()));
}

TEST_P(RpcTest, AnUnparsableReplyIsAnInternalError) {
  ClientServer cs(service_, GetParam());
  // The raw echo takes any bytes and answers "raw:<bytes>", which is not a
  // valid Reply: 'r' (0x72) is field 14 with a length, and the length ('a',
  // 97) runs past the end.
  Reply reply;
  const Status st =
      cs.conn().Invoke(kRawEcho, MakeRequest(std::string(50, 'a')), reply, {}, ProtobufCodec{});
  EXPECT_EQ(st.kind(), ErrorKind::kInternal) << st;
  EXPECT_EQ(st.code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace drpc::rpc::testing

// The C++ Conn against a real Go server: each Go server capture (s2c) is
// replayed to an rpc::Conn making the same call (same rpc name, metadata,
// request bytes, raw-bytes codec, split size), in the order the real
// conversation had, and the client's writes are compared with the Go
// client's capture (c2s) frame by frame and byte for byte, along with the
// call's outcome. Every scenario runs with whole reads and one-byte reads.
//
// Variations accepted (interop README, §1.11), each named in its test:
//   * the trailing Close after a unary call: sent when the client finished
//     the call before the server's CloseSend arrived (the capture's order,
//     replayed exactly by UnaryMetadata), left out otherwise; when both
//     frames arrive together either is right
//     (UnaryReplyAndCloseSendArriveTogether);
//   * metadata entry order: Go writes map order; this client writes sorted
//     by key, which is the order of the unary_metadata2 file, so the bytes
//     match exactly; the frame comparison accepts either order.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "drpc/base/status.h"
#include "drpc/base/unique_function.h"
#include "drpc/rpc/cancel.h"
#include "drpc/rpc/conn.h"
#include "drpc/rt/task.h"
#include "tests/interop/capture.h"
#include "tests/interop/conversation.h"
#include "tests/interop/peer_echo_service.h"

namespace drpc::interop {
namespace {

using StringStream = rpc::ClientStream<std::string, std::string, rpc::BytesCodec>;

// One C++ client connection whose peer is the script.
class ClientConnection {
 public:
  explicit ClientConnection(size_t read_size, rpc::ConnOptions options = {}) : peer_(read_size) {
    conn_.emplace(peer_.Transport(), std::move(options));
  }

  rpc::Conn& conn() { return *conn_; }
  ScriptedPeer& peer() { return peer_; }

  // Runs `call` on its own task while this task plays the Go server's side
  // of `s2c`, then closes the connection (as the Go client's process did).
  ::testing::AssertionResult Converse(const Capture& s2c, const std::vector<Step>& script,
                                      UniqueFunction<void()> call) {
    rt::Task task = rt::spawn("interop.cpp_call", std::move(call));
    ::testing::AssertionResult result = RunScript(peer_, s2c, script);
    if (!result) peer_.HangUp();  // unblocks the call
    task.join();
    (void)conn_->Close();
    return result;
  }

  // The client's writes against `expected`, at both levels.
  void ExpectClientWrote(const std::vector<WireFrame>& expected,
                         MetadataOrder order = MetadataOrder::kExact) {
    const std::vector<uint8_t> written = peer_.written();
    EXPECT_TRUE(SameFrames(expected, ParseFrames(written), order));
    EXPECT_TRUE(SameBytes(Join(expected), written));
    EXPECT_TRUE(peer_.closed_by_cpp());
  }

 private:
  ScriptedPeer peer_;
  std::optional<rpc::Conn> conn_;
};

class ClientInterop : public ::testing::TestWithParam<size_t> {
 protected:
  size_t read_size() const { return GetParam(); }
};

// The unary script in the capture's order: the Go client sent Close as soon
// as it had the reply, before the server's CloseSend reached it.
std::vector<Step> UnaryScript(size_t client_frames_before_reply, size_t reply_frames) {
  return {
      AwaitCpp(client_frames_before_reply, "the invoke, the request and CloseSend"),
      PeerSends(0, reply_frames, "the reply"),
      AwaitCpp(client_frames_before_reply + 1, "the client's Close, once it has the reply"),
      PeerSends(reply_frames, reply_frames + 1, "the server's CloseSend, after that Close"),
  };
}

TEST_P(ClientInterop, UnaryMetadata) {
  const Capture c2s = Capture::Load("unary_metadata.c2s");
  const Capture s2c = Capture::Load("unary_metadata.s2c");
  ClientConnection client(read_size());
  Status st;
  std::string reply;
  ASSERT_TRUE(client.Converse(s2c, UnaryScript(4, 1), [&] {
    st = client.conn().Invoke(kUnary, std::string("hello"), reply,
                              {.metadata = {{"authorization", "Bearer t0k3n"}}});
  }));
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(reply, "hello");
  client.ExpectClientWrote(c2s.frames);
}

// Variation: the reply and the server's CloseSend arrive in one piece. The
// client may see the CloseSend before it finishes the call (then its Close
// is a no-op, §1.11) or after (then it sends Close). Either is right.
TEST_P(ClientInterop, UnaryReplyAndCloseSendArriveTogether) {
  const Capture c2s = Capture::Load("unary_metadata.c2s");
  const Capture s2c = Capture::Load("unary_metadata.s2c");
  ASSERT_TRUE(c2s.frames.back().is(wire::Kind::kClose));
  ClientConnection client(read_size());
  Status st;
  std::string reply;
  ASSERT_TRUE(client.Converse(s2c,
                              {
                                  AwaitCpp(4, "the invoke, the request and CloseSend"),
                                  PeerSends(0, 2, "the reply and CloseSend together"),
                              },
                              [&] {
                                st = client.conn().Invoke(
                                    kUnary, std::string("hello"), reply,
                                    {.metadata = {{"authorization", "Bearer t0k3n"}}});
                              }));
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(reply, "hello");
  const ParsedFrames written = ParseFrames(client.peer().written());
  const bool with_close = written.frames.size() == c2s.frames.size();
  EXPECT_TRUE(SameFrames(with_close ? c2s.frames : c2s.WithoutLast(1), written));
}

TEST_P(ClientInterop, UnaryMetadata2) {
  const Capture c2s = Capture::Load("unary_metadata2.c2s");
  const Capture s2c = Capture::Load("unary_metadata2.s2c");
  ClientConnection client(read_size());
  Status st;
  std::string reply;
  ASSERT_TRUE(client.Converse(s2c, UnaryScript(4, 1), [&] {
    st = client.conn().Invoke(
        kUnary, std::string("hello"), reply,
        {.metadata = {{"x-request-id", "42"}, {"authorization", "Bearer t0k3n"}}});
  }));
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(reply, "hello");
  // Frames: any entry order (Go's is random). Bytes: exact, because this
  // client sorts by key and the file has authorization first.
  client.ExpectClientWrote(c2s.frames, MetadataOrder::kAny);
}

// No variation: the client reads to EOF, so both sides have sent CloseSend
// and no Close is written.
TEST_P(ClientInterop, ServerStream3) {
  const Capture c2s = Capture::Load("server_stream3.c2s");
  const Capture s2c = Capture::Load("server_stream3.s2c");
  ClientConnection client(read_size());
  std::vector<std::string> received;
  Status end;
  ASSERT_TRUE(client.Converse(
      s2c,
      {
          AwaitCpp(3, "Invoke, Message count=3, CloseSend"),
          PeerSends(0, 4, "msg-0, msg-1, msg-2, CloseSend"),
      },
      [&] {
        Result<StringStream> s = client.conn().NewStream<std::string, std::string>(kServerStream);
        if (!s.ok()) {
          end = s.status();
          return;
        }
        EXPECT_TRUE(s->Send("count=3").ok());
        EXPECT_TRUE(s->CloseSend().ok());
        std::string msg;
        // Bounded: a fourth message is already a failure.
        for (int i = 0; i < 5 && (end = s->Recv(msg)).ok(); ++i) {
          received.push_back(msg);
        }
      }));
  EXPECT_EQ(received, (std::vector<std::string>{"msg-0", "msg-1", "msg-2"}));
  EXPECT_TRUE(end.is(ErrorKind::kEof)) << end;
  client.ExpectClientWrote(c2s.frames);
}

// No variation: the Error frame ended the stream, so no Close is written.
TEST_P(ClientInterop, UnaryError) {
  const Capture c2s = Capture::Load("unary_error.c2s");
  const Capture s2c = Capture::Load("unary_error.s2c");
  ClientConnection client(read_size());
  Status st;
  std::string reply;
  ASSERT_TRUE(
      client.Converse(s2c,
                      {
                          AwaitCpp(3, "Invoke, Message please, CloseSend"),
                          PeerSends(0, 1, "the Error frame"),
                      },
                      [&] { st = client.conn().Invoke(kFail, std::string("please"), reply); }));
  EXPECT_TRUE(st.is(ErrorKind::kRemote)) << st;
  EXPECT_EQ(st.code(), kFailCode);
  EXPECT_EQ(st.message(), kFailText);
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(reply, "");
  client.ExpectClientWrote(c2s.frames);
}

// SplitSize 4: the client splits its Invoke and Message into Go's 4-byte
// frames and reassembles the split reply.
TEST_P(ClientInterop, UnarySplit) {
  const Capture c2s = Capture::Load("unary_split.c2s");
  const Capture s2c = Capture::Load("unary_split.s2c");
  rpc::ConnOptions options;
  options.manager.stream.split_size = 4;
  ClientConnection client(read_size(), std::move(options));
  Status st;
  std::string reply;
  ASSERT_TRUE(client.Converse(s2c, UnaryScript(8, 3), [&] {
    st = client.conn().Invoke(kUnary, std::string("hello world!"), reply);
  }));
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(reply, "hello world!");
  client.ExpectClientWrote(c2s.frames);
}

// Soft cancel with a CancelToken (the C++ stand-in for canceling a Go
// context with SoftCancel): a Cancel frame with the control bit for stream
// 1, nothing else for it, then a unary call on stream 2 on the same
// connection. The capture's order: Close s2 before the server's CloseSend.
TEST_P(ClientInterop, CancelSoft) {
  const Capture c2s = Capture::Load("cancel_soft.c2s");
  const Capture s2c = Capture::Load("cancel_soft.s2c");
  ClientConnection client(read_size());
  std::string echo, reply;
  Status after_cancel, unary;
  ASSERT_TRUE(client.Converse(
      s2c,
      {
          AwaitCpp(2, "Invoke Bidi, Message ping"),
          PeerSends(0, 1, "the echo ping"),
          AwaitCpp(3, "the Cancel frame for stream 1"),
          AwaitCpp(6, "Invoke Unary s2, Message after-cancel, CloseSend"),
          PeerSends(1, 2, "the reply on s2"),
          AwaitCpp(7, "the client's Close of s2, once it has the reply"),
          PeerSends(2, 3, "the server's CloseSend of s2"),
      },
      [&] {
        rpc::CancelToken token;
        {
          Result<StringStream> s =
              client.conn().NewStream<std::string, std::string>(kBidi, {.cancel = token});
          if (!s.ok()) {
            after_cancel = s.status();
            return;
          }
          EXPECT_TRUE(s->Send("ping").ok());
          EXPECT_TRUE(s->Recv(echo).ok());
          token.Cancel();
          std::string more;
          after_cancel = s->Recv(more);
          // The stream already ended: closing it writes nothing.
          EXPECT_TRUE(s->Close().ok());
        }
        unary = client.conn().Invoke(kUnary, std::string("after-cancel"), reply);
      }));
  EXPECT_EQ(echo, "ping");
  EXPECT_TRUE(after_cancel.is(ErrorKind::kCanceled)) << after_cancel;
  EXPECT_TRUE(unary.ok()) << unary;
  EXPECT_EQ(reply, "after-cancel");
  client.ExpectClientWrote(c2s.frames);
}

// Hard cancel: the Go client closed its whole connection. The C++ client
// does that with Conn::Close in the middle of the call; it writes nothing
// more (no Cancel, no Close) and the call ends with the connection's error.
TEST_P(ClientInterop, CancelHard) {
  const Capture c2s = Capture::Load("cancel_hard.c2s");
  const Capture s2c = Capture::Load("cancel_hard.s2c");
  ClientConnection client(read_size());
  std::string echo;
  Status after_close;
  ASSERT_TRUE(client.Converse(s2c,
                              {
                                  AwaitCpp(2, "Invoke Bidi, Message ping"),
                                  PeerSends(0, 1, "the echo ping"),
                                  AwaitCppCloses("the client closes the connection"),
                              },
                              [&] {
                                Result<StringStream> s =
                                    client.conn().NewStream<std::string, std::string>(kBidi);
                                if (!s.ok()) {
                                  after_close = s.status();
                                  return;
                                }
                                EXPECT_TRUE(s->Send("ping").ok());
                                EXPECT_TRUE(s->Recv(echo).ok());
                                (void)client.conn().Close();
                                std::string more;
                                after_close = s->Recv(more);
                              }));
  EXPECT_EQ(echo, "ping");
  EXPECT_TRUE(after_close.is(ErrorKind::kClosed)) << after_close;
  client.ExpectClientWrote(c2s.frames);
}

std::string ReadSizeName(const ::testing::TestParamInfo<size_t>& info) {
  return info.param == 0 ? "WholeReads" : std::to_string(info.param) + "ByteReads";
}

INSTANTIATE_TEST_SUITE_P(Reads, ClientInterop, ::testing::Values(size_t{0}, size_t{1}),
                         ReadSizeName);

}  // namespace
}  // namespace drpc::interop

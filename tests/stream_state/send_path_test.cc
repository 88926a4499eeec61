// Which sink call a stream's frames take (FrameSink::WriteFrame, which a
// MuxWriter may write on the caller's time, or QueueFrame, left to its
// writer task): a message that follows the stream's own previous message
// with nothing from the peer in between is a burst; the first message, a
// reply, invokes and terminal frames are not.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/stream_state/stream_testing.h"

namespace drpc::stream {
namespace {

using testing::Harness;
using wire::Kind;

// The kind and path of every recorded frame: "message:burst" for a
// QueueFrame, "message" for a WriteFrame.
std::vector<std::string> Paths(const Harness& h) {
  std::vector<std::string> out;
  for (const testing::RecordedFrame& f : h.sink.frames()) {
    std::string kind = f.kind == wire::ToRaw(Kind::kInvoke)      ? "invoke"
                       : f.kind == wire::ToRaw(Kind::kMessage)   ? "message"
                       : f.kind == wire::ToRaw(Kind::kCloseSend) ? "closesend"
                                                                 : std::to_string(f.kind);
    out.push_back(f.burst ? kind + ":burst" : kind);
  }
  return out;
}

TEST(SendPath, BackToBackMessagesAfterTheFirstAreABurst) {
  Harness h(1, Role::kClient);
  ASSERT_TRUE(h.stream->WriteInvoke("/svc/Stream").ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(h.stream->MsgSend(std::string("m"), BytesCodec{}).ok());
  ASSERT_TRUE(h.stream->CloseSend().ok());
  EXPECT_EQ(Paths(h), (std::vector<std::string>{"invoke", "message", "message:burst",
                                                "message:burst", "closesend"}));
}

TEST(SendPath, AMessageAfterThePeersIsNotABurst) {
  Harness h(1, Role::kClient);
  ASSERT_TRUE(h.stream->WriteInvoke("/svc/PingPong").ok());
  std::string got;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(h.stream->MsgSend(std::string("ping"), BytesCodec{}).ok());
    ASSERT_TRUE(h.Deliver(Kind::kMessage, "pong").ok());
    ASSERT_TRUE(h.stream->MsgRecv(got, BytesCodec{}).ok());
  }
  EXPECT_EQ(Paths(h), (std::vector<std::string>{"invoke", "message", "message", "message"}));
}

// The arrival counts, not the application's receive: a server that has the
// request delivered answers at once even before it reads it.
TEST(SendPath, TheFirstReplyOfAServerIsNotABurstTheRestAre) {
  Harness h(2, Role::kServer);
  ASSERT_TRUE(h.Deliver(Kind::kMessage, "request").ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(h.stream->MsgSend(std::string("r"), BytesCodec{}).ok());
  EXPECT_EQ(Paths(h), (std::vector<std::string>{"message", "message:burst", "message:burst"}));
}

// Every frame of a split burst message takes the same path.
TEST(SendPath, EveryFrameOfASplitBurstMessageIsQueued) {
  Harness h(1, Role::kClient, StreamOptions{.split_size = 4});
  ASSERT_TRUE(h.stream->MsgSend(std::string("first"), BytesCodec{}).ok());
  ASSERT_TRUE(h.stream->MsgSend(std::string("0123456789"), BytesCodec{}).ok());
  EXPECT_EQ(Paths(h), (std::vector<std::string>{"message", "message", "message:burst",
                                                "message:burst", "message:burst"}));
}

}  // namespace
}  // namespace drpc::stream

// rt::fiber::SocketTransport (the OS backend's) over AF_UNIX socketpairs: data, ends (EOF, reset,
// local Close) and Close from another task.
#include "drpc/rt/fiber/socket_transport.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <string>
#include <vector>

#include "drpc/rt/os/socket_pair.h"
#include "drpc/rt/task.h"
#include "drpc/rt/time.h"
#include "tests/rt/transport_test_util.h"

namespace drpc::rt::os {
namespace {

using namespace std::chrono_literals;
using fiber::SocketTransport;
using rt::testing::Drained;
using rt::testing::Pattern;
using rt::testing::ReadExactly;
using rt::testing::ReadToEnd;

TransportPair MakePair() {
  Result<TransportPair> pair = SocketPair();
  EXPECT_TRUE(pair.ok()) << pair.status();
  return std::move(pair).value();
}

TEST(RtOsSocketPairTest, RoundTripsBothWays) {
  TransportPair p = MakePair();
  ASSERT_TRUE(p.a->Write(AsBytes("ping")).ok());
  EXPECT_EQ(ReadExactly(*p.b, 4), "ping");
  ASSERT_TRUE(p.b->Write(AsBytes("pong!")).ok());
  EXPECT_EQ(ReadExactly(*p.a, 5), "pong!");
}

TEST(RtOsSocketPairTest, LargeWriteArrivesWholeWithAConcurrentReader) {
  constexpr size_t kSize = 8 << 20;  // far beyond the socket buffers
  TransportPair p = MakePair();
  const std::vector<uint8_t> sent = Pattern(kSize);
  Drained got;
  Task reader = spawn("reader", [&] { got = ReadToEnd(*p.b, kSize + 1, 16 * 1024); });
  ASSERT_TRUE(p.a->Write(sent).ok());
  ASSERT_TRUE(p.a->Close().ok());
  reader.join();
  EXPECT_EQ(got.end.kind(), ErrorKind::kEof) << got.end;
  ASSERT_EQ(got.bytes.size(), kSize);
  EXPECT_TRUE(got.bytes == sent);
}

TEST(RtOsSocketPairTest, PeerCloseGivesTheBytesThenEof) {
  TransportPair p = MakePair();
  ASSERT_TRUE(p.a->Write(AsBytes("last")).ok());
  ASSERT_TRUE(p.a->Close().ok());
  Drained got = ReadToEnd(*p.b, 1 << 20);
  EXPECT_EQ(std::string(got.bytes.begin(), got.bytes.end()), "last");
  EXPECT_EQ(got.end.kind(), ErrorKind::kEof) << got.end;
  // EOF is sticky.
  uint8_t byte;
  EXPECT_EQ(p.b->Read(MutableBytes(&byte, 1)).err.kind(), ErrorKind::kEof);
}

TEST(RtOsSocketPairTest, DestroyedPeerGivesEof) {
  TransportPair p = MakePair();
  p.a.reset();
  uint8_t byte;
  ReadResult r = p.b->Read(MutableBytes(&byte, 1));
  EXPECT_EQ(r.n, 0u);
  EXPECT_EQ(r.err.kind(), ErrorKind::kEof) << r.err;
}

// AF_UNIX resets the connection when a socket is closed with unread data:
// the survivor sees ECONNRESET, which is a close (kClosed), not an EOF.
TEST(RtOsSocketPairTest, PeerClosingWithUnreadDataIsAReset) {
  TransportPair p = MakePair();
  ASSERT_TRUE(p.a->Write(AsBytes("never read")).ok());
  p.b.reset();
  uint8_t byte;
  ReadResult r = p.a->Read(MutableBytes(&byte, 1));
  EXPECT_EQ(r.n, 0u);
  EXPECT_EQ(r.err.kind(), ErrorKind::kClosed) << r.err;
  EXPECT_NE(r.err.message().find("Connection reset by peer"), std::string::npos) << r.err;
}

// Writing to a peer that is gone is EPIPE: a kClosed error, and no SIGPIPE
// (which would kill this test binary).
TEST(RtOsSocketPairTest, WriteToAGonePeerIsClosedWithoutSigpipe) {
  TransportPair p = MakePair();
  p.b.reset();
  Status s = p.a->Write(AsBytes("anyone?"));
  EXPECT_EQ(s.kind(), ErrorKind::kClosed) << s;
  EXPECT_NE(s.message().find("Broken pipe"), std::string::npos) << s;
}

TEST(RtOsSocketPairTest, CloseIsIdempotentAndLaterCallsFailClosed) {
  TransportPair p = MakePair();
  ASSERT_TRUE(p.a->Write(AsBytes("unread")).ok());
  EXPECT_TRUE(p.b->Close().ok());
  EXPECT_TRUE(p.b->Close().ok());
  uint8_t byte;
  // Even with bytes waiting, a locally closed transport reads nothing more.
  ReadResult r = p.b->Read(MutableBytes(&byte, 1));
  EXPECT_EQ(r.n, 0u);
  EXPECT_EQ(r.err.kind(), ErrorKind::kClosed) << r.err;
  EXPECT_EQ(p.b->Write(AsBytes("x")).kind(), ErrorKind::kClosed);
  // The peer sees an orderly end of its reads, a close on its writes.
  EXPECT_EQ(ReadToEnd(*p.a, 100).end.kind(), ErrorKind::kEof);
}

TEST(RtOsSocketPairTest, CloseFromAnotherTaskUnblocksARead) {
  TransportPair p = MakePair();
  ReadResult r;
  Task reader = spawn("reader", [&] {
    uint8_t buffer[16];
    r = p.b->Read(buffer);
  });
  sleep_for(20ms);  // most likely blocked in recv by now; correct either way
  ASSERT_TRUE(p.b->Close().ok());
  reader.join();
  EXPECT_EQ(r.n, 0u);
  EXPECT_EQ(r.err.kind(), ErrorKind::kClosed) << r.err;
}

TEST(RtOsSocketPairTest, CloseFromAnotherTaskUnblocksAWrite) {
  TransportPair p = MakePair();
  const std::vector<uint8_t> big = Pattern(64 << 20);  // nobody reads: it blocks
  Status s;
  Task writer = spawn("writer", [&] { s = p.a->Write(big); });
  sleep_for(20ms);
  ASSERT_TRUE(p.a->Close().ok());
  writer.join();
  EXPECT_EQ(s.kind(), ErrorKind::kClosed) << s;
}

TEST(RtOsSocketPairTest, ReadsAndWritesRunConcurrentlyBothWays) {
  constexpr size_t kSize = 2 << 20;
  TransportPair p = MakePair();
  const std::vector<uint8_t> sent = Pattern(kSize);
  Drained at_a, at_b;
  Task read_a = spawn("read_a", [&] { at_a = ReadToEnd(*p.a, kSize); });
  Task read_b = spawn("read_b", [&] { at_b = ReadToEnd(*p.b, kSize); });
  Task write_b = spawn("write_b", [&] { EXPECT_TRUE(p.b->Write(sent).ok()); });
  EXPECT_TRUE(p.a->Write(sent).ok());
  write_b.join();
  read_a.join();
  read_b.join();
  EXPECT_TRUE(at_a.bytes == sent);
  EXPECT_TRUE(at_b.bytes == sent);
}

// TryWrite takes what the socket buffer holds and never blocks: with nobody
// reading, a write far beyond the buffers comes back short, with no error,
// and the bytes it took arrive in order before those of a later Write.
TEST(RtOsSocketPairTest, TryWriteTakesWhatFitsWithoutBlocking) {
  constexpr size_t kSize = 8 << 20;
  TransportPair p = MakePair();
  const std::vector<uint8_t> sent = Pattern(kSize);
  const WriteResult first = p.a->TryWrite(sent);
  ASSERT_TRUE(first.err.ok()) << first.err;
  ASSERT_GT(first.n, 0u);
  ASSERT_LT(first.n, kSize) << "the socket buffers cannot hold 8 MiB";
  const WriteResult full = p.a->TryWrite(Bytes(sent).subspan(first.n));
  EXPECT_TRUE(full.err.ok()) << full.err;
  const size_t taken = first.n + full.n;
  Drained got;
  Task reader = spawn("reader", [&] { got = ReadToEnd(*p.b, kSize + 1, 64 * 1024); });
  ASSERT_TRUE(p.a->Write(Bytes(sent).subspan(taken)).ok());
  ASSERT_TRUE(p.a->Close().ok());
  reader.join();
  EXPECT_TRUE(got.bytes == sent);
}

TEST(RtOsSocketPairTest, TryWriteFailsLikeWrite) {
  TransportPair p = MakePair();
  p.b.reset();
  const WriteResult gone = p.a->TryWrite(AsBytes("anyone?"));
  EXPECT_EQ(gone.n, 0u);
  EXPECT_EQ(gone.err.kind(), ErrorKind::kClosed) << gone.err;
  ASSERT_TRUE(p.a->Close().ok());
  EXPECT_EQ(p.a->TryWrite(AsBytes("x")).err.kind(), ErrorKind::kClosed);
}

// Half-close: the peer reads the bytes, then EOF, and may still answer;
// this end reads the answer; its own later writes fail.
TEST(RtOsSocketPairTest, CloseWriteEndsOneDirectionOnly) {
  TransportPair p = MakePair();
  ASSERT_TRUE(p.a->Write(AsBytes("last words")).ok());
  ASSERT_TRUE(p.a->CloseWrite().ok());
  ASSERT_TRUE(p.a->CloseWrite().ok());  // idempotent
  EXPECT_EQ(p.a->Write(AsBytes("more")).kind(), ErrorKind::kClosed);
  EXPECT_EQ(p.a->TryWrite(AsBytes("more")).err.kind(), ErrorKind::kClosed);
  Drained got = ReadToEnd(*p.b, 1 << 20);
  EXPECT_EQ(std::string(got.bytes.begin(), got.bytes.end()), "last words");
  EXPECT_EQ(got.end.kind(), ErrorKind::kEof) << got.end;
  ASSERT_TRUE(p.b->Write(AsBytes("reply")).ok());
  EXPECT_EQ(ReadExactly(*p.a, 5), "reply");
  ASSERT_TRUE(p.b->Close().ok());
  uint8_t byte;
  EXPECT_EQ(p.a->Read(MutableBytes(&byte, 1)).err.kind(), ErrorKind::kEof);
  EXPECT_TRUE(p.a->Close().ok());
}

TEST(RtOsSocketTransportTest, WrapsARawSocketAndNamesThePeerInErrors) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  SocketTransport left(fds[0], "left-peer");
  {
    SocketTransport right(fds[1], "right-peer");
    ASSERT_TRUE(right.Write(AsBytes("x")).ok());
  }
  EXPECT_EQ(left.peer(), "left-peer");
  EXPECT_EQ(ReadExactly(left, 1), "x");
  EXPECT_TRUE(left.Close().ok());
  Status s = left.Write(AsBytes("y"));
  EXPECT_EQ(s.kind(), ErrorKind::kClosed);
  EXPECT_NE(s.message().find("left-peer"), std::string::npos) << s;
}

TEST(RtOsSocketTransportDeathTest, ReadIntoAnEmptyBufferIsReported) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        TransportPair p = MakePair();
        (void)p.a->Read(MutableBytes());
      },
      "Read needs room for at least one byte");
}

}  // namespace
}  // namespace drpc::rt::os

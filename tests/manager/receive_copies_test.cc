// One copy per received message (issue 15), over a real socket: the bytes
// of a Message go from the transport (or the frame reader's read-ahead)
// into the pooled buffer the receiver decodes from, and nowhere else. A
// hand-driven peer sends the frames, so the frame layout is exact:
// single-frame, multi-frame, and two streams whose frames interleave.
// Checked builds count the copies (base/copy_count.h).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "drpc/base/copy_count.h"
#include "tests/manager/manager_testing.h"

namespace drpc::manager::testing {
namespace {

#if DRPC_CHECKED

std::string Payload(size_t size, char seed) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>(seed + i % 23);
  return out;
}

// Sends `message` on stream `sid` as message `mid` in frames of `frame`
// bytes.
void SendFrames(RawPeer& peer, uint64_t sid, uint64_t mid, const std::string& message,
                size_t frame) {
  for (size_t at = 0; at < message.size() || at == 0; at += frame) {
    const bool done = at + frame >= message.size();
    ASSERT_TRUE(
        peer.WriteFrame(sid, mid, Kind::kMessage, std::string_view(message).substr(at, frame), done)
            .ok());
    if (done) break;
  }
}

// Opens `sid` on the server; returns the accepted stream.
ServerStream Open(RawPair& p, uint64_t sid) {
  EXPECT_TRUE(p.peer->WriteFrame(sid, 1, Kind::kInvoke, "/svc/M").ok());
  return Accept(*p.manager);
}

void ExpectOneCopyEach(size_t size, size_t frame) {
  RawPair p = MakeRaw(ServerOptions());
  ServerStream in = Open(p, 1);
  // The first message warms the pool (a multi-frame packet bigger than any
  // buffer the pool keeps moves once while it grows); from then on, one copy.
  const std::string warm = Payload(size, 'w');
  SendFrames(*p.peer, 1, 2, warm, frame);
  ASSERT_EQ(*Recv(*in.stream), warm);
  ResetCopyCounts();
  for (uint64_t mid = 3; mid < 8; ++mid) {
    const std::string message = Payload(size, static_cast<char>('a' + mid));
    SendFrames(*p.peer, 1, mid, message, frame);
    ASSERT_EQ(*Recv(*in.stream), message);
  }
  EXPECT_EQ(CopiedBytes(CopyPath::kReceive), 5 * size) << size << " bytes in frames of " << frame;
}

TEST(ReceiveCopies, SingleFrameSmallMessage) { ExpectOneCopyEach(64, 64); }

TEST(ReceiveCopies, SingleFrameLargeMessage) { ExpectOneCopyEach(64 * 1024, 64 * 1024); }

TEST(ReceiveCopies, MultiFrameMessage) { ExpectOneCopyEach(200 * 1024, 16 * 1024); }

// Over the pool's small-buffer size (256 KiB): the assembly buffer a
// packet grew is kept among the large ones (max_kept_large_bytes), so the
// next packet starts in it and is not moved while it grows.
TEST(ReceiveCopies, MultiFrameMessageOverTheSmallBufferSize) {
  ExpectOneCopyEach(1 << 20, 64 * 1024);
}

TEST(ReceiveCopies, FirstSingleFrameMessageIsCopiedOnce) {
  // A one-frame packet needs no warm-up: its buffer is sized from its header.
  RawPair p = MakeRaw(ServerOptions());
  ServerStream in = Open(p, 1);
  ResetCopyCounts();
  const std::string message = Payload(100 * 1024, 'x');
  SendFrames(*p.peer, 1, 2, message, message.size());
  ASSERT_EQ(*Recv(*in.stream), message);
  EXPECT_EQ(CopiedBytes(CopyPath::kReceive), message.size());
}

TEST(ReceiveCopies, InterleavedStreams) {
  constexpr size_t kSize = 48 * 1024;
  constexpr size_t kFrame = 8 * 1024;
  RawPair p = MakeRaw(ServerOptions());
  ServerStream a = Open(p, 1);
  ServerStream b = Open(p, 3);
  auto round = [&](uint64_t mid) {
    const std::string ma = Payload(kSize, static_cast<char>('a' + mid));
    const std::string mb = Payload(kSize, static_cast<char>('A' + mid));
    // a's and b's frames alternate on the wire.
    for (size_t at = 0; at < kSize; at += kFrame) {
      const bool done = at + kFrame >= kSize;
      ASSERT_TRUE(
          p.peer->WriteFrame(1, mid, Kind::kMessage, std::string_view(ma).substr(at, kFrame), done)
              .ok());
      ASSERT_TRUE(
          p.peer->WriteFrame(3, mid, Kind::kMessage, std::string_view(mb).substr(at, kFrame), done)
              .ok());
    }
    ASSERT_EQ(*Recv(*a.stream), ma);
    ASSERT_EQ(*Recv(*b.stream), mb);
  };
  round(2);  // warms the pool
  ResetCopyCounts();
  for (uint64_t mid = 3; mid < 7; ++mid) round(mid);
  EXPECT_EQ(CopiedBytes(CopyPath::kReceive), 2 * 4 * kSize);
}

TEST(ReceiveCopies, RawRecvAddsTheCallersCopy) {
  RawPair p = MakeRaw(ServerOptions());
  ServerStream in = Open(p, 1);
  ResetCopyCounts();
  const std::string message = Payload(1000, 'r');
  SendFrames(*p.peer, 1, 2, message, message.size());
  Result<Buffer> got = in.stream->RawRecv();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(AsStringView(got->view()), message);
  // Into the pooled buffer, then into the Buffer RawRecv returns.
  EXPECT_EQ(CopiedBytes(CopyPath::kReceive), 2 * message.size());
}

#else
TEST(ReceiveCopies, NeedsACheckedBuild) { GTEST_SKIP() << "copies are counted in checked builds"; }
#endif

}  // namespace
}  // namespace drpc::manager::testing

// The send path's copies of payload bytes in the simulator: over a small
// pipe whose try-writes take a chosen part, large messages are still sent
// with no copy after marshal (the writer hands a torn frame to its task,
// which finishes it from the taken buffer), and so are messages of several
// frames (lent), and small ones with one (the batch), and every message
// arrives intact. OS backend: send_copies_test.cc.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "drpc/base/copy_count.h"
#include "drpc/manager/manager.h"
#include "drpc/rt/rt.h"
#include "sim/net/pipe.h"
#include "tests/common/sim_seeds.h"
#include "tests/manager/manager_calls.h"

namespace drpc::manager {
namespace {

using namespace testing;  // NOLINT: test helpers
using ::drpc::testing::ForEachSeed;

constexpr uint64_t kSeeds = 30;
constexpr int kMessages = 6;

std::string Message(size_t size, int i) { return std::string(size, static_cast<char>('a' + i)); }

// Sends kMessages of `size` on one stream to a server that checks them;
// adds the send-path bytes copied while sending them to `copied`.
void SendAndCount(size_t size, uint64_t& copied) {
  sim::net::PipeEnds ends = sim::net::MakePipe({.capacity_bytes = 16 * 1024});
  auto client = std::make_unique<Manager>(std::move(ends.a), ClientOptions());
  auto server = std::make_unique<Manager>(std::move(ends.b), ServerOptions());
  int received = 0;
  rt::Task handler = rt::spawn("handler", [&] {
    Result<ServerStream> in = server->NewServerStream();
    ASSERT_TRUE(in.ok());
    std::string msg;
    while (in->stream->MsgRecv(msg, BytesCodec{}).ok()) {
      EXPECT_EQ(msg, Message(size, received)) << "message " << received;
      ++received;
    }
  });
  std::shared_ptr<Stream> s = *client->NewClientStream();
  ASSERT_TRUE(s->WriteInvoke("/sink").ok());
  for (int i = 0; i < kMessages; ++i) {
    const std::string msg = Message(size, i);
    ResetCopyCounts();
    ASSERT_TRUE(s->MsgSend(msg, BytesCodec{}).ok());
    copied += CopiedBytes(CopyPath::kSend);
  }
  ASSERT_TRUE(s->CloseSend().ok());
  handler.join();
  EXPECT_EQ(received, kMessages);
  (void)s->Close();
  (void)client->Close();
  (void)server->Close();
}

uint64_t CopiedSending(size_t size) {
  uint64_t copied = 0;
  SendAndCount(size, copied);
  return copied;
}

#if DRPC_CHECKED
TEST(SendCopiesSim, ALargeMessageIsNotCopiedAfterMarshalWhateverTheWritesTake) {
  ForEachSeed(kSeeds,
              [](uint64_t seed) { EXPECT_EQ(CopiedSending(64 * 1024), 0u) << "seed " << seed; });
}

// 200 KiB: four frames, lent from the stream's two buffers in turn. Each
// message differs, so a buffer marshalled into before the writer wrote the
// frames lent from it would reach the server as another message's bytes.
TEST(SendCopiesSim, AMessageOfSeveralFramesIsNotCopiedWhateverTheWritesTake) {
  ForEachSeed(kSeeds, [](uint64_t seed) {
    EXPECT_EQ(CopiedSending(200 * 1024 + 17), 0u) << "seed " << seed;
  });
}

TEST(SendCopiesSim, ASmallMessageIsCopiedOnceIntoTheBatch) {
  ForEachSeed(kSeeds, [](uint64_t seed) {
    EXPECT_EQ(CopiedSending(64), 64u * kMessages) << "seed " << seed;
  });
}
#endif

}  // namespace
}  // namespace drpc::manager

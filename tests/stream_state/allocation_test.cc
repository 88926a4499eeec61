// Steady-state allocation of a stream's send and receive paths, counted by
// replacing the global operator new in this test binary
// (tests/common/counting_new.h; so it has a binary of its own): the marshal buffer is reused across
// sends, a message larger than max_marshal_buffer_bytes drops it, and MsgRecv decodes from the
// pooled buffer and hands it back before it returns (the ledger and the
// pool's counters show nothing held).
#include <gtest/gtest.h>

#include <string>

#include "tests/common/counting_new.h"
#include "tests/stream_state/stream_testing.h"

namespace drpc::stream {
namespace {

using testing::Harness;
using wire::Kind;

// A sink that takes frames and keeps nothing (so it allocates nothing).
class NullSink final : public FrameSink {
 public:
  Status WriteFrame(const wire::Frame& frame, rt::Signal*) override {
    bytes_ += frame.data.size();
    return OkStatus();
  }
  uint64_t bytes_ = 0;
};

// Counts allocations made while `body` runs on this thread (the test runs no
// other thread).
template <class F>
uint64_t AllocationsDuring(F&& body) {
  drpc::testing::StartCountingAllocations();
  body();
  return drpc::testing::StopCountingAllocations();
}

TEST(Allocation, CounterSeesAnAllocation) {
  // The counter itself can fail: a fresh Buffer allocates.
  EXPECT_GT(AllocationsDuring([] {
              Buffer b;
              b.Append(AsBytes(std::string_view("x")));
            }),
            0u);
}

TEST(Allocation, MsgSendReusesTheMarshalBuffer) {
  auto pool = BufferPool::Create();
  NullSink sink;
  Stream stream(StreamConfig{.id = 1, .pool = pool, .sink = sink});
  const std::string msg(1000, 'm');
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(stream.MsgSend(msg, BytesCodec{}).ok());  // warm up
  const uint64_t n = AllocationsDuring([&] {
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(stream.MsgSend(msg, BytesCodec{}).ok());
  });
  EXPECT_EQ(n, 0u) << "allocations in 1000 steady-state MsgSend calls";
  EXPECT_EQ(sink.bytes_, 1004u * 1000u);
}

// A message that grew the marshal buffer past max_marshal_buffer_bytes drops
// it: the next send allocates again. Under the cap it is kept.
TEST(Allocation, OversizedMarshalBufferIsDropped) {
  for (size_t cap : {size_t{4096}, size_t{0}}) {
    SCOPED_TRACE(cap);
    auto pool = BufferPool::Create();
    NullSink sink;
    StreamOptions options;
    options.max_marshal_buffer_bytes = cap;
    Stream stream(StreamConfig{.id = 1, .pool = pool, .sink = sink, .options = options});
    ASSERT_TRUE(stream.MsgSend(std::string(100, 's'), BytesCodec{}).ok());
    const std::string big(64 * 1024, 'b');
    ASSERT_TRUE(stream.MsgSend(big, BytesCodec{}).ok());
    const std::string small(100, 's');
    const uint64_t after_big =
        AllocationsDuring([&] { ASSERT_TRUE(stream.MsgSend(small, BytesCodec{}).ok()); });
    if (cap == 0) {
      EXPECT_EQ(after_big, 0u) << "cap 0 keeps the grown buffer";
    } else {
      EXPECT_EQ(after_big, 1u) << "the dropped buffer is allocated again, once";
    }
  }
}

// The receive path in steady state: HandleFrame copies into a pooled buffer
// the pool reuses, MsgRecv decodes into a warm string. No allocation.
TEST(Allocation, ReceivePathReusesPooledBuffers) {
  Harness h;
  const std::string msg(2000, 'r');
  std::string out;
  out.reserve(msg.size());
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(h.Deliver(Kind::kMessage, msg).ok());
    ASSERT_TRUE(h.stream->MsgRecv(out, BytesCodec{}).ok());
  }
  const uint64_t n = AllocationsDuring([&] {
    for (int i = 0; i < 1000; ++i) {
      ASSERT_TRUE(h.Deliver(Kind::kMessage, msg).ok());
      ASSERT_TRUE(h.stream->MsgRecv(out, BytesCodec{}).ok());
    }
  });
  EXPECT_EQ(n, 0u) << "allocations in 1000 steady-state receives";
  EXPECT_EQ(out, msg);
}

// A codec that looks at the pool while it decodes: the buffer is lent to the
// receive during Unmarshal, and back in the pool when MsgRecv returns.
struct PoolWatchingCodec {
  const BufferPool* pool;
  uint64_t* lent_during;
  Status Marshal(const std::string& m, Buffer& out) const { return BytesCodec{}.Marshal(m, out); }
  Status Unmarshal(Bytes data, std::string& m) const {
    *lent_during = pool->stats().lent;
    return BytesCodec{}.Unmarshal(data, m);
  }
};

TEST(Allocation, MsgRecvReleasesItsLeaseBeforeReturning) {
  Harness h;
  ASSERT_TRUE(h.Deliver(Kind::kMessage, "a").ok());
  ASSERT_TRUE(h.Deliver(Kind::kMessage, "b").ok());
  EXPECT_EQ(h.pool->stats().lent, 2u);  // both queued
  uint64_t lent_during = 0;
  std::string got;
  ASSERT_TRUE(h.stream->MsgRecv(got, PoolWatchingCodec{h.pool.get(), &lent_during}).ok());
  EXPECT_EQ(got, "a");
  EXPECT_EQ(lent_during, 2u) << "one held by the receive, one queued";
  EXPECT_EQ(h.pool->stats().lent, 1u) << "only the queued one is still lent";
  h.pool->CheckConservation();  // the ledger agrees: one queued, nothing held
  // A decode error still hands the buffer back.
  struct Failing {
    Status Marshal(const std::string&, Buffer&) const { return OkStatus(); }
    Status Unmarshal(Bytes, std::string&) const { return InvalidArgumentError("bad bytes"); }
  };
  EXPECT_TRUE(h.stream->MsgRecv(got, Failing{}).is(ErrorKind::kInvalidArgument));
  EXPECT_EQ(h.pool->stats().lent, 0u);
  h.pool->CheckConservation();
}

}  // namespace
}  // namespace drpc::stream

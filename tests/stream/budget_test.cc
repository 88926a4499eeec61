// The connection's memory budget at its edge (docs/resources.md, "What
// happens at the budget"): exactly at a limit is admitted, one byte over is
// not, and nothing is counted for what was refused.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "drpc/base/resource_meter.h"
#include "drpc/base/status.h"
#include "drpc/stream/buffer_pool.h"
#include "drpc/stream/ring_buffer.h"
#include "drpc/wire/assembler.h"
#include "drpc/wire/kind.h"

namespace drpc::stream {
namespace {

std::shared_ptr<ResourceMeter> MeterWithLimit(int64_t limit) {
  auto meter = std::make_shared<ResourceMeter>();
  meter->SetLimits(/*receive_limit=*/limit, /*send_limit=*/limit);
  return meter;
}

TEST(ResourceMeterBudget, ExactlyAtTheLimitIsAdmittedOneByteOverIsNot) {
  ResourceMeter meter;
  EXPECT_TRUE(meter.TryAddBytes(ResourceKind::kMarshal, 100, 100));
  EXPECT_FALSE(meter.TryAddBytes(ResourceKind::kMarshal, 1, 100));
  EXPECT_EQ(meter.TotalBytes(), 100);
  EXPECT_EQ(meter.Snapshot().bytes_of(ResourceKind::kMarshal), 100);
  // Shrinking always succeeds, whatever the limit.
  EXPECT_TRUE(meter.TryAddBytes(ResourceKind::kMarshal, -100, 0));
  EXPECT_EQ(meter.TotalBytes(), 0);
}

TEST(ResourceMeterBudget, TrySetCountsOnlyWhatFits) {
  ResourceMeter meter;
  meter.AddBytes(ResourceKind::kFrameReader, 50);  // every category counts
  MeteredBytes held(&meter, ResourceKind::kMarshal);
  EXPECT_TRUE(held.TrySet(50, 100));
  EXPECT_FALSE(held.TrySet(51, 100));
  EXPECT_EQ(held.counted(), 50u);
  EXPECT_EQ(meter.TotalBytes(), 100);
  held.Set(0);
  meter.AddBytes(ResourceKind::kFrameReader, -50);
}

TEST(BufferPoolBudget, TryGetAdmitsExactlyTheReceiveLimit) {
  auto meter = MeterWithLimit(8192);
  auto pool = BufferPool::Create({.meter = meter});
  PooledBuffer at_limit = pool->TryGet(8192);
  ASSERT_TRUE(at_limit.has_value());
  EXPECT_GE(at_limit.bytes().capacity(), 8192u);
  EXPECT_EQ(meter->TotalBytes(), 8192);
  PooledBuffer over = pool->TryGet(1);
  EXPECT_FALSE(over.has_value()) << "one byte over the limit";
  EXPECT_EQ(meter->TotalBytes(), 8192) << "a refused buffer is not counted";
  at_limit.Reset();  // kept for reuse, still counted
  EXPECT_EQ(meter->TotalBytes(), 8192);
  PooledBuffer reused = pool->TryGet(8192);
  EXPECT_TRUE(reused.has_value());
  EXPECT_EQ(pool->stats().reused, 1u);
}

TEST(BufferPoolBudget, KeptBuffersGiveWayToAMessage) {
  auto meter = MeterWithLimit(16384);
  auto pool = BufferPool::Create({.meter = meter});
  {
    PooledBuffer a = pool->TryGet(8192);
    PooledBuffer b = pool->TryGet(8192);
    ASSERT_TRUE(a.has_value() && b.has_value());
  }
  EXPECT_EQ(pool->stats().kept_bytes, 16384u);
  PooledBuffer big = pool->TryGet(12000);
  ASSERT_TRUE(big.has_value()) << "the kept buffers are freed to make room";
  EXPECT_EQ(meter->TotalBytes(), 12000);
  EXPECT_EQ(pool->stats().kept, 0u);
}

TEST(BufferPoolBudget, AKeptLargeBufferGivesWayToAMessage) {
  // A peer's big packet leaves a large buffer kept (max_kept_large_bytes);
  // it is counted, and freed when a message needs the room.
  auto meter = MeterWithLimit(size_t{1} << 20);
  auto pool = BufferPool::Create({.max_kept_buffer_bytes = 64 * 1024, .meter = meter});
  {
    PooledBuffer large = pool->TryGet(size_t{1} << 20);
    ASSERT_TRUE(large.has_value());
  }
  EXPECT_EQ(pool->stats().kept_large_bytes, size_t{1} << 20);
  EXPECT_EQ(meter->TotalBytes(), int64_t{1} << 20) << "a kept buffer is still counted";
  PooledBuffer small = pool->TryGet(8192);
  ASSERT_TRUE(small.has_value()) << "the kept large buffer is freed to make room";
  EXPECT_EQ(pool->stats().kept, 0u);
  EXPECT_EQ(pool->stats().kept_large_bytes, 0u);
  EXPECT_EQ(meter->TotalBytes(), 8192);
}

TEST(RingBudget, AMessageTheConnectionHasNoRoomForIsRefused) {
  auto meter = std::make_shared<ResourceMeter>();
  auto pool = BufferPool::Create({.meter = meter});
  RingBuffer ring(pool, RingOptions{.name = "budget"});
  // The ring's slot array counts too: room for exactly 4096 bytes more.
  const int64_t limit = meter->TotalBytes() + 4096;
  meter->SetLimits(limit, limit);
  const std::string over(4097, 'o');
  EXPECT_EQ(ring.Enqueue(AsBytes(over)), EnqueueResult::kOverConnectionBudget);
  EXPECT_EQ(ring.size(), 0u);
  EXPECT_EQ(pool->stats().lent, 0u) << "nothing is held for a refused message";
  const std::string at(4096, 'a');
  EXPECT_EQ(ring.Enqueue(AsBytes(at)), EnqueueResult::kQueued);
}

wire::Frame Partial(uint64_t message_id, const std::string& data, bool done = false) {
  return wire::Frame{.stream_id = 1,
                     .message_id = message_id,
                     .kind = wire::ToRaw(wire::Kind::kMessage),
                     .done = done,
                     .data = AsBytes(data)};
}

TEST(AssemblerBudget, APartialPacketGrowsExactlyToTheLimitAndFailsOneByteOver) {
  const std::string chunk(1000, 'p');
  {
    auto meter = MeterWithLimit(1000);
    wire::PacketAssembler at(1, {.meter = meter.get(), .enforce_budget = true});
    ASSERT_TRUE(at.Append(Partial(1, chunk)).ok()) << "exactly at the limit";
    EXPECT_EQ(meter->TotalBytes(), 1000);
    Result<wire::AssembleStep> over = at.Append(Partial(1, "x"));
    ASSERT_FALSE(over.ok());
    EXPECT_EQ(over.status().code(), StatusCode::kResourceExhausted) << over.status();
    EXPECT_EQ(meter->TotalBytes(), 0) << "a failed assembler lets go of its bytes";
  }
  {
    auto meter = MeterWithLimit(999);
    wire::PacketAssembler over(1, {.meter = meter.get(), .enforce_budget = true});
    Result<wire::AssembleStep> step = over.Append(Partial(1, chunk));
    ASSERT_FALSE(step.ok()) << "one byte over the limit";
    EXPECT_EQ(step.status().code(), StatusCode::kResourceExhausted);
    EXPECT_EQ(meter->TotalBytes(), 0);
  }
  {
    // A one-frame packet is handed out without a copy: it needs no room.
    auto meter = MeterWithLimit(0);
    wire::PacketAssembler whole(1, {.meter = meter.get(), .enforce_budget = true});
    Result<wire::AssembleStep> step = whole.Append(Partial(1, chunk, /*done=*/true));
    ASSERT_TRUE(step.ok());
    EXPECT_TRUE(step->packet.has_value());
  }
}

}  // namespace
}  // namespace drpc::stream

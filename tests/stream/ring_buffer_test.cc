// RingBuffer on the OS backend: FIFO, drain after close, first error wins,
// Enqueue after Close, leases outliving the ring, teardown, the byte budget
// (variant B), EnqueueOwned. What wakes a blocked producer or consumer is
// tested in the simulator, where "it blocks" is exact:
// ring_blocking_sim_test.cc.
#include "drpc/stream/ring_buffer.h"

#include <gtest/gtest.h>

#include <vector>

#include "sim/scenarios/ring/message_pattern.h"
#include "tests/stream/ring_test_helpers.h"

namespace drpc::stream {
namespace {

using sim::ring::CheckPattern;
using sim::ring::PatternMessage;
using testing::Capacity;
using testing::EnqueuePattern;
using testing::ExpectNext;

TEST(RingBufferTest, DeliversInOrder) {
  auto pool = BufferPool::Create();
  RingBuffer ring(pool, Capacity(4));
  for (uint32_t i = 0; i < 4; ++i)
    EXPECT_EQ(EnqueuePattern(ring, i, 10 * i), EnqueueResult::kQueued);
  EXPECT_EQ(ring.size(), 4u);
  EXPECT_EQ(ring.queued_bytes(), 0u + 10 + 20 + 30);
  for (uint32_t i = 0; i < 4; ++i) ExpectNext(ring, i, 10 * i);
  EXPECT_EQ(ring.size(), 0u);
  EXPECT_EQ(pool->stats().lent, 0u);
}

TEST(RingBufferTest, WrapsAroundManyTimes) {
  auto pool = BufferPool::Create();
  RingBuffer ring(pool, Capacity(3));
  for (uint32_t i = 0; i < 100; ++i) {
    ASSERT_EQ(EnqueuePattern(ring, i, i % 50), EnqueueResult::kQueued);
    if (i % 2 == 1) {
      ExpectNext(ring, i - 1, (i - 1) % 50);
      ExpectNext(ring, i, i % 50);
    }
    pool->CheckConservation();
  }
  EXPECT_LE(pool->stats().created, 3u) << "steady traffic reuses the same buffers";
}

TEST(RingBufferTest, DequeueFreesTheSlotAtOnce) {
  auto pool = BufferPool::Create();
  RingBuffer ring(pool, Capacity(1));
  ASSERT_EQ(EnqueuePattern(ring, 0, 5), EnqueueResult::kQueued);
  Result<Lease> held = ring.Dequeue();
  ASSERT_TRUE(held.ok());
  // The slot is free although the lease is alive: a full ring would block here.
  EXPECT_EQ(EnqueuePattern(ring, 1, 5), EnqueueResult::kQueued);
  EXPECT_EQ(pool->stats().lent, 2u);
  pool->CheckConservation();
  held->Done();
  ExpectNext(ring, 1, 5);
}

TEST(RingBufferTest, DrainsQueuedMessagesAfterCloseThenRepeatsTheError) {
  auto pool = BufferPool::Create();
  RingBuffer ring(pool, Capacity(8));
  for (uint32_t i = 0; i < 3; ++i) ASSERT_EQ(EnqueuePattern(ring, i, 7), EnqueueResult::kQueued);
  ring.Close(CanceledError());
  EXPECT_TRUE(ring.closed());
  for (uint32_t i = 0; i < 3; ++i) ExpectNext(ring, i, 7);
  for (int i = 0; i < 5; ++i) {
    Result<Lease> next = ring.Dequeue();
    ASSERT_FALSE(next.ok());
    EXPECT_EQ(next.status(), CanceledError());
  }
}

TEST(RingBufferTest, FirstCloseErrorWins) {
  auto pool = BufferPool::Create();
  RingBuffer ring(pool);
  ring.Close(RemoteError("boom", 7));
  ring.Close(CanceledError());
  ring.Close(EofError());
  EXPECT_EQ(ring.Dequeue().status(), RemoteError("boom", 7));
}

TEST(RingBufferTest, EnqueueAfterCloseNeitherQueuesNorLeaksNorBlocks) {
  auto pool = BufferPool::Create();
  RingBuffer ring(pool, Capacity(1));
  ASSERT_EQ(EnqueuePattern(ring, 0, 3), EnqueueResult::kQueued);  // the ring is full now
  ring.Close(EofError());
  EXPECT_EQ(EnqueuePattern(ring, 1, 3), EnqueueResult::kClosed);  // would block if open
  EXPECT_EQ(ring.size(), 1u);
  EXPECT_EQ(pool->stats().lent, 1u) << "only the queued buffer is out";
  ExpectNext(ring, 0, 3);
  EXPECT_EQ(ring.Dequeue().status(), EofError());
  EXPECT_EQ(pool->stats().lent, 0u);
}

TEST(RingBufferTest, LeaseOutlivesCloseAndTheRing) {
  auto pool = BufferPool::Create();
  Lease lease;
  {
    RingBuffer ring(pool);
    ASSERT_EQ(EnqueuePattern(ring, 9, 64), EnqueueResult::kQueued);
    Result<Lease> next = ring.Dequeue();
    ASSERT_TRUE(next.ok());
    lease = std::move(next.value());
    ring.Close(CanceledError());
  }
  EXPECT_EQ(CheckPattern(lease.view(), 9, 64), "") << "Close never touches the held buffer";
  EXPECT_EQ(pool->stats().lent, 1u);
  lease.Done();
  EXPECT_FALSE(lease.has_value());
  lease.Done();  // a second Done on the same lease does nothing
  EXPECT_EQ(pool->stats().lent, 0u);
}

TEST(RingBufferTest, LeaseKeepsThePoolAlive) {
  std::weak_ptr<BufferPool> weak;
  Lease lease;
  {
    auto pool = BufferPool::Create();
    weak = pool;
    RingBuffer ring(pool);
    ASSERT_EQ(EnqueuePattern(ring, 1, 1), EnqueueResult::kQueued);
    lease = std::move(ring.Dequeue().value());
  }
  EXPECT_FALSE(weak.expired()) << "the lease holds the pool (§3.5.1)";
  lease.Done();
  EXPECT_TRUE(weak.expired());
}

TEST(RingBufferTest, LeaseDestructorReturnsTheBuffer) {
  auto pool = BufferPool::Create();
  RingBuffer ring(pool);
  ASSERT_EQ(EnqueuePattern(ring, 0, 1), EnqueueResult::kQueued);
  { Result<Lease> next = ring.Dequeue(); }
  EXPECT_EQ(pool->stats().lent, 0u);
}

TEST(RingBufferTest, DestroyingTheRingReturnsQueuedBuffers) {
  auto pool = BufferPool::Create();
  {
    RingBuffer ring(pool, Capacity(8));
    for (uint32_t i = 0; i < 5; ++i)
      ASSERT_EQ(EnqueuePattern(ring, i, 100), EnqueueResult::kQueued);
    ring.Close(CanceledError());
    EXPECT_EQ(pool->stats().lent, 5u) << "Close keeps queued buffers (drain after close)";
  }
  EXPECT_EQ(pool->stats().lent, 0u);
  pool->CheckAllReturned();
}

TEST(RingBufferTest, EmptyMessagesAreMessages) {
  auto pool = BufferPool::Create();
  RingBuffer ring(pool, Capacity(2));
  ASSERT_EQ(ring.Enqueue(Bytes()), EnqueueResult::kQueued);
  Result<Lease> next = ring.Dequeue();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->size(), 0u);
}

TEST(RingBufferTest, EnqueueOwnedQueuesAFilledPoolBuffer) {
  auto pool = BufferPool::Create();
  RingBuffer ring(pool);
  PooledBuffer buffer = pool->Get();
  const std::vector<uint8_t> message = PatternMessage(3, 5000);
  buffer.bytes().Append(Bytes(message));
  const uint32_t index = buffer.index();
  ASSERT_EQ(ring.EnqueueOwned(std::move(buffer)), EnqueueResult::kQueued);
  Result<Lease> next = ring.Dequeue();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->buffer_index(), index) << "no copy: the same buffer";
  EXPECT_EQ(CheckPattern(next->view(), 3, 5000), "");
}

TEST(RingBufferTest, EnqueueOwnedAfterCloseReturnsTheBuffer) {
  auto pool = BufferPool::Create();
  RingBuffer ring(pool);
  ring.Close(EofError());
  EXPECT_EQ(ring.EnqueueOwned(pool->Get()), EnqueueResult::kClosed);
  EXPECT_EQ(pool->stats().lent, 0u);
}

// ---- byte budget: variant B (never blocks) ------------------------------

RingOptions Budget(size_t capacity, size_t max_bytes, size_t max_slots = 1 << 16) {
  RingOptions options;
  options.capacity = capacity;
  options.max_bytes = max_bytes;
  options.max_slots = max_slots;
  return options;
}

TEST(RingBufferBudgetTest, EmptyRingAdmitsOneOversizedMessage) {
  auto pool = BufferPool::Create();
  RingBuffer ring(pool, Budget(4, 100));
  EXPECT_EQ(EnqueuePattern(ring, 0, 1000), EnqueueResult::kQueued);
  EXPECT_EQ(EnqueuePattern(ring, 1, 1), EnqueueResult::kOverBudget);
  EXPECT_EQ(pool->stats().lent, 1u) << "the refused buffer went back";
  ExpectNext(ring, 0, 1000);
  EXPECT_EQ(EnqueuePattern(ring, 1, 1), EnqueueResult::kQueued);
}

TEST(RingBufferBudgetTest, AdmitsUpToTheBudgetExactly) {
  auto pool = BufferPool::Create();
  RingBuffer ring(pool, Budget(8, 100));
  EXPECT_EQ(EnqueuePattern(ring, 0, 60), EnqueueResult::kQueued);
  EXPECT_EQ(EnqueuePattern(ring, 1, 41), EnqueueResult::kOverBudget);
  EXPECT_EQ(EnqueuePattern(ring, 2, 40), EnqueueResult::kQueued);
  EXPECT_EQ(ring.queued_bytes(), 100u);
  EXPECT_EQ(EnqueuePattern(ring, 3, 0), EnqueueResult::kQueued) << "0 bytes always fit";
}

TEST(RingBufferBudgetTest, SlotsDoubleInsteadOfBlockingAndKeepOrder) {
  auto pool = BufferPool::Create();
  RingBuffer ring(pool, Budget(2, 1 << 20, 8));
  // Rotate the window first so growth has to unwrap it.
  ASSERT_EQ(EnqueuePattern(ring, 100, 1), EnqueueResult::kQueued);
  ExpectNext(ring, 100, 1);
  for (uint32_t i = 0; i < 8; ++i) {
    ASSERT_EQ(EnqueuePattern(ring, i, 3), EnqueueResult::kQueued) << i;
    pool->CheckConservation();
  }
  EXPECT_EQ(ring.slots(), 8u);
  EXPECT_EQ(EnqueuePattern(ring, 8, 3), EnqueueResult::kOverBudget) << "max_slots reached";
  for (uint32_t i = 0; i < 8; ++i) ExpectNext(ring, i, 3);
}

TEST(RingBufferBudgetTest, ClosedWinsOverBudget) {
  auto pool = BufferPool::Create();
  RingBuffer ring(pool, Budget(1, 10));
  ASSERT_EQ(EnqueuePattern(ring, 0, 10), EnqueueResult::kQueued);
  ring.Close(EofError());
  EXPECT_EQ(EnqueuePattern(ring, 1, 10), EnqueueResult::kClosed);
}

}  // namespace
}  // namespace drpc::stream

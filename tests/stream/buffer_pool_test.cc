// BufferPool on the OS backend: sizes, reuse with high-water capacity, the
// caps that free returned buffers, Put(empty), and handles.
#include "drpc/stream/buffer_pool.h"

#include <gtest/gtest.h>

#include <vector>

namespace drpc::stream {
namespace {

TEST(BufferPoolTest, NewBuffersAreEmptyWithFourKiB) {
  auto pool = BufferPool::Create();
  PooledBuffer b = pool->Get();
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b.size(), 0u);
  EXPECT_GE(b.bytes().capacity(), 4096u);
  EXPECT_EQ(pool->stats().lent, 1u);
  EXPECT_EQ(pool->stats().created, 1u);
  EXPECT_EQ(b.pool(), pool.get());
}

TEST(BufferPoolTest, ReturnedBufferIsReusedWithItsGrownCapacity) {
  auto pool = BufferPool::Create();
  uint32_t index = 0;
  {
    PooledBuffer b = pool->Get();
    index = b.index();
    b.bytes().Resize(100 * 1024);
    pool->Put(std::move(b));
  }
  EXPECT_EQ(pool->stats().lent, 0u);
  EXPECT_EQ(pool->stats().kept, 1u);
  PooledBuffer again = pool->Get();
  EXPECT_EQ(again.index(), index);
  EXPECT_EQ(again.size(), 0u) << "a reused buffer starts empty";
  EXPECT_GE(again.bytes().capacity(), 100u * 1024) << "high-water capacity is kept";
  const BufferPoolStats stats = pool->stats();
  EXPECT_EQ(stats.created, 1u);
  EXPECT_EQ(stats.reused, 1u);
}

TEST(BufferPoolTest, DestroyingAHandleReturnsTheBuffer) {
  auto pool = BufferPool::Create();
  { PooledBuffer b = pool->Get(); }
  EXPECT_EQ(pool->stats().lent, 0u);
  EXPECT_EQ(pool->stats().kept, 1u);
}

TEST(BufferPoolTest, MoveAssignmentReturnsTheOverwrittenBuffer) {
  auto pool = BufferPool::Create();
  PooledBuffer a = pool->Get();
  PooledBuffer b = pool->Get();
  EXPECT_EQ(pool->stats().lent, 2u);
  a = std::move(b);
  EXPECT_FALSE(b.has_value());  // NOLINT(bugprone-use-after-move): documented state
  EXPECT_EQ(pool->stats().lent, 1u);
  a.Reset();
  EXPECT_EQ(pool->stats().lent, 0u);
}

TEST(BufferPoolTest, PutOfAnEmptyBufferDoesNothing) {
  auto pool = BufferPool::Create();
  pool->Put(PooledBuffer());
  const BufferPoolStats stats = pool->stats();
  EXPECT_EQ(stats.lent, 0u);
  EXPECT_EQ(stats.kept, 0u);
}

TEST(BufferPoolTest, BufferLargerThanTheCapIsFreedAndCounted) {
  BufferPoolOptions options;
  options.max_kept_buffer_bytes = 64 * 1024;
  options.max_kept_large_bytes = 0;  // no large buffer is kept
  auto pool = BufferPool::Create(options);
  PooledBuffer b = pool->Get();
  b.bytes().Resize(1 << 20);  // a 1 MiB message
  b.Reset();
  BufferPoolStats stats = pool->stats();
  EXPECT_EQ(stats.dropped, 1u);
  EXPECT_GE(stats.dropped_bytes, 1u << 20);
  EXPECT_EQ(stats.kept, 0u);
  EXPECT_EQ(stats.kept_bytes, 0u);
  // Its identity is reused with fresh 4 KiB bytes.
  PooledBuffer again = pool->Get();
  EXPECT_EQ(again.bytes().capacity(), 4096u);
  EXPECT_EQ(pool->stats().created, 2u);
}

TEST(BufferPoolTest, LargeBuffersAreKeptWithinACapOfTheirOwn) {
  BufferPoolOptions options;
  options.max_kept_buffer_bytes = 64 * 1024;
  options.max_kept_bytes = 3 * 4096;             // room for three small ones
  options.max_kept_large_bytes = 2 * (1 << 20);  // and two of 1 MiB
  auto pool = BufferPool::Create(options);
  std::vector<PooledBuffer> out;
  for (int i = 0; i < 6; ++i) out.push_back(pool->Get());
  for (int i = 0; i < 3; ++i) out[static_cast<size_t>(i)].bytes().Resize(1 << 20);
  out.clear();
  BufferPoolStats stats = pool->stats();
  EXPECT_EQ(stats.kept, 5u);  // two large, three small: neither pushed the other out
  EXPECT_EQ(stats.dropped, 1u);
  EXPECT_GE(stats.kept_large_bytes, 2u * (1 << 20));
  EXPECT_LE(stats.kept_large_bytes, 2u * (1 << 20) + 2 * 4096);  // Resize's growth
  EXPECT_EQ(stats.kept_bytes - stats.kept_large_bytes, 3u * 4096);
  // A packet of unknown size starts in the largest; a known small one in a
  // small one.
  PooledBuffer large = pool->TryGetLargest(4096);
  PooledBuffer small = pool->TryGet(100);
  EXPECT_GE(large.bytes().capacity(), size_t{1} << 20);
  EXPECT_EQ(small.bytes().capacity(), 4096u);
  stats = pool->stats();
  EXPECT_EQ(stats.kept, 3u);
  EXPECT_EQ(stats.created, 6u);  // nothing new
}

TEST(BufferPoolTest, ASmallMessageNeverTakesALargeBuffer) {
  // Lent to small messages, the large buffers would be out of reach of the
  // packets they are kept for, which would grow new ones meanwhile.
  BufferPoolOptions options;
  options.max_kept_buffer_bytes = 64 * 1024;
  auto pool = BufferPool::Create(options);
  {
    PooledBuffer large = pool->Get();
    large.bytes().Resize(1 << 20);
  }
  ASSERT_EQ(pool->stats().kept, 1u);
  PooledBuffer small = pool->TryGet(100);
  EXPECT_LT(small.bytes().capacity(), size_t{64} * 1024);
  EXPECT_EQ(pool->stats().created, 2u);  // a new one, not the large one
  EXPECT_EQ(pool->stats().kept, 1u);
  PooledBuffer unknown = pool->TryGetLargest(100);  // a packet of unknown size
  EXPECT_GE(unknown.bytes().capacity(), size_t{1} << 20);
  PooledBuffer big = pool->TryGet(size_t{512} * 1024);  // none kept now: a new one
  EXPECT_EQ(pool->stats().created, 3u);
}

TEST(BufferPoolTest, KeptCountIsCapped) {
  BufferPoolOptions options;
  options.max_kept_buffers = 2;
  auto pool = BufferPool::Create(options);
  std::vector<PooledBuffer> out;
  for (int i = 0; i < 5; ++i) out.push_back(pool->Get());
  out.clear();
  const BufferPoolStats stats = pool->stats();
  EXPECT_EQ(stats.kept, 2u);
  EXPECT_EQ(stats.dropped, 3u);
  EXPECT_EQ(stats.lent, 0u);
}

TEST(BufferPoolTest, KeptBytesAreCapped) {
  BufferPoolOptions options;
  options.max_kept_bytes = 3 * 4096;
  auto pool = BufferPool::Create(options);
  std::vector<PooledBuffer> out;
  for (int i = 0; i < 4; ++i) out.push_back(pool->Get());
  out[0].bytes().Resize(8192);  // 8 KiB: fits; then two 4 KiB would exceed 12 KiB
  out.clear();
  const BufferPoolStats stats = pool->stats();
  EXPECT_LE(stats.kept_bytes, 3u * 4096);
  EXPECT_EQ(stats.kept + stats.dropped, 4u);
  EXPECT_GE(stats.dropped, 1u);
}

TEST(BufferPoolTest, SteadyReuseAllocatesNothingNew) {
  auto pool = BufferPool::Create();
  for (int i = 0; i < 1000; ++i) {
    PooledBuffer b = pool->Get();
    b.bytes().Resize(static_cast<size_t>(i % 7) * 1000);
  }
  EXPECT_EQ(pool->stats().created, 1u);
  EXPECT_EQ(pool->stats().reused, 999u);
}

TEST(BufferPoolTest, ZeroInitialCapacityAllocatesOnlyWhenFilled) {
  BufferPoolOptions options;
  options.initial_capacity_bytes = 0;
  auto pool = BufferPool::Create(options);
  PooledBuffer b = pool->Get();
  EXPECT_EQ(b.bytes().capacity(), 0u);
  b.bytes().Resize(10000);
  EXPECT_EQ(b.bytes().capacity(), 10000u) << "exactly what the first fill needs";
  b.Reset();
  EXPECT_EQ(pool->stats().kept, 1u);
  PooledBuffer again = pool->Get();
  EXPECT_EQ(again.bytes().capacity(), 10000u);
}

TEST(BufferPoolTest, CheckAllReturnedPassesWhenEverythingIsBack) {
  auto pool = BufferPool::Create();
  { PooledBuffer b = pool->Get(); }
  pool->CheckAllReturned();
  pool->CheckConservation();
}

}  // namespace
}  // namespace drpc::stream

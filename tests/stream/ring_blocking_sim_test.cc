// RingBuffer's blocking in the simulator: a full ring holds its producer
// and an empty one its consumer until a Dequeue, an Enqueue or a Close
// releases them. Each test waits until every other task is parked, so "the
// producer (consumer) is blocked" is exact when the releasing call comes.
#include <gtest/gtest.h>

#include <vector>

#include "drpc/rt/task.h"
#include "drpc/stream/ring_buffer.h"
#include "sim/scenarios/ring/message_pattern.h"
#include "tests/common/sim_seeds.h"
#include "tests/stream/ring_test_helpers.h"

namespace drpc::stream {
namespace {

using ::drpc::testing::ForEachSeed;
using ::drpc::testing::UntilEveryOtherTaskParks;
using sim::ring::CheckPattern;
using sim::ring::PatternMessage;
using testing::Capacity;
using testing::EnqueuePattern;
using testing::ExpectNext;

constexpr uint64_t kSeeds = 50;

TEST(RingBlocking, AFullRingHoldsTheProducerUntilADequeue) {
  ForEachSeed(kSeeds, [](uint64_t) {
    auto pool = BufferPool::Create();
    RingBuffer ring(pool, Capacity(1));
    ASSERT_EQ(EnqueuePattern(ring, 0, 8), EnqueueResult::kQueued);
    bool returned = false;
    EnqueueResult result = EnqueueResult::kClosed;
    rt::Task producer = rt::spawn("producer", [&] {
      result = EnqueuePattern(ring, 1, 8);
      returned = true;
    });
    UntilEveryOtherTaskParks();
    EXPECT_FALSE(returned) << "Enqueue must block while the ring is full";
    ExpectNext(ring, 0, 8);
    producer.join();
    EXPECT_EQ(result, EnqueueResult::kQueued);
    ExpectNext(ring, 1, 8);
  });
}

TEST(RingBlocking, CloseReleasesABlockedProducerAndItsBufferGoesBack) {
  ForEachSeed(kSeeds, [](uint64_t) {
    auto pool = BufferPool::Create();
    RingBuffer ring(pool, Capacity(1));
    ASSERT_EQ(EnqueuePattern(ring, 0, 8), EnqueueResult::kQueued);
    bool returned = false;
    EnqueueResult result = EnqueueResult::kQueued;
    rt::Task producer = rt::spawn("producer", [&] {
      result = EnqueuePattern(ring, 1, 8);
      returned = true;
    });
    UntilEveryOtherTaskParks();
    ASSERT_FALSE(returned) << "Enqueue must block while the ring is full";
    ring.Close(CanceledError());
    producer.join();
    EXPECT_EQ(result, EnqueueResult::kClosed);
    EXPECT_EQ(pool->stats().lent, 1u) << "only the queued message's buffer is still out";
  });
}

TEST(RingBlocking, CloseReleasesABlockedConsumer) {
  ForEachSeed(kSeeds, [](uint64_t) {
    auto pool = BufferPool::Create();
    RingBuffer ring(pool);
    bool returned = false;
    Status got;
    rt::Task consumer = rt::spawn("consumer", [&] {
      got = ring.Dequeue().status();
      returned = true;
    });
    UntilEveryOtherTaskParks();
    ASSERT_FALSE(returned) << "Dequeue must block while the ring is empty";
    ring.Close(DeadlineExceededError());
    consumer.join();
    EXPECT_EQ(got, DeadlineExceededError());
  });
}

TEST(RingBlocking, EnqueueReleasesABlockedConsumer) {
  ForEachSeed(kSeeds, [](uint64_t) {
    auto pool = BufferPool::Create();
    RingBuffer ring(pool);
    bool returned = false;
    std::string problem = "not run";
    rt::Task consumer = rt::spawn("consumer", [&] {
      Result<Lease> next = ring.Dequeue();
      problem = next.ok() ? CheckPattern(next->view(), 4, 300) : next.status().ToString();
      if (next.ok()) next->Done();
      returned = true;
    });
    UntilEveryOtherTaskParks();
    ASSERT_FALSE(returned) << "Dequeue must block while the ring is empty";
    ASSERT_EQ(EnqueuePattern(ring, 4, 300), EnqueueResult::kQueued);
    consumer.join();
    EXPECT_EQ(problem, "");
  });
}

}  // namespace
}  // namespace drpc::stream

// The ownership ledger catches each broken rule it exists for, with the
// buffer's history: every check here plants its bug (through a planted-bug
// ring policy, ring_policy.h, or by misusing the API) and expects the report.
// A report stops the process (outside the simulator), so these are death
// tests.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "drpc/stream/memory_poison.h"
#include "drpc/stream/ring_buffer.h"
#include "drpc/stream/ring_buffer_impl.h"  // planted-bug instantiations
#include "sim/scenarios/ring/message_pattern.h"

namespace drpc::stream {
namespace {

using sim::ring::PatternMessage;

template <RingBug kBug>
using PlantedRing = BasicRingBuffer<RingPolicy<true, kBug>>;
using CheckedRing = BasicRingBuffer<RingPolicy<true>>;
using CheckedPool = BasicBufferPool<true>;

template <class Ring>
void Put(Ring& ring, uint32_t index, size_t size) {
  const std::vector<uint8_t> message = PatternMessage(index, size);
  ASSERT_EQ(ring.Enqueue(Bytes(message)), EnqueueResult::kQueued);
}

class LedgerDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(LedgerDeathTest, DoubleReleaseIsReportedWithTheHistory) {
  EXPECT_DEATH(
      {
        auto pool = CheckedPool::Create();
        PlantedRing<RingBug::kDoubleDone> ring(pool);
        Put(ring, 0, 10);
        auto lease = ring.Dequeue();
        lease->Done();
      },
      "double release(.|\n)*history(.|\n)*get(.|\n)*enqueue(.|\n)*queue(.|\n)*dequeue(.|\n)*done");
}

TEST_F(LedgerDeathTest, ReleaseIntoAPoolThatNeverLentIt) {
  EXPECT_DEATH(
      {
        BufferPoolOptions a_options;
        a_options.name = "A";
        BufferPoolOptions b_options;
        b_options.name = "B";
        auto a = CheckedPool::Create(a_options);
        auto b = CheckedPool::Create(b_options);
        b->Put(a->Get());
      },
      "release of a buffer this pool never lent(.|\n)*pool \"A\" buffer #0");
}

TEST_F(LedgerDeathTest, LeakAtTeardownIsReported) {
  EXPECT_DEATH(
      {
        auto pool = CheckedPool::Create();
        auto held = pool->Get();
        pool->CheckAllReturned();
      },
      "leak: a buffer is still lent at teardown(.|\n)*owned by a task");
}

TEST_F(LedgerDeathTest, UseAfterCloseTookTheHeldBuffer) {
  EXPECT_DEATH(
      {
        auto pool = CheckedPool::Create();
        PlantedRing<RingBug::kCloseReleasesHeld> ring(pool);
        Put(ring, 0, 10);
        auto lease = ring.Dequeue();
        ring.Close(CanceledError());
        (void)lease->view();  // the consumer still reads
      },
      "use of a buffer after its release(.|\n)*close \\(planted");
}

TEST_F(LedgerDeathTest, SecondDequeueWhileALeaseIsAlive) {
  EXPECT_DEATH(
      {
        auto pool = CheckedPool::Create();
        CheckedRing ring(pool);
        Put(ring, 0, 1);
        Put(ring, 1, 1);
        auto first = ring.Dequeue();
        auto second = ring.Dequeue();
      },
      "second Dequeue while the previous lease is alive");
}

TEST_F(LedgerDeathTest, QueuedBuffersDroppedByCloseAreSeenByConservation) {
  EXPECT_DEATH(
      {
        auto pool = CheckedPool::Create();
        PlantedRing<RingBug::kLeakQueued> ring(pool);
        Put(ring, 0, 1);
        ring.Close(CanceledError());
        pool->CheckConservation();
      },
      "ledger and the ring disagree on what is queued");
}

TEST_F(LedgerDeathTest, QueuedBuffersLeakedByTheDestructorAreSeenAtTeardown) {
  EXPECT_DEATH(
      {
        auto pool = CheckedPool::Create();
        {
          PlantedRing<RingBug::kLeakQueued> ring(pool);
          Put(ring, 0, 1);
        }
        pool->CheckConservation();
      },
      "leak: a buffer is in a ring that no longer exists");
}

TEST_F(LedgerDeathTest, EnqueueThatDropsItsBufferOnCloseLeaks) {
  EXPECT_DEATH(
      {
        auto pool = CheckedPool::Create();
        PlantedRing<RingBug::kEnqueueLeaksOnClose> ring(pool);
        ring.Close(CanceledError());
        const std::vector<uint8_t> message = PatternMessage(0, 1);
        if (ring.Enqueue(Bytes(message)) != EnqueueResult::kClosed) std::abort();
        pool->CheckConservation();
      },
      "leak: a buffer stayed with the producer after Enqueue(.|\n)*enqueue");
}

TEST_F(LedgerDeathTest, DuplicateDeliveryIsSeenByConservation) {
  EXPECT_DEATH(
      {
        auto pool = CheckedPool::Create();
        PlantedRing<RingBug::kDequeueSkipsAdvance> ring(pool);
        Put(ring, 0, 1);
        Put(ring, 1, 1);
        auto lease = ring.Dequeue();
        pool->CheckConservation();
      },
      "a ring slot holds a buffer the ledger places elsewhere(.|\n)*held by the consumer");
}

TEST_F(LedgerDeathTest, LossIsSeenByConservation) {
  EXPECT_DEATH(
      {
        auto pool = CheckedPool::Create();
        PlantedRing<RingBug::kDequeueAdvancesTwice> ring(pool);
        Put(ring, 0, 1);
        Put(ring, 1, 1);
        auto lease = ring.Dequeue();
        pool->CheckConservation();
      },
      "conservation");
}

TEST(LedgerTest, ConservationHoldsThroughEveryStateOfACorrectRing) {
  auto pool = CheckedPool::Create();
  auto lease_pool = pool;
  BasicLease<RingPolicy<true>> lease;
  {
    CheckedRing ring(pool, [] {
      RingOptions o;
      o.capacity = 2;
      return o;
    }());
    pool->CheckConservation();
    Put(ring, 0, 5);
    pool->CheckConservation();
    Put(ring, 1, 5);
    pool->CheckConservation();
    lease = std::move(ring.Dequeue().value());
    pool->CheckConservation();
    Put(ring, 2, 5);
    pool->CheckConservation();
    ring.Close(EofError());
    pool->CheckConservation();
  }
  pool->CheckConservation();  // the lease may outlive the ring
  lease.Done();
  pool->CheckConservation();
  pool->CheckAllReturned();
}

TEST(LedgerTest, ReleasedBytesAreFilledOrPoisoned) {
  if (detail::kAsanPoisoning) GTEST_SKIP() << "poisoned under ASan: see the death test";
  auto pool = CheckedPool::Create();
  CheckedRing ring(pool);
  Put(ring, 7, 64);
  auto lease = ring.Dequeue();
  const uint8_t* stale = lease->view().data();
  lease->Done();
  std::vector<uint8_t> seen(stale, stale + 64);  // the pool still owns this memory
  EXPECT_EQ(seen, std::vector<uint8_t>(64, detail::kReleasedFill));
}

TEST_F(LedgerDeathTest, ReadingReleasedBytesUnderAsanIsUseAfterPoison) {
  if (!detail::kAsanPoisoning) GTEST_SKIP() << "only under ASan";
  EXPECT_DEATH(
      {
        auto pool = CheckedPool::Create();
        CheckedRing ring(pool);
        Put(ring, 7, 64);
        auto lease = ring.Dequeue();
        const volatile uint8_t* stale = lease->view().data();
        lease->Done();
        (void)stale[3];
      },
      "use-after-poison");
}

TEST(LedgerTest, ReportNamesPlacesReadably) {
  LedgerRecord record;
  record.Move("get", Place::kOwned, 1);
  record.Move("enqueue", Place::kProducer, 1, 3);
  record.Move("queue", Place::kQueued, 1, 3, 17);
  EXPECT_EQ(record.DescribePlace(), "queued in ring 3 slot 17");
  const std::string history = record.History();
  EXPECT_NE(history.find("get"), std::string::npos);
  EXPECT_NE(history.find("with the producer of ring 3"), std::string::npos);
  EXPECT_NE(history.find("queued in ring 3 slot 17"), std::string::npos);
  for (int i = 0; i < 20; ++i) record.Move("x", Place::kInPool, 2);
  EXPECT_NE(record.History().find("earlier moves not kept"), std::string::npos);
}

}  // namespace
}  // namespace drpc::stream

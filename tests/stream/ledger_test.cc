// The ownership ledger catches each broken rule it exists for, with the
// buffer's history: every check here plants its bug (a ring plant switched
// on with plant::ScopedPlants, or a misuse of the API) and expects the
// report; each planted workload also runs with the plant off and passes. A
// report stops the process (outside the simulator), so these are death
// tests.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "drpc/base/plant.h"
#include "drpc/stream/internal/memory_poison.h"
#include "drpc/stream/ring_buffer.h"
#include "sim/scenarios/ring/message_pattern.h"

namespace drpc::stream {
namespace {

using plant::Site;
using sim::ring::PatternMessage;

void Put(RingBuffer& ring, uint32_t index, size_t size) {
  const std::vector<uint8_t> message = PatternMessage(index, size);
  ASSERT_EQ(ring.Enqueue(Bytes(message)), EnqueueResult::kQueued);
}

class LedgerDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

// A workload that a ring plant breaks: `plant` must make it die with a
// report matching `report`, and without the plant it must run clean.
struct PlantedCase {
  const char* name;
  Site plant;
  void (*workload)();
  const char* report;
};

void ExpectCaughtOnlyWithThePlant(const PlantedCase& c) {
  EXPECT_DEATH(
      {
        plant::ScopedPlants on({c.plant});
        c.workload();
      },
      c.report)
      << c.name;
  c.workload();  // the plant off: no report
}

TEST_F(LedgerDeathTest, DoubleReleaseIsReportedWithTheHistory) {
  ExpectCaughtOnlyWithThePlant(
      {"double done", Site::kRingDoubleDone,
       [] {
         auto pool = BufferPool::Create();
         RingBuffer ring(pool);
         Put(ring, 0, 10);
         auto lease = ring.Dequeue();
         lease->Done();
       },
       "double release(.|\n)*history(.|\n)*get(.|\n)*enqueue(.|\n)*queue(.|\n)*dequeue(.|\n)*"
       "done"});
}

TEST_F(LedgerDeathTest, ReleaseIntoAPoolThatNeverLentIt) {
  EXPECT_DEATH(
      {
        BufferPoolOptions a_options;
        a_options.name = "A";
        BufferPoolOptions b_options;
        b_options.name = "B";
        auto a = BufferPool::Create(a_options);
        auto b = BufferPool::Create(b_options);
        b->Put(a->Get());
      },
      "release of a buffer this pool never lent(.|\n)*pool \"A\" buffer #0");
}

TEST_F(LedgerDeathTest, LeakAtTeardownIsReported) {
  EXPECT_DEATH(
      {
        auto pool = BufferPool::Create();
        auto held = pool->Get();
        pool->CheckAllReturned();
      },
      "leak: a buffer is still lent at teardown(.|\n)*owned by a task");
}

TEST_F(LedgerDeathTest, UseAfterCloseTookTheHeldBuffer) {
  for (Site site : {Site::kRingCloseReleasesHeld, Site::kRingPreFix89d4b63}) {
    ExpectCaughtOnlyWithThePlant({"close takes the held buffer", site,
                                  [] {
                                    auto pool = BufferPool::Create();
                                    RingBuffer ring(pool);
                                    Put(ring, 0, 10);
                                    auto lease = ring.Dequeue();
                                    ring.Close(CanceledError());
                                    (void)lease->view();  // the consumer still reads
                                  },
                                  "use of a buffer after its release(.|\n)*close \\(planted"});
  }
}

TEST_F(LedgerDeathTest, SecondDequeueWhileALeaseIsAlive) {
  EXPECT_DEATH(
      {
        auto pool = BufferPool::Create();
        RingBuffer ring(pool);
        Put(ring, 0, 1);
        Put(ring, 1, 1);
        auto first = ring.Dequeue();
        auto second = ring.Dequeue();
      },
      "second Dequeue while the previous lease is alive");
}

TEST_F(LedgerDeathTest, QueuedBuffersDroppedByCloseAreSeenByConservation) {
  ExpectCaughtOnlyWithThePlant({"close drops the queue", Site::kRingLeakQueued,
                                [] {
                                  auto pool = BufferPool::Create();
                                  RingBuffer ring(pool);
                                  Put(ring, 0, 1);
                                  ring.Close(CanceledError());
                                  pool->CheckConservation();
                                },
                                "ledger and the ring disagree on what is queued"});
}

TEST_F(LedgerDeathTest, QueuedBuffersLeakedByTheDestructorAreSeenAtTeardown) {
  ExpectCaughtOnlyWithThePlant({"the destructor drops the queue", Site::kRingLeakQueued,
                                [] {
                                  auto pool = BufferPool::Create();
                                  {
                                    RingBuffer ring(pool);
                                    Put(ring, 0, 1);
                                  }
                                  pool->CheckConservation();
                                },
                                "leak: a buffer is in a ring that no longer exists"});
}

TEST_F(LedgerDeathTest, EnqueueThatDropsItsBufferOnCloseLeaks) {
  ExpectCaughtOnlyWithThePlant(
      {"a refused Enqueue drops its buffer", Site::kRingEnqueueLeaksOnClose,
       [] {
         auto pool = BufferPool::Create();
         RingBuffer ring(pool);
         ring.Close(CanceledError());
         const std::vector<uint8_t> message = PatternMessage(0, 1);
         if (ring.Enqueue(Bytes(message)) != EnqueueResult::kClosed) std::abort();
         pool->CheckConservation();
       },
       "leak: a buffer stayed with the producer after Enqueue(.|\n)*enqueue"});
}

TEST_F(LedgerDeathTest, DuplicateDeliveryIsSeenByConservation) {
  ExpectCaughtOnlyWithThePlant(
      {"Dequeue skips the advance", Site::kRingDequeueSkipsAdvance,
       [] {
         auto pool = BufferPool::Create();
         RingBuffer ring(pool);
         Put(ring, 0, 1);
         Put(ring, 1, 1);
         auto lease = ring.Dequeue();
         pool->CheckConservation();
       },
       "a ring slot holds a buffer the ledger places elsewhere(.|\n)*held by the consumer"});
}

TEST_F(LedgerDeathTest, LossIsSeenByConservation) {
  ExpectCaughtOnlyWithThePlant({"Dequeue advances twice", Site::kRingDequeueAdvancesTwice,
                                [] {
                                  auto pool = BufferPool::Create();
                                  RingBuffer ring(pool);
                                  Put(ring, 0, 1);
                                  Put(ring, 1, 1);
                                  auto lease = ring.Dequeue();
                                  pool->CheckConservation();
                                },
                                "conservation"});
}

TEST(LedgerTest, ConservationHoldsThroughEveryStateOfACorrectRing) {
  auto pool = BufferPool::Create();
  Lease lease;
  {
    RingBuffer ring(pool, [] {
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
  if (internal::kAsanPoisoning) GTEST_SKIP() << "poisoned under ASan: see the death test";
  auto pool = BufferPool::Create();
  RingBuffer ring(pool);
  Put(ring, 7, 64);
  auto lease = ring.Dequeue();
  const uint8_t* stale = lease->view().data();
  lease->Done();
  std::vector<uint8_t> seen(stale, stale + 64);  // the pool still owns this memory
  EXPECT_EQ(seen, std::vector<uint8_t>(64, internal::kReleasedFill));
}

TEST_F(LedgerDeathTest, ReadingReleasedBytesUnderAsanIsUseAfterPoison) {
  if (!internal::kAsanPoisoning) GTEST_SKIP() << "only under ASan";
  EXPECT_DEATH(
      {
        auto pool = BufferPool::Create();
        RingBuffer ring(pool);
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

// The watchdog (watchdog.h) on a planted lost wake-up: with the plant
// ring.close-wakes-only-consumer, Close does not wake a producer blocked on
// a full ring, so the test that joins that producer hangs. Under the
// watchdog it fails in about its budget (1 s here) instead of at ctest's
// timeout, and names the task and the wait it is stuck in. The same steps
// without the plant pass.
#include "tests/common/watchdog.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "drpc/base/check.h"
#include "drpc/base/plant.h"
#include "drpc/rt/task.h"
#include "drpc/rt/waits.h"
#include "drpc/stream/buffer_pool.h"
#include "drpc/stream/ring_buffer.h"

namespace drpc::testing {
namespace {

constexpr char kFullRingWait[] = "ring Enqueue: slots full (or max_queued_bytes queued)";

bool ProducerWaitsOnTheFullRing() {
  for (const rt::WaitingTask& t : rt::WaitingTasks()) {
    if (t.name == "producer" && std::string(t.label) == kFullRingWait) return true;
  }
  return false;
}

// A producer blocks on a full one-slot ring; Close must wake it. Returns
// what its second Enqueue returned.
stream::EnqueueResult CloseWhileTheProducerWaits() {
  auto pool = stream::BufferPool::Create();
  stream::RingBuffer ring(pool, {.capacity = 1, .name = "watchdog ring"});
  const uint8_t byte = 'x';
  EXPECT_EQ(ring.Enqueue(Bytes(&byte, 1)), stream::EnqueueResult::kQueued);
  stream::EnqueueResult second = stream::EnqueueResult::kQueued;
  rt::Task producer = rt::spawn("producer", [&] { second = ring.Enqueue(Bytes(&byte, 1)); });
  // WaitingTasks shows when the producer is parked on the full ring (polled,
  // bounded: 20 s).
  for (int i = 0; i < 20000 && !ProducerWaitsOnTheFullRing(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(ProducerWaitsOnTheFullRing()) << "rt::WaitingTasks never showed the producer";
  ring.Close(CanceledError());
  producer.join();  // with the plant: never returns
  return second;
}

TEST(Watchdog, WithoutThePlantCloseWakesTheProducer) {
  EXPECT_NE(CloseWhileTheProducerWaits(), stream::EnqueueResult::kQueued);
}

TEST(Watchdog, FailsALostWakeupWithinSecondsAndNamesTheWait) {
  if (!stream::kCheckedBuild) GTEST_SKIP() << "plants exist only in checked builds";
  // The child runs this test again (threadsafe style) and arms a watchdog
  // of its own with a budget of 1 s (GoogleTest sends a death test's child
  // no events).
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EXIT(
      {
        WatchdogAllows(std::chrono::seconds(1));
        plant::ScopedPlants on({plant::Site::kRingCloseWakesOnlyConsumer});
        (void)CloseWhileTheProducerWaits();
      },
      ::testing::ExitedWithCode(1),
      "watchdog: Watchdog.FailsALostWakeupWithinSecondsAndNamesTheWait has not finished after "
      "[0-9]+ s.*task #[0-9]+ \"producer\" waits at \"ring Enqueue: slots full \\(or "
      "max_queued_bytes queued\\)\" on \"ring not_full\".*watchdog: failing");
  // Not a speed assertion: a hang is what is measured. Far below ctest's
  // timeout (300 s), where such a bug used to show.
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(30))
      << "the watchdog took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
      << " ms";
}

}  // namespace
}  // namespace drpc::testing

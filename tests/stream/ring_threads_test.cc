// Rings sharing one pool under real threads (label tsan: also built and run
// by the tsan preset). Each ring has its producer, consumer and closer
// thread; the checks are the §3.6 invariants that do not need a schedule:
// FIFO prefix, drain then the first error, no Enqueue queued after one was
// refused by Close, and every buffer back in the pool at the end.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "drpc/rt/task.h"
#include "drpc/stream/ring_buffer.h"
#include "sim/scenarios/ring/message_pattern.h"

namespace drpc::stream {
namespace {

using sim::ring::CheckPattern;
using sim::ring::PatternMessage;

struct Lane {
  std::unique_ptr<RingBuffer> ring;
  std::vector<size_t> sizes;  // what the producer sends
  uint32_t queued = 0;        // messages the ring accepted
  bool refused_then_queued = false;
  uint32_t received = 0;
  std::string problem;
  Status final_error;
};

size_t SizeOf(uint32_t lane, uint32_t i) {
  // Mostly small, now and then a few KiB, rarely 64 KiB.
  const uint32_t x = (i * 2654435761u) ^ (lane * 40503u);
  if (x % 97 == 0) return 64 * 1024;
  if (x % 13 == 0) return 4096 + x % 3000;
  return x % 200;
}

void RunLanes(int lanes, uint32_t messages, size_t capacity, bool close_early) {
  auto pool = BufferPool::Create();
  std::vector<Lane> lane(static_cast<size_t>(lanes));
  for (int l = 0; l < lanes; ++l) {
    RingOptions options;
    options.capacity = capacity;
    options.name = "lane " + std::to_string(l);
    lane[l].ring = std::make_unique<RingBuffer>(pool, options);
    for (uint32_t i = 0; i < messages; ++i) lane[l].sizes.push_back(SizeOf(l, i));
  }
  std::vector<rt::Task> tasks;
  for (int l = 0; l < lanes; ++l) {
    Lane& ln = lane[l];
    tasks.push_back(rt::spawn("producer", [&ln] {
      bool refused = false;
      for (uint32_t i = 0; i < ln.sizes.size(); ++i) {
        const std::vector<uint8_t> m = PatternMessage(i, ln.sizes[i]);
        const EnqueueResult r = ln.ring->Enqueue(Bytes(m));
        if (r == EnqueueResult::kQueued) {
          if (refused) ln.refused_then_queued = true;
          ++ln.queued;
        } else {
          refused = true;
        }
      }
      ln.ring->Close(EofError());  // end of stream; a closer may have won
    }));
    tasks.push_back(rt::spawn("consumer", [&ln] {
      for (uint32_t guard = 0; guard <= ln.sizes.size(); ++guard) {
        Result<Lease> next = ln.ring->Dequeue();
        if (!next.ok()) {
          ln.final_error = next.status();
          return;
        }
        const uint32_t i = ln.received++;
        if (ln.problem.empty() && i < ln.sizes.size()) {
          ln.problem = CheckPattern(next->view(), i, ln.sizes[i]);
        }
      }
      ln.problem = "more messages than were sent";
    }));
    if (close_early) {
      tasks.push_back(rt::spawn("closer", [&ln] {
        for (int i = 0; i < 50; ++i) rt::yield();
        ln.ring->Close(CanceledError());
      }));
    }
  }
  for (rt::Task& t : tasks) t.join();
  for (int l = 0; l < lanes; ++l) {
    Lane& ln = lane[l];
    SCOPED_TRACE("lane " + std::to_string(l));
    EXPECT_EQ(ln.problem, "");
    EXPECT_FALSE(ln.refused_then_queued) << "an Enqueue was queued after Close refused one";
    EXPECT_EQ(ln.received, ln.queued) << "drain after close: every accepted message arrives";
    EXPECT_TRUE(ln.final_error == EofError() || ln.final_error == CanceledError())
        << ln.final_error;
    if (!close_early) {
      EXPECT_EQ(ln.queued, messages);
    }
  }
  lane.clear();  // destroys the rings
  EXPECT_EQ(pool->stats().lent, 0u);
  pool->CheckAllReturned();
}

TEST(RingThreadsTest, OneLaneSmallRing) { RunLanes(1, 3000, 2, false); }
TEST(RingThreadsTest, ThreeLanesShareOnePool) { RunLanes(3, 2000, 8, false); }
TEST(RingThreadsTest, ThreeLanesWithClosers) {
  for (int round = 0; round < 10; ++round) RunLanes(3, 500, 4, true);
}

}  // namespace
}  // namespace drpc::stream

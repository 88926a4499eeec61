// Helpers of the ring tests on both backends: a ring of a given capacity,
// and messages of the shared pattern (sim/scenarios/ring/message_pattern.h).
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "drpc/stream/ring_buffer.h"
#include "sim/scenarios/ring/message_pattern.h"

namespace drpc::stream::testing {

inline RingOptions Capacity(size_t capacity) {
  RingOptions options;
  options.capacity = capacity;
  return options;
}

inline EnqueueResult EnqueuePattern(RingBuffer& ring, uint32_t index, size_t size) {
  const std::vector<uint8_t> message = sim::ring::PatternMessage(index, size);
  return ring.Enqueue(Bytes(message));
}

// Dequeues one message and checks it is message `index` of `size` bytes.
inline void ExpectNext(RingBuffer& ring, uint32_t index, size_t size) {
  Result<Lease> next = ring.Dequeue();
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(sim::ring::CheckPattern(next->view(), index, size), "");
  next->Done();
}

}  // namespace drpc::stream::testing

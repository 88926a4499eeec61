// Allocation counting for tests that assert a path allocates nothing: a
// binary that links drpc_test_counting_new has its global operator new
// replaced (so such a test needs a binary of its own) by one that counts
// the allocations made between Start and Stop, on every thread but those
// that opted out.
//
//   testing::StartCountingAllocations();
//   for (...) sink.Send(message);
//   EXPECT_EQ(testing::StopCountingAllocations(), 0u);
#pragma once

#include <cstdint>

namespace drpc::testing {

// Resets the count and counts from now on.
void StartCountingAllocations();
// Stops counting; returns the allocations counted since Start.
uint64_t StopCountingAllocations();
// This thread's allocations are never counted (a helper thread whose
// allocations are not under test, such as a peer's reader).
void DontCountAllocationsOnThisThread();

}  // namespace drpc::testing

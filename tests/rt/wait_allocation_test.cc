// The thread backend's waits record who waits on what (rt::WaitingTasks)
// and must not allocate to do it: a wait is on every message's path (a
// reader's socket read, a consumer's condvar). Counted by replacing the
// global operator new (tests/common/counting_new.h), so this test has a
// binary of its own.
#include <gtest/gtest.h>

#include "drpc/rt/condvar.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/task.h"
#include "drpc/rt/time.h"
#include "tests/common/counting_new.h"

namespace drpc::rt {
namespace {

TEST(WaitAllocations, AWaitAllocatesNothingOnceItsThreadHasWaited) {
  uint64_t allocations = 0;
  // A name longer than the small-string buffer, as real task names are.
  spawn("client.c1.reader.a-name-longer-than-sso", [&] {
    Mutex mu("wait_allocation_test.mu");
    CondVar cv("wait_allocation_test.cv");
    Lock lock(mu);
    // A wait whose deadline has passed: it records itself and returns.
    auto wait_once = [&] { (void)cv.wait_until(lock, now(), "wait_allocation_test.wait"); };
    wait_once();  // the first wait registers the thread's record
    testing::StartCountingAllocations();
    for (int i = 0; i < 100; ++i) wait_once();
    allocations = testing::StopCountingAllocations();
  }).join();
  EXPECT_EQ(allocations, 0u) << "100 waits";
}

}  // namespace
}  // namespace drpc::rt

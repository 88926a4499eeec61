// On the OS backend a fault site is the constant false, whatever the
// enabled set says (only the simulator injects faults), and TrySpawn
// starts tasks.
#include <gtest/gtest.h>

#include <atomic>

#include "drpc/rt/fault.h"
#include "drpc/rt/task.h"

namespace drpc::rt {
namespace {

TEST(FaultOs, SitesNeverFireOnTheOsBackend) {
  const uint64_t before = fault::SetEnabled(~uint64_t{0});
  EXPECT_FALSE(DRPC_FAULT(kShortWrite));
  EXPECT_FALSE(DRPC_FAULT(kSpuriousWakeup));
  EXPECT_FALSE(DRPC_FAULT(kAcceptError));
  EXPECT_FALSE(DRPC_FAULT(kSpawnFailure));
  std::atomic<bool> ran{false};
  Result<Task> task = TrySpawn("try", [&] { ran = true; });
  ASSERT_TRUE(task.ok()) << task.status();
  task->join();
  EXPECT_TRUE(ran.load());
  (void)fault::SetEnabled(before);
}

}  // namespace
}  // namespace drpc::rt

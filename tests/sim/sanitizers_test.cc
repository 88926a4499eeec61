// Fibers under the sanitizers: the switch annotations must silence false
// reports (exceptions across switches, reused stacks and fake stacks) and
// still let real bugs inside fibers be caught. The checks that need a
// sanitizer skip themselves in other builds.
#include "drpc/fiber/sanitizers.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "drpc/rt/rt.h"
#include "sim/sched/random_source.h"
#include "sim/sched/run.h"
#include "tests/sim/sim_test_util.h"

#if DRPC_FIBER_ASAN
extern "C" int __asan_option_detect_stack_use_after_return;
#endif

namespace drpc::sim {
namespace {

using testing::Describe;

bool DetectsStackUseAfterReturn() {
#if DRPC_FIBER_ASAN
  return __asan_option_detect_stack_use_after_return != 0;
#else
  return false;
#endif
}

// Deep frames with arrays and exceptions, many fibers, many runs: the
// pattern that gives false stack reports without the annotations.
void ThrowThroughFrames(int depth) {
  volatile char frame[256];
  frame[depth % sizeof(frame)] = static_cast<char>(depth);
  if (depth == 0) throw std::runtime_error("bottom");
  ThrowThroughFrames(depth - 1);
}

TEST(Sanitizers, ExceptionsAndDeepFramesInReusedFibersAreClean) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    RandomSource random(seed);
    RunResult r = sim::Run(random, {}, [] {
      auto body = [] {
        for (int i = 0; i < 3; ++i) {
          try {
            ThrowThroughFrames(20);
          } catch (const std::runtime_error&) {
            rt::yield();
          }
          std::string grow(4096, 'x');  // heap and stack traffic across a switch
          rt::yield();
          EXPECT_EQ(grow.size(), 4096u);
        }
      };
      rt::Task a = rt::spawn("a", body);
      rt::Task b = rt::spawn("b", body);
      body();
      a.join();
      b.join();
    });
    ASSERT_TRUE(r.ok()) << Describe(r);
  }
}

int* EscapingLocal() {
  int local = 42;
  int* volatile escape = &local;
  return escape;
}

using SanitizersDeathTest = ::testing::Test;

TEST(SanitizersDeathTest, StackUseAfterReturnInAFiberIsStillCaught) {
  if (!DetectsStackUseAfterReturn())
    GTEST_SKIP() << "needs ASan with detect_stack_use_after_return";
  EXPECT_DEATH(
      {
        RandomSource random(1);
        (void)sim::Run(random, {}, [] {
          rt::Task t = rt::spawn("culprit", [] {
            int* dangling = EscapingLocal();
            rt::yield();
            EXPECT_EQ(*dangling, 42);  // reads a dead frame
          });
          t.join();
        });
      },
      // clang may name it by the scope that ended before the return.
      "stack-use-after-(return|scope)");
}

TEST(SanitizersDeathTest, StackBufferOverflowInAFiberIsStillCaught) {
  if (!fiber::sanitizer::kAsan) GTEST_SKIP() << "needs ASan";
  EXPECT_DEATH(
      {
        RandomSource random(1);
        (void)sim::Run(random, {}, [] {
          rt::Task t = rt::spawn("culprit", [] {
            volatile char buffer[16];
            volatile char* cursor = buffer;  // pointer arithmetic: ASan's catch, not UBSan's
            volatile int index = 16;
            rt::yield();
            cursor[index] = 1;
          });
          t.join();
        });
      },
      // gcc's UBSan object-size check may see it first: either way, caught.
      "stack-buffer-overflow|insufficient space");
}

}  // namespace
}  // namespace drpc::sim

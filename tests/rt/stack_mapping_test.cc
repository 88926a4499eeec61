// Fiber stacks (src/drpc/fiber/stack_pool.h): the guard page below a stack
// faults, and a stack takes at most MappingsPerStack() entries of the
// kernel's vm.max_map_count, which bounds how many idle connections a
// process can hold (tests/idle).
#include <gtest/gtest.h>

#include <cstdio>
#include <optional>
#include <vector>

#include "drpc/fiber/sanitizers.h"
#include "drpc/fiber/stack_pool.h"

namespace drpc::fiber {
namespace {

int CountMappings() {
  FILE* f = std::fopen("/proc/self/maps", "r");
  if (f == nullptr) return -1;
  int lines = 0;
  for (int c; (c = std::fgetc(f)) != EOF;) lines += c == '\n';
  std::fclose(f);
  return lines;
}

TEST(FiberStackMappings, EachStackTakesAtMostMappingsPerStack) {
  // TSan maps shadow memory of its own beside every mapping (425 lines for
  // 200 stacks): the count would measure the sanitizer, not the stacks.
  if (sanitizer::kTsan) GTEST_SKIP() << "TSan adds mappings of its own per mmap";
  constexpr int kStacks = 200;
  const int before = CountMappings();
  ASSERT_GT(before, 0);
  std::vector<FiberStack> stacks;
  for (int i = 0; i < kStacks; ++i) {
    std::optional<FiberStack> stack = MapStack(256 * 1024);
    ASSERT_TRUE(stack.has_value());
    static_cast<volatile char*>(stack->bottom)[0] = 1;  // touched, as a running fiber's
    stacks.push_back(*stack);
  }
  const int added = CountMappings() - before;
  for (const FiberStack& stack : stacks) UnmapStack(stack);
  std::printf("%d stacks added %d mappings (MappingsPerStack() = %d)\n", kStacks, added,
              MappingsPerStack());
  EXPECT_LE(added, kStacks * MappingsPerStack());
}

TEST(FiberStackMappingsDeathTest, WritingIntoTheGuardPageFaults) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  std::optional<FiberStack> stack = MapStack(64 * 1024);
  ASSERT_TRUE(stack.has_value());
  // The byte just below the usable stack: what an overflowing fiber writes.
  volatile char* below = static_cast<volatile char*>(stack->bottom) - 1;
  EXPECT_DEATH(*below = 1, "");
  UnmapStack(*stack);
}

}  // namespace
}  // namespace drpc::fiber
